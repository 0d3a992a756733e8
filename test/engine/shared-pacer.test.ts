// Exotel's limit is per account: two engines dialling for one account on one database must stay within it together.
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Pacer } from '../../src/engine/pacer.js';
import { SharedPacer, SharedWindow, type CallPacer } from '../../src/engine/shared-pacer.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitForStatus } from '../helpers/engine-fixtures.js';
import { testEnv } from '../helpers/test-env.js';

const LIMIT = 20;
const WINDOW_MS = 2_000;
const CONTACTS = 40;
const GUARD_MS = 150;

let store: Store;
beforeAll(async () => {
  store = await testStore('shared_pacer');
});

const log = createLogger({ level: 'silent', destination: { write: () => {} } as never, pretty: false });

async function twoEngines(fake: FakeExotel, pacerFor: (runner: string) => CallPacer): Promise<Runtime[]> {
  const config = loadConfig(testEnv(exotelEnv(fake)));
  return ['engine-a', 'engine-b'].map((runnerId) =>
    createRuntime(config, store, log, { runnerId, settings: FAST_SETTINGS, pacer: pacerFor(runnerId) }),
  );
}

/** One campaign per engine, each already leased to its engine so both dial at once. */
async function dialBoth(runtimes: Runtime[], prefixes: [string, string]) {
  const ids: Types.ObjectId[] = [];
  for (const [i, runtime] of runtimes.entries()) {
    const campaign = await seedCampaign(store, phoneNumbers(CONTACTS, prefixes[i]), {
      status: 'running',
      started_at: new Date(),
      runner_id: runtime.engine.runnerId,
      lease_expires_at: new Date(Date.now() + 60_000),
    });
    ids.push(campaign._id);
  }
  for (const runtime of runtimes) runtime.engine.start();
  try {
    for (const id of ids) await waitForStatus(store, id, 'completed', 90_000);
  } finally {
    await Promise.all(runtimes.map((r) => r.engine.stop()));
  }
}

describe('two engines on one database and one Exotel account', () => {
  let fake: FakeExotel;
  afterAll(async () => fake?.close());

  it('share the account window: no 429, every number once, both dialling at the same time', async () => {
    fake = await startFakeExotel({ callsPerMinute: LIMIT, windowMs: WINDOW_MS, callbackDelayMs: [20, 200], seed: 21 });
    const runtimes = await twoEngines(fake, () =>
      new SharedPacer(
        // The guard covers the time from taking a slot to the request's arrival (a database write, then HTTP);
        // production uses 300 ms on a 60 s window.
        new Pacer({ callsPerMinute: LIMIT, windowMs: WINDOW_MS, guardMs: GUARD_MS }),
        new SharedWindow(store, { account: 'ACshared', limit: LIMIT, spanMs: WINDOW_MS + GUARD_MS }),
        log,
      ),
    );
    await dialBoth(runtimes, ['93', '94']);
    expect(fake.violations).toBe(0);
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(2 * CONTACTS);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);
    // Both engines dialled during the same seconds.
    const times = (p: string) => fake.calls.filter((c) => c.fromEcho.startsWith(`0${p}`)).map((c) => c.createdAt.getTime());
    const [a, b] = [times('93'), times('94')];
    expect(Math.min(...b)).toBeLessThan(Math.max(...a));
    expect(Math.min(...a)).toBeLessThan(Math.max(...b));
  }, 120_000);
});

describe('the control: the same two engines pacing each on its own', () => {
  let fake: FakeExotel;
  afterAll(async () => fake?.close());

  it('go over the account limit (which is what the shared window prevents)', async () => {
    fake = await startFakeExotel({ callsPerMinute: LIMIT, windowMs: WINDOW_MS, callbackDelayMs: [20, 200], seed: 22 });
    const runtimes = await twoEngines(fake, () => new Pacer({ callsPerMinute: LIMIT, windowMs: WINDOW_MS, guardMs: GUARD_MS }));
    await dialBoth(runtimes, ['91', '92']);
    expect(fake.violations).toBeGreaterThan(0);
  }, 120_000);
});
