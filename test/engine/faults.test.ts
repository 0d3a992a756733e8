// The engine against an Exotel that misbehaves. Real app, real database, the fake Exotel over real HTTP; the fake's
// own log is the truth about what was dialled. What each answer to connect.json must lead to:
// - 429: nothing was placed; the whole account holds for Retry-After (in the database, for every process), and the
//   number is tried again after the hold;
// - 503, and no call was placed: the answer proves nothing, so the attempt is `unknown` until Exotel's call list,
//   read after the call could no longer be live, shows it absent; only then is the number dialled again;
// - a call placed and the answer lost (hang, reset, a proxy's 502/504, a 500 RestException): found in the call list
//   (or closed by its status callback) with the sid Exotel gave it, never dialled again;
// - 400 for one number: that contact fails, with Exotel's words;
// - the same refusal for number after number (a wrong caller id or flow), or 401: the campaign pauses with Exotel's
//   message instead of failing every contact.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { AccountPacer } from '../../src/engine/account-pacer.js';
import { ExotelClient } from '../../src/exotel/exotel-client.js';
import { exotelDialer } from '../../src/exotel/exotel-dialer.js';
import { createLogger } from '../../src/logger.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel, type FakeFault } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  callRecordsOf,
  campaignReport,
  connectRequests,
  contactsOf,
  expectContactsMatchCalls,
  exotelEnv,
  FAST_SETTINGS,
  listRequestsFor,
  numberOf,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';

const CONTACTS = 40;
/** The fate of the first request for the i-th number; every later request for it, and every other number, is `ok`. */
const FAULTS = new Map<number, FakeFault>([
  [2, '429'],
  [5, '503'],
  [8, 'hang'],
  [11, 'reset'],
  [14, 'reject400'],
  [17, 'accept-then-502'],
  [20, 'accept-then-504'],
  [23, 'accept-then-hang'],
  [26, 'accept-then-500-json'],
  [29, '429'],
  [32, '503'],
]);
/** Requests whose call was placed although the client never read a success. */
const PLACED_UNANSWERED: FakeFault[] = ['hang', 'reset', 'accept-then-502', 'accept-then-504', 'accept-then-hang', 'accept-then-500-json'];
/** The fake answers every request after this long (a hanging one never). */
const LATENCY_MS = 30;
/** What the fake's 429 says in Retry-After. */
const RETRY_AFTER_MS = 1_000;
/** 10 requests a second for the account. */
const PACING = { callsPerMinute: 10, windowMs: 1_000 };
/** Absence counts only when the list was read this long after the request: TimeOut + TimeLimit + settle margin. */
const GRACE_MS =
  (FAST_SETTINGS.reconciler!.ringSeconds! + FAST_SETTINGS.reconciler!.maxCallSeconds!) * 1000 + FAST_SETTINGS.reconciler!.settleMs!;

const ENV = { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'faults-webhook-secret-0123456789' };
const log = createLogger({ level: 'silent', pretty: false });

let store: Store;
let fake: FakeExotel;
/** Decides each connect.json request; tests swap it. */
let decide: (from: string) => FakeFault = () => 'ok';
const apps: TestApp[] = [];

beforeAll(async () => {
  store = await testStore('engine_faults');
  fake = await startFakeExotel({
    fault: (_n, from) => decide(from),
    latencyMs: LATENCY_MS,
    callbackDelayMs: [50, 1_500],
    secondMs: 1000,
    seed: 11,
  });
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await fake?.close();
});

/**
 * The real app and engine with the account's pacer as production builds it, and a client whose response timeout is
 * 1 s instead of 15 s, so a hanging request turns ambiguous within a second or two.
 */
async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const pacer = new AccountPacer(store.PacerState, { account: fake.accountSid, log, ...PACING });
  const client = new ExotelClient({
    baseUrl: fake.url,
    accountSid: fake.accountSid,
    apiKey: fake.apiKey,
    apiToken: env.EXOTEL_AUTH_TOKEN ?? fake.apiToken,
    responseTimeoutMs: 1_000,
    beforeRequest: (_operation, signal) => pacer.take(signal),
  });
  const app = await startTestApp(store, exotelEnv(fake, { ...ENV, ...env }), {
    runtime: { dialer: exotelDialer(client, pacer), pacer, pacing: PACING, settings: FAST_SETTINGS },
  });
  apps.push(app);
  return app;
}

async function stopApp(app: TestApp): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.stop();
}

const readCampaign = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const postsFor = (phone: string) => connectRequests(fake).filter((r) => r.form['From'] === `+${phone}`);

describe('a campaign through 429s, 503s, hangs, resets, gateway errors and a rejected number', () => {
  it('dials every number at most once, resolves every ambiguous answer with Exotel, and loses no contact', async () => {
    const phones = phoneNumbers(CONTACTS, '96');
    const faultOf = new Map([...FAULTS].map(([i, fault]) => [`+${phones[i]}`, fault]));
    const asked = new Set<string>();
    decide = (from) => {
      if (asked.has(from)) return 'ok';
      asked.add(from);
      return faultOf.get(from) ?? 'ok';
    };
    const app = await startApp();
    const campaign = await seedCampaign(store, phones);
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    expect((await app.runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);

    // Absences are queued again into the next minute's retry bucket: up to a minute more.
    const done = await waitForStatus(store, id, 'completed', 150_000);
    await fake.settled();
    await stopApp(app);

    // Every fault was served once, to the number it was meant for.
    const connects = connectRequests(fake);
    for (const [i, fault] of FAULTS) {
      const first = postsFor(phones[i]!)[0]!;
      expect({ phone: i, outcome: first.outcome }).toEqual({
        phone: i,
        outcome: fault === 'ok' ? 'placed' : fault.replace(/^(429|503|reject400)$/, 'fault-$1'),
      });
    }
    // Each 429 and each 503 cost one more request; nothing else was sent twice.
    expect(connects).toHaveLength(CONTACTS + 4);

    // No number placed twice; every number but the rejected one placed once (the fake's log).
    const rejected = phones[14]!;
    expect(fake.calls.map(numberOf).sort()).toEqual(phones.filter((p) => p !== rejected));

    // No contact lost: each one placed ended with the outcome of its one call, after one attempt.
    const contacts = await contactsOf(store, id);
    const byPhone = expectContactsMatchCalls(contacts, fake.calls);
    const records = new Map((await callRecordsOf(store, id)).map((r) => [r._id, r]));

    // Placed, answer lost: the contact holds the sid the fake gave that request, from the list or the callback.
    for (const [i, fault] of FAULTS) {
      if (!PLACED_UNANSWERED.includes(fault)) continue;
      const [request, ...again] = postsFor(phones[i]!);
      expect(again).toEqual([]);
      expect(request!.status === null || request!.status >= 500).toBe(true);
      expect({ fault, sid: byPhone.get(phones[i]!)!.call_sid, tries: byPhone.get(phones[i]!)!.tries }).toEqual({
        fault,
        sid: request!.callSid,
        tries: 1,
      });
    }

    // 503, nothing placed: looked up in the call list, declared absent only after the grace, then dialled once.
    for (const i of [5, 32]) {
      const [first, second, ...more] = postsFor(phones[i]!);
      expect(more).toEqual([]);
      const contact = byPhone.get(phones[i]!)!;
      expect({ tries: contact.tries, attempts: contact.attempts }).toEqual({ tries: 2, attempts: 1 });
      const record = records.get(first!.form['CustomField']!)!;
      expect(record.state).toBe('absent');
      expect(listRequestsFor(fake, phones[i]!).some((r) => r.at > first!.at && r.at < second!.at)).toBe(true);
      expect(second!.at.getTime()).toBeGreaterThanOrEqual(record.sent_at.getTime() + GRACE_MS);
    }

    // 429: given back (not placed), tried again after the hold, which every process sees in the database.
    for (const i of [2, 29]) {
      const [limited, again, ...more] = postsFor(phones[i]!);
      expect(more).toEqual([]);
      expect(records.get(limited!.form['CustomField']!)!.state).toBe('not-placed');
      expect(again!.at.getTime()).toBeGreaterThanOrEqual(limited!.at.getTime() + RETRY_AFTER_MS);
      // The account held: of the ten requests a second the pace allows, only those already on their way came in.
      const during = connects.filter((r) => r.at > limited!.at && r.at.getTime() < limited!.at.getTime() + RETRY_AFTER_MS);
      expect(during.length).toBeLessThanOrEqual(3);
    }
    const pacing = (await store.PacerState.findById(fake.accountSid).lean())!;
    expect(pacing.held_until.getTime()).toBeGreaterThanOrEqual(postsFor(phones[29]!)[0]!.at.getTime() + RETRY_AFTER_MS);

    // 400 for one number: that contact failed with Exotel's words, its attempt given back; nothing was placed.
    const failed = byPhone.get(rejected)!;
    expect({ status: failed.call_status, tries: failed.tries, attempts: failed.attempts }).toEqual({
      status: 'failed',
      tries: 1,
      attempts: 0,
    });
    expect(failed.call_error).toContain('The From number is invalid or not allowed to be called');

    const truth = outcomeTruth(fake.calls);
    truth.failed += 1;
    expect(outcomeCounters(done)).toEqual(truth);
    expect(done.total_contacts).toBe(CONTACTS);
  }, 180_000);
});

describe('refusals that mean the account is misconfigured', () => {
  it('the same 400 for three numbers in a row pauses the campaign with Exotel’s message; a resume carries on', async () => {
    decide = () => 'reject400';
    const app = await startApp();
    const phones = phoneNumbers(12, '95');
    const campaign = await seedCampaign(store, phones);
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    expect((await app.runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);

    const paused = await waitForStatus(store, id, 'paused', 30_000);
    expect(paused.status_reason).toContain('The From number is invalid or not allowed to be called');
    // (A request sent before the pause took effect may add to the count.)
    expect(paused.status_reason).toMatch(/refused [3-9] numbers in a row/);
    await waitFor(async () => !app.runtime.engine.running.includes(String(id)), 15_000, 'the run to stop');
    const sent = connectRequests(fake).filter((r) => r.form['From']!.startsWith('+9195'));
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.every((r) => r.outcome === 'fault-reject400')).toBe(true);

    // The first two answers were taken as refusals of those numbers, before the pattern showed; the third and any
    // later one were given back.
    const contacts = await contactsOf(store, id);
    expect(contacts.filter((c) => c.call_status === 'failed')).toHaveLength(2);
    expect(contacts.filter((c) => c.call_status === 'pending')).toHaveLength(10);
    expect(contacts.filter((c) => c.call_status === 'pending' && c.attempts !== 0)).toEqual([]);
    expect(fake.calls.filter((c) => numberOf(c).startsWith('9195'))).toEqual([]);

    // The caller id is fixed; the campaign resumes and dials everyone left, once.
    decide = () => 'ok';
    expect((await app.runtime.service.resume(id, { userId: campaign.owner })).ok).toBe(true);
    const done = await waitForStatus(store, id, 'completed', 60_000);
    await fake.settled();
    await stopApp(app);
    const calls = fake.calls.filter((c) => numberOf(c).startsWith('9195'));
    const failed = new Set(contacts.filter((c) => c.call_status === 'failed').map((c) => c.phone));
    expect(calls.map(numberOf).sort()).toEqual(phones.filter((p) => !failed.has(p)));
    expectContactsMatchCalls(await contactsOf(store, id), calls);
    expect(done.counts.failed).toBe(2 + calls.filter((c) => c.outcome === 'failed').length);
  }, 90_000);

  it('401 pauses the campaign at once and fails nobody', async () => {
    decide = () => 'ok';
    const app = await startApp({ EXOTEL_AUTH_TOKEN: 'not-the-token' });
    const phones = phoneNumbers(6, '94');
    const campaign = await seedCampaign(store, phones);
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    expect((await app.runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);

    const paused = await waitForStatus(store, id, 'paused', 30_000);
    expect(paused.status_reason).toContain('Check EXOTEL_AUTH_KEY, EXOTEL_AUTH_TOKEN');
    await waitFor(async () => !app.runtime.engine.running.includes(String(id)), 15_000, 'the run to stop');
    await stopApp(app);
    const sent = connectRequests(fake).filter((r) => r.form['From']!.startsWith('+9194'));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.every((r) => r.outcome === 'unauthorized')).toBe(true);
    const contacts = await contactsOf(store, id);
    expect(contacts.map((c) => [c.call_status, c.attempts])).toEqual(phones.map(() => ['pending', 0]));
    expect((await readCampaign(id)).counts.pending).toBe(6);
  }, 60_000);
});
