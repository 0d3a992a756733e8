// Keeps each campaign's progress message true while it runs, without ever slowing the dial loop:
// - the engine only emits events (synchronous, in memory); this loop reads the campaign view (one document) and
//   talks to Slack;
// - one message per campaign, edited when edit-policy.ts says it is worth it, within the workspace's budget;
// - numbers not reached go to the thread through failure-thread.ts;
// - a 429 holds that Slack method for its Retry-After and a 5xx for a few seconds; the message catches up after;
// - a refusal (not_in_channel, channel_not_found, is_archived…) is tried again every `refusalRetryMs`; still refused
//   after `refusalPauseMs`, the campaign is handed to `whenRefused` (paused, its starter told): calls nobody can
//   follow are not made. An ended campaign has nothing to pause: its reporting stops there.
// Every write (the message's ts, the end of reporting, failures posted) goes through the campaigns' ProgressMarks.
import type { WebClient } from '@slack/web-api';
import type { Types } from 'mongoose';
import type { CampaignEvents } from '../../campaigns/campaign-events.js';
import { campaignHoursStatus } from '../../campaigns/campaign-hours.js';
import type { ProgressMarks } from '../../campaigns/progress-marks.js';
import { ENDED_STATUSES } from '../../campaigns/vocabulary.js';
import type { Logger } from '../../logger.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { channelPhone } from '../blocks/format.js';
import { progressMessage, progressNumbers, waitingText, type ProgressView } from '../blocks/progress-blocks.js';
import { editDue, type EditTiming, type Shown } from './edit-policy.js';
import { FailureThread, type FailureTiming } from './failure-thread.js';
import { SlackBudget } from './slack-budget.js';

export interface ProgressSettings extends EditTiming, FailureTiming {
  /** chat.update calls per minute for the whole workspace (Slack's Tier 3 is about 50). Default 40. */
  updatesPerMinute: number;
  /** How often the loop runs. Default 500 ms. */
  loopMs: number;
  /** Re-read a campaign with no local events this often (changes made by other processes). Default 5 s. */
  refreshMs: number;
  /** Account-wide pace shown when a campaign has none of its own. */
  callsPerMinute: number;
  /** Full numbers in the thread (SHOW_FULL_NUMBERS); else the last four digits. */
  showFullNumbers?: boolean;
  /** After Slack refused a campaign's message, try again this often. Default 15 s. */
  refusalRetryMs: number;
  /** Refused for this long (and tried again meanwhile): the campaign goes to `whenRefused`. Default 60 s. */
  refusalPauseMs: number;
}

export const DEFAULT_PROGRESS_SETTINGS: Omit<ProgressSettings, 'callsPerMinute'> = {
  minIntervalMs: 1_500,
  updatesPerMinute: 40,
  staleMs: 15_000,
  failureIntervalMs: 3_000,
  failureBatch: 20,
  failureMaxWaitMs: 30_000,
  loopMs: 500,
  refreshMs: 5_000,
  refusalRetryMs: 15_000,
  refusalPauseMs: 60_000,
};

/** How long the Confirm click has to post the message itself before the loop posts it instead. */
const INITIAL_POST_GRACE_MS = 5_000;

interface Tracked {
  id: Types.ObjectId;
  dirty: boolean;
  readAt: number;
  shown: Shown;
  /** After the finish report failed: not before this, and how long the next wait is. */
  retryAt: number;
  backoffMs: number;
  /** Slack refuses the message: since when, and whether the campaign was handed to `whenRefused`. */
  refused?: { since: number; handed: boolean };
}

const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 300_000;

/** Called once a campaign's message shows its end and every failure is in the thread (the finish report). */
export type OnFinished = (campaign: CampaignFields) => Promise<void>;

/** Called once Slack has refused a live campaign's message for `refusalPauseMs`, with Slack's error. */
export type OnRefused = (campaign: CampaignFields, error: string) => Promise<void>;

export class ProgressReporter {
  readonly #tracked = new Map<string, Tracked>();
  /** Initial posts under way, so one process never posts two messages for a campaign. */
  readonly #posting = new Map<string, Promise<string | null>>();
  readonly #budget: SlackBudget;
  readonly #failures: FailureThread;
  readonly #log: Logger;
  #onFinished: OnFinished = async () => {};
  #onRefused: OnRefused = async () => {};
  #timer: NodeJS.Timeout | undefined;
  #cycle: Promise<void> | undefined;
  #lastScanAt = 0;
  readonly #onEvent = ({ campaignId }: { campaignId: Types.ObjectId }) => this.#markDirty(campaignId);

  constructor(
    private readonly marks: ProgressMarks,
    private readonly client: WebClient,
    private readonly events: CampaignEvents,
    log: Logger,
    private readonly settings: ProgressSettings,
    /** This process's engine runner id: running campaigns of other processes are theirs to report. */
    private readonly runnerId: () => string | null = () => null,
    /** The calls a minute a campaign gets now (its fair share). */
    private readonly rateOf: (campaign: CampaignFields) => number = (c) => c.calls_per_minute ?? settings.callsPerMinute,
  ) {
    this.#log = log.child({ component: 'progress' });
    this.#budget = new SlackBudget(settings.updatesPerMinute, this.#log);
    this.#failures = new FailureThread(marks, client, this.#budget, settings, this.#log, channelPhone(settings.showFullNumbers ?? false));
  }

  /** What to do once a campaign's reporting is over (set by the runtime: the finish report). */
  whenFinished(handler: OnFinished): void {
    this.#onFinished = handler;
  }

  /** What to do when Slack keeps refusing a live campaign's message (set by the runtime: pause it, tell its starter). */
  whenRefused(handler: OnRefused): void {
    this.#onRefused = handler;
  }

  start(): void {
    this.events.on('contact', this.#onEvent);
    this.events.on('status', this.#onEvent);
    const loop = () => {
      this.#timer = setTimeout(() => {
        this.#cycle = this.runOnce().finally(loop);
      }, this.settings.loopMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.events.off('contact', this.#onEvent);
    this.events.off('status', this.#onEvent);
    await this.#cycle;
  }

  /** Follows a campaign from now on (its message is posted at the next cycle if it has none). */
  track(campaignId: Types.ObjectId): void {
    this.#markDirty(campaignId);
  }

  /** Posts the progress message now (the Confirm click), so it appears at once; returns its ts or null. */
  async post(campaign: CampaignFields): Promise<string | null> {
    this.track(campaign._id);
    return this.#postOnce(campaign);
  }

  /** The view a builder shows for a campaign now (also used by `/campaign status`). */
  viewOf(campaign: CampaignFields, now: Date, withActions: boolean): ProgressView {
    return { campaign, callsPerMinute: this.rateOf(campaign), now, hours: campaignHoursStatus(campaign, now), withActions };
  }

  /** One pass over every followed campaign (exported for tests and benches). */
  async runOnce(now = Date.now()): Promise<void> {
    try {
      if (now - this.#lastScanAt >= this.settings.refreshMs) {
        this.#lastScanAt = now;
        for (const id of await this.marks.open(this.runnerId())) if (!this.#tracked.has(String(id))) this.#markDirty(id);
      }
      for (const tracked of [...this.#tracked.values()]) {
        try {
          await this.#serve(tracked, Date.now());
        } catch (error) {
          this.#log.warn({ err: error, campaign: String(tracked.id) }, 'progress update failed; will try again');
        }
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'progress cycle failed; will try again');
    }
  }

  #markDirty(campaignId: Types.ObjectId): void {
    const key = String(campaignId);
    const tracked = this.#tracked.get(key);
    if (tracked) tracked.dirty = true;
    else
      this.#tracked.set(key, {
        id: campaignId,
        dirty: true,
        readAt: 0,
        shown: { signature: '', status: '', finished: -1, at: 0 },
        retryAt: 0,
        backoffMs: FIRST_BACKOFF_MS,
      });
  }

  #postOnce(campaign: CampaignFields): Promise<string | null> {
    const key = String(campaign._id);
    let posting = this.#posting.get(key);
    if (!posting) {
      posting = this.#postInitial(campaign).finally(() => this.#posting.delete(key));
      this.#posting.set(key, posting);
    }
    return posting;
  }

  async #postInitial(campaign: CampaignFields): Promise<string | null> {
    if (!campaign.progress_channel || this.#budget.blocked('chat.postMessage', Date.now())) return null;
    const view = this.viewOf(campaign, new Date(), true);
    try {
      const result = await this.client.chat.postMessage({ channel: campaign.progress_channel, ...progressMessage(view) });
      const ts = result.ts ?? null;
      if (!ts) return null;
      if (!(await this.marks.recordMessage(campaign._id, ts))) {
        // Another process posted first: remove ours so the channel shows one message.
        await this.client.chat.delete({ channel: campaign.progress_channel, ts }).catch(() => {});
        return null;
      }
      const tracked = this.#tracked.get(String(campaign._id));
      if (tracked) {
        tracked.shown = {
          signature: this.#signature(view),
          status: campaign.status,
          finished: progressNumbers(campaign.counts).finished,
          at: Date.now(),
        };
        tracked.refused = undefined;
      }
      this.#budget.recordUpdate(Date.now());
      return ts;
    } catch (error) {
      const verdict = this.#budget.failed('chat.postMessage', error);
      if (verdict.kind === 'give-up') await this.#refused(campaign, verdict.error);
      return null;
    }
  }

  #signature(view: ProgressView): string {
    const c = view.campaign;
    return JSON.stringify([c.counts, c.status, c.status_reason, waitingText(view), c.last_action?.verb, Math.round(view.callsPerMinute)]);
  }

  /** One look at a followed campaign: read its view, post what is missing, edit when due, finish when ended. */
  async #serve(tracked: Tracked, now: number): Promise<void> {
    const key = String(tracked.id);
    if (!tracked.dirty && now - tracked.readAt < this.settings.refreshMs) return;
    if (now < tracked.retryAt) return;
    const campaign = await this.marks.view(tracked.id);
    tracked.readAt = now;
    tracked.dirty = false;
    if (!campaign?.progress_channel || campaign.progress_final) {
      this.#tracked.delete(key);
      return;
    }
    if (tracked.refused?.handed) {
      // Paused because Slack refused: nothing is dialled, so nothing to show until someone resumes (or ends) it.
      if (campaign.status === 'paused') return;
      tracked.refused = undefined;
    }
    if (!campaign.progress_ts) {
      // The click that started it posts at once; this is the catch-up when that post failed or another process crashed.
      const startedAgo = now - (campaign.started_at?.getTime() ?? 0);
      if (this.#posting.has(key) || startedAgo < INITIAL_POST_GRACE_MS) tracked.dirty = true;
      else await this.#postOnce(campaign);
      return;
    }
    const waiting = await this.#failures.post(campaign, now);
    const shown = await this.#edit(tracked, campaign, now);
    const final = ENDED_STATUSES.includes(campaign.status);
    // After a stop, calls already ringing finish: the report waits for their outcomes, or it would count them as
    // never called and the message would never show how they ended.
    if (final && shown && waiting === 0 && progressNumbers(campaign.counts).live === 0) await this.#finish(tracked, campaign, now);
    else if (waiting > 0 || final) tracked.dirty = true;
  }

  /** Edits the message when what it shows changed and an edit is due; true when it shows the campaign as it is. */
  async #edit(tracked: Tracked, campaign: CampaignFields, now: number): Promise<boolean> {
    const view = this.viewOf(campaign, new Date(now), true);
    const signature = this.#signature(view);
    if (signature === tracked.shown.signature) return true;
    const finished = progressNumbers(campaign.counts).finished;
    const wanted = {
      signature,
      status: campaign.status,
      finished,
      total: campaign.total_contacts,
      final: ENDED_STATUSES.includes(campaign.status),
    };
    if (!editDue(tracked.shown, wanted, now, this.settings) || !this.#budget.canUpdate(now)) {
      tracked.dirty = true;
      return false;
    }
    this.#budget.recordUpdate(now);
    try {
      await this.client.chat.update({ channel: campaign.progress_channel!, ts: campaign.progress_ts!, ...progressMessage(view) });
      tracked.shown = { signature, status: campaign.status, finished, at: Date.now() };
      tracked.refused = undefined;
      return true;
    } catch (error) {
      tracked.dirty = true;
      const verdict = this.#budget.failed('chat.update', error);
      if (verdict.kind === 'give-up') await this.#refused(campaign, verdict.error);
      return false;
    }
  }

  /** The campaign ended and its message shows it: the finish report, then nothing more to follow. */
  async #finish(tracked: Tracked, campaign: CampaignFields, now: number): Promise<void> {
    const key = String(tracked.id);
    try {
      await this.#onFinished(campaign);
    } catch (error) {
      this.#log.warn({ err: error, campaign: key, retry_in_ms: tracked.backoffMs }, 'finish report failed; will try again');
      tracked.dirty = true;
      tracked.retryAt = now + tracked.backoffMs;
      tracked.backoffMs = Math.min(tracked.backoffMs * 2, MAX_BACKOFF_MS);
      return;
    }
    await this.marks.finish(campaign._id);
    this.#tracked.delete(key);
    this.#failures.forget(key);
  }

  /**
   * Slack refused the message for good (by its answer): tried again every refusalRetryMs; refused for refusalPauseMs,
   * a live campaign goes to whenRefused once. An ended one has nothing left to protect: its reporting stops.
   */
  async #refused(campaign: CampaignFields, error: string): Promise<void> {
    const tracked = this.#tracked.get(String(campaign._id));
    if (!tracked || ENDED_STATUSES.includes(campaign.status)) return this.#giveUp(campaign);
    const now = Date.now();
    tracked.refused ??= { since: now, handed: false };
    const refused = tracked.refused;
    tracked.retryAt = now + this.settings.refusalRetryMs;
    tracked.dirty = true;
    if (refused.handed || now - refused.since < this.settings.refusalPauseMs) return;
    try {
      await this.#onRefused(campaign, error);
      refused.handed = true;
    } catch (err) {
      this.#log.warn({ err, campaign: String(campaign._id) }, 'could not pause a campaign whose progress Slack refuses; will try again');
    }
  }

  async #giveUp(campaign: CampaignFields): Promise<void> {
    await this.marks.finish(campaign._id);
    this.#tracked.delete(String(campaign._id));
  }
}
