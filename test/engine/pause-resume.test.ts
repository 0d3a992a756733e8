// Pause and resume mid-campaign. A pause is a status in the database plus an abort of the run: from the moment it is
// written nothing new reaches Exotel (requests already sent may finish), a contact claimed but not yet dialled goes
// back to pending, and a resume carries on without dialling anyone twice. A pause written by another process (straight
// into the database) is noticed within a tick or two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/pacer.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';

const CONTACTS = 20;
const TICK_MS = 500;
/** The pacer lets one request start every this many ms. */
const PACE_MS = 600;
/** A request the pacer granted just before the pause is on the wire a few ms later. */
const ON_THE_WIRE_MS = 100;
/** How long "nothing happens" is watched while paused. */
const WATCH_MS = 1_500;

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('pause_resume');
  fake = await startFakeExotel({ callbackDelayMs: [50, 300], latencyMs: 50, seed: 3 });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'pause-resume-secret-0123456789' }), {
    runtime: {
      settings: { ...FAST_SETTINGS, tickMs: TICK_MS, statusCheckMs: TICK_MS },
      // One call per PACE_MS, so the run spends most of its time holding a claimed contact while it waits to dial.
      pacer: new Pacer({ callsPerMinute: 1, windowMs: PACE_MS, guardMs: 0, maxInFlight: 4 }),
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const postsFrom = (prefix: string) => fake.requests.filter((r) => r.method === 'POST' && r.form['From']?.startsWith(`+91${prefix}`));
const callsFrom = (prefix: string) => fake.calls.filter((c) => c.from.startsWith(`+91${prefix}`));

/** A contact the run has claimed and is waiting to dial (none of the fake's calls is to it yet). */
async function claimedNotDialled(campaignId: ContactFields['campaign_id']): Promise<ContactFields> {
  return waitFor(
    async () => {
      const dialing = (await store.Contact.find({ campaign_id: campaignId, call_status: 'dialing' }).lean()) as ContactFields[];
      return dialing.find((c) => fake.placedCount(c.phone) === 0 && !fake.requests.some((r) => r.form['From'] === `+${c.phone}`));
    },
    5_000,
    'a contact claimed but not yet dialled',
  );
}

async function expectEveryNumberOnce(campaignId: ContactFields['campaign_id'], prefix: string): Promise<void> {
  await fake.settled();
  const phones = phoneNumbers(CONTACTS, prefix);
  const perNumber = placedPerNumber(fake);
  expect(phones.map((p) => perNumber.get(p))).toEqual(phones.map(() => 1));
  expect(postsFrom(prefix)).toHaveLength(CONTACTS);
  const contacts = (await store.Contact.find({ campaign_id: campaignId }).lean()) as ContactFields[];
  const sids = new Map(callsFrom(prefix).map((c) => [`91${c.fromEcho.slice(-10)}`, c]));
  for (const contact of contacts) {
    const call = sids.get(contact.phone)!;
    expect([contact.call_status, contact.call_sid, contact.attempts]).toEqual([call.outcome, call.sid, 1]);
  }
}

describe('pause and resume', () => {
  it('pausing stops every request from the moment it is written; resuming completes with every number once', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '92'));
    const runtime = app.runtime!;
    expect((await runtime.transitions.apply(campaign._id, 'start')).ok).toBe(true);
    await waitFor(async () => callsFrom('92').length >= 6, 20_000, '6 calls placed');

    // Pause shortly before the next dial is due, so a run that did not stop at once would still send it.
    const lastDial = Math.max(...postsFrom('92').map((r) => r.at.getTime()));
    await sleep(Math.max(0, lastDial + PACE_MS - 3 * ON_THE_WIRE_MS / 2 - Date.now()));
    const waiting = await claimedNotDialled(campaign._id);
    const pausedAt = Date.now();
    expect((await runtime.transitions.apply(campaign._id, 'pause')).ok).toBe(true);
    await waitFor(async () => !runtime.engine.running.includes(String(campaign._id)), 5_000, 'the run to stop');
    await sleep(WATCH_MS);
    const resumedAt = Date.now();

    // Nothing reached Exotel after the pause, neither a dial nor a call-details or call-list request.
    const late = fake.requests.filter((r) => r.at.getTime() > pausedAt + ON_THE_WIRE_MS && r.at.getTime() < resumedAt);
    expect(late.map((r) => `${r.method} ${r.path} ${r.form['From'] ?? ''} +${r.at.getTime() - pausedAt} ms`)).toEqual([]);

    // The contact that was waiting for its turn went back to pending, as if never claimed.
    const given = (await store.Contact.findById(waiting._id).lean()) as ContactFields;
    expect({ status: given.call_status, attempts: given.attempts, runner: given.runner_id }).toEqual({ status: 'pending', attempts: 0, runner: null });
    expect(fake.placedCount(waiting.phone)).toBe(0);
    // No claim is left hanging; everything not dialled is pending; the status says paused.
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing' })).toBe(0);
    const placed = callsFrom('92').length;
    expect(placed).toBeLessThan(CONTACTS);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending' })).toBe(CONTACTS - placed);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('paused');

    expect((await runtime.transitions.apply(campaign._id, 'resume')).ok).toBe(true);
    await waitForStatus(store, campaign._id, 'completed', 30_000);
    expect(fake.requests.some((r) => r.method === 'POST' && r.at.getTime() >= resumedAt)).toBe(true);
    await expectEveryNumberOnce(campaign._id, '92');
  }, 50_000);

  it('a pause written straight into the database by another process stops the run within a tick or two', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '91'));
    const runtime = app.runtime!;
    expect((await runtime.transitions.apply(campaign._id, 'start')).ok).toBe(true);
    await waitFor(async () => callsFrom('91').length >= 6, 20_000, '6 calls placed');

    // Another process changes the status; no event reaches this one.
    const pausedAt = Date.now();
    await store.Campaign.updateOne({ _id: campaign._id, status: 'running' }, { $set: { status: 'paused' } });
    await waitFor(async () => !runtime.engine.running.includes(String(campaign._id)), 5_000, 'the run to stop');
    const stopMs = Date.now() - pausedAt;
    expect(stopMs).toBeLessThanOrEqual(2 * TICK_MS + 400);
    await sleep(WATCH_MS);
    const resumedAt = Date.now();

    // Requests may go out until the run has read the new status, never after.
    const late = fake.requests.filter((r) => r.at.getTime() > pausedAt + stopMs + ON_THE_WIRE_MS && r.at.getTime() < resumedAt);
    expect(late.map((r) => `${r.method} ${r.path} +${r.at.getTime() - pausedAt} ms`)).toEqual([]);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing' })).toBe(0);
    const placed = callsFrom('91').length;
    expect(placed).toBeLessThan(CONTACTS);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending' })).toBe(CONTACTS - placed);
    // The run gave its lease back, so any process may pick the campaign up on resume.
    expect((await store.Campaign.findById(campaign._id).lean())?.runner_id).toBeNull();

    // And a resume written the same way is adopted at the next tick.
    await store.Campaign.updateOne({ _id: campaign._id, status: 'paused' }, { $set: { status: 'running' } });
    await waitForStatus(store, campaign._id, 'completed', 30_000);
    await expectEveryNumberOnce(campaign._id, '91');
  }, 50_000);
});
