// Fair shares end to end: two campaigns with caps of 120 and 60 calls a minute share an account paced at 90 a minute,
// so they get 60 and 30. Run 1.5 times as fast: the account's "minute" is a 40 s window (90 requests per 40 s, which
// the fake Exotel enforces too), and the caps are scaled the same way (180 and 90 a real minute, i.e. 120 and 60 per
// window), because the engine derives the account's per-minute rate from the pacing window. Each campaign's requests
// are counted over a steady-state interval of two windows.
//
// Why not faster: a run takes its pacer turn, then passes the dial gate (five database round trips) before it asks
// for its next turn, so a campaign falls behind its share whenever pacer wait + gate exceed its gap between turns
// (667 ms here for the larger campaign), and the pacer wait alone is up to one account gap (449 ms here) when the
// other campaign's turn comes first. On a loaded 2-core machine, with FAST_SETTINGS' background reads, the test
// database made the gate take 100 ms on average with spikes to 700 ms: four times as fast (a 250 ms gap) the larger
// campaign got 46-50 a window instead of 60, twice as fast 44-56. Without fair shares both get about 45.
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { connectRequests } from '../helpers/attempt-records.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const WINDOW_MS = 40_000;
const SPEED = 60_000 / WINDOW_MS;
const ACCOUNT = 90;
const CAPS = { a: 120, b: 60 };
const EXPECTED = { a: 60, b: 30 };
/** Counted after both campaigns have dialled a while, over this many windows. */
const WARM_UP_MS = 4_000;
const WINDOWS = 2;
const TOLERANCE = 0.15;

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('fair_share_live');
  fake = await startFakeExotel({ callsPerMinute: ACCOUNT, windowMs: WINDOW_MS, callbackDelayMs: [20, 300], secondMs: 1000, seed: 47 });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'fair-share-webhook-secret-0123' }), {
    // Fewer background reads than FAST_SETTINGS (ticks, status checks, reconciling): the database is what slows the
    // dial gate down on a busy machine, and nothing here needs a quick reaction.
    runtime: {
      settings: { ...FAST_SETTINGS, tickMs: 1_000, statusCheckMs: 1_000, reconcileEveryMs: 2_000 },
      pacing: { callsPerMinute: ACCOUNT, windowMs: WINDOW_MS },
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('two campaigns with caps 120 and 60 sharing an account pace of 90', () => {
  it('get about 60 and 30 calls a minute', async () => {
    // More contacts than either can call during the test.
    const a = await seedCampaign(store, phoneNumbers(200, '86'), { calls_per_minute: CAPS.a * SPEED });
    const b = await seedCampaign(store, phoneNumbers(100, '85'), { calls_per_minute: CAPS.b * SPEED });
    const start = (id: Types.ObjectId) => app.runtime.transitions.apply(id, 'start', { set: { mode: 'live' } });
    expect((await Promise.all([start(a._id), start(b._id)])).every((r) => r.ok)).toBe(true);

    const of = (prefix: string) => (from: string | undefined) => (from ?? '').slice(-10).startsWith(prefix);
    const [isA, isB] = [of('86'), of('85')];
    await waitFor(
      async () =>
        connectRequests(fake).filter((r) => isA(r.form.From)).length > 5 &&
        connectRequests(fake).filter((r) => isB(r.form.From)).length > 5,
      30_000,
      'both campaigns to dial',
    );
    const from = Date.now() + WARM_UP_MS;
    const to = from + WINDOWS * WINDOW_MS;
    await new Promise((r) => setTimeout(r, to - Date.now() + 500));
    for (const id of [a._id, b._id]) await app.runtime.transitions.apply(id, 'stop');
    const counted = connectRequests(fake).filter((r) => r.at.getTime() >= from && r.at.getTime() < to);
    const perWindow = (is: (f: string | undefined) => boolean) => counted.filter((r) => is(r.form.From)).length / WINDOWS;
    const got = { a: perWindow(isA), b: perWindow(isB) };
    console.info(
      `calls per account minute (${WINDOW_MS / 1000} s window): a ${got.a}, b ${got.b}; expected ${EXPECTED.a} and ${EXPECTED.b}`,
    );
    expect(got.a).toBeGreaterThanOrEqual(EXPECTED.a * (1 - TOLERANCE));
    expect(got.a).toBeLessThanOrEqual(EXPECTED.a * (1 + TOLERANCE));
    expect(got.b).toBeGreaterThanOrEqual(EXPECTED.b * (1 - TOLERANCE));
    expect(got.b).toBeLessThanOrEqual(EXPECTED.b * (1 + TOLERANCE));
    // And never more than the account's pace: the fake refused nothing.
    expect(fake.violations).toBe(0);
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
  }, 180_000);
});
