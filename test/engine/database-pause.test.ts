// The database goes away for 10 s in the middle of a campaign: nobody dials while it is gone (the account's pacer
// takes turns in the database, and the dial gate writes a fencing update and a claim before every request), then the
// campaign carries on and completes; nothing is lost and no number is dialled twice. Two ways to lose it: the server
// stops answering (SIGSTOP: requests hang, as with a stalled server), and every connection is reset and new ones
// refused (a crash or a dropped network: requests fail).
// The shared test database must not be touched (other files use it in parallel), so this file starts its own server.
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { attemptKey } from '../../src/store/call-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { resolveDatabase, type ResolvedDatabase } from '../../src/store/local-database.js';
import { openStore, type Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import {
  callRecordsOf,
  campaignReport,
  connectRequests,
  contactsOf,
  expectContactsMatchCalls,
  exotelEnv,
  FAST_SETTINGS,
  listRequestsFor,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const CONTACTS = 30;
const OUTAGE_MS = 10_000;
const ENV = { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'pause-webhook-secret-0123456789' };
/** Absence counts only when the list was read this long after the request: TimeOut + TimeLimit + settle margin. */
const GRACE_MS =
  (FAST_SETTINGS.reconciler!.ringSeconds! + FAST_SETTINGS.reconciler!.maxCallSeconds!) * 1000 + FAST_SETTINGS.reconciler!.settleMs!;

let database: ResolvedDatabase;
let paused = false;
const cleanup: Array<() => Promise<void> | void> = [];

function continueDatabase(): void {
  if (paused) process.kill(database.pid!, 'SIGCONT');
  paused = false;
}

beforeAll(async () => {
  database = await resolveDatabase({ tryMongod: false });
  expect(database.pid).toBeTypeOf('number');
});
afterEach(async () => {
  continueDatabase();
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  continueDatabase();
  await database?.stop();
});

interface Outage {
  begin(): void;
  end(): void;
}

async function startFakeAndApp(
  store: Store,
  pacing: { callsPerMinute: number; windowMs: number },
): Promise<{ fake: FakeExotel; app: TestApp }> {
  const fake = await startFakeExotel({ callbackDelayMs: [50, 1_500], latencyMs: 20, secondMs: 1000, seed: 5 });
  cleanup.push(() => fake.close());
  // A lease far longer than the outage: this is about waiting out the database, not about a takeover.
  const app = await startTestApp(store, exotelEnv(fake, ENV), { runtime: { settings: { ...FAST_SETTINGS, leaseMs: 30_000 }, pacing } });
  cleanup.push(() => app.stop());
  return { fake, app };
}

/** Runs a campaign through an outage of the database its store talks to, and checks that nothing went wrong. */
async function campaignThrough(store: Store, outage: Outage, prefix: string): Promise<void> {
  // 4 calls a second: the campaign is still dialling when the database goes.
  const { fake, app } = await startFakeAndApp(store, { callsPerMinute: 4, windowMs: 1_000 });
  const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, prefix));
  const id = campaign._id;
  try {
    await throughOutage(store, app, fake, id, outage);
  } catch (error) {
    console.error(await campaignReport(store, id).catch(String), JSON.stringify(fake.requests.slice(-20)));
    throw error;
  }
}

async function throughOutage(store: Store, app: TestApp, fake: FakeExotel, id: Types.ObjectId, outage: Outage): Promise<void> {
  expect((await app.runtime.service.start(id, { userId: 'U0OWNER' })).ok).toBe(true);

  await waitFor(async () => fake.calls.length >= 8, 30_000, '8 calls placed');
  const lostAt = Date.now();
  outage.begin();
  try {
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  } finally {
    outage.end();
  }
  const backAt = Date.now();
  expect(fake.calls.length).toBeLessThan(CONTACTS);

  const done = await waitForStatus(store, id, 'completed', 120_000);
  await fake.settled();

  // Nobody dialled while the database was gone: every request that reached Exotel meanwhile was claimed before it
  // went (placing a call needs no database; recording it waited).
  const sentAt = new Map((await callRecordsOf(store, id)).map((r) => [r._id, r.sent_at.getTime()]));
  const duringOutage = connectRequests(fake).filter((r) => r.at.getTime() > lostAt && r.at.getTime() < backAt);
  for (const request of duringOutage) expect(sentAt.get(request.form['CustomField']!)).toBeLessThan(lostAt);

  const perNumber = placedPerNumber(fake);
  expect(perNumber.size).toBe(CONTACTS);
  expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect(connectRequests(fake)).toHaveLength(CONTACTS);

  const contacts = await contactsOf(store, id);
  expect(contacts).toHaveLength(CONTACTS);
  expectContactsMatchCalls(contacts, fake.calls);
  expect(outcomeCounters(done)).toEqual(outcomeTruth(fake.calls));
  expect(done.total_contacts).toBe(CONTACTS);
}

describe('the database goes away for 10 s mid-campaign', () => {
  it('stops answering (paused): nobody dials, then the campaign completes with every number dialled once', async () => {
    const store = await openStore(database.uri, { dbName: 'database_pause' });
    cleanup.push(() => store.close());
    await campaignThrough(
      store,
      {
        begin: () => {
          process.kill(database.pid!, 'SIGSTOP');
          paused = true;
        },
        end: continueDatabase,
      },
      '95',
    );
  }, 180_000);

  it('drops every connection and refuses new ones: nobody dials, then the campaign completes with every number dialled once', async () => {
    const port = Number(new URL(database.uri).port);
    const proxy: TcpProxy = await startTcpProxy('127.0.0.1', port);
    cleanup.push(() => proxy.close());
    const store = await openStore(`mongodb://${proxy.host}/`, { dbName: 'database_cut' });
    cleanup.push(() => store.close());
    await campaignThrough(store, { begin: () => proxy.cut(), end: () => proxy.restore() }, '94');
  }, 180_000);

  it('a view thrown off by a write whose answer was lost is recounted by the waiting run, and the campaign completes', async () => {
    // What the dropped connection above can leave: a contact's move from `dialing` to `initiated` written, its answer
    // lost, the retry finding nothing to move, so the view keeps counting the contact as dialling after it is final.
    const store = await openStore(database.uri, { dbName: 'database_lost_answer' });
    cleanup.push(() => store.close());
    const { fake, app } = await startFakeAndApp(store, { callsPerMinute: 20, windowMs: 1_000 });
    const campaign = await seedCampaign(store, phoneNumbers(10, '92'));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    expect((await app.runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    await waitFor(async () => fake.calls.length >= 3, 30_000, '3 calls placed');
    await store.Campaign.updateOne({ _id: id }, { $inc: { 'counts.dialing': 1, 'counts.initiated': -1, view_version: 1 } });

    const done = await waitForStatus(store, id, 'completed', 60_000);
    await fake.settled();
    expect([...placedPerNumber(fake).entries()].sort()).toEqual(phoneNumbers(10, '92').map((p) => [p, 1]));
    expect(done.counts).toMatchObject({ dialing: 0, initiated: 0, unknown: 0, pending: 0 });
    expect(outcomeCounters(done)).toEqual(outcomeTruth(fake.calls));
  }, 120_000);

  it('a claim the database took but never confirmed is checked with Exotel, found absent after the grace, and dialled once', async () => {
    // What a cut connection can leave behind: the line taken and the claim written, its answer lost, and the run
    // failed on it before sending. The same process adopts the campaign again (a new epoch).
    const store = await openStore(database.uri, { dbName: 'database_lost_claim' });
    cleanup.push(() => store.close());
    const { fake, app } = await startFakeAndApp(store, { callsPerMinute: 20, windowMs: 1_000 });
    const campaign = await seedCampaign(store, phoneNumbers(5, '93'));
    const id = campaign._id;
    onTestFailed(async () => console.error(await campaignReport(store, id)));
    const lost = (await store.Contact.findOne({ campaign_id: id, phone: '919300000002' }).lean()) as ContactFields;
    const now = new Date();
    const checkAfter = new Date(now.getTime() + FAST_SETTINGS.reconciler!.staleDialingMs!);
    const line = await app.runtime.lines.acquire(attemptKey(lost._id, 1), id, now, checkAfter);
    const claimed = await app.runtime.state.claim(lost, { runnerId: app.runtime.engine.runnerId, epoch: 0 }, line!.lineId, now, checkAfter);
    expect(claimed?.call_status).toBe('dialing');

    expect((await app.runtime.service.start(id, { userId: campaign.owner })).ok).toBe(true);
    // The absent attempt is queued again into the next minute's retry bucket: up to a minute more.
    const done = await waitForStatus(store, id, 'completed', 120_000);
    await fake.settled();

    expect([...placedPerNumber(fake).entries()].sort()).toEqual(phoneNumbers(5, '93').map((p) => [p, 1]));
    // It was looked up in the call list, and dialled only after a list read after the grace had found nothing.
    const dialled = connectRequests(fake).find((r) => r.form['From'] === '+919300000002')!;
    expect(dialled.form['CustomField']).toBe(attemptKey(lost._id, 2));
    const lists = listRequestsFor(fake, lost.phone).filter((r) => r.at < dialled.at);
    expect(lists.some((r) => r.at.getTime() >= now.getTime() + GRACE_MS)).toBe(true);
    const after = (await store.Contact.findById(lost._id).lean()) as ContactFields;
    expect({ sid: after.call_sid, tries: after.tries, attempts: after.attempts }).toEqual({
      sid: fake.calls.find((c) => c.from === '+919300000002')!.sid,
      tries: 2,
      attempts: 1,
    });
    expect((await store.Call.findById(attemptKey(lost._id, 1)).lean())?.state).toBe('absent');
    expect(outcomeCounters(done)).toEqual(outcomeTruth(fake.calls));
  }, 180_000);
});
