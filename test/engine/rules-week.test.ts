// A week of one campaign under its dialling rules, driven by an injected business clock, with every process restarted
// between the jumps of the clock: calling days and hours (Mon-Sat 09:00-20:00 IST) with a holiday, retries spaced per
// outcome (busy 30 min, no answer 2 h), one attempt cap (3) across mixed outcomes and manual retries. The fake Exotel
// records when each request arrived; the clock maps that to the business time the engine read then, and the bot's
// call records (written with the same clock) must agree.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import type { CallFields } from '../../src/store/call-model.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCallOutcome, type FakeExotel } from '../fakes/fake-exotel.js';
import { callRecords, connectRequests, waitForOutcomes } from '../helpers/attempt-records.js';
import { BotProcesses } from '../helpers/bot-processes.js';
import { testStore } from '../helpers/database.js';
import {
  exotelEnv,
  FAST_SETTINGS,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { outcomeScript } from '../helpers/outcome-script.js';
import { TestClock, wallTime } from '../helpers/test-clock.js';

const ZONE = 'Asia/Kolkata';
// Sun 1 March 2026 … Wed 4 March; Tuesday 3 March is a holiday.
const HOLIDAY = '2026-03-03';
const HOURS = { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', tz: ZONE, skip: [HOLIDAY] };
const DELAYS = { busy: 1800, 'no-answer': 7200, failed: 1800 };
const RETRY: RetryPolicy = { on: ['busy', 'no-answer'], max_attempts: 3, delays: DELAYS, exponential: false };
const OWNER = { userId: 'U0OWNER' };

/** Whether calls are allowed at `at` by the rules above, worked out here without the bot's code. */
function allowed(at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: ZONE });
  const minute = local.hour * 60 + local.minute;
  return local.weekday <= 6 && local.toISODate() !== HOLIDAY && minute >= 9 * 60 && minute < 20 * 60;
}

const phones = phoneNumbers(8, '97');
const [c0, c1, c2, c3, c4, c5, c6, c7] = phones as [string, string, string, string, string, string, string, string];
/** What each number's calls do, in order. c4 and c6 end `failed` (not retried by the rules) and are retried by hand. */
const SCRIPT: Record<string, FakeCallOutcome[]> = {
  [c0]: ['completed'],
  [c1]: ['busy', 'busy', 'busy'],
  [c2]: ['no-answer', 'completed'],
  [c3]: ['busy', 'no-answer', 'completed'],
  [c4]: ['failed', 'busy', 'completed'],
  [c5]: ['no-answer', 'no-answer', 'no-answer'],
  [c6]: ['busy', 'failed', 'busy'],
  [c7]: ['completed'],
};

let store: Store;
let fake: FakeExotel;
let bots: BotProcesses;
const clock = new TestClock(wallTime('2026-03-01 09:00'));

beforeAll(async () => {
  store = await testStore('rules_week');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [100, 800], outcome: outcomeScript(SCRIPT), seed: 31 });
  // No PUBLIC_URL: outcomes come from call details, so a restart loses no callback.
  bots = await BotProcesses.create(store, {
    env: exotelEnv(fake, { EXOTEL_MAX_LIVE_CALLS: '10' }),
    overrides: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 300 }, now: clock.now },
  });
});
afterAll(async () => {
  await bots?.closeAll();
  await fake?.close();
});

const requests = () => connectRequests(fake).length;
const read = async (id: CampaignFields['_id']) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `phase` in a fresh process, then shuts that process down: every clock jump below happens with no process up. */
async function inProcess<T>(at: string, phase: (runtime: Runtime) => Promise<T>): Promise<T> {
  clock.set(wallTime(at));
  const runtime = bots.open();
  try {
    return await phase(runtime);
  } finally {
    await bots.close(runtime);
  }
}

/** Waits until the campaign says it waits for calling hours that open at `opens`. */
async function waitsForHours(id: CampaignFields['_id'], opens: string): Promise<void> {
  const until = wallTime(opens).getTime();
  await waitFor(
    async () => {
      const c = await read(id);
      return c.dial_wait?.reason === 'outside-hours' && c.dial_wait.until?.getTime() === until;
    },
    30_000,
    `the campaign to wait for calling hours until ${opens}`,
  );
}

describe('a week of a campaign under its rules, with restarts', () => {
  it('calls only in its days and hours, spaces retries, honours the attempt cap across manual retries', async () => {
    const seeded = await seedCampaign(store, phones, { calling_hours: HOURS, retry: RETRY });
    const id = seeded._id;
    const manualAt = new Map<string, Date>();

    // Sunday 10:00: started, but Sunday is not a calling day. It waits for Monday 09:00 and calls nobody.
    await inProcess('2026-03-01 10:00', async (runtime) => {
      expect((await runtime.service.start(id, OWNER)).ok).toBe(true);
      await waitsForHours(id, '2026-03-02 09:00');
      await pause(1_000);
      expect(requests()).toBe(0);
    });

    // Monday 08:59:57, after a restart: at 09:00 it resumes by itself and calls everyone once.
    await inProcess('2026-03-02 08:59:57', async () => {
      await waitForOutcomes(store, id, 8);
      expect(requests()).toBe(8);
    });

    // Monday 09:25, restarted: the busy numbers are due 30 min after their outcome (about 09:30), nothing before.
    await inProcess('2026-03-02 09:25', async () => {
      await pause(1_500);
      expect(requests()).toBe(8);
      // Nothing is live or due: the clock moves on while this process runs, and the busy ones are called.
      clock.set(wallTime('2026-03-02 09:31:30'));
      await waitForOutcomes(store, id, 11);
      expect(requests()).toBe(11); // c1, c3 and c6; the unanswered ones wait for 11:00
    });

    // Monday 19:50: everything due is called; c5's second no-answer puts its retry at 21:50, after hours.
    await inProcess('2026-03-02 19:50', async (runtime) => {
      await waitForOutcomes(store, id, 15);
      expect(requests()).toBe(15); // c1 (3rd, cap), c2, c3 (3rd), c5 (2nd)
      clock.set(wallTime('2026-03-02 21:55'));
      // Tuesday is a holiday: the next opening is Wednesday 09:00.
      await waitsForHours(id, '2026-03-04 09:00');
      // A manual retry: c4 (failed once) and c6 (failed on its 2nd) come back; c1 has had its 3 attempts.
      const retried = await runtime.service.retry(id, OWNER);
      expect(retried).toMatchObject({ ok: true, requeued: 2, atCap: 1 });
      for (const phone of [c4, c6]) manualAt.set(phone, clock.now());
      await pause(1_500);
      expect(requests()).toBe(15);
    });

    // Tuesday 11:00, the holiday: a new process adopts the campaign and calls nobody.
    await inProcess('2026-03-03 11:00', async (runtime) => {
      await waitFor(async () => (await read(id)).runner_id === runtime.engine.runnerId, 30_000, 'the new process to adopt the campaign');
      await pause(1_500);
      expect(requests()).toBe(15);
      expect((await read(id)).dial_wait).toMatchObject({ reason: 'outside-hours', until: wallTime('2026-03-04 09:00') });
    });

    // Wednesday 08:59:58: at 09:00 the retry due since Monday night and the two manual retries go out.
    await inProcess('2026-03-04 08:59:58', async (runtime) => {
      await waitForOutcomes(store, id, 18);
      expect(requests()).toBe(18); // c5 (3rd, cap), c4 (2nd, busy), c6 (3rd, cap)
      const again = await runtime.service.retry(id, OWNER);
      expect(again).toMatchObject({ ok: false, reason: 'nothing-to-call', atCap: 3 });
    });

    // Wednesday 09:20, restarted; c4's busy retry is due about 09:30: it is called then, and the campaign is done.
    await inProcess('2026-03-04 09:20', async (runtime) => {
      await pause(1_500);
      expect(requests()).toBe(18);
      clock.set(wallTime('2026-03-04 09:31:30'));
      const done = await waitForStatus(store, id, 'completed', 60_000);
      expect(requests()).toBe(19);
      expect(done.counts).toMatchObject({ completed: 5, busy: 2, 'no-answer': 1, pending: 0, retrying: 0 });
      // Every number not reached has had its 3 attempts: a start has nobody to call.
      expect(await runtime.service.start(id, OWNER)).toMatchObject({ ok: false, reason: 'nothing-to-call', atCap: 3 });
    });

    await expectRules(id, manualAt);
  }, 300_000);
});

/** The whole week's requests against the rules. */
async function expectRules(id: CampaignFields['_id'], manualAt: Map<string, Date>): Promise<void> {
  const calls = await callRecords(store, id);
  const byKey = new Map(calls.map((c) => [c._id, c]));
  const sent = connectRequests(fake);
  expect(sent).toHaveLength(19);
  expect(calls).toHaveLength(19);
  for (const request of sent) {
    const arrived = clock.at(request.at);
    const record = byKey.get(request.form.CustomField ?? '');
    // No request outside the calling days and hours, or on the holiday, by the clock or by the bot's own record.
    expect({ arrived: arrived.toISOString(), allowed: allowed(arrived) }).toEqual({ arrived: arrived.toISOString(), allowed: true });
    expect(record, `call record of ${request.form.CustomField}`).toBeDefined();
    expect(allowed(record!.sent_at)).toBe(true);
    expect(arrived.getTime() - record!.sent_at.getTime()).toBeGreaterThanOrEqual(0);
    expect(arrived.getTime() - record!.sent_at.getTime()).toBeLessThan(5_000);
  }

  // Placed calls per number: the script, cut at 3 attempts.
  expect(Object.fromEntries(placedPerNumber(fake))).toEqual(Object.fromEntries(phones.map((p) => [p, SCRIPT[p]!.length])));
  const contacts = (await store.Contact.find({ campaign_id: id }).lean()) as ContactFields[];
  for (const contact of contacts) {
    expect(contact.attempts).toBeLessThanOrEqual(3);
    expect(contact.call_status).toBe(SCRIPT[contact.phone]!.at(-1));
  }

  // Each automatic retry came only after its outcome's delay; a manual one only after it was asked for.
  const phoneOf = new Map(contacts.map((c) => [c._id, c.phone]));
  let retries = 0;
  for (const [i, call] of calls.entries()) {
    const before: CallFields | undefined = calls[i - 1];
    if (!before || before.contact_id !== call.contact_id) continue;
    retries += 1;
    // `failed` is not retried by these rules: the next attempt of a failed call was a manual retry.
    const earliest =
      before.state === 'failed'
        ? manualAt.get(phoneOf.get(call.contact_id)!)!.getTime()
        : before.outcome_at!.getTime() + DELAYS[before.state as 'busy' | 'no-answer'] * 1000;
    expect(call.sent_at.getTime(), `${call._id} after ${before.state}`).toBeGreaterThanOrEqual(earliest);
  }
  expect(retries).toBe(11);
}
