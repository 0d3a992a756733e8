// What Slack (and later the App Home and modals) can do with campaigns, in the words of the product: find one by
// the name people type, summarise it, start, pause, resume, stop and retry it. Every change goes through
// CampaignTransitions (one atomic status change) or one conditional update per contact.
import type { Types } from 'mongoose';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { outstanding, recountCampaign, statusBreakdown, type StatusBreakdown } from './campaign-counters.js';
import type { CampaignTransitions, Transition } from './campaign-transitions.js';

/** Statuses in which a campaign may be deleted: nothing is or will be dialled. */
export const DELETABLE = ['draft', 'completed', 'stopped'] as const;

/** Outcomes `retry` (and a restart) queue again. */
export const RETRYABLE_OUTCOMES = ['failed', 'busy', 'no-answer', 'canceled'] as const;

export interface CampaignSummary {
  campaign: CampaignFields;
  breakdown: StatusBreakdown;
  /** Contacts a start would call: pending plus failed (busy, no answer, failed, canceled). */
  toCall: number;
}

export type ActionResult =
  | { ok: true; campaign: CampaignFields; requeued?: number }
  | { ok: false; reason: 'not-found' | 'forbidden' | 'wrong-status' | 'nothing-to-call'; campaign: CampaignFields | null };

export interface Actor {
  userId: string;
  /** Slack user ids allowed to act on any campaign (CAMPAIGN_ADMINS). */
  admins: readonly string[];
}

export function canManage(campaign: CampaignFields, actor: Actor): boolean {
  return campaign.owner === actor.userId || actor.admins.includes(actor.userId);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface NewCampaign {
  teamId: string;
  name: string;
  title: string;
  description: string;
  owner: string;
  channel: string | null;
  callerId: string | null;
  callsPerMinute: number | null;
}

/** A field of the create form and what is wrong with it. */
export type CreateResult = { ok: true; campaign: CampaignFields } | { ok: false; field: 'name'; message: string };

/** Why a name cannot be used, or null. */
export function nameProblem(name: string): string | null {
  if (name === '') return 'Give the campaign a name.';
  if (!NAME_PATTERN.test(name)) return 'Use lowercase letters, digits and dashes, starting with a letter or digit (e.g. emi-reminder).';
  return null;
}

export class CampaignService {
  constructor(
    private readonly store: Store,
    private readonly transitions: CampaignTransitions,
  ) {}

  /** Names are stored lowercase; what people type is matched case-insensitively. */
  async findByName(teamId: string, name: string): Promise<CampaignFields | null> {
    const key = name.trim().toLowerCase();
    if (!key || key.length > 100) return null;
    return (await this.store.Campaign.findOne({ team_id: teamId, name: key }).lean()) as CampaignFields | null;
  }

  async findById(id: Types.ObjectId | string): Promise<CampaignFields | null> {
    try {
      return (await this.store.Campaign.findById(id).lean()) as CampaignFields | null;
    } catch {
      return null;
    }
  }

  /** Creates a draft campaign; the unique index settles two people choosing the same name at once. */
  async create(input: NewCampaign): Promise<CreateResult> {
    const name = input.name.trim().toLowerCase();
    const problem = nameProblem(name);
    if (problem) return { ok: false, field: 'name', message: problem };
    try {
      const doc = await this.store.Campaign.create({
        team_id: input.teamId,
        name,
        title: input.title.trim() || name,
        description: input.description.trim(),
        owner: input.owner,
        channel: input.channel,
        caller_id: input.callerId,
        calls_per_minute: input.callsPerMinute,
      });
      return { ok: true, campaign: doc.toObject() as CampaignFields };
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        return { ok: false, field: 'name', message: `A campaign named ${name} already exists. Choose another name.` };
      }
      throw error;
    }
  }

  /**
   * Deletes a draft or finished campaign and its contacts (owner or admin). The campaign goes first, with a
   * condition on its status, so a campaign started meanwhile is never deleted.
   */
  async delete(id: Types.ObjectId, actor: Actor): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const deleted = await this.store.Campaign.findOneAndDelete({ _id: id, status: { $in: DELETABLE } }).lean();
    if (!deleted) return { ok: false, reason: 'wrong-status', campaign: (await this.findById(id)) ?? campaign };
    await this.#deleteContacts(id);
    return { ok: true, campaign: deleted as CampaignFields };
  }

  /** Up to three existing names closest to what was typed. */
  async closestNames(teamId: string, typed: string, limit = 3): Promise<string[]> {
    const key = typed.trim().toLowerCase().slice(0, 100);
    const names = (await this.store.Campaign.find({ team_id: teamId }, { name: 1 }).limit(1000).lean()).map((c) => c.name);
    return names
      .map((name) => ({ name, d: name.includes(key) || key.includes(name) ? 0 : distance(key, name) }))
      .filter(({ d, name }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
      .slice(0, limit)
      .map(({ name }) => name);
  }

  /** The workspace's campaigns, most recently changed first. */
  async list(teamId: string, limit = 50): Promise<CampaignFields[]> {
    return (await this.store.Campaign.find({ team_id: teamId }).sort({ updated_at: -1 }).limit(limit).lean()) as CampaignFields[];
  }

  async summary(campaign: CampaignFields): Promise<CampaignSummary> {
    const breakdown = await statusBreakdown(this.store, campaign._id);
    const failed = RETRYABLE_OUTCOMES.reduce((n, s) => n + breakdown[s], 0);
    return { campaign, breakdown, toCall: breakdown.pending + failed };
  }

  /**
   * Starts (or restarts) a campaign: one atomic status change, so of two clicks exactly one starts it. A restart
   * queues the failed contacts again. `set` is written with the status (the channel of the progress message).
   */
  async start(id: Types.ObjectId, actor: Actor, set: Partial<CampaignFields> = {}): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    if (campaign.status === 'running' || campaign.status === 'paused') return { ok: false, reason: 'wrong-status', campaign };
    const { toCall } = await this.summary(campaign);
    if (toCall === 0) return { ok: false, reason: 'nothing-to-call', campaign };
    const result = await this.transitions.apply(id, 'start', {
      set: { progress_ts: null, progress_final: false, ...set },
    });
    if (!result.ok) return { ok: false, reason: 'wrong-status', campaign: result.campaign };
    const requeued = await this.#requeue(id);
    return { ok: true, campaign: result.campaign, requeued };
  }

  pause(id: Types.ObjectId, actor: Actor) {
    return this.#change(id, actor, 'pause');
  }

  resume(id: Types.ObjectId, actor: Actor) {
    return this.#change(id, actor, 'resume');
  }

  stop(id: Types.ObjectId, actor: Actor) {
    return this.#change(id, actor, 'stop');
  }

  /** Queues failed, busy, unanswered and canceled contacts again; a running campaign calls them shortly. */
  async retry(id: Types.ObjectId, actor: Actor): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const requeued = await this.#requeue(id);
    if (requeued === 0) return { ok: false, reason: 'nothing-to-call', campaign };
    return { ok: true, campaign: (await this.findById(id)) ?? campaign, requeued };
  }

  /** True when nothing more will happen to any contact. */
  async isSettled(id: Types.ObjectId): Promise<boolean> {
    return outstanding(await statusBreakdown(this.store, id)) === 0;
  }

  async #change(id: Types.ObjectId, actor: Actor, transition: Transition): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const result = await this.transitions.apply(id, transition);
    return result.ok ? { ok: true, campaign: result.campaign } : { ok: false, reason: 'wrong-status', campaign: result.campaign };
  }

  /** In batches: one huge delete fails on SQLite-backed servers ("too many SQL variables") and holds locks long. */
  async #deleteContacts(id: Types.ObjectId): Promise<void> {
    for (;;) {
      const batch = await this.store.Contact.find({ campaign_id: id }, { _id: 1 }).limit(1_000).lean();
      if (batch.length === 0) return;
      await this.store.Contact.deleteMany({ _id: { $in: batch.map((c) => c._id) } });
    }
  }

  async #requeue(id: Types.ObjectId): Promise<number> {
    const result = await this.store.Contact.updateMany(
      { campaign_id: id, call_status: { $in: [...RETRYABLE_OUTCOMES] } },
      { $set: { call_status: 'pending', next_attempt_at: new Date(), reported_at: null, check_after: null } },
    );
    // Counters count contacts per final state; moving many at once is followed by a recount.
    if (result.modifiedCount > 0) await recountCampaign(this.store, id);
    return result.modifiedCount;
  }
}

