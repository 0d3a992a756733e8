// The database goes away for 10 s in the middle of a campaign: the run waits, then carries on; nothing is lost and no
// number is dialled twice. Two ways to lose it: the server stops answering (SIGSTOP: requests hang, as with a stalled
// server), and every connection is reset and new ones refused (a crash or a dropped network: requests fail).
// The shared test database must not be touched (other files use it in parallel), so this file starts its own server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/pacer.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { resolveDatabase, type ResolvedDatabase } from '../../src/store/local-database.js';
import { openStore, type Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitFor, waitForStatus, outcomeCounters, outcomeTruth, expectContactsMatchCalls } from '../helpers/engine-fixtures.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const CONTACTS = 30;
const OUTAGE_MS = 10_000;

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

/** Runs a campaign through an outage of the database its store talks to, and checks that nothing went wrong. */
async function campaignThrough(store: Store, outage: Outage, prefix: string): Promise<void> {
  const fake: FakeExotel = await startFakeExotel({ callbackDelayMs: [50, 400], latencyMs: 20, seed: 5 });
  cleanup.push(() => fake.close());
  const app: TestApp = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'pause-webhook-secret-0123456789' }), {
    runtime: {
      // A lease far longer than the outage: this is about waiting out the database, not about a takeover.
      settings: { ...FAST_SETTINGS, leaseMs: 30_000 },
      // 4 calls a second: the campaign is still dialling when the database goes.
      pacer: new Pacer({ callsPerMinute: 4, windowMs: 1_000, maxInFlight: 4 }),
    },
  });
  cleanup.push(() => app.stop());

  const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, prefix));
  expect((await app.runtime!.transitions.apply(campaign._id, 'start')).ok).toBe(true);
  const runnerId = app.runtime!.engine.runnerId;

  await waitFor(async () => fake.calls.length >= 8, 20_000, '8 calls placed');
  outage.begin();
  const lostAt = Date.now();
  try {
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  } finally {
    outage.end();
  }
  const backAt = Date.now();

  // Without the database the run claimed nothing new: at most the contact it had already claimed when the database
  // went was dialled (placing a call needs no database; recording it waited).
  const duringOutage = fake.requests.filter((r) => r.method === 'POST' && r.at.getTime() > lostAt + 200 && r.at.getTime() < backAt);
  expect(duringOutage.length).toBeLessThanOrEqual(1);
  expect(fake.calls.length).toBeLessThan(CONTACTS);

  const done = await waitForStatus(store, campaign._id, 'completed', 40_000);
  await fake.settled();

  const perNumber = placedPerNumber(fake);
  expect(perNumber.size).toBe(CONTACTS);
  expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(CONTACTS);

  const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
  expect(contacts).toHaveLength(CONTACTS);
  expectContactsMatchCalls(contacts, fake.calls);
  // Dialled by this process's run; nobody took over.
  expect(contacts.filter((c) => c.runner_id !== runnerId)).toEqual([]);
  const truth = outcomeTruth(fake.calls);
  expect(outcomeCounters(done)).toEqual(truth);
  expect(done.total_contacts).toBe(CONTACTS);
}

describe('the database goes away for 10 s mid-campaign', () => {
  it('stops answering (paused): the run waits, then completes with every number dialled once', async () => {
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
  }, 60_000);

  it('drops every connection and refuses new ones: the run waits, then completes with every number dialled once', async () => {
    const port = Number(new URL(database.uri).port);
    const proxy: TcpProxy = await startTcpProxy('127.0.0.1', port);
    cleanup.push(() => proxy.close());
    const store = await openStore(`mongodb://${proxy.host}/`, { dbName: 'database_cut' });
    cleanup.push(() => store.close());
    await campaignThrough(store, { begin: () => proxy.cut(), end: () => proxy.restore() }, '94');
  }, 60_000);

  it('a claim the database took but never confirmed is checked with Exotel and dialled once, not left stuck', async () => {
    // What a cut connection can leave behind: the claim was written, its answer lost, and the run failed on it.
    // The same process adopts the campaign again, so the leftover claim carries this process's own runner id.
    const store = await openStore(database.uri, { dbName: 'database_lost_claim' });
    cleanup.push(() => store.close());
    const fake = await startFakeExotel({ callbackDelayMs: [50, 200], seed: 9 });
    cleanup.push(() => fake.close());
    const app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'pause-webhook-secret-0123456789' }), {
      runtime: { settings: FAST_SETTINGS, pacer: new Pacer({ callsPerMinute: 200, windowMs: 10_000 }) },
    });
    cleanup.push(() => app.stop());
    const campaign = await seedCampaign(store, phoneNumbers(5, '93'));
    const stuck = await store.Contact.findOneAndUpdate(
      { campaign_id: campaign._id, phone: '919300000002' },
      { $set: { call_status: 'dialing', runner_id: app.runtime!.engine.runnerId, claimed_at: new Date() }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    ).lean();
    expect(stuck?.call_status).toBe('dialing');

    expect((await app.runtime!.transitions.apply(campaign._id, 'start')).ok).toBe(true);
    await waitForStatus(store, campaign._id, 'completed', 20_000);
    await fake.settled();

    expect([...placedPerNumber(fake).entries()].sort()).toEqual(phoneNumbers(5, '93').map((p) => [p, 1]));
    // It was looked up in the call list before it was dialled.
    const list = fake.requests.find((r) => r.method === 'GET' && r.path.endsWith('/Calls.json') && r.query['From']?.includes('09300000002'));
    const dialled = fake.requests.find((r) => r.method === 'POST' && r.form['From']?.endsWith('9300000002'));
    expect(list).toBeDefined();
    expect(dialled!.at.getTime()).toBeGreaterThanOrEqual(list!.at.getTime());
    const after = (await store.Contact.findById(stuck!._id).lean()) as ContactFields;
    expect(after.call_sid).toBe(fake.calls.find((c) => c.from.endsWith('9300000002'))!.sid);
    expect(after.attempts).toBe(1);
  }, 30_000);
});
