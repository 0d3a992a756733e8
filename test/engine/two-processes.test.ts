// Two engine processes on one database, against one fake Exotel. Each campaign runs in exactly one process at a
// time (a lease whose epoch fences out an older holder), both processes dial at once when there are two campaigns,
// and together they stay within the account's limit because they share one pacer through the database. When the
// process holding a campaign is killed, the other adopts it once the lease has run out and finishes it; no number is
// placed twice.
//
// How the work is split: both processes are running when campaign X starts, so they race to adopt it and exactly one
// wins. Campaign Y is then started while the winner is frozen (SIGSTOP, well under the lease), so the other process
// adopts it; after that both dial concurrently. Without the freeze, whichever process ticks first adopts every
// running campaign, and the split would be luck.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import type { RuntimeOverrides } from '../../src/runtime.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCall, type FakeExotel } from '../fakes/fake-exotel.js';
import { freePort } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import {
  campaignReport,
  contactsOf,
  expectContactsMatchCalls,
  FAST_SETTINGS,
  numberOf,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { engineLogs, killEngineProcesses, liveChildEnv, startEngineProcess, type EngineProcess } from '../helpers/engine-process.js';

const X_CONTACTS = 100;
const Y_CONTACTS = 100;
const LEASE_MS = 6_000;
/** The account pacer: 10 requests a second for both processes together. */
const PACING = { callsPerMinute: 20, windowMs: 2_000 };
/**
 * Each campaign's own pace is opened far above the account's (accountRate, in calls a minute), so the shared pacer
 * alone keeps the two processes within the limit. A stall limit of 1 s (not 2) keeps a run that was frozen for a few
 * seconds, with most of its lease still ahead, from giving up its campaign.
 */
const SETTINGS: NonNullable<RuntimeOverrides['settings']> = {
  ...FAST_SETTINGS,
  leaseMs: LEASE_MS,
  tickMs: 400,
  statusCheckMs: 500,
  idleMs: 500,
  stallLimitMs: 1_000,
  accountRate: 6_000,
};
/** The fake's limit over every request (dials, details and lists): half as much again as the pacer's, so request
 * jitter on a busy machine never trips it, while two processes pacing on their own (20 a second) would. */
const FAKE_LIMIT = { callsPerMinute: 30, windowMs: 2_000, limitAllRequests: true };

let store: Store;
let fake: FakeExotel;
let transitions: CampaignTransitions;

beforeAll(async () => {
  store = await testStore('two_processes');
  fake = await startFakeExotel({ ...FAKE_LIMIT, callbackDelayMs: [50, 1_500], secondMs: 1000, seed: 23 });
  transitions = new CampaignTransitions(store, new CampaignEvents());
});
afterAll(async () => {
  await killEngineProcesses();
  await fake?.close();
});

async function startEngine(runnerId: string): Promise<EngineProcess> {
  // Each process receives the callbacks of the calls it placed, at its own PUBLIC_URL.
  const callbackPort = await freePort();
  return startEngineProcess({
    mongoUri: mongoUri(),
    dbName: store.connection.name,
    runnerId,
    env: liveChildEnv(fake, callbackPort),
    settings: SETTINGS,
    pacing: PACING,
    callbackPort,
  });
}

const readCampaign = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;

interface Adoption {
  runner: string;
  campaign: string;
  epoch: number;
  time: number;
}

/** Every adoption the processes logged ("campaign adopted", written right after the adoption's update). */
function adoptions(engines: EngineProcess[]): Adoption[] {
  return engines
    .flatMap((e) =>
      e
        .logs()
        .filter((l) => l.msg === 'campaign adopted')
        .map((l) => ({ runner: e.runnerId, campaign: String(l['campaign']), epoch: Number(l['epoch']), time: l.time })),
    )
    .sort((a, b) => a.time - b.time);
}

describe('two engine processes on one database', () => {
  it('run each campaign in one process at a time, share the account’s pace, hand a dead one’s campaign over after its lease, and place every number once', async () => {
    const engines = await Promise.all([startEngine('pair-a'), startEngine('pair-b')]);
    await Promise.all(engines.map((e) => e.ready));
    const x = (await seedCampaign(store, phoneNumbers(X_CONTACTS, '97')))._id;
    const y = (await seedCampaign(store, phoneNumbers(Y_CONTACTS, '96')))._id;
    onTestFailed(async () => console.error(await campaignReport(store, x), await campaignReport(store, y), engineLogs()));
    const xPhones = new Set(phoneNumbers(X_CONTACTS, '97'));
    const placedFor = (inX: boolean) => fake.calls.filter((c) => xPhones.has(numberOf(c)) === inX);

    // Both processes race to adopt X; one wins.
    expect((await transitions.apply(x, 'start', { set: { mode: 'live' } })).ok).toBe(true);
    const winner = await waitFor(async () => (await readCampaign(x)).runner_id, 20_000, 'X to be adopted');
    const first = engines.find((e) => e.runnerId === winner)!;
    const second = engines.find((e) => e !== first)!;

    // Y goes to the other process: the winner is frozen while Y starts.
    first.pause();
    const pausedAt = Date.now();
    try {
      expect((await transitions.apply(y, 'start', { set: { mode: 'live' } })).ok).toBe(true);
      await waitFor(async () => (await readCampaign(y)).runner_id === second.runnerId, 3_500, 'Y to be adopted by the other process');
    } finally {
      first.resume();
    }
    const pauseMs = Date.now() - pausedAt;

    // Mid-campaign, both dialling: kill the process holding X.
    await waitFor(async () => placedFor(true).length >= X_CONTACTS / 2 && placedFor(false).length >= 10, 60_000, 'both campaigns dialling');
    const xAtKill = await readCampaign(x);
    const yAtKill = await readCampaign(y);
    expect({ x: xAtKill.runner_id, y: yAtKill.runner_id }).toEqual({ x: first.runnerId, y: second.runnerId });
    const killAt = Date.now();
    expect((await first.crash()).signal).toBe('SIGKILL');
    const xPlacedAtKill = placedFor(true).length;
    expect(xPlacedAtKill).toBeLessThan(X_CONTACTS);
    const leaseEnd = xAtKill.lease_expires_at!.getTime();

    // Until then the two processes dialled at the same time: their campaigns' calls interleave.
    const span = (calls: FakeCall[]) =>
      [Math.min(...calls.map((c) => c.createdAt.getTime())), Math.max(...calls.map((c) => c.createdAt.getTime()))] as const;
    const [xFrom, xTo] = span(placedFor(true));
    const [yFrom, yTo] = span(placedFor(false));
    expect(yFrom).toBeLessThan(xTo);
    expect(xFrom).toBeLessThan(yTo);

    // The survivor adopts X once the dead process's lease has run out, and not before.
    await waitFor(async () => (await readCampaign(x)).runner_id === second.runnerId, LEASE_MS + 30_000, 'X to be adopted by the survivor');
    const takeover = await waitFor(
      async () => adoptions([second]).find((a) => a.campaign === String(x) && a.time > killAt),
      10_000,
      'the adoption log line',
    );
    expect(takeover.time).toBeGreaterThanOrEqual(leaseEnd);
    const doneX = await waitForStatus(store, x, 'completed', 150_000);
    const xDoneMs = Date.now() - killAt;
    const doneY = await waitForStatus(store, y, 'completed', 150_000);
    await fake.settled();
    expect((await second.stop()).code).toBe(0);

    // Every one of the 200 numbers placed exactly once, by Exotel's own log; each contact holds its call's outcome.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(X_CONTACTS + Y_CONTACTS);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    for (const [id, done, inX] of [
      [x, doneX, true],
      [y, doneY, false],
    ] as const) {
      expectContactsMatchCalls(await contactsOf(store, id), placedFor(inX));
      expect(outcomeCounters(done)).toEqual(outcomeTruth(placedFor(inX)));
    }

    // Together the processes stayed within the account's limit: not one request of either was refused.
    expect({
      violations: fake.violations,
      perSecond: fake.secondViolations,
      refused: fake.requests.filter((r) => r.status === 429).length,
    }).toEqual({
      violations: 0,
      perSecond: 0,
      refused: 0,
    });

    // One process at a time: every attempt was claimed by the run of its campaign's current epoch, before the next
    // adoption (which fenced it out); and the survivor claimed nothing of X before the dead process's lease ended.
    const log = adoptions(engines);
    for (const id of [x, y]) {
      const epochs = log.filter((a) => a.campaign === String(id));
      for (const contact of await contactsOf(store, id)) {
        const next = epochs.find((a) => a.epoch === contact.lease_epoch! + 1);
        if (next) expect(contact.sent_at!.getTime()).toBeLessThan(next.time);
        if (id === x && contact.lease_epoch! >= takeover.epoch) expect(contact.sent_at!.getTime()).toBeGreaterThanOrEqual(leaseEnd);
      }
    }

    console.log(
      `[two-processes] X won by ${first.runnerId}; Y to ${second.runnerId} during a ${pauseMs} ms freeze; killed with X at ${xPlacedAtKill}/${X_CONTACTS}; ` +
        `adopted ${takeover.time - killAt} ms after the kill (lease ${LEASE_MS} ms), X completed ${xDoneMs} ms after the kill; ` +
        `adoptions ${log.map((a) => `${a.runner}#${a.epoch}`).join(' ')}; requests ${fake.requests.length}`,
    );
  }, 300_000);
});
