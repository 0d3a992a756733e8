// Calls still ringing when a campaign is paused or stopped get their outcomes: the account's reconciler walks every
// held live-call line, whatever its campaign's status, and asks Exotel for call details (there are no status
// callbacks here: no PUBLIC_URL), while nothing new is dialled.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { LIVE_BUCKETS, OUTCOMES, type Outcome } from '../../src/campaigns/vocabulary.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  campaignReport,
  connectRequests,
  contactsOf,
  detailsRequestsFor,
  expectContactsMatchCalls,
  exotelEnv,
  FAST_SETTINGS,
  numberOf,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  seedCampaign,
  waitFor,
} from '../helpers/engine-fixtures.js';

const CONTACTS = 16;

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('stopped_and_paused');
  // Calls last up to TimeOut + TimeLimit (1 s + 2 s): many are still live when the campaign is paused.
  fake = await startFakeExotel({ callbackDelayMs: [1_500, 3_000], secondMs: 1000, seed: 31 });
  // 4 calls a second.
  app = await startTestApp(store, exotelEnv(fake), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 4, windowMs: 1_000 } },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe.each([
  ['paused', 'pause', '95'],
  ['stopped', 'stop', '94'],
] as const)('a campaign %s while calls are ringing', (status, transition, prefix) => {
  it('gets every ringing call’s outcome from call details, and dials nobody new', async () => {
    const runtime = app.runtime;
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, prefix));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    const ours = () => fake.calls.filter((c) => numberOf(c).startsWith(`91${prefix}`));

    expect((await runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    await waitFor(async () => ours().length >= 4 && ours().filter((c) => c.endTime === null).length >= 2, 30_000, 'calls ringing');
    expect((await runtime.transitions.apply(id, transition, { by: campaign.owner })).ok).toBe(true);
    // The run has ended once its requests in flight were recorded.
    await waitFor(async () => !runtime.engine.running.includes(String(id)), 15_000, 'the run to end');
    const postsAtEnd = connectRequests(fake).length;
    const placed = ours();
    const liveAtEnd = (await contactsOf(store, id)).filter((c) => (LIVE_BUCKETS as readonly string[]).includes(c.call_status));
    expect(liveAtEnd.length).toBeGreaterThan(0);
    expect(liveAtEnd.every((c) => c.call_status === 'initiated' && c.call_sid)).toBe(true);

    const view = await waitFor(
      async () => {
        const c = (await store.Campaign.findById(id).lean()) as CampaignFields;
        return LIVE_BUCKETS.every((b) => c.counts[b] === 0) ? c : null;
      },
      30_000,
      'outcomes of the calls still live',
    );

    // Nothing new was dialled, and the status stayed.
    expect(connectRequests(fake).length).toBe(postsAtEnd);
    expect(ours()).toHaveLength(placed.length);
    expect(view.status).toBe(status);

    // Every call ended on its contact with Exotel's outcome; the outcomes of calls live at the end came from details.
    const contacts = await contactsOf(store, id);
    expectContactsMatchCalls(contacts, placed);
    for (const c of liveAtEnd) expect(detailsRequestsFor(fake, c.call_sid!).length).toBeGreaterThan(0);
    const dialled = new Set(placed.map(numberOf));
    for (const c of contacts.filter((c) => !dialled.has(c.phone))) {
      expect({ status: c.call_status, tries: c.tries, attempts: c.attempts }).toEqual({ status: 'pending', tries: 0, attempts: 0 });
    }
    expect(contacts.filter((c) => (OUTCOMES as readonly string[]).includes(c.call_status) && !dialled.has(c.phone))).toEqual([]);

    // The view agrees with Exotel: outcomes as the fake ended them, the rest still waiting.
    expect(outcomeCounters(view)).toEqual(outcomeTruth(placed as Array<{ outcome: Outcome }>));
    expect(view.counts.pending).toBe(CONTACTS - placed.length);
    expect(await store.LiveLine.countDocuments({ campaign_id: id, holder: { $ne: null } })).toBe(0);
  }, 60_000);
});
