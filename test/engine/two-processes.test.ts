// Two engine processes on one database, against one fake Exotel: the lease lets exactly one of them run a campaign,
// both dial at once when there are two campaigns, and when the one holding a lease is killed the other takes the
// campaign over as soon as the lease expires and finishes it, without placing any number twice.
//
// How the work is split: both processes are running when campaign X starts, so they race to adopt it and exactly one
// wins. Campaign Y is then started while the winner is frozen (SIGSTOP, well under the lease), so the other process
// adopts it; after that both dial concurrently. Without the freeze, whichever process ticks first adopts every
// running campaign, and the split would be luck.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { statusBreakdown } from '../../src/campaigns/campaign-counters.js';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import type { EngineSettings } from '../../src/engine/engine.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCall, type FakeExotel } from '../fakes/fake-exotel.js';
import { freePort } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import { FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitFor, waitForStatus, outcomeCounters, numberOf } from '../helpers/engine-fixtures.js';
import { engineLogs, killEngineProcesses, startEngineProcess, type EngineProcess, liveChildEnv } from '../helpers/engine-process.js';

/** X is the campaign whose process is killed half-way; 200 contacts in all. */
const X_CONTACTS = 100;
const Y_CONTACTS = 100;
const LEASE_MS = 3_000;
/** Adoption may lag the lease's end by a scheduler tick (400 ms) and the tick's database round trips on a busy machine. */
const ADOPTION_MARGIN_MS = 1_500;
// Checks less often than FAST_SETTINGS: several engine processes share one database server and two cores, and on
// the test server (FerretDB) every query on contacts scans the collection.
const SETTINGS: Partial<EngineSettings> = { ...FAST_SETTINGS, leaseMs: LEASE_MS, tickMs: 400, idleMs: 1_000, statusCheckMs: 500 };
/** 10 calls a second per process. */
const PACER = { callsPerMinute: 10, windowMs: 1_000, maxInFlight: 5 };

let store: Store;
let fake: FakeExotel;
let transitions: CampaignTransitions;

beforeAll(async () => {
  store = await testStore('two_processes');
  fake = await startFakeExotel({ callbackDelayMs: [50, 1500], seed: 23 });
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
    pacer: PACER,
    callbackPort,
  });
}

const readCampaign = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const contactsOf = async (id: Types.ObjectId) => (await store.Contact.find({ campaign_id: id }).lean()) as ContactFields[];

describe('two engine processes on one database', () => {
  it('run each campaign in one process at a time, hand a dead one’s campaign over within the lease, and place every number once', async () => {
    onTestFailed(async () => {
      const campaigns = await store.Campaign.find({}, { name: 1, status: 1, runner_id: 1, lease_expires_at: 1 }).lean();
      const breakdowns = await Promise.all(campaigns.map((c) => statusBreakdown(store, c._id)));
      console.error(JSON.stringify({ campaigns, breakdowns, placed: fake.calls.length, requests: fake.requests.length }), engineLogs());
    });
    const engines = await Promise.all([startEngine('pair-a'), startEngine('pair-b')]);
    await Promise.all(engines.map((e) => e.ready));

    const x = (await seedCampaign(store, phoneNumbers(X_CONTACTS, '97')))._id;
    const y = (await seedCampaign(store, phoneNumbers(Y_CONTACTS, '96')))._id;
    const xPhones = new Set(phoneNumbers(X_CONTACTS, '97'));
    const placedFor = (phones: Set<string>) => fake.calls.filter((c) => phones.has(numberOf(c)));

    // Both processes race to adopt X; one wins.
    expect((await transitions.apply(x, 'start')).ok).toBe(true);
    const winner = await waitFor(async () => (await readCampaign(x)).runner_id, 5_000, 'X to be adopted');
    const first = engines.find((e) => e.runnerId === winner)!;
    const second = engines.find((e) => e !== first)!;

    // Y goes to the other process: the winner is frozen while Y starts.
    first.pause();
    const pausedAt = Date.now();
    try {
      expect((await transitions.apply(y, 'start')).ok).toBe(true);
      await waitFor(async () => (await readCampaign(y)).runner_id === second.runnerId, 2_500, 'Y to be adopted by the other process');
    } finally {
      first.resume();
    }
    const pauseMs = Date.now() - pausedAt;
    expect(pauseMs).toBeLessThan(LEASE_MS);

    // Mid-campaign, both dialling: kill the process holding X's lease.
    await waitFor(async () => placedFor(xPhones).length >= X_CONTACTS / 2 && fake.calls.length - placedFor(xPhones).length >= 10, 40_000, 'both campaigns dialling');
    const killAt = Date.now();
    expect((await first.crash()).signal).toBe('SIGKILL');
    const xPlacedAtKill = placedFor(xPhones).length;
    expect(xPlacedAtKill).toBeLessThan(X_CONTACTS);
    const xAtKill = await readCampaign(x);
    expect(xAtKill.runner_id).toBe(first.runnerId);
    const leaseEnd = xAtKill.lease_expires_at!.getTime();

    // Until then each process dialled only its own campaign.
    const beforeKill = [...(await contactsOf(x)), ...(await contactsOf(y))];
    const xIds = new Set((await contactsOf(x)).map((c) => String(c._id)));
    for (const c of beforeKill.filter((c) => c.runner_id !== null)) {
      expect(c.runner_id).toBe(xIds.has(String(c._id)) ? first.runnerId : second.runnerId);
    }
    // …and both at once: their calls interleave in time.
    const span = (calls: FakeCall[]) => [Math.min(...calls.map((c) => c.createdAt.getTime())), Math.max(...calls.map((c) => c.createdAt.getTime()))] as const;
    const [xFrom, xTo] = span(placedFor(xPhones));
    const [yFrom, yTo] = span(fake.calls.filter((c) => !xPhones.has(numberOf(c))));
    expect(yFrom).toBeLessThan(xTo);
    expect(xFrom).toBeLessThan(yTo);

    // The survivor adopts X once the dead process's lease has run out, and not before (the time is the survivor's own
    // log line, written right after its adoption update).
    await waitFor(async () => (await readCampaign(x)).runner_id === second.runnerId, LEASE_MS + 10_000, 'X to be adopted by the survivor');
    // (Y was adopted long before the kill, so the one adoption since is X's.)
    // The log line is written right after the update but reaches this process through a pipe: wait for it.
    const adoptionsSinceKill = () => second.logs().filter((l) => l.msg === 'campaign adopted' && l.time > killAt);
    await waitFor(async () => adoptionsSinceKill().length > 0, 5_000, 'the adoption log line');
    const adoptions = adoptionsSinceKill();
    expect(adoptions).toHaveLength(1);
    const adoptedAt = adoptions[0]!.time;
    expect(adoptedAt).toBeGreaterThanOrEqual(leaseEnd);
    const adoptionMs = adoptedAt - killAt;
    expect(adoptionMs).toBeLessThanOrEqual(LEASE_MS + ADOPTION_MARGIN_MS);
    const doneX = await waitForStatus(store, x, 'completed', 60_000);
    const xDoneMs = Date.now() - killAt;
    const doneY = await waitForStatus(store, y, 'completed', 60_000);
    await fake.settled();
    expect((await second.stop()).code).toBe(0);

    // Every one of the 200 numbers placed exactly once, by Exotel's own log.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(X_CONTACTS + Y_CONTACTS);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);

    const callByNumber = new Map(fake.calls.map((c) => [numberOf(c), c]));
    for (const [id, done] of [
      [x, doneX],
      [y, doneY],
    ] as const) {
      const contacts = await contactsOf(id);
      const truth = { completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0 };
      for (const c of contacts) {
        const call = callByNumber.get(c.phone)!;
        expect({ status: c.call_status, sid: c.call_sid, attempts: c.attempts }).toEqual({ status: call.outcome, sid: call.sid, attempts: 1 });
        truth[call.outcome] += 1;
      }
      expect(outcomeCounters(done)).toEqual(truth);
    }

    // Each X call was placed by the first process before its lease ended, or claimed and placed by the survivor
    // after.
    for (const c of await contactsOf(x)) {
      const placedAt = callByNumber.get(c.phone)!.createdAt.getTime();
      expect(c.runner_id).toBe(placedAt < leaseEnd ? first.runnerId : second.runnerId);
      if (c.runner_id === second.runnerId) expect(c.claimed_at!.getTime()).toBeGreaterThanOrEqual(leaseEnd);
    }
    const yDuringTakeover = fake.calls.filter((c) => !xPhones.has(numberOf(c)) && c.createdAt.getTime() > killAt && c.createdAt.getTime() < leaseEnd);

    console.log(
      `[two-processes] X won by ${first.runnerId}; Y to ${second.runnerId} during a ${pauseMs} ms freeze; killed with X at ${xPlacedAtKill}/${X_CONTACTS}; ` +
        `adopted ${adoptionMs} ms after the kill (lease ${LEASE_MS} ms), X completed ${xDoneMs} ms after the kill; ` +
        `Y calls during the takeover ${yDuringTakeover.length}; requests ${fake.requests.length}`,
    );
  }, 90_000);
});
