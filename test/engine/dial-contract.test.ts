// The dial contract (issue 8) against the truthful fake Exotel, everything unpleasant at once: requests that place the
// call and then answer 502, 504, a 500 RestException, a reset or nothing at all (the client gives up after ~1 s while
// the call goes on for 11 s — longer than any short grace, shorter than TimeOut + TimeLimit + settle), requests that
// place nothing (503, 429), callbacks late, twice, out of order or never, call details that fill in late, and a call
// list that never shows a call still live. By the fake's own log: no number placed twice, every contact final (or
// "checking" with a reason), and the campaign's counters equal to what Exotel did.
//
// Test time: an Exotel second is a real second (`secondMs: 1000`); the engine sends TimeOut 2 s and TimeLimit 10 s,
// and may call an attempt absent only from a list read 2 + 10 + 2 (settle) = 14 s after it was sent.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import { OUTCOMES, type Outcome } from '../../src/campaigns/vocabulary.js';
import { AccountPacer } from '../../src/engine/account-pacer.js';
import { ExotelClient } from '../../src/exotel/exotel-client.js';
import { exotelDialer } from '../../src/exotel/exotel-dialer.js';
import { createLogger } from '../../src/logger.js';
import type { RuntimeOverrides } from '../../src/runtime.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CallFields } from '../../src/store/call-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCallbackFault, type FakeCallOutcome, type FakeExotel, type FakeFault } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  exotelEnv,
  expectContactsMatchCalls,
  FAST_SETTINGS,
  numberOf,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitForStatus,
} from '../helpers/engine-fixtures.js';

const CONTACTS = 300;
const RING_SECONDS = 2;
const MAX_CALL_SECONDS = 10;
const SETTLE_MS = 2_000;
/** When an attempt may be declared absent, after it was sent. */
const GRACE_MS = (RING_SECONDS + MAX_CALL_SECONDS) * 1000 + SETTLE_MS;
/** The client gives up waiting for an answer after this (undici checks about once a second: ~1–2 s). */
const RESPONSE_TIMEOUT_MS = 1_000;
/** A call behind a request that never answered: rings the whole TimeOut and talks 9 of the 10 s TimeLimit. */
const LONG_HANG = { ringMs: RING_SECONDS * 1000, talkMs: 9_000 };
const RATE = 600;

const SETTINGS: NonNullable<RuntimeOverrides['settings']> = {
  ...FAST_SETTINGS,
  ringSeconds: RING_SECONDS,
  maxCallSeconds: MAX_CALL_SECONDS,
  pollAfterMs: 3_000,
  reconciler: {
    ringSeconds: RING_SECONDS,
    maxCallSeconds: MAX_CALL_SECONDS,
    settleMs: SETTLE_MS,
    pollEveryMs: 1_000,
    unreachableRetryMs: 500,
    staleDialingMs: 4_000,
  },
};

/** What the first request for a number meets; later requests for it are answered normally. */
type Scenario = FakeFault | 'long-hang' | 'long-call';

function scenarioOf(i: number): Scenario {
  if (i === 100 || i === 200) return '429';
  switch (i % 20) {
    case 1:
      return 'accept-then-502';
    case 3:
      return 'long-hang';
    case 5:
      return 'accept-then-504';
    case 7:
      return 'accept-then-500-json';
    case 9:
      return 'reset';
    case 11:
      return '503';
    case 13:
      return 'accept-then-hang';
    case 15:
      return 'long-call';
    default:
      return 'ok';
  }
}

const MIX: FakeCallOutcome[] = [
  'completed',
  'completed',
  'completed',
  'completed',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'busy',
  'canceled',
];
const CALLBACK_FAULTS: FakeCallbackFault[] = [
  'drop',
  'late',
  'duplicate',
  'reorder',
  'deliver',
  'deliver',
  'late',
  'deliver',
  'duplicate',
  'deliver',
];

const phones = phoneNumbers(CONTACTS, '93');
const indexOf = new Map(phones.map((p, i) => [p.slice(-10), i]));
const index = (from: string) => indexOf.get(from.replace(/\D/g, '').slice(-10))!;

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('dial_contract');
  const seen = new Set<number>();
  fake = await startFakeExotel({
    secondMs: 1000,
    callbackDelayMs: [200, 3_000],
    detailsDelayMs: 2_500,
    lateCallbackMs: 3_500,
    latencyMs: [5, 40],
    seed: 8,
    fault: (_n, from) => {
      const i = index(from);
      if (seen.has(i)) return 'ok';
      seen.add(i);
      const s = scenarioOf(i);
      return s === 'long-hang' ? 'accept-then-hang' : s === 'long-call' ? 'ok' : s;
    },
    outcome: (from) => {
      const i = index(from);
      return scenarioOf(i) === 'long-hang' || scenarioOf(i) === 'long-call' ? 'completed' : MIX[i % MIX.length]!;
    },
    // Forced timings are not capped by TimeOut/TimeLimit; these stay within them, as a real call would.
    callTiming: (_n, from) => {
      const s = scenarioOf(index(from));
      if (s === 'long-hang') return LONG_HANG;
      if (s === 'long-call') return { ringMs: 1_500, talkMs: 8_000 };
      return undefined;
    },
    callbackFault: (n) => CALLBACK_FAULTS[n % CALLBACK_FAULTS.length]!,
  });
  const log = createLogger({ level: 'silent', pretty: false });
  const pacer = new AccountPacer(store.PacerState, { account: fake.accountSid, callsPerMinute: RATE, log });
  const client = new ExotelClient({
    baseUrl: fake.url,
    accountSid: fake.accountSid,
    apiKey: fake.apiKey,
    apiToken: fake.apiToken,
    responseTimeoutMs: RESPONSE_TIMEOUT_MS,
    beforeRequest: (_operation, signal) => pacer.take(signal),
  });
  app = await startTestApp(
    store,
    exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'contract-webhook-secret-0123456789', EXOTEL_MAX_LIVE_CALLS: '60' }),
    { runtime: { dialer: exotelDialer(client, pacer), pacer, settings: SETTINGS, pacing: { callsPerMinute: RATE } } },
  );
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('the dial contract under everything Exotel really does', () => {
  it('places no number twice, leaves no contact unresolved, and counts what Exotel did', async () => {
    const campaign = await seedCampaign(store, phones);
    onTestFailed(async () => {
      const c = await store.Campaign.findById(campaign._id).lean();
      const stuck = await store.Contact.find({ campaign_id: campaign._id, call_status: { $nin: [...OUTCOMES] } }).lean();
      console.error(
        JSON.stringify({
          status: c?.status,
          counts: c?.counts,
          dial_wait: c?.dial_wait,
          stuck: stuck.slice(0, 10),
          calls: fake.calls.length,
        }),
      );
    });
    const startedAt = Date.now();
    const started = await app.runtime.service.start(campaign._id, { userId: 'U0OWNER' });
    expect(started.ok).toBe(true);

    const done = await waitForStatus(store, campaign._id, 'completed', 330_000);
    const doneMs = Date.now() - startedAt;
    await fake.settled();

    // Every behaviour was really served.
    const connects = fake.requests.filter((r) => r.method === 'POST');
    const served = (outcome: string) => connects.filter((r) => r.outcome === outcome).length;
    for (const fault of [
      'accept-then-502',
      'accept-then-504',
      'accept-then-500-json',
      'accept-then-hang',
      'reset',
      'fault-503',
      'fault-429',
    ] as const) {
      expect(served(fault), fault).toBeGreaterThan(0);
    }
    const callbackAttempts = (sid: string) => fake.callbacks.filter((c) => c.callSid === sid && c.eventType === 'terminal').length;
    expect(fake.calls.some((c) => callbackAttempts(c.sid) === 0)).toBe(true);
    expect(fake.calls.some((c) => callbackAttempts(c.sid) >= 2)).toBe(true);

    // By the fake's own log: each number placed exactly once.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(CONTACTS);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(fake.calls).toHaveLength(CONTACTS);

    // Every contact final with the outcome and sid of its one call (none left "checking": the fake answers).
    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    expect(contacts).toHaveLength(CONTACTS);
    const unresolved = contacts.filter((c) => !(OUTCOMES as readonly string[]).includes(c.call_status));
    expect(unresolved.filter((c) => !(c.call_status === 'unknown' && c.call_error))).toEqual([]);
    expect(unresolved).toEqual([]);
    expectContactsMatchCalls(contacts, fake.calls);

    // The requests that never answered: the client gave up within seconds while the call went on for 11 s, and the
    // call list was asked while the call was still live (it was absent then) — yet the number was never dialled again.
    const longHangs = fake.calls.filter((c) => scenarioOf(index(c.from)) === 'long-hang');
    expect(longHangs.length).toBeGreaterThan(0);
    const listedWhileLive = longHangs.filter((call) =>
      fake.requests.some(
        (r) =>
          r.method === 'GET' && r.path.endsWith('/Calls.json') && (r.query['From'] ?? '').includes(call.fromEcho) && r.at < call.endTime!,
      ),
    );
    expect(listedWhileLive.length).toBeGreaterThan(0);
    for (const call of longHangs) expect(call.endTime!.getTime() - call.createdAt.getTime()).toBeLessThan(GRACE_MS);

    // Counters equal the truth: a recount of the contacts, and the outcomes of the fake's calls.
    expect(await countContacts(store, campaign._id)).toEqual(done.counts);
    expect(outcomeCounters(done)).toEqual(outcomeTruth(fake.calls));
    expect(done.total_contacts).toBe(CONTACTS);
    const truth = outcomeTruth(fake.calls);
    expect(done.calls_completed).toBe(truth.completed);
    expect(done.calls_failed).toBe(truth.busy + truth['no-answer'] + truth.failed + truth.canceled);
    expect(done.stats.placed).toBe(CONTACTS);

    // Each attempt's call record holds what became of it: the placed one its outcome and sid, a refused one nothing.
    const records = new Map(((await store.Call.find({ campaign_id: campaign._id }).lean()) as CallFields[]).map((r) => [r._id, r]));
    const callOf = new Map(fake.calls.map((c) => [numberOf(c), c]));
    for (const contact of contacts) {
      const call = callOf.get(contact.phone)!;
      expect(call.customField).toBe(attemptKey(contact._id, contact.tries));
      expect(records.get(attemptKey(contact._id, contact.tries)), contact._id).toMatchObject({
        state: call.outcome as Outcome,
        sid: call.sid,
      });
      // Earlier tries placed nothing: a 429 proves it at once; a 503 might have placed a call (any 5xx might), so it
      // was "checking" until the list, read after the grace, did not show it.
      const earlier = Array.from({ length: contact.tries - 1 }, (_, t) => records.get(attemptKey(contact._id, t + 1))?.state);
      const scenario = scenarioOf(index(contact.phone));
      expect({ scenario, earlier }).toEqual({
        scenario,
        earlier: scenario === '429' ? ['not-placed'] : scenario === '503' ? ['absent'] : [],
      });
    }

    const per10s = (rs: typeof fake.requests) => {
      const bins: number[] = [];
      for (const r of rs)
        bins[Math.floor((r.at.getTime() - startedAt) / 10_000)] = (bins[Math.floor((r.at.getTime() - startedAt) / 10_000)] ?? 0) + 1;
      return Array.from(bins, (n) => n ?? 0).join(' ');
    };
    console.log(
      `[dial-contract] connects per 10 s: ${per10s(connects)}; reads per 10 s: ${per10s(fake.requests.filter((r) => r.method === 'GET'))}`,
    );
    console.log(
      `[dial-contract] ${CONTACTS} contacts, ${connects.length} connect requests, ` +
        `${fake.requests.length - connects.length} reads, ${longHangs.length} long hangs (${listedWhileLive.length} listed while live), ` +
        `${fake.callbacks.length} callback deliveries; last connect ${connects.at(-1)!.at.getTime() - startedAt} ms, completed ${doneMs} ms after the start`,
    );
  }, 360_000);
});
