// Campaign status changes (DESIGN.md, State). Each is one conditional findOneAndUpdate on the allowed source
// statuses, so of two racing clicks, users or processes exactly one wins; the others learn the current status.
import type { Types } from 'mongoose';
import type { CampaignFields, CampaignStatus } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import type { CampaignEvents } from './campaign-events.js';

export const TRANSITIONS = {
  // A stopped or completed campaign may be started again: it calls what is pending or failed.
  start: { from: ['draft', 'scheduled', 'stopped', 'completed'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  stop: { from: ['draft', 'scheduled', 'running', 'paused'], to: 'stopped' },
  complete: { from: ['running'], to: 'completed' },
} as const satisfies Record<string, { from: readonly CampaignStatus[]; to: CampaignStatus }>;

export type Transition = keyof typeof TRANSITIONS;

export type TransitionResult =
  | { ok: true; campaign: CampaignFields }
  | { ok: false; campaign: CampaignFields | null };

export interface TransitionOptions {
  /** Why, when a person did not ask for it (shown in Slack). */
  reason?: string | null;
  /** Extra fields written in the same update (e.g. the channel of the progress message). */
  set?: Partial<CampaignFields>;
  now?: Date;
}

export class CampaignTransitions {
  constructor(
    private readonly store: Store,
    private readonly events: CampaignEvents,
  ) {}

  async apply(campaignId: Types.ObjectId, transition: Transition, options: TransitionOptions = {}): Promise<TransitionResult> {
    const { from, to } = TRANSITIONS[transition];
    const now = options.now ?? new Date();
    const set: Record<string, unknown> = { ...options.set, status: to, status_reason: options.reason ?? null };
    if (to === 'completed' || to === 'stopped') {
      set.completed_at = now;
      set.runner_id = null;
      set.lease_expires_at = null;
    }
    if (transition === 'start') set.completed_at = null;
    const filter: Record<string, unknown> = { _id: campaignId, status: { $in: from } };
    const update: Record<string, unknown> = { $set: set };
    if (transition === 'start') {
      // started_at is the first start; a later start keeps it.
      filter.started_at = null;
      const first = await this.store.Campaign.findOneAndUpdate(filter, { $set: { ...set, started_at: now } }, { returnDocument: 'after' }).lean();
      if (first) return this.#done(first as CampaignFields);
      delete filter.started_at;
    }
    const after = await this.store.Campaign.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean();
    if (after) return this.#done(after as CampaignFields);
    const current = await this.store.Campaign.findById(campaignId).lean();
    return { ok: false, campaign: (current as CampaignFields | null) ?? null };
  }

  #done(campaign: CampaignFields): TransitionResult {
    this.events.emit('status', { campaignId: campaign._id, status: campaign.status, reason: campaign.status_reason });
    return { ok: true, campaign };
  }
}
