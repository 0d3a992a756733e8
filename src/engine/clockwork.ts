// The time-of-day work, on node-cron: scheduled starts, end dates, and the openings and closings of calling hours.
// - A minute task in every process looks ahead (`horizonMs`) and gives each coming moment a one-shot cron task at
//   its exact second; it also does at once anything already overdue, so a start or an end date that fell while every
//   process was down happens as soon as one is back.
// - Starts and ends are shared work: their tasks are node-cron `distributed` tasks whose run coordinator is a job
//   lease per moment, so exactly one process acts (and the transitions are conditional anyway).
// - Openings and closings of a campaign's hours wake its run in the process that holds it, and refresh its progress
//   message, exactly when they happen.
import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { Types } from 'mongoose';
import type { CampaignEvents } from '../campaigns/campaign-events.js';
import { campaignHoursStatus } from '../campaigns/campaign-hours.js';
import type { CampaignService } from '../campaigns/campaign-service.js';
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { cronLogger } from './cron-logger.js';
import type { JobLeases } from './job-lease.js';

export interface ClockworkDeps {
  store: Store;
  service: CampaignService;
  events: CampaignEvents;
  jobs: JobLeases;
  log: Logger;
  now: () => Date;
  /** Campaign ids this process runs (their hour edges are this process's to mark). */
  running: () => readonly string[];
  /** Wakes the run of a campaign in this process. */
  nudge: (campaignId: Types.ObjectId | string) => void;
  /** How far ahead moments get their own cron task. Default 10 minutes. */
  horizonMs?: number;
  /**
   * Asked right before a scheduled start; false leaves the campaign unstarted (whoever answered has dealt with it:
   * the Slack side checks it can post in the campaign's channel). Default: always true.
   */
  mayStart?: (campaignId: Types.ObjectId, at: Date) => Promise<boolean>;
}

/**
 * A cron pattern that matches the first whole second at or after `at`, read in UTC. Cron matches whole seconds, and a
 * moment must never be done early: a start would come before its time, and an end date's expiry (conditional on the
 * end having passed) would find it not passed and wait for the next minute's refresh.
 */
export function cronPatternFor(at: Date): string {
  const second = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `${second.getUTCSeconds()} ${second.getUTCMinutes()} ${second.getUTCHours()} ${second.getUTCDate()} ${second.getUTCMonth() + 1} *`;
}

export class Clockwork {
  readonly #deps: ClockworkDeps;
  readonly #log: Logger;
  readonly #tasks = new Map<string, ScheduledTask>();
  readonly #coordinator: RunCoordinator;
  readonly #cronLog: ReturnType<typeof cronLogger>;
  #minute: ScheduledTask | undefined;
  #refreshing: Promise<void> | undefined;
  #again: Promise<void> | undefined;

  constructor(deps: ClockworkDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'clockwork' });
    this.#cronLog = cronLogger(deps.log);
    // One lease per moment: the first process to write it runs the moment; the others are told no.
    this.#coordinator = { shouldRun: (key) => deps.jobs.hold(`cron:${key}`, 24 * 3_600_000) };
  }

  start(): void {
    this.#minute = cron.schedule('0 * * * * *', () => this.refresh(), {
      name: 'clockwork-minute',
      timezone: 'UTC',
      noOverlap: true,
      logger: this.#cronLog,
    });
    // A schedule or an end date set in this process gets its moment at once, not at the next minute.
    this.#deps.events.on('status', this.#onStatus);
    void this.refresh();
  }

  readonly #onStatus = ({ status }: { status: string }) => {
    if (status === 'scheduled') void this.refresh();
  };

  async stop(): Promise<void> {
    this.#deps.events.off('status', this.#onStatus);
    await this.#minute?.destroy();
    for (const task of this.#tasks.values()) await task.destroy();
    this.#tasks.clear();
    await this.#refreshing;
  }

  /**
   * Does what is overdue now and gives each moment of the coming minutes its cron task. Asked while a refresh runs, it
   * runs once more after it (that one may have read the campaigns before the change that asked).
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again ??= this.#refreshing.then(() => {
        this.#again = undefined;
        return this.refresh();
      });
      return this.#again;
    }
    this.#refreshing = this.#refresh()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'clockwork refresh failed; will try again at the next minute'))
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const now = this.#deps.now();
    const until = new Date(now.getTime() + (this.#deps.horizonMs ?? 600_000));
    const { Campaign } = this.#deps.store;
    const scheduled = (await Campaign.find({ status: 'scheduled', scheduled_at: { $lte: until } }).lean()) as CampaignFields[];
    for (const c of scheduled) this.#at('start', c, c.scheduled_at!, now, () => this.#start(c._id, c.scheduled_at!));
    const ending = (await Campaign.find({
      status: { $in: ['running', 'paused', 'scheduled'] },
      call_until: { $lte: until },
    }).lean()) as CampaignFields[];
    for (const c of ending) this.#at('expire', c, c.call_until!, now, () => this.#expire(c._id));
    for (const id of this.#deps.running()) {
      const campaign = (await Campaign.findById(id).lean()) as CampaignFields | null;
      const edge = campaign ? campaignHoursStatus(campaign, now).changesAt : null;
      if (campaign && edge && edge <= until) this.#at('hours', campaign, edge, now, async () => this.#hoursChanged(campaign._id), false);
    }
    await this.#deps.store.JobLease.deleteMany({ _id: { $regex: /^cron:/ }, until: { $lt: now } });
  }

  /** Runs `job` now when `at` has passed, else gives it a one-shot cron task at `at`. */
  #at(kind: string, campaign: CampaignFields, at: Date, now: Date, job: () => Promise<void>, shared = true): void {
    const name = `${kind}:${String(campaign._id)}:${at.toISOString()}`;
    if (at.getTime() <= now.getTime()) {
      if (shared)
        void Promise.resolve(this.#coordinator.shouldRun(name, 0))
          .then((mine) => (mine ? job() : undefined))
          .catch((error: unknown) => this.#failed(name, error));
      else void job().catch((error: unknown) => this.#failed(name, error));
      return;
    }
    if (this.#tasks.has(name)) return;
    const task = cron.schedule(cronPatternFor(at), () => job(), {
      name,
      timezone: 'UTC',
      maxExecutions: 1,
      logger: this.#cronLog,
      ...(shared ? { distributed: true, runCoordinator: this.#coordinator, distributedLease: 60_000 } : {}),
    });
    task.on('execution:failed', (ctx) => this.#failed(name, ctx.execution?.error));
    task.on('task:destroyed', () => void this.#tasks.delete(name));
    this.#tasks.set(name, task);
  }

  #failed(name: string, error: unknown): void {
    this.#log.warn({ err: error, job: name }, 'timed job failed; the next refresh tries again');
  }

  async #start(id: Types.ObjectId, at: Date): Promise<void> {
    if (this.#deps.mayStart && !(await this.#deps.mayStart(id, at))) return;
    const result = await this.#deps.service.startScheduled(id, at);
    if (result.ok) this.#log.info({ campaign: String(id), at }, 'scheduled campaign started');
  }

  async #expire(id: Types.ObjectId): Promise<void> {
    const result = await this.#deps.service.expire(id, this.#deps.now());
    if (result.ok) this.#log.info({ campaign: String(id) }, 'campaign end date passed; expired');
  }

  async #hoursChanged(id: Types.ObjectId): Promise<void> {
    this.#deps.nudge(id);
    this.#deps.events.emit('status', { campaignId: id, status: 'running', reason: null });
  }
}
