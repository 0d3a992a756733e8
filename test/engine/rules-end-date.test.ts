// A campaign's end date ("call until") under an injected business clock, with every process restarted between the
// jumps of the clock: a retry that would fall after the end is not scheduled; at the end date the campaign becomes
// `expired` even though every process was down when it passed; after it no first attempt and no retry is placed,
// not even when the hours are open, everyone is due and someone starts the campaign again; the contacts never called
// stay counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import type { Runtime } from '../../src/runtime.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCallOutcome, type FakeExotel } from '../fakes/fake-exotel.js';
import { callRecords, connectRequests, waitForOutcomes } from '../helpers/attempt-records.js';
import { BotProcesses } from '../helpers/bot-processes.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitForStatus } from '../helpers/engine-fixtures.js';
import { outcomeScript } from '../helpers/outcome-script.js';
import { TestClock, wallTime } from '../helpers/test-clock.js';

const HOURS = { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', tz: 'Asia/Kolkata', skip: [] };
const RETRY: RetryPolicy = {
  on: ['busy', 'no-answer'],
  max_attempts: 3,
  delays: { busy: 1800, 'no-answer': 7200, failed: 1800 },
  exponential: false,
};
const OWNER = { userId: 'U0OWNER' };
// Monday 9 March 2026, 20:30 IST: half an hour after that day's calling hours close.
const CALL_UNTIL = wallTime('2026-03-09 20:30');

const phones = phoneNumbers(4, '96');
const [e0, e1, e2, e3] = phones as [string, string, string, string];
const SCRIPT: Record<string, FakeCallOutcome[]> = {
  [e0]: ['busy', 'busy'],
  [e1]: ['no-answer'],
  [e2]: ['completed'],
  [e3]: ['busy', 'no-answer'],
};
const late = phoneNumbers(3, '95');

let store: Store;
let fake: FakeExotel;
let bots: BotProcesses;
const clock = new TestClock(wallTime('2026-03-09 18:00'));

beforeAll(async () => {
  store = await testStore('rules_end_date');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [100, 800], outcome: outcomeScript(SCRIPT), seed: 37 });
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
const contactOf = async (id: CampaignFields['_id'], phone: string) =>
  (await store.Contact.findOne({ campaign_id: id, phone }).lean()) as ContactFields;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inProcess<T>(at: string, phase: (runtime: Runtime) => Promise<T>): Promise<T> {
  clock.set(wallTime(at));
  const runtime = bots.open();
  try {
    return await phase(runtime);
  } finally {
    await bots.close(runtime);
  }
}

describe('an end date', () => {
  it('stops retries that would fall after it, expires the campaign with every process down, and nothing is placed after it', async () => {
    const { _id: id } = await seedCampaign(store, phones, { calling_hours: HOURS, retry: RETRY, call_until: CALL_UNTIL });

    // 18:50: everyone once. e1's no-answer would be retried at 20:50, after the end: it is final at once.
    await inProcess('2026-03-09 18:50', async (runtime) => {
      expect((await runtime.service.start(id, OWNER)).ok).toBe(true);
      await waitForOutcomes(store, id, 4);
      expect(await contactOf(id, e1)).toMatchObject({ call_status: 'no-answer', attempts: 1 });
      expect(await contactOf(id, e0)).toMatchObject({ call_status: 'pending', last_outcome: 'busy', attempts: 1 });
    });

    // 19:55: the busy ones again. e0 is busy (retry 20:25, before the end, but after hours); e3 does not answer
    // (21:55, after the end: final). At 20:05 three more contacts arrive; hours are closed.
    await inProcess('2026-03-09 19:55', async () => {
      await waitForOutcomes(store, id, 6);
      expect(await contactOf(id, e0)).toMatchObject({ call_status: 'pending', last_outcome: 'busy', attempts: 2 });
      expect(await contactOf(id, e3)).toMatchObject({ call_status: 'no-answer', attempts: 2 });
      clock.set(wallTime('2026-03-09 20:05'));
      await insertContacts(
        store,
        id,
        late.map((phone, i) => ({ phone, name: `Late ${i}`, description: '' })),
      );
      await pause(1_500);
      expect(requests()).toBe(6);
    });

    // 20:31, every process was down at 20:30: the first one up expires the campaign at once.
    await inProcess('2026-03-09 20:31', async () => {
      const expired = await waitForStatus(store, id, 'expired', 30_000);
      expect(expired.status_reason).toMatch(/end date passed/);
      // The three late contacts were never called; e0 still waited for its retry.
      expect(expired.counts).toMatchObject({ pending: 3, retrying: 1, completed: 1, 'no-answer': 2 });
      expect(await store.Contact.countDocuments({ campaign_id: id, tries: 0 })).toBe(3);
    });

    // Tuesday 10:00: hours are open and everyone left is due. Nothing is placed: a start is refused while the end
    // date has not moved (and were it let through, the dial gate's first turn would end it, as the gate tests show).
    await inProcess('2026-03-10 10:00', async (runtime) => {
      await pause(1_500);
      expect((await read(id)).status).toBe('expired');
      const restarted = await runtime.service.start(id, OWNER);
      expect(restarted).toMatchObject({ ok: false, reason: 'end-passed' });
      await pause(1_500);
      expect((await read(id)).status).toBe('expired');
    });

    expect(requests()).toBe(6);
    const calls = await callRecords(store, id);
    expect(calls).toHaveLength(6);
    for (const call of calls) expect(call.sent_at.getTime()).toBeLessThan(CALL_UNTIL.getTime());
    const never = (await store.Contact.find({ campaign_id: id, phone: { $in: late } }).lean()) as ContactFields[];
    expect(never.map((c) => [c.call_status, c.tries])).toEqual(late.map(() => ['pending', 0]));
  }, 240_000);
});
