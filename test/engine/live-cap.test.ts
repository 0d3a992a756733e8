// The live-call cap (EXOTEL_MAX_LIVE_CALLS) end to end: a campaign dials through the real app against the fake
// Exotel, whose status callbacks come late, twice, or in another order than the calls were placed. How many calls
// were live at once is measured from the fake's own records (placed → ended), not from anything the bot says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCall, type FakeCallbackFault, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  expectContactsMatchCalls,
  exotelEnv,
  FAST_SETTINGS,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitForStatus,
} from '../helpers/engine-fixtures.js';

const CAP = 3;
const CONTACTS = 30;
/** Terminal callbacks: late (after another call's), twice, reordered, or on time, in turn. */
const FAULTS: FakeCallbackFault[] = ['late', 'duplicate', 'reorder', 'deliver', 'late', 'duplicate'];

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('live_cap');
  fake = await startFakeExotel({
    secondMs: 1000,
    // Calls of 0.3–3 s (TimeOut 1 s, TimeLimit 2 s), so several overlap and they end in another order than placed.
    callbackDelayMs: [300, 3000],
    callbackFault: (n) => FAULTS[n % FAULTS.length]!,
    lateCallbackMs: 1_500,
    seed: 43,
  });
  app = await startTestApp(
    store,
    exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'live-cap-webhook-secret-0123', EXOTEL_MAX_LIVE_CALLS: String(CAP) }),
    // Ten requests a second on offer: the lines, not the pace, hold the campaign back.
    { runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 600 } } },
  );
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

/** The most calls live at once, from placement to end; a call ending when another is placed does not overlap it. */
function mostLiveAtOnce(calls: readonly FakeCall[]): number {
  const edges = calls.flatMap((c) => [
    { at: c.createdAt.getTime(), step: 1 },
    { at: c.endTime!.getTime(), step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let live = 0;
  let most = 0;
  for (const edge of edges) {
    live += edge.step;
    most = Math.max(most, live);
  }
  return most;
}

describe(`the live-call cap of ${CAP}`, () => {
  it('is never exceeded while callbacks come late, twice and out of order', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '87'));
    expect((await app.runtime.transitions.apply(campaign._id, 'start', { set: { mode: 'live' } })).ok).toBe(true);
    const done = await waitForStatus(store, campaign._id, 'completed', 120_000);
    await fake.settled();

    expect(fake.calls).toHaveLength(CONTACTS);
    expect(fake.calls.every((c) => c.endTime !== null)).toBe(true);
    const most = mostLiveAtOnce(fake.calls);
    console.info(`most calls live at once: ${most} (cap ${CAP})`);
    expect(most).toBeLessThanOrEqual(CAP);
    // The cap was what held the campaign back, so the measurement means something.
    expect(most).toBe(CAP);

    // The faults happened: callbacks out of placement order, late ones, repeated ones.
    const terminal = fake.callbacks.filter((c) => c.eventType === 'terminal' && c.attempt === 1);
    const order = terminal.map((c) => fake.calls.findIndex((call) => call.sid === c.callSid));
    expect(order.some((index, i) => i > 0 && index < order[i - 1]!)).toBe(true);
    const perSid = new Map<string, number>();
    for (const c of terminal) perSid.set(c.callSid, (perSid.get(c.callSid) ?? 0) + 1);
    expect([...perSid.values()].filter((n) => n === 2).length).toBeGreaterThan(3);

    // Every number once, each contact ended as its call did, and nothing holds a line any more.
    expect([...placedPerNumber(fake).values()].every((n) => n === 1)).toBe(true);
    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    expectContactsMatchCalls(contacts, fake.calls);
    expect(outcomeCounters(done)).toEqual(outcomeTruth(fake.calls));
    expect(await app.runtime.lines.held()).toEqual([]);
  }, 180_000);
});
