// Rehearsal mode (EXOTEL_DRY_RUN=true): a campaign runs end to end on the real engine and database with simulated
// outcomes, and nothing ever reaches Exotel, even with EXOTEL_API_URL pointing at a live (fake) Exotel. A campaign
// records its mode when it starts, and a process in the other mode never adopts it: a rehearsal process never
// "rehearses" a live campaign (its contacts would end with invented outcomes), and a live process never dials a
// rehearsal.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { loadConfig, type Config } from '../../src/config.js';
import { rehearsalDialer } from '../../src/exotel/rehearsal-dialer.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/runtime.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  campaignReport,
  contactsOf,
  expectContactsMatchCalls,
  exotelEnv,
  FAST_SETTINGS,
  numberOf,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { testEnv } from '../helpers/test-env.js';

const log = createLogger({ level: 'silent', pretty: false });
/** Rehearsed calls take a few hundred ms, and their outcomes are read from call details soon after they end. */
const REHEARSAL: RuntimeOverrides = {
  dialer: rehearsalDialer({ latencyMs: [5, 20], callMs: [50, 300] }),
  pacing: { callsPerMinute: 20, windowMs: 1_000 },
  settings: { ...FAST_SETTINGS, pollAfterMs: 300 },
};

let store: Store;
let fake: FakeExotel;
let config: Config;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  store = await testStore('rehearsal');
  fake = await startFakeExotel({ callbackDelayMs: [50, 1_000], secondMs: 1000, seed: 41 });
  // testEnv is a dry run; the live variables are set anyway, so a leak to the network would land on the fake.
  config = loadConfig(testEnv(exotelEnv(fake, { EXOTEL_DRY_RUN: 'true' })));
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await fake?.close();
});

function rehearsalRuntime(overrides: RuntimeOverrides = REHEARSAL): Runtime {
  const runtime = createRuntime(config, store, log, { ...overrides, dialer: overrides.dialer ?? rehearsalDialer() });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= runtime.close());
  closers.push(close);
  return { ...runtime, close };
}

const readCampaign = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;

/** Resolves after `runtime` has run several whole ticks since now. */
async function severalTicks(runtime: { engine: { lastTickAt: number } }): Promise<void> {
  const from = Date.now();
  await waitFor(async () => runtime.engine.lastTickAt > from + 6 * FAST_SETTINGS.tickMs!, 20_000, 'several engine ticks');
}

/** The campaign was never adopted and none of its contacts was touched. */
async function expectUntouched(id: Types.ObjectId, contacts: number): Promise<void> {
  const c = await readCampaign(id);
  expect({ status: c.status, runner: c.runner_id, epoch: c.lease_epoch, pending: c.counts.pending }).toEqual({
    status: 'running',
    runner: null,
    epoch: 0,
    pending: contacts,
  });
  expect((await contactsOf(store, id)).filter((x) => x.tries > 0)).toEqual([]);
}

describe('rehearsal mode', () => {
  it('is what the runtime chooses by itself when EXOTEL_DRY_RUN is true, and it never touches the network', async () => {
    expect(config.exotel.dryRun).toBe(true);
    expect(config.exotel.baseUrl).toBe(fake.url);
    const runtime = createRuntime(config, store, log, { settings: FAST_SETTINGS });
    closers.push(() => runtime.close());
    expect(runtime.dialer.rehearsal).toBe(true);
    expect(runtime.engine.mode).toBe('rehearsal');

    const result = await runtime.dialer.placeCall({
      phone: '919800000001',
      callerId: 'rehearsal',
      flowUrl: 'http://rehearsal.invalid/flow',
      attemptKey: '0123456789abcdef01234567:0000001:1',
      ringSeconds: 30,
      maxCallSeconds: 600,
    });
    expect(result.kind).toBe('placed');
    const sid = (result as { sid: string }).sid;
    expect(sid).toMatch(/^rehearsal-.*-919800000001-/);
    const report = await runtime.dialer.callDetails(sid);
    expect(report).toMatchObject({ sid, attemptKey: '0123456789abcdef01234567:0000001:1', phone: '919800000001' });
    expect(await runtime.dialer.finalCalls(['919800000001'], new Date(0))).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it('runs a whole campaign to completion with simulated outcomes and zero requests to Exotel', async () => {
    const runtime = rehearsalRuntime();
    runtime.engine.start();
    const phones = phoneNumbers(40, '97');
    const campaign = await seedCampaign(store, phones);
    onTestFailed(async () => console.error(await campaignReport(store, campaign._id)));
    const started = await runtime.service.start(campaign._id, { userId: campaign.owner });
    expect(started.ok && started.campaign.mode).toBe('rehearsal');
    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);

    expect(fake.requests).toEqual([]);
    const contacts = await contactsOf(store, campaign._id);
    expect(contacts).toHaveLength(40);
    const outcomes = { completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0 };
    for (const contact of contacts) {
      expect(['completed', 'busy', 'no-answer', 'failed']).toContain(contact.call_status);
      // The sid encodes the number the rehearsal "dialled" and the attempt: each contact's own, once.
      expect(contact.call_sid).toMatch(new RegExp(`^rehearsal-[0-9a-z]+-[0-9a-z]+-[cbnf]-${contact.phone}-[0-9a-f]+-[0-9a-f]{6}$`));
      expect({ tries: contact.tries, attempts: contact.attempts }).toEqual({ tries: 1, attempts: 1 });
      expect(contact.outcome_at).toBeInstanceOf(Date);
      outcomes[contact.call_status as keyof typeof outcomes] += 1;
    }
    // A mix, not one outcome for everyone (65/12/15/8 by default: all 40 alike has odds below 1e-7).
    expect(Object.values(outcomes).filter((n) => n > 0).length).toBeGreaterThan(1);
    expect({ ...done.counts, total: done.total_contacts }).toMatchObject({ ...outcomes, pending: 0, retrying: 0, unknown: 0, total: 40 });
    await runtime.close();
  }, 90_000);

  it('a rehearsal process never adopts a live campaign, and a live process never adopts a rehearsal', async () => {
    const live = await seedCampaign(store, phoneNumbers(8, '93'));
    const rehearsal = await seedCampaign(store, phoneNumbers(8, '92'));
    onTestFailed(async () => console.error(await campaignReport(store, live._id), await campaignReport(store, rehearsal._id)));

    // Only a rehearsal process runs: the live campaign waits for a live one.
    const first = rehearsalRuntime();
    first.engine.start();
    expect((await first.transitions.apply(live._id, 'start', { set: { mode: 'live' } })).ok).toBe(true);
    await severalTicks(first);
    await expectUntouched(live._id, 8);
    await first.close();

    // Only a live process runs: it dials the live campaign, and leaves the rehearsal alone.
    const app: TestApp = await startTestApp(
      store,
      exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'rehearsal-webhook-secret-0123' }),
      {
        runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 20, windowMs: 1_000 } },
      },
    );
    closers.push(() => app.stop());
    expect(app.runtime.engine.mode).toBe('live');
    expect((await app.runtime.transitions.apply(rehearsal._id, 'start', { set: { mode: 'rehearsal' } })).ok).toBe(true);
    const liveDone = await waitForStatus(store, live._id, 'completed', 60_000);
    await severalTicks(app.runtime);
    await expectUntouched(rehearsal._id, 8);
    await fake.settled();
    expect(liveDone.mode).toBe('live');
    expect([...placedPerNumber(fake).entries()].sort()).toEqual(phoneNumbers(8, '93').map((p) => [p, 1]));
    expectContactsMatchCalls(await contactsOf(store, live._id), fake.calls);

    // A rehearsal process comes: it rehearses the rehearsal, and Exotel hears nothing of it.
    const requestsBefore = fake.requests.length;
    rehearsalRuntime().engine.start();
    await waitForStatus(store, rehearsal._id, 'completed', 60_000);
    const rehearsed = await contactsOf(store, rehearsal._id);
    expect(rehearsed.every((c) => c.call_sid?.startsWith('rehearsal-') && c.attempts === 1)).toBe(true);
    expect(fake.calls.filter((c) => numberOf(c).startsWith('9192'))).toEqual([]);
    expect(fake.requests.slice(requestsBefore).filter((r) => r.method === 'POST')).toEqual([]);
  }, 120_000);
});
