// The engine's scheduler: a tick that adopts running campaigns whose lease is free or expired, renews the leases of
// this process's runs (stopping a run whose campaign is no longer running or whose lease another process took),
// and flushes counters. A pause or stop made in this process stops the run at once through CampaignEvents; one
// made in another process is noticed at the next tick.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { StatusChange } from '../campaigns/campaign-events.js';
import type { Logger } from '../logger.js';
import { CampaignRun, type RunDeps, type RunSettings } from './campaign-run.js';
import { DEFAULT_RECONCILER_SETTINGS, Reconciler, type ReconcilerSettings } from './reconciler.js';

export interface EngineSettings extends RunSettings {
  /** How often the scheduler ticks. Default 2000 ms. */
  tickMs: number;
  /** How long a lease lasts without renewal; another process adopts the campaign after that. Default 30 s. */
  leaseMs: number;
  /** How often to look for stopped campaigns whose calls still await an outcome. Default 30 s. */
  idleReconcileEveryMs: number;
  reconciler: ReconcilerSettings;
}

export const DEFAULT_ENGINE_TIMING = {
  tickMs: 2_000,
  leaseMs: 30_000,
  idleReconcileEveryMs: 30_000,
  pollAfterMs: 120_000,
  retryableDelayMs: 5_000,
  idleMs: 1_000,
  statusCheckMs: 2_000,
  reconcileEveryMs: 2_000,
  reconciler: DEFAULT_RECONCILER_SETTINGS,
} satisfies Partial<EngineSettings>;

/** What the engine shares with its runs; it adds the reconciler, the runner id and the lease check itself. */
export interface EngineDeps extends Omit<RunDeps, 'reconciler' | 'runnerId' | 'leaseValid' | 'settings'> {
  settings: EngineSettings;
  /** Identifies this process in leases. Default host:pid:random. */
  runnerId?: string;
}

export class Engine {
  readonly runnerId: string;
  readonly #deps: EngineDeps;
  readonly #log: Logger;
  readonly #runs = new Map<string, { run: CampaignRun; leaseUntil: number }>();
  readonly #reconciler: Reconciler;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #idleCheckedAt = 0;
  #idleAbort = new AbortController();
  readonly #onStatus = (change: StatusChange) => this.#statusChanged(change);

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.runnerId = deps.runnerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#log = deps.log.child({ component: 'engine', runner: this.runnerId });
    this.#reconciler = new Reconciler(deps.store, deps.state, deps.dialer, deps.pacer, this.#log, deps.settings.reconciler);
  }

  /** Campaign ids this process is running now. */
  get running(): string[] {
    return [...this.#runs.keys()];
  }

  start(): void {
    this.#stopped = false;
    this.#idleAbort = new AbortController();
    this.#deps.events.on('status', this.#onStatus);
    this.#log.info({ rehearsal: this.#deps.dialer.rehearsal }, 'engine started');
    this.#schedule(0);
  }

  /** Stops every run (requests in flight are recorded), flushes counters and releases leases. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#deps.events.off('status', this.#onStatus);
    this.#idleAbort.abort(new Error('engine stopping'));
    await this.#ticking;
    await Promise.all([...this.#runs.values()].map(({ run }) => run.stop('engine stopping')));
    await this.#deps.counters.flush(this.#deps.store).catch((error: unknown) => this.#log.warn({ err: error }, 'final counter flush failed'));
    this.#log.info('engine stopped');
  }

  /** Runs one tick now (tests, and after a status change in this process). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.tick().finally(() => this.#schedule(this.#deps.settings.tickMs));
    }, ms);
  }

  async #tick(): Promise<void> {
    try {
      await this.#renewLeases();
      await this.#adopt();
      await this.#deps.counters.flush(this.#deps.store);
      await this.#reconcileIdle();
    } catch (error) {
      if (!this.#stopped) this.#log.warn({ err: error }, 'engine tick failed; will try again');
    }
  }

  /**
   * Calls still ringing when a campaign was stopped have outcomes too. Running campaigns reconcile in their runs and
   * a paused one when it resumes (nothing at all is sent to Exotel for a paused campaign); a stopped one has no run,
   * so the scheduler checks it now and then (any process may: every change is conditional and idempotent).
   */
  async #reconcileIdle(): Promise<void> {
    const { store, settings } = this.#deps;
    if (Date.now() - this.#idleCheckedAt < settings.idleReconcileEveryMs) return;
    this.#idleCheckedAt = Date.now();
    const due = await store.Contact.find(
      { call_status: { $in: ['initiated', 'unknown'] }, check_after: { $lte: new Date() } },
      { campaign_id: 1 },
    )
      .limit(500)
      .lean();
    const ids = [...new Set(due.map((c) => String(c.campaign_id)))].filter((id) => !this.#runs.has(id));
    if (ids.length === 0) return;
    const idle = await store.Campaign.find({ _id: { $in: ids }, status: 'stopped' }, { _id: 1 }).lean();
    for (const { _id } of idle) {
      if (this.#stopped) return;
      await this.#reconciler.reconcile(_id, this.#idleAbort.signal);
    }
    if (idle.length > 0) await this.#deps.counters.flush(store);
  }

  async #adopt(): Promise<void> {
    const { store, settings } = this.#deps;
    const now = new Date();
    const free = { $or: [{ runner_id: null }, { lease_expires_at: { $lt: now } }, { runner_id: this.runnerId }] };
    const candidates = await store.Campaign.find({ status: 'running', ...free }, { _id: 1 }).lean();
    for (const { _id } of candidates) {
      if (this.#stopped || this.#runs.has(String(_id))) continue;
      const leaseUntil = Date.now() + settings.leaseMs;
      const adopted = await store.Campaign.findOneAndUpdate(
        { _id, status: 'running', ...free },
        { $set: { runner_id: this.runnerId, lease_expires_at: new Date(leaseUntil) } },
        { returnDocument: 'after' },
      ).lean();
      if (adopted) this.#startRun(_id, leaseUntil);
    }
  }

  #startRun(campaignId: Types.ObjectId, leaseUntil: number): void {
    const key = String(campaignId);
    const entry = { run: undefined as unknown as CampaignRun, leaseUntil };
    const run = new CampaignRun(campaignId, {
      ...this.#deps,
      reconciler: this.#reconciler,
      runnerId: this.runnerId,
      // Keep a margin: a lease about to expire may already be someone else's by the time a request lands.
      leaseValid: () => Date.now() < entry.leaseUntil - Math.min(5_000, this.#deps.settings.leaseMs / 4),
    });
    entry.run = run;
    this.#runs.set(key, entry);
    this.#log.info({ campaign: key }, 'campaign adopted');
    void run.start().finally(() => {
      if (this.#runs.get(key)?.run === run) this.#runs.delete(key);
    });
  }

  async #renewLeases(): Promise<void> {
    const { store, settings } = this.#deps;
    for (const [key, entry] of this.#runs) {
      if (entry.run.aborted) continue;
      const leaseUntil = Date.now() + settings.leaseMs;
      const renewed = await store.Campaign.findOneAndUpdate(
        { _id: entry.run.campaignId, runner_id: this.runnerId },
        { $set: { lease_expires_at: new Date(leaseUntil) } },
        { returnDocument: 'after' },
      ).lean();
      if (!renewed) {
        void entry.run.stop('lease lost to another process');
      } else if (renewed.status !== 'running') {
        void entry.run.stop(`campaign is ${renewed.status}`);
      } else {
        entry.leaseUntil = leaseUntil;
      }
      void key;
    }
  }

  #statusChanged(change: StatusChange): void {
    const entry = this.#runs.get(String(change.campaignId));
    if (change.status !== 'running') {
      if (entry) void entry.run.stop(`campaign is ${change.status}`);
      return;
    }
    if (!entry && !this.#stopped) void this.tick();
  }
}
