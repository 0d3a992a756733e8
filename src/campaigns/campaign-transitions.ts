// Campaign status changes (see docs/structure.md). Each is one conditional findOneAndUpdate on the allowed source
// statuses, so of two racing clicks, users or processes exactly one wins; the others learn the current status.
// The runner lease is never cleared here: a run gives it back itself once its requests in flight are recorded.
import type { Types } from 'mongoose';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import type { CampaignEvents } from './campaign-events.js';
import { OUTSTANDING_BUCKETS, STARTABLE_STATUSES, type CampaignStatus } from './vocabulary.js';

export const TRANSITIONS = {
  // A stopped, completed or expired campaign may be started again: it calls what is pending.
  start: { from: STARTABLE_STATUSES, to: 'running' },
  schedule: { from: STARTABLE_STATUSES, to: 'scheduled' },
  unschedule: { from: ['scheduled'], to: 'draft' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  stop: { from: ['draft', 'scheduled', 'running', 'paused'], to: 'stopped' },
  complete: { from: ['running'], to: 'completed' },
  expire: { from: ['running', 'paused', 'scheduled'], to: 'expired' },
} as const satisfies Record<string, { from: readonly CampaignStatus[]; to: CampaignStatus }>;

export type Transition = keyof typeof TRANSITIONS;

export type TransitionResult = { ok: true; campaign: CampaignFields } | { ok: false; campaign: CampaignFields | null };

export interface TransitionOptions {
  /** Why, when a person did not ask for it (shown in Slack). */
  reason?: string | null;
  /** Who asked (a Slack user id), shown as "Paused by @ravi at 10:15". */
  by?: string | null;
  /** Extra fields written in the same update (e.g. the channel of the progress message). */
  set?: Partial<CampaignFields>;
  /** Extra conditions the campaign must meet. */
  where?: Record<string, unknown>;
  now?: Date;
}

const ENDING: readonly CampaignStatus[] = ['completed', 'stopped', 'expired'];

export class CampaignTransitions {
  constructor(
    private readonly store: Store,
    private readonly events: CampaignEvents,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async apply(campaignId: Types.ObjectId, transition: Transition, options: TransitionOptions = {}): Promise<TransitionResult> {
    const { from, to } = TRANSITIONS[transition];
    const now = options.now ?? this.clock();
    const set: Record<string, unknown> = {
      ...options.set,
      status: to,
      status_reason: options.reason ?? null,
      last_action: { verb: transition, by: options.by ?? null, at: now },
      dial_wait: { reason: null, until: null },
    };
    if (ENDING.includes(to)) set.completed_at = now;
    if (transition === 'start') {
      set.completed_at = null;
      set.started_at = now;
      set.started_by = options.by ?? null;
    }
    const filter: Record<string, unknown> = { ...options.where, _id: campaignId, status: { $in: from } };
    const after = await this.store.Campaign.findOneAndUpdate(filter, { $set: set }, { returnDocument: 'after' }).lean();
    if (after) return this.#done(after as CampaignFields);
    const current = await this.store.Campaign.findById(campaignId).lean();
    return { ok: false, campaign: (current as CampaignFields | null) ?? null };
  }

  /**
   * running → completed, only if the campaign view says no contact is outstanding — in the same conditional update,
   * so a requeue that counted its contacts first (campaign-view.ts) can never be completed away.
   */
  complete(campaignId: Types.ObjectId): Promise<TransitionResult> {
    const where = Object.fromEntries(OUTSTANDING_BUCKETS.map((b) => [`counts.${b}`, 0]));
    return this.apply(campaignId, 'complete', { where });
  }

  #done(campaign: CampaignFields): TransitionResult {
    this.events.emit('status', { campaignId: campaign._id, status: campaign.status, reason: campaign.status_reason });
    return { ok: true, campaign };
  }
}
