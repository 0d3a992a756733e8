// Pause and resume mid-campaign. A pause is a status in the database plus an abort of the run: from the moment it is
// written no new attempt is claimed (the dial gate's fencing write needs the campaign running), requests already
// sent finish and are recorded, and only then does the run give its lease back, so another process never runs the
// campaign while a request of the old run may still be in flight. A resume carries on without dialling anyone twice.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel, type FakeRequest } from '../fakes/fake-exotel.js';
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
  numberOf,
  phoneNumbers,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';

const CONTACTS = 16;
/** The fake answers connect.json this long after placing the call: a request is nearly always in flight. */
const LATENCY_MS = 400;
/** Longer than the lease (FAST_SETTINGS: 4 s): the old run must keep renewing it while it waits. */
const SLOW_ANSWER_MS = 8_000;
/** How long "nothing happens" is watched while paused. */
const WATCH_MS = 1_500;
const ENV = { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'pause-resume-secret-0123456789' };
/** 2 calls a second. */
const RUNTIME = { settings: FAST_SETTINGS, pacing: { callsPerMinute: 2, windowMs: 1_000 } };

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('pause_resume');
  fake = await startFakeExotel({ callbackDelayMs: [50, 1_500], latencyMs: LATENCY_MS, secondMs: 1000, seed: 3 });
  app = await startTestApp(store, exotelEnv(fake, ENV), { runtime: RUNTIME });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readCampaign = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const callsFrom = (prefix: string) => fake.calls.filter((c) => numberOf(c).startsWith(`91${prefix}`));
/** connect.json requests the fake has placed a call for and not yet answered. */
const unanswered = (): FakeRequest[] => connectRequests(fake).filter((r) => r.callSid !== undefined && r.status !== 200);
const contactOf = (request: FakeRequest) => request.form['CustomField']!.replace(/:\d+$/, '');

/** When each attempt of the campaign was claimed: the ones recorded, and the ones still being sent. */
async function claimTimes(id: Types.ObjectId): Promise<number[]> {
  const records = await callRecordsOf(store, id);
  const dialing = (await contactsOf(store, id)).filter((c) => c.call_status === 'dialing');
  return [...records.map((r) => r.sent_at.getTime()), ...dialing.map((c) => c.sent_at!.getTime())];
}

async function expectEveryNumberOnce(id: Types.ObjectId, prefix: string): Promise<void> {
  await fake.settled();
  const calls = callsFrom(prefix);
  expect(calls.map(numberOf).sort()).toEqual(phoneNumbers(CONTACTS, prefix));
  expect(connectRequests(fake).filter((r) => r.form['From']!.startsWith(`+91${prefix}`))).toHaveLength(CONTACTS);
  expectContactsMatchCalls(await contactsOf(store, id), calls);
}

/** The run has stopped; while paused no attempt is claimed and nothing is left half done. */
async function expectPausedQuietly(id: Types.ObjectId, prefix: string, pausedBy: number): Promise<void> {
  await waitFor(async () => !app.runtime.engine.running.includes(String(id)), 15_000, 'the run to stop');
  const requests = connectRequests(fake).length;
  await sleep(WATCH_MS);
  expect(connectRequests(fake).length).toBe(requests);
  // No attempt was claimed after the pause was written (the fencing write refused every later one).
  expect((await claimTimes(id)).filter((t) => t > pausedBy)).toEqual([]);
  const contacts = await contactsOf(store, id);
  expect(contacts.filter((c) => c.call_status === 'dialing')).toEqual([]);
  expect(contacts.filter((c) => c.call_status === 'pending')).toHaveLength(CONTACTS - callsFrom(prefix).length);
  const c = await readCampaign(id);
  expect({ status: c.status, runner: c.runner_id }).toEqual({ status: 'paused', runner: null });
}

describe('pause and resume', () => {
  it('a pause stops new attempts at once, records the requests in flight, and a resume completes with every number once', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '92'));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    const runtime = app.runtime;
    expect((await runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    await waitFor(async () => callsFrom('92').length >= 4 && unanswered().length > 0, 30_000, 'calls placed and a request in flight');

    const inFlight = unanswered();
    expect((await runtime.service.pause(id, { userId: campaign.owner })).ok).toBe(true);
    const pausedBy = Date.now();
    await expectPausedQuietly(id, '92', pausedBy);
    // The requests in flight at the pause were recorded with the call Exotel placed, before the run let go.
    for (const request of inFlight) {
      const contact = (await store.Contact.findById(contactOf(request)).lean())!;
      expect({ sid: contact.call_sid, placed: contact.call_status !== 'pending' && contact.call_status !== 'dialing' }).toEqual({
        sid: request.callSid,
        placed: true,
      });
    }
    expect(callsFrom('92').length).toBeLessThan(CONTACTS);

    const resumedAt = Date.now();
    expect((await runtime.service.resume(id, { userId: campaign.owner })).ok).toBe(true);
    await waitForStatus(store, id, 'completed', 60_000);
    expect(connectRequests(fake).some((r) => r.at.getTime() >= resumedAt)).toBe(true);
    await expectEveryNumberOnce(id, '92');
  }, 90_000);

  it('a pause written straight into the database by another process: the run claims nothing after it, and stops', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '91'));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    const runtime = app.runtime;
    expect((await runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    await waitFor(async () => callsFrom('91').length >= 4, 30_000, '4 calls placed');

    // Another process changes the status; no event reaches this one.
    await store.Campaign.updateOne({ _id: id, status: 'running' }, { $set: { status: 'paused' } });
    const pausedBy = Date.now();
    await expectPausedQuietly(id, '91', pausedBy);
    expect(callsFrom('91').length).toBeLessThan(CONTACTS);

    // A resume written the same way is adopted at a next tick.
    await store.Campaign.updateOne({ _id: id, status: 'paused' }, { $set: { status: 'running' } });
    await waitForStatus(store, id, 'completed', 60_000);
    await expectEveryNumberOnce(id, '91');
  }, 90_000);

  it('after a pause the old run keeps the lease until its requests in flight are recorded, even past the lease time', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '90'));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    const runtime = app.runtime;
    expect((await runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    await waitFor(async () => callsFrom('90').length >= 2, 30_000, '2 calls placed');
    // A second process on the same database; the first holds the campaign's lease, so it only waits.
    const other = await startTestApp(store, exotelEnv(fake, ENV), { runtime: RUNTIME });
    try {
      // The next answers take longer than a lease.
      fake.options.latencyMs = SLOW_ANSWER_MS;
      const slowFrom = Date.now();
      const slow = await waitFor(async () => unanswered().find((r) => r.at.getTime() >= slowFrom), 30_000, 'a slow request in flight');
      expect((await runtime.transitions.apply(id, 'pause')).ok).toBe(true);
      const pausedAt = Date.now();
      fake.options.latencyMs = LATENCY_MS;
      const { lease_epoch: epoch, runner_id: runner } = await readCampaign(id);
      expect(runner).toBe(runtime.engine.runnerId);
      // Resumed at once by the other process (its event does not reach the first).
      expect((await new CampaignTransitions(store, new CampaignEvents()).apply(id, 'resume')).ok).toBe(true);

      // Until the slow request is answered the campaign stays with the old run: same runner, same epoch. (Its
      // contact may be final already: the call's status callback can come before the answer to the request.)
      let looks = 0;
      while (slow.status !== 200) {
        const c = await readCampaign(id);
        expect({ runner: c.runner_id, epoch: c.lease_epoch }).toEqual({ runner, epoch });
        looks += 1;
        await sleep(200);
      }
      expect(looks).toBeGreaterThan(0);
      expect(slow.at.getTime() + SLOW_ANSWER_MS - pausedAt).toBeGreaterThan(FAST_SETTINGS.leaseMs!);
      await waitFor(
        async () => (await store.Contact.findById(contactOf(slow)).lean())!.call_sid === slow.callSid,
        10_000,
        'the slow call recorded',
      );

      await waitForStatus(store, id, 'completed', 60_000);
      expect((await readCampaign(id)).lease_epoch).toBeGreaterThan(epoch);
      await expectEveryNumberOnce(id, '90');
    } finally {
      fake.options.latencyMs = LATENCY_MS;
      await other.stop();
    }
  }, 90_000);
});
