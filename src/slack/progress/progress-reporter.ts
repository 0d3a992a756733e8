// Keeps each campaign's progress message true while it runs, without ever slowing the dial loop:
// - the engine only emits events (synchronous, in memory); this loop reads the database and talks to Slack;
// - one message per campaign, edited at most every `minIntervalMs` and only when what it shows moved by a visible
//   step, within a workspace-wide budget of `chat.update` calls — so a 10,000-contact campaign costs hundreds of
//   calls, not tens of thousands;
// - failures are read from the database (not from memory), posted in the thread in batches and marked reported,
//   so a crash loses none of them;
// - a 429 holds that Slack method for its Retry-After and a 5xx for a few seconds; the message catches up after.
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Types } from 'mongoose';
import type { CallingWindow } from '../../config.js';
import { statusBreakdown, type StatusBreakdown } from '../../campaigns/campaign-counters.js';
import type { CampaignEvents } from '../../campaigns/campaign-events.js';
import { campaignWindow, windowStatus } from '../../engine/calling-window.js';
import { SlidingWindow } from '../../engine/sliding-window.js';
import type { Logger } from '../../logger.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import type { ContactFields } from '../../store/contact-model.js';
import type { Store } from '../../store/store.js';
import { failureReply } from '../blocks/failure-blocks.js';
import { progressMessage, progressNumbers } from '../blocks/progress-blocks.js';

export interface ProgressSettings {
  /** Shortest time between two edits of one campaign's message. Default 1500 ms. */
  minIntervalMs: number;
  /** chat.update calls per minute for the whole workspace (Slack's Tier 3 is about 50). Default 40. */
  updatesPerMinute: number;
  /** Edit anyway after this long when anything changed, even by less than a visible step. Default 15 s. */
  staleMs: number;
  /** Shortest time between two failure replies in one thread. Default 3000 ms. */
  failureIntervalMs: number;
  /** Failures per thread reply. Default 20. */
  failureBatch: number;
  /** A reply waits for a full batch at most this long after its oldest failure (and never once the campaign ended). Default 30 s. */
  failureMaxWaitMs: number;
  /** How often the loop runs. Default 500 ms. */
  loopMs: number;
  /** Re-read a campaign with no local events this often (changes made by other processes). Default 5 s. */
  refreshMs: number;
  /** Account-wide pace shown when a campaign has none of its own. */
  callsPerMinute: number;
  callingWindow: CallingWindow;
}

export const DEFAULT_PROGRESS_SETTINGS: Omit<ProgressSettings, 'callsPerMinute' | 'callingWindow'> = {
  minIntervalMs: 1_500,
  updatesPerMinute: 40,
  staleMs: 15_000,
  failureIntervalMs: 3_000,
  failureBatch: 20,
  failureMaxWaitMs: 30_000,
  loopMs: 500,
  refreshMs: 5_000,
};

const FAILURE_STATUSES = ['failed', 'busy', 'no-answer', 'canceled'] as const;
/** How long the Confirm click has to post the message itself before the loop posts it instead. */
const INITIAL_POST_GRACE_MS = 5_000;
/** Unreported failures are looked for at least this often even when their number did not change. */
const FAILURE_RECHECK_MS = 30_000;

interface Tracked {
  id: Types.ObjectId;
  dirty: boolean;
  lastReadAt: number;
  lastEditAt: number;
  lastFinished: number;
  lastShown: string;
  lastStatus: string;
  lastFailuresAt: number;
  /** When the database was last read for this campaign's view. */
  lastServedAt: number;
  /** Failures (busy, no answer, failed, canceled) counted when none was left unreported; -1 = unknown. */
  failuresSettled: number;
  lastFailureQueryAt: number;
}

export class ProgressReporter {
  readonly #tracked = new Map<string, Tracked>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #updates = new SlidingWindow(60_000);
  /** Initial posts under way, so one process never posts two messages for a campaign. */
  readonly #posting = new Map<string, Promise<string | null>>();
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #cycle: Promise<void> | undefined;
  #lastScanAt = 0;
  readonly #onContact = ({ campaignId }: { campaignId: Types.ObjectId }) => this.#markDirty(campaignId);
  readonly #onStatus = ({ campaignId }: { campaignId: Types.ObjectId }) => this.#markDirty(campaignId);

  constructor(
    private readonly store: Store,
    private readonly client: WebClient,
    private readonly events: CampaignEvents,
    log: Logger,
    private readonly settings: ProgressSettings,
    /** This process's engine runner id: running campaigns of other processes are theirs to report. */
    private readonly runnerId: () => string | null = () => null,
  ) {
    this.#log = log.child({ component: 'progress' });
  }

  start(): void {
    this.events.on('contact', this.#onContact);
    this.events.on('status', this.#onStatus);
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
    this.events.off('contact', this.#onContact);
    this.events.off('status', this.#onStatus);
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

  #postOnce(campaign: CampaignFields): Promise<string | null> {
    const key = String(campaign._id);
    let posting = this.#posting.get(key);
    if (!posting) {
      posting = this.#postInitial(campaign).finally(() => this.#posting.delete(key));
      this.#posting.set(key, posting);
    }
    return posting;
  }

  /** One pass over every followed campaign (exported for tests and benches). */
  async runOnce(now = Date.now()): Promise<void> {
    try {
      if (now - this.#lastScanAt >= this.settings.refreshMs) {
        this.#lastScanAt = now;
        await this.#scan();
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
      this.#tracked.set(key, { id: campaignId, dirty: true, lastReadAt: 0, lastEditAt: 0, lastFinished: -1, lastShown: '', lastStatus: '', lastFailuresAt: 0, lastServedAt: 0, failuresSettled: -1, lastFailureQueryAt: 0 });
  }

  /** Picks up campaigns with an unfinished message after a restart, or changed by another process. */
  async #scan(): Promise<void> {
    const me = this.runnerId();
    const owners: Array<Record<string, unknown>> = [{ runner_id: null }];
    if (me) owners.push({ runner_id: me });
    const open = await this.store.Campaign.find(
      { progress_channel: { $ne: null }, progress_final: false, $or: owners },
      { _id: 1 },
    ).lean();
    for (const { _id } of open) if (!this.#tracked.has(String(_id))) this.#markDirty(_id);
  }

  #blocked(method: string, now: number): boolean {
    return (this.#blockedUntil.get(method) ?? 0) > now;
  }

  /** Slack said no: hold the method (429: Retry-After; 5xx or network: a few seconds). */
  #slackFailed(method: string, error: unknown): 'retry' | 'give-up' {
    const e = error as { code?: string; retryAfter?: number; data?: { error?: string } };
    const now = Date.now();
    if (e.code === ErrorCode.RateLimitedError) {
      this.#blockedUntil.set(method, now + Math.max(1, e.retryAfter ?? 1) * 1000);
      this.#log.warn({ method, retry_after_s: e.retryAfter }, 'Slack rate limit; holding this method');
      return 'retry';
    }
    if (e.code === ErrorCode.PlatformError) {
      const code = e.data?.error ?? 'unknown';
      if (['channel_not_found', 'not_in_channel', 'is_archived', 'message_not_found', 'cant_update_message', 'invalid_auth', 'account_inactive'].includes(code)) {
        this.#log.warn({ method, error: code }, 'Slack refused the progress message');
        return 'give-up';
      }
    }
    this.#blockedUntil.set(method, now + 5_000);
    this.#log.warn({ err: error, method }, 'Slack call failed; will try again');
    return 'retry';
  }

  async #postInitial(campaign: CampaignFields): Promise<string | null> {
    if (!campaign.progress_channel || this.#blocked('chat.postMessage', Date.now())) return null;
    const view = await this.#view(campaign, Date.now());
    try {
      const result = await this.client.chat.postMessage({ channel: campaign.progress_channel, ...progressMessage(view) });
      const ts = result.ts ?? null;
      if (!ts) return null;
      // Another process may have posted first; keep one message.
      const stored = await this.store.Campaign.findOneAndUpdate(
        { _id: campaign._id, progress_ts: null },
        { $set: { progress_ts: ts } },
        { returnDocument: 'after' },
      ).lean();
      const tracked = this.#tracked.get(String(campaign._id));
      if (tracked && stored) {
        tracked.lastEditAt = Date.now();
        tracked.lastShown = '';
        tracked.lastStatus = campaign.status;
        tracked.lastFinished = progressNumbers(view.breakdown).finished;
        this.#updates.record(Date.now());
      }
      if (!stored) {
        // Another process posted first: remove ours so the channel shows one message.
        await this.client.chat.delete({ channel: campaign.progress_channel, ts }).catch(() => {});
        return null;
      }
      return ts;
    } catch (error) {
      if (this.#slackFailed('chat.postMessage', error) === 'give-up') {
        await this.store.Campaign.updateOne({ _id: campaign._id }, { $set: { progress_final: true } });
        this.#tracked.delete(String(campaign._id));
      }
      return null;
    }
  }

  async #view(campaign: CampaignFields, now: number) {
    const breakdown: StatusBreakdown = await statusBreakdown(this.store, campaign._id);
    const retrying =
      breakdown.pending > 0
        ? await this.store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending', last_outcome: { $ne: null } })
        : 0;
    const window = windowStatus(new Date(now), campaignWindow(campaign.calling_window, this.settings.callingWindow));
    return {
      campaign,
      breakdown,
      retrying,
      callsPerMinute: campaign.calls_per_minute ?? this.settings.callsPerMinute,
      now: new Date(now),
      waitingUntil: campaign.status === 'running' && !window.open ? window.changesAt : null,
      withActions: true,
    };
  }

  async #serve(tracked: Tracked, now: number): Promise<void> {
    const key = String(tracked.id);
    if (!tracked.dirty && now - tracked.lastReadAt < this.settings.refreshMs) return;
    // The view costs a few queries over the contacts; nothing can be shown more often than minIntervalMs anyway.
    if (now - tracked.lastServedAt < this.settings.minIntervalMs) return;
    const campaign = (await this.store.Campaign.findById(tracked.id).lean()) as CampaignFields | null;
    tracked.lastReadAt = now;
    if (!campaign || !campaign.progress_channel || campaign.progress_final) {
      this.#tracked.delete(key);
      return;
    }
    if (!campaign.progress_ts) {
      // The click that started it posts at once; this is the catch-up when that post failed or another process crashed.
      const startedAgo = now - (campaign.started_at?.getTime() ?? 0);
      if (this.#posting.has(key) || startedAgo < INITIAL_POST_GRACE_MS) {
        tracked.dirty = true;
        return;
      }
      await this.#postOnce(campaign);
      return;
    }
    tracked.dirty = false;
    tracked.lastServedAt = now;

    const view = await this.#view(campaign, now);
    const b = view.breakdown;
    const failures = b.busy + b['no-answer'] + b.failed + b.canceled;
    // Look for unreported failures when their number moved, and now and then anyway (a retried failure replaced by
    // a new one leaves the number unchanged).
    let unreported = 0;
    if (failures !== tracked.failuresSettled || now - tracked.lastFailureQueryAt >= FAILURE_RECHECK_MS) {
      tracked.lastFailureQueryAt = now;
      unreported = await this.#postFailures(campaign, tracked, now);
      if (unreported === 0) tracked.failuresSettled = failures;
    }

    const shown = JSON.stringify(view.breakdown) + campaign.status + (campaign.status_reason ?? '') + String(view.waitingUntil ? 1 : 0);
    const final = campaign.status === 'completed' || campaign.status === 'stopped';
    if (shown !== tracked.lastShown) {
      const { finished, total } = progressNumbers(view.breakdown);
      const step = Math.max(1, Math.ceil(total * 0.005));
      const statusChanged = tracked.lastStatus !== campaign.status || final;
      const sinceEdit = now - tracked.lastEditAt;
      const due =
        sinceEdit >= this.settings.minIntervalMs &&
        (statusChanged || Math.abs(finished - tracked.lastFinished) >= step || sinceEdit >= this.settings.staleMs);
      if (!due || this.#blocked('chat.update', now) || this.#updates.nextStartAt(now, this.settings.updatesPerMinute) > now) {
        tracked.dirty = true;
        return;
      }
      this.#updates.record(now);
      try {
        await this.client.chat.update({ channel: campaign.progress_channel, ts: campaign.progress_ts, ...progressMessage(view) });
        tracked.lastShown = shown;
        tracked.lastStatus = campaign.status;
        tracked.lastEditAt = Date.now();
        tracked.lastFinished = finished;
      } catch (error) {
        tracked.dirty = true;
        if (this.#slackFailed('chat.update', error) === 'give-up') {
          await this.store.Campaign.updateOne({ _id: campaign._id }, { $set: { progress_final: true } });
          this.#tracked.delete(key);
        }
        return;
      }
    }
    if (final && tracked.lastShown === shown && unreported === 0) {
      await this.store.Campaign.updateOne({ _id: campaign._id }, { $set: { progress_final: true } });
      this.#tracked.delete(key);
    } else if (unreported > 0 || final) {
      tracked.dirty = true;
    }
  }

  /** Posts the next batch of unreported failures in the thread; returns how many are still unreported. */
  async #postFailures(campaign: CampaignFields, tracked: Tracked, now: number): Promise<number> {
    const filter = { campaign_id: campaign._id, call_status: { $in: [...FAILURE_STATUSES] }, reported_at: null };
    const batch = (await this.store.Contact.find(filter)
      .sort({ outcome_at: 1, _id: 1 })
      .limit(this.settings.failureBatch)
      .lean()) as ContactFields[];
    if (batch.length === 0) return 0;
    if (now - tracked.lastFailuresAt < this.settings.failureIntervalMs || this.#blocked('chat.postMessage', now)) return batch.length;
    // Fill replies: wait for a full batch unless the oldest failure has waited long enough or the campaign is over.
    const ended = campaign.status !== 'running';
    const oldest = batch[0]!.outcome_at?.getTime() ?? 0;
    if (batch.length < this.settings.failureBatch && !ended && now - oldest < this.settings.failureMaxWaitMs) return batch.length;
    const reply = failureReply(batch);
    tracked.lastFailuresAt = now;
    try {
      await this.client.chat.postMessage({ channel: campaign.progress_channel!, thread_ts: campaign.progress_ts!, text: reply.text });
    } catch (error) {
      this.#slackFailed('chat.postMessage', error);
      return batch.length;
    }
    const posted = batch.slice(0, reply.count).map((c) => c._id);
    await this.store.Contact.updateMany({ _id: { $in: posted }, reported_at: null }, { $set: { reported_at: new Date() } });
    // A short batch was all there was; a full one may have more behind it (read at the next cycle).
    return batch.length < this.settings.failureBatch ? batch.length - posted.length : batch.length - posted.length + 1;
  }
}
