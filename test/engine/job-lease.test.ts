// Job leases on the real test database: exactly one holder of a chore at a time, renewals by the holder only, a
// takeover only after expiry, and exactly one winner when many processes ask at once.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobLeases } from '../../src/engine/job-lease.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('job_lease');
});

const job = () => `reconciler:AC${randomBytes(4).toString('hex')}`;

describe('JobLeases', () => {
  it('one holder at a time: another process is refused until the lease expires, then takes it', async () => {
    const name = job();
    const a = new JobLeases(store, 'proc-a');
    const b = new JobLeases(store, 'proc-b');
    const t = Date.now();

    expect(await a.hold(name, 1_000, new Date(t))).toBe(true);
    expect(await b.hold(name, 1_000, new Date(t + 500))).toBe(false);
    // The holder renews: the lease now runs to t + 600 + 1000.
    expect(await a.hold(name, 1_000, new Date(t + 600))).toBe(true);
    expect(await b.hold(name, 1_000, new Date(t + 1_200))).toBe(false);
    expect(await b.hold(name, 1_000, new Date(t + 1_600))).toBe(true);
    // The old holder lost it, and cannot renew what is no longer its own.
    expect(await a.hold(name, 1_000, new Date(t + 1_700))).toBe(false);
    expect(await store.JobLease.findById(name).lean()).toMatchObject({ holder: 'proc-b', until: new Date(t + 2_600) });
  });

  it('release gives the job back only if this process holds it', async () => {
    const name = job();
    const a = new JobLeases(store, 'proc-a');
    const b = new JobLeases(store, 'proc-b');
    expect(await a.hold(name, 60_000)).toBe(true);
    await b.release(name);
    expect(await b.hold(name, 60_000)).toBe(false);
    await a.release(name);
    expect(await b.hold(name, 60_000)).toBe(true);
  });

  it('different jobs are independent', async () => {
    const a = new JobLeases(store, 'proc-a');
    const b = new JobLeases(store, 'proc-b');
    const [one, two] = [job(), job()];
    expect(await a.hold(one, 60_000)).toBe(true);
    expect(await b.hold(two, 60_000)).toBe(true);
    expect(await a.hold(two, 60_000)).toBe(false);
  });

  it('of many processes asking for a new job at once, exactly one gets it', async () => {
    for (let round = 0; round < 5; round++) {
      const name = job();
      const processes = Array.from({ length: 8 }, (_, i) => new JobLeases(store, `proc-${i}`));
      const results = await Promise.all(processes.map((p) => p.hold(name, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = processes[results.indexOf(true)]!;
      expect((await store.JobLease.findById(name).lean())?.holder).toBe(`proc-${processes.indexOf(winner)}`);
    }
  });

  it('of many processes asking for an expired job at once, exactly one takes it over', async () => {
    const name = job();
    const t = Date.now();
    expect(await new JobLeases(store, 'old').hold(name, 100, new Date(t - 1_000))).toBe(true);
    const processes = Array.from({ length: 8 }, (_, i) => new JobLeases(store, `proc-${i}`));
    const results = await Promise.all(processes.map((p) => p.hold(name, 60_000, new Date(t))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
