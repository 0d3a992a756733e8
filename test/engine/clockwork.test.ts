// The time-of-day work (clockwork.ts): scheduled starts and end dates.
// - With an injected business clock: a campaign scheduled for 10:00 starts at 10:00 although every process restarted
//   at 09:59 (the first refresh of a process does what is overdue), and exactly one of two processes starts it;
//   unschedule stops it; a re-schedule moves it. `clockwork.refresh()` stands in for the minute tick, which runs on
//   real time.
// - On real time: node-cron's one-shot task does it at the exact second, for a schedule a few seconds ahead.
import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronPatternFor } from '../../src/engine/clockwork.js';
import type { Runtime } from '../../src/runtime.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { callRecords, connectRequests } from '../helpers/attempt-records.js';
import { BotProcesses } from '../helpers/bot-processes.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';
import { TestClock, wallTime } from '../helpers/test-clock.js';

const OWNER = { userId: 'U0OWNER' };

let store: Store;
let fake: FakeExotel;

beforeAll(async () => {
  store = await testStore('clockwork');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [100, 500], seed: 41 });
});
afterAll(async () => {
  await fake?.close();
});

const read = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Requests the fake received for these numbers. */
const requestsTo = (phones: string[]) =>
  connectRequests(fake).filter((r) => phones.some((p) => p.endsWith((r.form.From ?? '').slice(-10))));

interface StartSeen {
  runner: string;
  ok: boolean;
}

/** Records every scheduled start a process's clockwork attempts (it calls the service's startScheduled). */
function watchStarts(seen: StartSeen[]): (runtime: Runtime) => void {
  return (runtime) => {
    const original = runtime.service.startScheduled.bind(runtime.service);
    runtime.service.startScheduled = async (id, at) => {
      const result = await original(id, at);
      seen.push({ runner: runtime.engine.runnerId, ok: result.ok });
      return result;
    };
  };
}

describe('cronPatternFor', () => {
  it('matches exactly the instant’s second, read in UTC', () => {
    expect(cronPatternFor(new Date('2026-03-11T04:30:05Z'))).toBe('5 30 4 11 3 *');
    expect(cronPatternFor(wallTime('2026-12-31 23:59:59'))).toBe('59 29 18 31 12 *');
  });

  it('matches the second after an instant between two seconds, never the one before', () => {
    expect(cronPatternFor(new Date('2026-03-11T04:30:05.400Z'))).toBe('6 30 4 11 3 *');
    expect(cronPatternFor(new Date('2026-12-31T23:59:59.001Z'))).toBe('0 0 0 1 1 *');
  });
});

describe('scheduled starts with an injected clock', () => {
  const clock = new TestClock(wallTime('2026-03-11 09:00'));
  let bots: BotProcesses;
  beforeAll(async () => {
    bots = await BotProcesses.create(store, {
      env: exotelEnv(fake),
      overrides: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 300 }, now: clock.now },
    });
  });
  afterAll(async () => bots?.closeAll());

  it('starts at 10:00 a campaign scheduled for 10:00 when every process restarted at 09:59, by exactly one of two', async () => {
    const phones = phoneNumbers(3, '94');
    const { _id: id } = await seedCampaign(store, phones);
    clock.set(wallTime('2026-03-11 09:59'));
    const before = bots.open();
    expect(await before.service.schedule(id, OWNER, wallTime('2026-03-11 10:00'))).toMatchObject({
      ok: true,
      campaign: { status: 'scheduled' },
    });
    await before.clockwork.refresh();
    await pause(1_000);
    expect((await read(id)).status).toBe('scheduled');
    await bots.close(before);

    // Every process is down at 10:00; two come up together.
    clock.set(wallTime('2026-03-11 10:00'));
    const seen: StartSeen[] = [];
    const up = [bots.open({}, watchStarts(seen)), bots.open({}, watchStarts(seen))];
    const done = await waitForStatus(store, id, 'completed', 60_000);
    expect(done.started_at!.getTime() - wallTime('2026-03-11 10:00').getTime()).toBeGreaterThanOrEqual(0);
    expect(done.started_at!.getTime() - wallTime('2026-03-11 10:00').getTime()).toBeLessThan(10_000);
    expect(seen.filter((s) => s.ok)).toHaveLength(1);
    expect(seen).toHaveLength(1); // the other process's clockwork was told no by the job lease, not by the campaign
    expect(requestsTo(phones)).toHaveLength(3);
    for (const call of await callRecords(store, id))
      expect(call.sent_at.getTime()).toBeGreaterThanOrEqual(wallTime('2026-03-11 10:00').getTime());
    await Promise.all(up.map((r) => bots.close(r)));
  }, 120_000);

  it('does not start an unscheduled campaign, and starts a re-scheduled one at its new time', async () => {
    const [phonesA, phonesB] = [phoneNumbers(2, '93'), phoneNumbers(2, '92')];
    const { _id: a } = await seedCampaign(store, phonesA);
    const { _id: b } = await seedCampaign(store, phonesB);
    clock.set(wallTime('2026-03-12 09:59'));
    const proc = bots.open();
    await proc.service.schedule(a, OWNER, wallTime('2026-03-12 10:00'));
    await proc.service.schedule(b, OWNER, wallTime('2026-03-12 10:00'));
    await proc.clockwork.refresh();
    expect(await proc.service.unschedule(a, OWNER)).toMatchObject({ ok: true, campaign: { status: 'draft', scheduled_at: null } });
    const moved = await proc.service.schedule(b, OWNER, wallTime('2026-03-12 10:30'));
    expect(moved).toMatchObject({ ok: true, campaign: { status: 'scheduled', scheduled_at: wallTime('2026-03-12 10:30') } });

    clock.set(wallTime('2026-03-12 10:00:01'));
    await proc.clockwork.refresh();
    await pause(1_000);
    expect([(await read(a)).status, (await read(b)).status]).toEqual(['draft', 'scheduled']);
    await bots.close(proc);

    // Restarted at 10:30.
    clock.set(wallTime('2026-03-12 10:30'));
    const later = bots.open();
    const done = await waitForStatus(store, b, 'completed', 60_000);
    expect(done.started_at!.getTime()).toBeGreaterThanOrEqual(wallTime('2026-03-12 10:30').getTime());
    expect((await read(a)).status).toBe('draft');
    expect(requestsTo(phonesA)).toHaveLength(0);
    expect(requestsTo(phonesB)).toHaveLength(2);
    await bots.close(later);
  }, 120_000);
});

/**
 * Opens a process and waits for the refresh its clockwork does at start: a refresh asked for while one is under way
 * joins that one, which may have read the campaigns before the change a test is about to make.
 */
async function openSettled(bots: BotProcesses, beforeStart?: (runtime: Runtime) => void): Promise<Runtime> {
  const runtime = bots.open({}, beforeStart);
  await runtime.clockwork.refresh();
  return runtime;
}

/** A whole second at least `seconds` ahead, not near a minute's start (when the minute tick would do it anyway). */
function secondsAhead(seconds: number): Date {
  let t = Math.ceil(Date.now() / 1000) * 1000 + seconds * 1000;
  while (new Date(t).getUTCSeconds() < 3 || new Date(t).getUTCSeconds() > 54) t += 1000;
  return new Date(t);
}

describe('on real time, node-cron one-shot tasks', () => {
  let bots: BotProcesses;
  beforeAll(async () => {
    bots = await BotProcesses.create(store, {
      env: exotelEnv(fake),
      overrides: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 300 } },
    });
  });
  afterAll(async () => bots?.closeAll());

  it('start a scheduled campaign at its second, in exactly one of two processes', async () => {
    const phones = phoneNumbers(2, '91');
    const { _id: id } = await seedCampaign(store, phones);
    const seen: StartSeen[] = [];
    const procs = await Promise.all([openSettled(bots, watchStarts(seen)), openSettled(bots, watchStarts(seen))]);
    const at = secondsAhead(4);
    await procs[0]!.service.schedule(id, OWNER, at);
    // The minute tick gives each coming moment its task; do it now rather than wait for the next minute.
    await Promise.all(procs.map((p) => p.clockwork.refresh()));
    const running = await waitFor(async () => ((await read(id)).started_at ? read(id) : null), 30_000, 'the scheduled start');
    const lateMs = running.started_at!.getTime() - at.getTime();
    console.info(`scheduled start: ${lateMs} ms after its second`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(2_000);
    await waitForStatus(store, id, 'completed', 60_000);
    expect(seen).toEqual([{ runner: expect.any(String), ok: true }]);
    expect(requestsTo(phones)).toHaveLength(2);
    expect(requestsTo(phones).every((r) => r.at.getTime() >= at.getTime())).toBe(true);
    await Promise.all(procs.map((p) => bots.close(p)));
  }, 60_000);

  it('leave an unscheduled campaign alone and start a re-scheduled one at its new second', async () => {
    const [phonesX, phonesY] = [phoneNumbers(2, '90'), phoneNumbers(2, '89')];
    const { _id: x } = await seedCampaign(store, phonesX);
    const { _id: y } = await seedCampaign(store, phonesY);
    const proc = await openSettled(bots);
    const first = secondsAhead(3);
    await proc.service.schedule(x, OWNER, first);
    await proc.service.schedule(y, OWNER, first);
    await proc.clockwork.refresh();
    await proc.service.unschedule(x, OWNER);
    const second = new Date(first.getTime() + 3_000);
    await proc.service.schedule(y, OWNER, second);
    await proc.clockwork.refresh();
    // The tasks for the first time still fire; they find nothing scheduled for then.
    await pause(first.getTime() + 1_500 - Date.now());
    expect([(await read(x)).status, (await read(y)).status]).toEqual(['draft', 'scheduled']);
    const running = await waitFor(async () => ((await read(y)).started_at ? read(y) : null), 30_000, 'the re-scheduled start');
    const lateMs = running.started_at!.getTime() - second.getTime();
    console.info(`re-scheduled start: ${lateMs} ms after its second`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(2_000);
    await waitForStatus(store, y, 'completed', 60_000);
    expect((await read(x)).status).toBe('draft');
    expect(requestsTo(phonesX)).toHaveLength(0);
    await bots.close(proc);
  }, 60_000);

  it('end a campaign waiting for its calling hours at the second of its end date', async () => {
    const phones = phoneNumbers(2, '88');
    // Closed today and tomorrow (IST), so the run only waits.
    const today = DateTime.now().setZone('Asia/Kolkata');
    const skip = [today.toISODate()!, today.plus({ days: 1 }).toISODate()!];
    const hours = { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Asia/Kolkata', skip };
    const end = secondsAhead(8);
    const { _id: id } = await seedCampaign(store, phones, { calling_hours: hours, call_until: end });
    const proc = await openSettled(bots);
    expect((await proc.service.start(id, OWNER)).ok).toBe(true);
    await waitFor(async () => (await read(id)).dial_wait?.reason === 'outside-hours', 30_000, 'the run to wait for hours');
    await proc.clockwork.refresh();
    const expired = await waitForStatus(store, id, 'expired', 30_000);
    const lateMs = expired.completed_at!.getTime() - end.getTime();
    console.info(`end date: expired ${lateMs} ms after its second`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(2_000);
    expect(expired.counts.pending).toBe(2);
    expect(requestsTo(phones)).toHaveLength(0);
    await bots.close(proc);
  }, 60_000);

  it('do a moment that falls between two seconds at the second after it, never before', async () => {
    const [phonesS, phonesE] = [phoneNumbers(2, '84'), phoneNumbers(2, '83')];
    const closed = {
      days: [1, 2, 3, 4, 5, 6, 7],
      start: '00:00',
      end: '24:00',
      tz: 'UTC',
      skip: [DateTime.utc().toISODate()!, DateTime.utc().plus({ days: 1 }).toISODate()!],
    };
    const base = secondsAhead(6).getTime();
    const startAt = new Date(base + 400);
    const endAt = new Date(base + 600);
    const { _id: s } = await seedCampaign(store, phonesS);
    const { _id: e } = await seedCampaign(store, phonesE, { calling_hours: closed, call_until: endAt });
    const proc = await openSettled(bots);
    await proc.service.schedule(s, OWNER, startAt);
    expect((await proc.service.start(e, OWNER)).ok).toBe(true);
    await proc.clockwork.refresh();
    const started = await waitFor(async () => ((await read(s)).started_at ? read(s) : null), 30_000, 'the scheduled start');
    const expired = await waitForStatus(store, e, 'expired', 30_000);
    const late = { start: started.started_at!.getTime() - startAt.getTime(), end: expired.completed_at!.getTime() - endAt.getTime() };
    console.info(`between seconds: started ${late.start} ms and expired ${late.end} ms after the moment`);
    expect(late.start).toBeGreaterThanOrEqual(0);
    expect(late.start).toBeLessThan(2_000);
    expect(late.end).toBeGreaterThanOrEqual(0);
    expect(late.end).toBeLessThan(2_000);
    await waitForStatus(store, s, 'completed', 60_000);
    await bots.close(proc);
  }, 60_000);
});
