// Crash safety of the dial engine: the engine runs in a child process that is killed (SIGKILL) at three dangerous
// moments of one campaign and replaced each time by a new process with a new runner id. Exotel is the fake, in this
// process, over real HTTP; its own log of placed calls is the truth every assertion is checked against.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { statusBreakdown } from '../../src/campaigns/campaign-counters.js';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import type { EngineSettings } from '../../src/engine/engine.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { CallStatus, ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { freePort } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import { FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitFor, waitForStatus, outcomeCounters, outcomeTruth, numberOf } from '../helpers/engine-fixtures.js';
import { engineLogs, killEngineProcesses, startEngineProcess, type EngineProcess, liveChildEnv } from '../helpers/engine-process.js';

const CONTACTS = 150;
/** Short, so each restart adopts the campaign within seconds. */
const LEASE_MS = 2_500;
// Checks less often than FAST_SETTINGS: several engine processes share one database server and two cores, and on
// the test server (FerretDB) every query on contacts scans the collection.
const SETTINGS: Partial<EngineSettings> = { ...FAST_SETTINGS, leaseMs: LEASE_MS, tickMs: 400, idleMs: 1_000, statusCheckMs: 500 };
/** Up to 10 calls a second (the fake answers at once, so the database is the real limit). */
const PACER = { callsPerMinute: 20, windowMs: 2_000, maxInFlight: 5 };
/** Process 3 dials one call every 2 s, as a production pace does (60 a minute: a claimed contact waits about a
 * second for the pacer): nearly all the time one contact is claimed, waiting, its request not sent. */
const SLOW_PACER = { callsPerMinute: 1, windowMs: 2_000, maxInFlight: 5 };
/** Longest wait for one step; generous, because the suite shares two cores with other files. */
const WAIT_MS = 40_000;
const FINAL: CallStatus[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

let store: Store;
let fake: FakeExotel;
let callbackPort: number;

beforeAll(async () => {
  store = await testStore('crash_recovery');
  fake = await startFakeExotel({ callbackDelayMs: [50, 1500], seed: 11 });
  // Every engine process of this file serves callbacks on the same port, as behind one PUBLIC_URL; between a crash
  // and the next start nobody listens there and Exotel's callbacks are lost.
  callbackPort = await freePort();
});
afterAll(async () => {
  await killEngineProcesses();
  await fake?.close();
});

function startEngine(runnerId: string, pacer = PACER): EngineProcess {
  return startEngineProcess({
    mongoUri: mongoUri(),
    dbName: store.connection.name,
    runnerId,
    env: liveChildEnv(fake, callbackPort),
    settings: SETTINGS,
    pacer,
    callbackPort,
  });
}

const placedNumbers = () => new Set(fake.calls.map(numberOf));

describe('an engine process killed three times during a 150-contact campaign', () => {
  it('places every number exactly once, loses no contact, and ends with counters equal to what Exotel reported', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS));
    const id = campaign._id;
    const contacts = async (filter: Record<string, unknown> = {}) =>
      (await store.Contact.find({ campaign_id: id, ...filter }).lean()) as ContactFields[];
    const readCampaign = async () => (await store.Campaign.findById(id).lean()) as CampaignFields;
    onTestFailed(async () => {
      const state = { campaign: await readCampaign(), breakdown: await statusBreakdown(store, id), placed: fake.calls.length, requests: fake.requests.length };
      console.error(JSON.stringify(state), engineLogs());
    });
    /** SIGKILL, then what the dead runner left behind: its lease (still in the database) and the frozen contacts. */
    const crash = async (engine: EngineProcess) => {
      const at = Date.now();
      const exit = await engine.crash();
      expect(exit.signal).toBe('SIGKILL');
      const leaseExpiresAt = (await readCampaign()).lease_expires_at!;
      expect(leaseExpiresAt.getTime()).toBeGreaterThan(at);
      return { at, leaseExpiresAt, dialing: await contacts({ call_status: 'dialing' }) };
    };

    let engine = startEngine('crash-1');
    await engine.ready;
    expect((await new CampaignTransitions(store, new CampaignEvents()).apply(id, 'start')).ok).toBe(true);

    // Kill 1 — after some calls are recorded, while outcomes are still arriving: calls Exotel has placed and not yet
    // ended, whose callbacks will find nobody listening. Watched from the fake's side (a callback answered 200 was
    // stored), so the probe adds no load to the database the engine is using.
    await waitFor(
      async () =>
        fake.callbacks.filter((cb) => cb.status === 200).length >= 25 && fake.calls.some((c) => c.endTime === null && c.statusCallback),
      WAIT_MS,
      'calls recorded and outcomes still to come',
    );
    const kill1 = await crash(engine);
    // Let every call end and every callback to the dead process fail (the fake gives up after its retries) before
    // anyone listens again: the calls still `initiated` now have ended at Exotel with outcomes nobody recorded.
    await fake.settled();
    expect(await store.Contact.countDocuments({ campaign_id: id, call_status: { $in: FINAL } })).toBeGreaterThanOrEqual(20);
    const awaitingAtKill1 = await contacts({ call_status: 'initiated' });
    expect(awaitingAtKill1.length).toBeGreaterThan(0);
    for (const c of awaitingAtKill1) expect(fake.calls.find((call) => call.sid === c.call_sid)!.endTime).not.toBeNull();
    const lostSids = new Set(fake.callbacks.filter((cb) => cb.at.getTime() > kill1.at && cb.status === null).map((cb) => cb.callSid));

    // Kill 2 — requests in flight: Exotel has placed the calls but its answer is delayed, so the runner has not
    // recorded them; the contacts are `dialing` and the numbers are already ringing.
    const placedBeforeRestart2 = fake.calls.length;
    engine = startEngine('crash-2');
    await engine.ready;
    await waitFor(async () => fake.calls.length >= placedBeforeRestart2 + 5, WAIT_MS, 'the second engine to dial');
    fake.options.latencyMs = 1_500;
    const slowFrom = Date.now();
    // The fake places a call, then waits 1.5 s to answer: a call placed since then, less than a second ago, is one
    // whose answer the engine is still waiting for.
    await waitFor(
      async () => fake.inFlight > 0 && fake.calls.some((c) => c.createdAt.getTime() >= slowFrom && Date.now() - c.createdAt.getTime() < 1_000),
      WAIT_MS,
      'a placed call not yet answered',
    );
    const kill2 = await crash(engine);
    fake.options.latencyMs = 0;
    const placedAtKill2 = new Map(fake.calls.map((c) => [numberOf(c), c.sid]));
    const inFlightAtKill2 = kill2.dialing.filter((c) => placedAtKill2.has(c.phone));
    expect(inFlightAtKill2.length).toBeGreaterThan(0);

    // Kill 3 — a contact claimed (`dialing`) and waiting for the pacer, its request not sent, nothing in flight.
    // Seen on two polls in a row, so it is a real wait and not the instant between claim and send.
    engine = startEngine('crash-3', SLOW_PACER);
    await engine.ready;
    let seen = new Set<string>();
    await waitFor(
      async () => {
        const placed = placedNumbers();
        const unsent = (await contacts({ call_status: 'dialing', runner_id: 'crash-3' })).filter((c) => !placed.has(c.phone));
        const again = fake.inFlight === 0 && unsent.some((c) => seen.has(String(c._id)));
        seen = new Set(unsent.map((c) => String(c._id)));
        return again;
      },
      WAIT_MS,
      'a claimed contact not yet sent',
    );
    const kill3 = await crash(engine);
    const placedAtKill3 = placedNumbers();
    const unsentAtKill3 = kill3.dialing.filter((c) => !placedAtKill3.has(c.phone));
    expect(unsentAtKill3.length).toBeGreaterThan(0);

    engine = startEngine('crash-4');
    await engine.ready;
    const done = await waitForStatus(store, id, 'completed', 60_000);
    await fake.settled();
    expect((await engine.stop()).code).toBe(0);

    // Every number placed exactly once, by Exotel's own log.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(CONTACTS);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);

    // No contact lost: each is in a final state, with the sid and outcome of its one call, after one attempt.
    const final = await contacts();
    expect(final).toHaveLength(CONTACTS);
    const callByNumber = new Map(fake.calls.map((c) => [numberOf(c), c]));
    for (const c of final) {
      const call = callByNumber.get(c.phone)!;
      expect({ phone: c.phone, status: c.call_status, sid: c.call_sid, attempts: c.attempts }).toEqual({
        phone: c.phone,
        status: call.outcome,
        sid: call.sid,
        attempts: 1,
      });
    }

    // Counters equal the truth recomputed from the fake's outcomes.
    const truth = outcomeTruth(fake.calls);
    expect(outcomeCounters(done)).toEqual(truth);
    expect(done.total_contacts).toBe(CONTACTS);

    // Recovery took the paths it should have:
    // outcomes whose callbacks were lost with process 1 came from call details;
    const detailsAsked = new Set(fake.requests.filter((r) => r.method === 'GET' && /\/Calls\/[^/]+\.json$/.test(r.path)).map((r) => r.path));
    for (const c of awaitingAtKill1) expect([...detailsAsked].some((p) => p.endsWith(`/Calls/${c.call_sid}.json`))).toBe(true);
    // attempts in flight at kill 2 kept the sid of the call already placed: either looked up in Exotel's call list,
    // or closed by the call's own status callback, which names the contact (CustomField) and arrived first;
    const callbackAfter = (sid: string | undefined, at: number) =>
      fake.callbacks.some((cb) => cb.callSid === sid && cb.at.getTime() > at && cb.status === 200);
    const listedAfter = (phone: string, at: number) =>
      fake.requests.some(
        (r) => r.method === 'GET' && r.path.endsWith('/Calls.json') && r.at.getTime() > at && (r.query['From'] ?? '').split(',').includes(`0${phone.slice(-10)}`),
      );
    for (const c of inFlightAtKill2) {
      expect(listedAfter(c.phone, kill2.at) || callbackAfter(placedAtKill2.get(c.phone), kill2.at)).toBe(true);
      expect(final.find((f) => f.phone === c.phone)!.call_sid).toBe(placedAtKill2.get(c.phone));
    }
    // attempts claimed but never sent at kill 3 were looked up, found absent, and dialled once by a later process.
    for (const c of unsentAtKill3) {
      expect(listedAfter(c.phone, kill3.at)).toBe(true);
      expect(callByNumber.get(c.phone)!.createdAt.getTime()).toBeGreaterThan(kill3.at);
    }
    // and no process claimed a contact while a dead runner's lease still held the campaign.
    for (const [runner, kill, claimedBy] of [
      ['crash-2', kill1, [...final, ...kill2.dialing]],
      ['crash-3', kill2, [...final, ...kill3.dialing]],
      ['crash-4', kill3, final],
    ] as const) {
      const claims = claimedBy.filter((c) => c.runner_id === runner).map((c) => c.claimed_at!.getTime());
      expect(claims.length).toBeGreaterThan(0);
      expect(Math.min(...claims)).toBeGreaterThanOrEqual(kill.leaseExpiresAt.getTime());
    }

    console.log(
      `[crash-recovery] kills at ${[kill1, kill2, kill3].map((k) => new Date(k.at).toISOString().slice(17, 23)).join(', ')}; ` +
        `lost callbacks ${lostSids.size}, in flight at kill 2: ${inFlightAtKill2.length}, claimed unsent at kill 3: ${unsentAtKill3.length}; ` +
        `outcomes ${JSON.stringify(truth)}; requests ${fake.requests.length}`,
    );
  }, 90_000);
});
