// Chores that exactly one process of many should do at a time (the account's reconciler) and timed jobs that exactly
// one process should do once (a calling window opening, a scheduled start): whoever writes the lease document first
// holds it until it expires or is renewed.
import type { Store } from '../store/store.js';

export class JobLeases {
  constructor(
    private readonly store: Store,
    private readonly holder: string,
  ) {}

  /** True when this process holds `name` for `ttlMs` from now (taken or renewed). */
  async hold(name: string, ttlMs: number, now = new Date()): Promise<boolean> {
    try {
      const lease = await this.store.JobLease.findOneAndUpdate(
        { _id: name, $or: [{ holder: this.holder }, { until: { $lte: now } }] },
        { $set: { holder: this.holder, until: new Date(now.getTime() + ttlMs) } },
        { upsert: true, returnDocument: 'after' },
      ).lean();
      return lease?.holder === this.holder;
    } catch (error) {
      // Another process holds it: the upsert ran into its document.
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }

  /** Gives `name` back if this process holds it. */
  async release(name: string): Promise<void> {
    await this.store.JobLease.deleteOne({ _id: name, holder: this.holder });
  }
}
