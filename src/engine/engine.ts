// The engine's scheduler: a tick that adopts running campaigns whose lease is free or expired (incrementing the lease
// epoch, which fences out any older runner), renews the leases of this process's runs (stopping a run whose campaign
// is no longer running or whose lease another process took), shares the account's pace among running campaigns, and
// — in one process of the account at a time — resolves attempts whose outcome is not known yet. A pause or stop made
// in this process stops the run at once through CampaignEvents; one made in another process is noticed at the next
// tick.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { ContactChange, StatusChange } from '../campaigns/campaign-events.js';
import { bucketOf, LIVE_BUCKETS } from '../campaigns/vocabulary.js';
import type { CampaignEvents } from '../campaigns/campaign-events.js';
import type { CampaignTransitions } from '../campaigns/campaign-transitions.js';
import type { ContactState } from '../campaigns/contact-state.js';
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { CampaignRun, type RunSettings } from './campaign-run.js';
import { DialGate, type HoursCheck } from './dial-gate.js';
import type { Dialer } from './dialer.js';
import { fairShares } from './fair-share.js';
import { JobLeases } from './job-lease.js';
import type { LiveLines } from './live-lines.js';
import { Reconciler, type ReconcilerSettings } from './reconciler.js';
import type { RequestPacer } from './request-pacer.js';

export interface EngineSettings extends RunSettings {
  /** How often the scheduler ticks. Default 2000 ms. */
  tickMs: number;
  /** How long a lease lasts without renewal; another process adopts the campaign after that. Default 30 s. */
  leaseMs: number;
  /** How often the account's live attempts are looked at. Default 5 s. */
  reconcileEveryMs: number;
  /** The account's calls per minute, shared by running campaigns. */
  accountRate: number;
  reconciler: ReconcilerSettings;
}

export const DEFAULT_ENGINE_TIMING = {
  tickMs: 2_000,
  leaseMs: 30_000,
  reconcileEveryMs: 5_000,
  pollAfterMs: 120_000,
  retryableDelayMs: 5_000,
  idleMs: 1_000,
  statusCheckMs: 2_000,
  stallLimitMs: 2_000,
  sameErrorLimit: 3,
  recountEveryMs: 60_000,
} satisfies Partial<EngineSettings>;

export interface EngineDeps {
  store: Store;
  state: ContactState;
  transitions: CampaignTransitions;
  events: CampaignEvents;
  dialer: Dialer;
  pacer: RequestPacer;
  lines: LiveLines;
  hours: HoursCheck;
  log: Logger;
  settings: EngineSettings;
  now?: () => Date;
  /** Identifies this process in leases. Default host:pid:random. */
  runnerId?: string;
  /** Told when this process adopts a campaign whose lease another runner held (metrics). Default: none. */
  onTakeover?: (campaignId: string, previousRunner: string) => void;
}

export class Engine {
  readonly runnerId: string;
  readonly mode: 'live' | 'rehearsal';
  readonly #deps: EngineDeps;
  readonly #now: () => Date;
  readonly #log: Logger;
  readonly #runs = new Map<string, { run: CampaignRun; leaseUntil: number }>();
  readonly #reconciler: Reconciler;
  readonly #gate: DialGate;
  readonly #jobs: JobLeases;
  #shares = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = true;
  #reconciledAt = 0;
  #lastTickAt = 0;
  #chores = new AbortController();
  readonly #onStatus = (change: StatusChange) => this.#statusChanged(change);
  /** A waiting run is woken by what can give it work: a line freed (an attempt ended) or contacts queued again. */
  readonly #onContact = ({ campaignId, contact }: ContactChange) => {
    if (contact && LIVE_BUCKETS.includes(bucketOf(contact))) return;
    for (const { run } of this.#runs.values()) if (run.campaignId.equals(campaignId) || contact) run.nudge();
  };

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.runnerId = deps.runnerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.mode = deps.dialer.rehearsal ? 'rehearsal' : 'live';
    this.#log = deps.log.child({ component: 'engine', runner: this.runnerId });
    const { settings } = deps;
    this.#reconciler = new Reconciler(
      deps.store,
      deps.state,
      deps.dialer,
      deps.lines,
      deps.pacer,
      this.#log,
      settings.reconciler,
      this.#now,
    );
    this.#gate = new DialGate(
      deps.store,
      deps.state,
      deps.lines,
      deps.hours,
      { firstCheckMs: settings.reconciler.staleDialingMs, leaseMarginMs: settings.stallLimitMs },
      this.#log,
    );
    this.#jobs = new JobLeases(deps.store, this.runnerId);
    deps.state.useLines((lineId, holder) => deps.lines.release(lineId, holder));
  }

  /** Campaign ids this process is running now. */
  get running(): string[] {
    return [...this.#runs.keys()];
  }

  /** When the last tick finished (0 before the first): `/healthz` reports a stalled engine. */
  get lastTickAt(): number {
    return this.#lastTickAt;
  }

  start(): void {
    this.#stopped = false;
    this.#chores = new AbortController();
    this.#deps.events.on('status', this.#onStatus);
    this.#deps.events.on('contact', this.#onContact);
    this.#log.info({ mode: this.mode }, 'engine started');
    this.#schedule(0);
  }

  /** Stops every run (requests in flight are recorded, leases given back). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#deps.events.off('status', this.#onStatus);
    this.#deps.events.off('contact', this.#onContact);
    this.#chores.abort(new Error('engine stopping'));
    await this.#ticking;
    await Promise.all([...this.#runs.values()].map(({ run }) => run.stop('engine stopping')));
    await this.#jobs.release(this.#reconcilerJob()).catch(() => {});
    this.#log.info('engine stopped');
  }

  /** Runs one tick now (tests, and after a status change in this process). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Wakes the run of a campaign (a calling window opened, contacts were queued). */
  nudge(campaignId: Types.ObjectId | string): void {
    this.#runs.get(String(campaignId))?.run.nudge();
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
      await this.#share();
      await this.#adopt();
      await this.#reconcile();
      this.#lastTickAt = Date.now();
    } catch (error) {
      if (!this.#stopped) this.#log.warn({ err: error }, 'engine tick failed; will try again');
    }
  }

  #reconcilerJob(): string {
    return `reconciler:${this.#deps.lines.account}`;
  }

  async #reconcile(): Promise<void> {
    const { settings } = this.#deps;
    if (Date.now() - this.#reconciledAt < settings.reconcileEveryMs) return;
    this.#reconciledAt = Date.now();
    if (!(await this.#jobs.hold(this.#reconcilerJob(), settings.reconcileEveryMs * 4))) return;
    await this.#reconciler.reconcile(this.#chores.signal);
  }

  /** Every running campaign's calls per minute: its cap, or its share of the account's when the caps add up to more. */
  async #share(): Promise<void> {
    const running = await this.#deps.store.Campaign.find({ status: 'running' }, { _id: 1, calls_per_minute: 1 }).lean();
    this.#shares = fairShares(
      this.#deps.settings.accountRate,
      running.map((c) => ({ id: String(c._id), cap: c.calls_per_minute ?? null })),
    );
  }

  /** The calls a minute a campaign gets now: its fair share of the account's, never above its own cap. */
  rateOf(campaign: CampaignFields): number {
    return this.#rate(campaign);
  }

  #rate(campaign: CampaignFields): number {
    return this.#shares.get(String(campaign._id)) ?? campaign.calls_per_minute ?? this.#deps.settings.accountRate;
  }

  async #adopt(): Promise<void> {
    const { store, settings } = this.#deps;
    const now = new Date();
    const free = { $or: [{ runner_id: null }, { lease_expires_at: { $lt: now } }, { runner_id: this.runnerId }] };
    const mode = { mode: { $in: [this.mode, null] } };
    const candidates = await store.Campaign.find({ status: 'running', ...mode, ...free }, { _id: 1, runner_id: 1 }).lean();
    for (const { _id, runner_id: previous } of candidates) {
      if (this.#stopped || this.#runs.has(String(_id))) continue;
      const leaseUntil = Date.now() + settings.leaseMs;
      const adopted = (await store.Campaign.findOneAndUpdate(
        { _id, status: 'running', ...mode, ...free },
        { $set: { runner_id: this.runnerId, lease_expires_at: new Date(leaseUntil), mode: this.mode }, $inc: { lease_epoch: 1 } },
        { returnDocument: 'after' },
      ).lean()) as CampaignFields | null;
      if (adopted && previous && previous !== this.runnerId) this.#deps.onTakeover?.(String(_id), previous);
      if (adopted) this.#startRun(adopted, leaseUntil);
    }
  }

  #startRun(campaign: CampaignFields, leaseUntil: number): void {
    const key = String(campaign._id);
    const run = new CampaignRun(campaign._id, this.runnerId, campaign.lease_epoch, {
      ...this.#deps,
      gate: this.#gate,
      now: this.#now,
      rate: (c) => this.#rate(c),
    });
    this.#runs.set(key, { run, leaseUntil });
    this.#log.info({ campaign: key, epoch: campaign.lease_epoch }, 'campaign adopted');
    void run.start().finally(() => {
      if (this.#runs.get(key)?.run === run) this.#runs.delete(key);
    });
  }

  async #renewLeases(): Promise<void> {
    const { store, settings } = this.#deps;
    // A stopping run is renewed too: it keeps the lease until its requests in flight are recorded, however long
    // they take, so no other process adopts the campaign while one of them may still place a call.
    for (const entry of this.#runs.values()) {
      const { run } = entry;
      const leaseUntil = Date.now() + settings.leaseMs;
      const renewed = await store.Campaign.findOneAndUpdate(
        { _id: run.campaignId, runner_id: this.runnerId, lease_epoch: run.epoch },
        { $set: { lease_expires_at: new Date(leaseUntil) } },
        { returnDocument: 'after' },
      ).lean();
      if (renewed) entry.leaseUntil = leaseUntil;
      if (run.aborted) continue;
      if (!renewed) void run.stop('lease lost to another process');
      else if (renewed.status !== 'running') void run.stop(`campaign is ${renewed.status}`);
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
