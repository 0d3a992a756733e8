// Numbers finally not reached, posted beneath the campaign's progress message in batches: read from the campaign's
// failure outbox (O(new failures), never a scan of the contacts), posted, then marked posted, so a crash between
// the two posts a batch twice rather than losing it.
import type { WebClient } from '@slack/web-api';
import type { ProgressMarks } from '../../campaigns/progress-marks.js';
import type { Logger } from '../../logger.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { failureReply } from '../blocks/failure-blocks.js';
import type { ShowPhone } from '../blocks/format.js';
import type { SlackBudget } from './slack-budget.js';

export interface FailureTiming {
  /** Shortest time between two replies in one thread. */
  failureIntervalMs: number;
  /** Failures per reply. */
  failureBatch: number;
  /** A reply waits for a full batch at most this long after its oldest failure (never once the campaign ended). */
  failureMaxWaitMs: number;
}

export class FailureThread {
  readonly #lastPostAt = new Map<string, number>();

  constructor(
    private readonly marks: ProgressMarks,
    private readonly client: WebClient,
    private readonly budget: SlackBudget,
    private readonly timing: FailureTiming,
    private readonly log: Logger,
    private readonly show: ShowPhone,
  ) {}

  /** Posts the next batch when it is due; returns how many failures are still waiting (0: none). */
  async post(campaign: CampaignFields, now: number): Promise<number> {
    const key = String(campaign._id);
    const batch = await this.marks.unposted(campaign._id, this.timing.failureBatch);
    if (batch.length === 0) return 0;
    if (now - (this.#lastPostAt.get(key) ?? 0) < this.timing.failureIntervalMs || this.budget.blocked('chat.postMessage', now))
      return batch.length;
    const ended = campaign.status !== 'running';
    const oldest = batch[0]!.at.getTime();
    if (batch.length < this.timing.failureBatch && !ended && now - oldest < this.timing.failureMaxWaitMs) return batch.length;
    const reply = failureReply(batch, this.show);
    this.#lastPostAt.set(key, now);
    try {
      await this.client.chat.postMessage({ channel: campaign.progress_channel!, thread_ts: campaign.progress_ts!, text: reply.text });
    } catch (error) {
      this.budget.failed('chat.postMessage', error);
      return batch.length;
    }
    await this.marks.posted(batch.slice(0, reply.count).map((f) => f._id));
    this.log.debug({ campaign: key, posted: reply.count }, 'failures posted in the thread');
    // A short batch was all there was; a full one may have more behind it.
    return batch.length - reply.count + (batch.length === this.timing.failureBatch ? 1 : 0);
  }

  forget(campaignId: string): void {
    this.#lastPostAt.delete(campaignId);
  }
}
