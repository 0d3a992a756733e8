// A campaign's calling hours close while its calls wait for their turn in the account's pacer: no connect.json
// request reaches Exotel after the window's end, the campaigns wait (dial_wait: outside-hours, until the opening) and
// carry on by themselves when the hours open again.
//
// The shortest closed spell calling hours allow is a minute (00:00–23:59 closes at 23:59 and opens at midnight). The
// engine gets a clock set back (less than an hour) so that its local time is 23:58:52 in a whole-hour zone when the
// campaigns start: the window closes about 8 s later and opens a real minute after that. Only the engine's clock is
// shifted; the fake Exotel records real times, which the test maps back.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Types } from 'mongoose';
import { AccountPacer } from '../../src/engine/account-pacer.js';
import { createLogger } from '../../src/logger.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
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

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Engine local time when the campaigns start. */
const START_TIME_OF_DAY = (23 * 60 + 58) * 60_000 + 52_000;
const CLOSE_TIME_OF_DAY = (23 * 60 + 59) * 60_000;
/** One request a second for the account, while each of the two campaigns would go at one a second on its own: both
 * runs spend most of their time waiting in the account's pacer. */
const ACCOUNT_RATE = 60;
const CONTACTS_EACH = 10;

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let pacer: AccountPacer;
const clock = { offsetMs: 0 };

/**
 * The whole-hour zone (Etc/GMT±N) and the clock offset (≤ 0, under an hour) that make the engine's local time
 * START_TIME_OF_DAY at real time `at`.
 */
function shiftFor(at: number): { tz: string; offsetMs: number } {
  let best = { tz: 'UTC', offsetMs: -DAY };
  for (let hours = -12; hours <= 14; hours++) {
    const timeOfDay = (((at + hours * HOUR) % DAY) + DAY) % DAY;
    const behind = (((timeOfDay - START_TIME_OF_DAY) % DAY) + DAY) % DAY;
    // Etc/GMT names have the sign the other way round: Etc/GMT-5 is UTC+05:00.
    const tz = hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
    if (-behind > best.offsetMs) best = { tz, offsetMs: -behind };
  }
  return best;
}

beforeAll(async () => {
  store = await testStore('window_closes');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [200, 1_500], seed: 3 });
  pacer = new AccountPacer(store.PacerState, {
    account: fake.accountSid,
    callsPerMinute: ACCOUNT_RATE,
    log: createLogger({ level: 'silent', pretty: false }),
  });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'window-webhook-secret-0123456789' }), {
    runtime: {
      settings: FAST_SETTINGS,
      pacer,
      // The campaigns' own pace: the account's rate shared by two campaigns, each far above what the pacer gives.
      pacing: { callsPerMinute: 4 * ACCOUNT_RATE },
      now: () => new Date(Date.now() + clock.offsetMs),
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const read = async (id: Types.ObjectId) => (await store.Campaign.findById(id).lean()) as CampaignFields;

describe('calling hours that close while calls wait in the pacer', () => {
  it('get no request after their end, wait, and resume by themselves when the hours open', async () => {
    const startAt = Date.now() + 2_000;
    const { tz, offsetMs } = shiftFor(startAt);
    const hours = { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59', tz, skip: [] };
    const campaigns = [
      await seedCampaign(store, phoneNumbers(CONTACTS_EACH, '91'), { calling_hours: hours }),
      await seedCampaign(store, phoneNumbers(CONTACTS_EACH, '90'), { calling_hours: hours }),
    ];
    const ids = campaigns.map((c) => c._id);
    onTestFailed(async () => {
      console.error(
        JSON.stringify({
          tz,
          offsetMs,
          campaigns: await Promise.all(ids.map(read)),
          requests: fake.requests.map((r) => [r.at.toISOString(), r.method, r.outcome]),
        }),
      );
    });
    while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 10));
    clock.offsetMs = offsetMs;
    const closeAt = startAt + (CLOSE_TIME_OF_DAY - START_TIME_OF_DAY);
    const openAt = closeAt + 60_000;
    /** The same instants on the engine's clock. */
    const engineOpenAt = new Date(openAt + offsetMs);

    // Who waits in the pacer, sampled.
    const samples: Array<{ at: number; waiting: number }> = [];
    const sampler = setInterval(() => samples.push({ at: Date.now(), waiting: pacer.waiting }), 20);
    try {
      for (const id of ids) expect((await app.runtime.service.start(id, { userId: 'U0OWNER' })).ok).toBe(true);

      // Closed: both campaigns still running, waiting for the hours to open.
      await waitFor(async () => Date.now() > closeAt + 1_000, 30_000, 'the window to close');
      for (const id of ids) {
        const c = await waitFor(
          async () => {
            const c = await read(id);
            return c.dial_wait.until?.getTime() === engineOpenAt.getTime() ? c : null;
          },
          20_000,
          'the campaign to wait for the opening',
        );
        expect(c.status).toBe('running');
        expect(c.dial_wait.reason).toBe('outside-hours');
      }
      expect(Date.now()).toBeLessThan(openAt);

      for (const id of ids) await waitForStatus(store, id, 'completed', openAt - Date.now() + 90_000);
    } finally {
      clearInterval(sampler);
    }
    await fake.settled();

    const connects = fake.requests.filter((r) => r.method === 'POST').map((r) => r.at.getTime());
    const closed = connects.filter((t) => t >= closeAt && t < openAt);
    expect(closed.map((t) => `${t - closeAt} ms after the end`)).toEqual([]);
    // It dialled before the close and again after the opening.
    expect(connects.filter((t) => t < closeAt).length).toBeGreaterThan(0);
    expect(connects.filter((t) => t >= openAt).length).toBeGreaterThan(0);
    // As the window closed (the gate stops one stall limit, 2 s, before the end), calls waited for their turn in the pacer.
    const aroundClose = samples.filter((s) => s.at >= closeAt - 5_000 && s.at <= closeAt);
    expect(Math.max(0, ...aroundClose.map((s) => s.waiting))).toBeGreaterThan(0);

    // Nothing lost or doubled over the pause.
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(2 * CONTACTS_EACH);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);

    const beforeClose = connects.filter((t) => t < closeAt);
    console.log(
      `[window-closes] zone ${tz}, engine clock ${Math.round(offsetMs / 1000)} s; ${beforeClose.length} requests before the end ` +
        `(last ${closeAt - Math.max(...beforeClose)} ms before it), 0 while closed, ${connects.length - beforeClose.length} after the opening ` +
        `(first ${Math.min(...connects.filter((t) => t >= openAt)) - openAt} ms after it); most waiting in the pacer at the close: ${Math.max(...aroundClose.map((s) => s.waiting))}`,
    );
  }, 200_000);
});
