// Fencing (issue 8, item 3): an engine process that stalls past its lease (SIGSTOP: a long GC pause, a frozen VM)
// while it dials, then wakes up (SIGCONT) after another process took its campaigns over, sends nothing more.
//
// Two engine processes on one database and one fake Exotel, each behind a recording proxy of its own, so the proxy's
// log says which process sent each request. The account's pace is slow (2 a second for two campaigns), so the
// stalled process has its next request waiting in its campaign throttle or the account pacer when it is stopped.
//
// On waking, the stalled process's first tick usually finds its leases gone and stops its runs before their queued
// turn comes; the dial gate's fencing write is the guard when the turn comes first. The first tests drive a run by
// hand to reach exactly those moments: a turn granted after the takeover, and a freeze between the gate and the send.
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import { applyDelta, countContacts, moveDelta } from '../../src/campaigns/campaign-view.js';
import { CampaignRun, type RunSettings } from '../../src/engine/campaign-run.js';
import { DialGate } from '../../src/engine/dial-gate.js';
import type { RequestPacer } from '../../src/engine/request-pacer.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { freePort } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import {
  FAST_SETTINGS,
  numberOf,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { engineLogs, killEngineProcesses, liveChildEnv, startEngineProcess, type EngineProcess } from '../helpers/engine-process.js';
import { engineParts, readContact, runningCampaign, silentLog, type EngineParts } from '../helpers/engine-parts.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';
import { StubDialer } from '../helpers/stub-dialer.js';

const CONTACTS_EACH = 25;
const LEASE_MS = 5_000;
const SETTINGS = { ...FAST_SETTINGS, leaseMs: LEASE_MS, tickMs: 300, statusCheckMs: 300, idleMs: 300 };
/** Two requests a second for the account, shared by the two campaigns. */
const PACING = { callsPerMinute: 120 };

let store: Store;
let fake: FakeExotel;
let transitions: CampaignTransitions;
const proxies: RecordingProxy[] = [];

beforeAll(async () => {
  store = await testStore('stalled_runner');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [200, 1_500], seed: 31 });
  transitions = new CampaignTransitions(store, new CampaignEvents());
});
afterAll(async () => {
  await killEngineProcesses();
  await Promise.all(proxies.map((p) => p.close()));
  await fake?.close();
});

/** An engine process whose every Exotel request goes through a recording proxy of its own. */
async function startEngine(runnerId: string): Promise<{ engine: EngineProcess; proxy: RecordingProxy }> {
  const proxy = await startRecordingProxy(fake.url);
  proxies.push(proxy);
  const callbackPort = await freePort();
  const engine = startEngineProcess({
    mongoUri: mongoUri(),
    dbName: store.connection.name,
    runnerId,
    env: { ...liveChildEnv(fake, callbackPort), EXOTEL_API_URL: proxy.url },
    settings: SETTINGS,
    pacing: PACING,
    callbackPort,
  });
  await engine.ready;
  return { engine, proxy };
}

const read = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const connects = (proxy: RecordingProxy) => proxy.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/Calls/connect.json'));
const fromOf = (body: string) => new URLSearchParams(body).get('From') ?? '';

/** An account pacer whose turns the test hands out one by one (or all at once, with `open`). */
class HandPacer implements RequestPacer {
  readonly waiting: Array<() => void> = [];
  open = false;
  take(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.open) return resolve();
      this.waiting.push(resolve);
      signal?.addEventListener('abort', () => {
        this.waiting.splice(this.waiting.indexOf(resolve), 1);
        reject(signal.reason);
      });
    });
  }
  grant(): void {
    this.waiting.shift()!();
  }
  async busy(): Promise<boolean> {
    return this.waiting.length > 0;
  }
  async hold(): Promise<number> {
    return 0;
  }
  noteSuccess(): void {}
  close(): void {}
}

const RUN_SETTINGS: RunSettings = {
  recountEveryMs: 60_000,
  callerId: '08047112345',
  flowUrl: 'http://my.exotel.com/ACfake/exoml/start_voice/1',
  statusCallbackUrl: undefined,
  ringSeconds: 1,
  maxCallSeconds: 2,
  pollAfterMs: 3_000,
  retryableDelayMs: 200,
  idleMs: 100,
  // The run re-reads its campaign only this often: the takeover below happens after its last read, so only the dial
  // gate and the stall check stand between its queued turn and a request.
  statusCheckMs: 600_000,
  stallLimitMs: 300,
  sameErrorLimit: 3,
};

const handCampaigns: Types.ObjectId[] = [];

/** A CampaignRun of `run-a`, epoch 1, driven by hand: its turns come from a HandPacer, its requests go to a stub. */
async function handRun(
  parts: EngineParts,
  gate: DialGate = parts.gate,
  before?: (campaign: CampaignFields, ids: string[]) => Promise<void>,
) {
  const { campaign, ids } = await runningCampaign(
    store,
    phoneNumbers(2, String(70 + Math.floor(Math.random() * 20))),
    {},
    { runnerId: 'run-a', epoch: 1 },
  );
  const pacer = new HandPacer();
  const dialer = new StubDialer();
  dialer.placeResult = { kind: 'placed', sid: 'SID-SHOULD-NOT-EXIST', createdAt: new Date() };
  handCampaigns.push(campaign._id);
  await before?.(campaign, ids);
  const run = new CampaignRun(campaign._id, 'run-a', 1, {
    store,
    state: parts.state,
    transitions: new CampaignTransitions(store, parts.events),
    events: parts.events,
    dialer,
    pacer,
    gate,
    lines: parts.lines,
    log: silentLog,
    settings: RUN_SETTINGS,
    now: () => new Date(),
    rate: () => 6_000,
  });
  const done = run.start();
  if (!before) await waitFor(async () => pacer.waiting.length === 1, 10_000, 'the run to wait for its turn');
  return { campaign, ids, pacer, dialer, run, done };
}

describe('a run whose turn comes after its lease was taken over (in one process, step by step)', () => {
  // The engine processes below must not adopt these campaigns.
  afterEach(async () => {
    await store.Campaign.updateMany({ _id: { $in: handCampaigns } }, { $set: { status: 'stopped' } });
  });

  it('is refused by the dial gate: nothing is sent, nothing is claimed, and the run ends', async () => {
    const parts = engineParts(store, { cap: 2, leaseMarginMs: RUN_SETTINGS.stallLimitMs });
    const { campaign, ids, pacer, dialer, done } = await handRun(parts);

    // Another process adopts the campaign while this run's request waits in the pacer.
    await store.Campaign.updateOne({ _id: campaign._id }, { $set: { runner_id: 'run-b' }, $inc: { lease_epoch: 1 } });
    pacer.grant();
    let ended = false;
    void done.then(() => (ended = true));
    await waitFor(async () => ended || dialer.placed.length > 0, 10_000, 'the run to end or send');

    expect(dialer.placed).toEqual([]);
    expect(ended).toBe(true);
    expect(await readContact(store, ids[0]!)).toMatchObject({ call_status: 'pending', tries: 0, attempts: 0 });
    expect(await parts.lines.held()).toEqual([]);
    // The run did not give back a lease that is no longer its own.
    expect(await read(campaign._id)).toMatchObject({ runner_id: 'run-b', lease_epoch: 2 });
  });

  it('a process that stalls between the gate and the send gives the attempt back unsent', async () => {
    const parts = engineParts(store, { cap: 2, leaseMarginMs: RUN_SETTINGS.stallLimitMs });
    // The freeze falls after the gate's checks and claim, before the send: the run must notice it did not send in time.
    class FreezingGate extends DialGate {
      override async pass(...args: Parameters<DialGate['pass']>) {
        const decision = await super.pass(...args);
        await new Promise((r) => setTimeout(r, RUN_SETTINGS.stallLimitMs * 3));
        return decision;
      }
    }
    const gate = new FreezingGate(
      store,
      parts.state,
      parts.lines,
      () => ({ open: true, changesAt: null }),
      { firstCheckMs: 3_000, leaseMarginMs: RUN_SETTINGS.stallLimitMs },
      silentLog,
    );
    const { campaign, ids, pacer, dialer, run, done } = await handRun(parts, gate);

    pacer.grant();
    const key = attemptKey(ids[0]!, 1);
    await waitFor(async () => (await store.Call.findById(key).lean())?.state === 'not-placed', 10_000, 'the attempt to be given back');
    await run.stop('test over');
    await done;

    expect(dialer.placed).toEqual([]);
    expect(await readContact(store, ids[0]!)).toMatchObject({ call_status: 'pending', tries: 1, attempts: 0 });
    expect(await parts.lines.held()).toEqual([]);
    expect((await read(campaign._id)).counts).toMatchObject({ pending: 2, dialing: 0 });
  });
});

describe('a stalled process’s late counter write', () => {
  afterEach(async () => {
    await store.Campaign.updateMany({ _id: { $in: handCampaigns } }, { $set: { status: 'stopped' } });
  });

  it('does not keep the campaign from completing once every contact is final', async () => {
    const parts = engineParts(store, { cap: 2, leaseMarginMs: RUN_SETTINGS.stallLimitMs });
    // Both contacts reached. Then the write a frozen process still owed lands: it had moved a contact from dialing to
    // initiated before freezing, the new runner's recount at adoption already counted that, and now the `$inc` that
    // went with it comes too. The view says dialing −1, initiated 1: "nothing outstanding" in sum, never in each.
    const { campaign, run, pacer } = await handRun(parts, parts.gate, async (c, ids) => {
      for (const id of ids) await store.Contact.updateOne({ _id: id }, { $set: { call_status: 'completed', last_outcome: 'completed' } });
      await applyDelta(store, c._id, moveDelta('pending', 'completed', ids.length));
      await applyDelta(store, c._id, moveDelta('dialing', 'initiated'));
    });
    pacer.open = true;

    try {
      const completed = await waitForStatus(store, campaign._id, 'completed', 15_000).catch(() => null);
      expect(completed?.status).toBe('completed');
      expect(completed!.counts).toEqual(await countContacts(store, campaign._id));
    } finally {
      await run.stop('test over');
    }
  });
});

describe('a process stalled past its lease', () => {
  it('sends nothing after another process took its campaigns over, and no number is placed twice', async () => {
    onTestFailed(async () => {
      const campaigns = await store.Campaign.find({}, { name: 1, status: 1, runner_id: 1, lease_epoch: 1, counts: 1 }).lean();
      console.error(JSON.stringify({ campaigns, placed: fake.calls.length }), engineLogs());
    });
    const a = await startEngine('stall-a');
    const ids = [
      (await seedCampaign(store, phoneNumbers(CONTACTS_EACH, '95')))._id,
      (await seedCampaign(store, phoneNumbers(CONTACTS_EACH, '94')))._id,
    ];
    for (const id of ids) expect((await transitions.apply(id, 'start', { set: { mode: 'live' } })).ok).toBe(true);
    await waitFor(
      async () => (await Promise.all(ids.map(read))).every((c) => c.runner_id === 'stall-a'),
      15_000,
      'A to adopt both campaigns',
    );
    const epochs = (await Promise.all(ids.map(read))).map((c) => c.lease_epoch);

    // B is up, but A holds the leases and renews them.
    const b = await startEngine('stall-b');
    await waitFor(async () => connects(a.proxy).length >= 6, 30_000, 'A to be dialling');
    expect(connects(b.proxy)).toEqual([]);

    a.engine.pause();
    const stoppedAt = Date.now();
    let resumedAt = 0;
    try {
      await waitFor(
        async () => (await Promise.all(ids.map(read))).every((c) => c.runner_id === 'stall-b'),
        LEASE_MS + 20_000,
        'B to take both campaigns over',
      );
      // Let B dial a little while A is still frozen, then wake A.
      await waitFor(async () => connects(b.proxy).length >= 2, 20_000, 'B to be dialling');
    } finally {
      a.engine.resume();
      resumedAt = Date.now();
    }
    const after = await Promise.all(ids.map(read));
    expect(after.map((c) => c.lease_epoch)).toEqual(epochs.map((e) => e + 1));

    // When B took over: its adoption log lines (written right after the adoption's update), one per campaign.
    const adoptions = await waitFor(
      async () => {
        const lines = b.engine.logs().filter((l) => l.msg === 'campaign adopted');
        return lines.length >= 2 ? lines : null;
      },
      10_000,
      'B’s adoption log lines',
    );
    const takeoverAt = Math.min(...adoptions.map((l) => l.time));
    expect(takeoverAt).toBeGreaterThan(stoppedAt);

    for (const id of ids) await waitForStatus(store, id, 'completed', 90_000);
    await fake.settled();
    // A has been awake for a while by now: give it time to do whatever it would still do.
    await new Promise((r) => setTimeout(r, 1_000));
    const [aExit, bExit] = await Promise.all([a.engine.stop(), b.engine.stop()]);
    expect(aExit.code).toBe(0);
    expect(bExit.code).toBe(0);

    // A sent no connect request after the takeover (nor after waking up); everything B sent came after it.
    const aLate = connects(a.proxy).filter((r) => r.at.getTime() >= takeoverAt);
    expect(aLate.map((r) => `${fromOf(r.body)} +${r.at.getTime() - takeoverAt} ms`)).toEqual([]);
    expect(connects(b.proxy).filter((r) => r.at.getTime() < takeoverAt)).toEqual([]);
    expect(connects(a.proxy).filter((r) => r.at.getTime() >= stoppedAt + 500)).toEqual([]);

    // The counters equal the contacts, whatever the frozen process still wrote when it woke up.
    for (const id of ids) expect((await read(id)).counts).toEqual(await countContacts(store, id));

    // By Exotel's log: every number once.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(2 * CONTACTS_EACH);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // Each call was placed by the process that held the lease at the time.
    const contacts = (await store.Contact.find({ campaign_id: { $in: ids } }).lean()) as ContactFields[];
    const placedAt = new Map(fake.calls.map((c) => [numberOf(c), c.createdAt.getTime()]));
    for (const c of contacts) {
      const epoch = epochs[ids.findIndex((id) => id.equals(c.campaign_id))]!;
      const claimedBy = c.lease_epoch === epoch ? 'stall-a' : c.lease_epoch === epoch + 1 ? 'stall-b' : `epoch ${c.lease_epoch}`;
      expect({ contact: c._id, claimedBy }).toEqual({
        contact: c._id,
        claimedBy: placedAt.get(c.phone)! < stoppedAt + 500 ? 'stall-a' : 'stall-b',
      });
    }

    const aReads = a.proxy.requests.filter((r) => r.method === 'GET' && r.at.getTime() >= takeoverAt);
    const stalls = a.engine.logs().filter((l) => /stalled before sending/.test(l.msg));
    console.log(
      `[stalled-runner] A sent ${connects(a.proxy).length} requests before the stop; frozen ${resumedAt - stoppedAt} ms; ` +
        `B took over ${takeoverAt - stoppedAt} ms after the stop (lease ${LEASE_MS} ms) and sent ${connects(b.proxy).length}; ` +
        `A after the takeover: 0 connect, ${aReads.length} reads; A's sends given back as stalled: ${stalls.length}`,
    );
  }, 150_000);
});
