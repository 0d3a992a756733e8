// What Slack (commands, buttons, the Home tab) and the command line can do with campaigns, in the words of the
// product: find one by the name people type, summarise it, create, start, pause, resume, stop, retry and delete it.
// Every change goes through CampaignTransitions (one atomic status change) or ContactState (one conditional update
// per contact). Reads come from the campaign view (the campaign document), never from a scan of the contacts,
// except where a person asked for something about every contact (retry, delete).
import type { Types } from 'mongoose';
import type { Config } from '../config.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import { fieldsOf } from './campaign-hours.js';
import type { CampaignTransitions, Transition } from './campaign-transitions.js';
import { dropBuckets } from './contact-queue.js';
import type { ContactState } from './contact-state.js';
import { DELETABLE_STATUSES, EDITABLE_STATUSES, LIVE_BUCKETS, NOT_REACHED, nameProblem, type Counts } from './vocabulary.js';

export { nameProblem, NAME_PATTERN } from './vocabulary.js';

export interface CampaignSummary {
  campaign: CampaignFields;
  counts: Counts;
  /** Contacts a start would call: waiting ones, plus those not reached that have attempts left. */
  toCall: number;
}

export type Refusal =
  | 'not-found'
  | 'forbidden'
  | 'guest'
  | 'not-operator'
  | 'channel-not-allowed'
  | 'wrong-status'
  | 'nothing-to-call'
  | 'calls-live'
  | 'end-passed';

export type ActionResult =
  | { ok: true; campaign: CampaignFields; requeued?: number; atCap?: number }
  | { ok: false; reason: Refusal; campaign: CampaignFields | null; atCap?: number; allowedChannels?: readonly string[] };

/**
 * Who asks. `guest` and `operator` are facts about the person that Slack knows (a restricted account; a member of
 * CAMPAIGN_OPERATORS, or anyone when it is empty); the service decides what they allow. Absent means "not a guest,
 * an operator" (the command line, the clock).
 */
export interface Actor {
  userId: string;
  guest?: boolean;
  operator?: boolean;
}

export interface ServiceOptions {
  /** Slack user ids allowed to act on any campaign (CAMPAIGN_ADMINS). */
  admins: readonly string[];
  /** Channels where campaigns may report (CAMPAIGN_CHANNELS); empty means any. */
  channels?: readonly string[];
  /** The mode a start records (`live` or `rehearsal`): processes of the other mode never run the campaign. */
  mode: 'live' | 'rehearsal';
  /** Rules a new campaign starts with. */
  defaults: Pick<Config, 'callingHours' | 'retry'>;
  /** Business time; tests inject one. */
  now?: () => Date;
}

export interface NewCampaign {
  teamId: string;
  name: string;
  title: string;
  description: string;
  owner: string;
  channel: string | null;
  callerId: string | null;
  callsPerMinute: number | null;
  /** Rules set in the create form; unset ones take the defaults. */
  rules?: Partial<Pick<CampaignFields, 'retry' | 'calling_hours' | 'call_until' | 'scheduled_at' | 'message_template' | 'keys'>>;
}

export type CreateResult = { ok: true; campaign: CampaignFields } | { ok: false; field: 'name'; message: string };

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

export class CampaignService {
  constructor(
    private readonly store: Store,
    private readonly state: ContactState,
    private readonly transitions: CampaignTransitions,
    private readonly options: ServiceOptions,
  ) {}

  /** The owner of a campaign and the admins may change it (pause, resume, stop, retry, add, edit, delete). */
  canManage(campaign: Pick<CampaignFields, 'owner'>, actor: Actor): boolean {
    return campaign.owner === actor.userId || this.options.admins.includes(actor.userId);
  }

  /** Why this person may not create a campaign, or null. Guests never may; operators (or everyone, by default) may. */
  createRefusal(actor: Actor): 'guest' | 'not-operator' | null {
    if (this.isAdmin(actor.userId)) return null;
    if (actor.guest) return 'guest';
    return actor.operator === false ? 'not-operator' : null;
  }

  /** Why this person may not start (or schedule) this campaign, or null: its owner or an admin, never a guest, an operator. */
  startRefusal(campaign: Pick<CampaignFields, 'owner'>, actor: Actor): 'forbidden' | 'guest' | 'not-operator' | null {
    if (this.isAdmin(actor.userId)) return null;
    if (actor.guest) return 'guest';
    if (campaign.owner !== actor.userId) return 'forbidden';
    return actor.operator === false ? 'not-operator' : null;
  }

  /** Export and the contacts View (every number and name): the owner, operators and admins; never a guest. */
  exportRefusal(campaign: Pick<CampaignFields, 'owner'>, actor: Actor): 'forbidden' | 'guest' | null {
    if (this.isAdmin(actor.userId)) return null;
    if (actor.guest) return 'guest';
    return campaign.owner === actor.userId || actor.operator === true ? null : 'forbidden';
  }

  /** Whether a campaign may report in this channel (CAMPAIGN_CHANNELS). */
  channelAllowed(channel: string | null | undefined): boolean {
    const allowed = this.options.channels ?? [];
    return allowed.length === 0 || (channel != null && allowed.includes(channel));
  }

  get allowedChannels(): readonly string[] {
    return this.options.channels ?? [];
  }

  isAdmin(userId: string): boolean {
    return this.options.admins.includes(userId);
  }

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

  /** Creates a draft campaign with the default rules; the unique index settles two people choosing one name at once. */
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
        retry: this.options.defaults.retry,
        calling_hours: fieldsOf(this.options.defaults.callingHours),
        ...input.rules,
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
   * Deletes a campaign that is not running and has no call that may still be live (owner or admin). The campaign goes
   * first, in one conditional delete, so a campaign started meanwhile is never deleted.
   */
  async delete(id: Types.ObjectId, actor: Actor): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!this.canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const quiet = Object.fromEntries(LIVE_BUCKETS.map((b) => [`counts.${b}`, 0]));
    const deleted = await this.store.Campaign.findOneAndDelete({ _id: id, status: { $in: DELETABLE_STATUSES }, ...quiet }).lean();
    if (!deleted) {
      const now = (await this.findById(id)) ?? campaign;
      const live = LIVE_BUCKETS.some((b) => now.counts[b] > 0);
      return { ok: false, reason: live && DELETABLE_STATUSES.includes(now.status) ? 'calls-live' : 'wrong-status', campaign: now };
    }
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

  /** What a start would do, from the campaign view. */
  summary(campaign: CampaignFields): CampaignSummary {
    const { counts } = campaign;
    const notReached = NOT_REACHED.reduce((n, b) => n + counts[b], 0);
    return { campaign, counts, toCall: counts.pending + counts.retrying + notReached };
  }

  /**
   * Starts (or restarts) a campaign: one atomic status change, so of two clicks exactly one starts it. A restart
   * queues again the contacts not reached that have attempts left. `set` is written with the status (the channel of
   * the progress message).
   */
  async start(id: Types.ObjectId, actor: Actor, set: Partial<CampaignFields> = {}): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    const refused = this.startRefusal(campaign, actor);
    if (refused) return { ok: false, reason: refused, campaign };
    if ('progress_channel' in set && !this.channelAllowed(set.progress_channel))
      return { ok: false, reason: 'channel-not-allowed', campaign, allowedChannels: this.allowedChannels };
    if (campaign.status === 'running' || campaign.status === 'paused') return { ok: false, reason: 'wrong-status', campaign };
    const ended = this.#endPassed(campaign, this.options.now?.() ?? new Date());
    if (ended) return ended;
    const nothing = await this.#nothingToCall(campaign);
    if (nothing) return nothing;
    const result = await this.transitions.apply(id, 'start', {
      by: actor.userId,
      set: {
        progress_ts: null,
        progress_final: false,
        report_ts: null,
        report_cost_final: false,
        chart_posted: false,
        mode: this.options.mode,
        ...set,
      },
    });
    if (!result.ok) return { ok: false, reason: 'wrong-status', campaign: result.campaign };
    const { requeued, atCap } = await this.#requeue(result.campaign);
    return { ok: true, campaign: (await this.findById(id)) ?? result.campaign, requeued, atCap };
  }

  /**
   * Schedules a start at `at` (the same checks as start); the campaign becomes `scheduled` and starts then, whichever
   * process is running at that moment (clockwork.ts), even if every process restarted in between.
   */
  async schedule(id: Types.ObjectId, actor: Actor, at: Date, set: Partial<CampaignFields> = {}): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    const refused = this.startRefusal(campaign, actor);
    if (refused) return { ok: false, reason: refused, campaign };
    if ('progress_channel' in set && !this.channelAllowed(set.progress_channel))
      return { ok: false, reason: 'channel-not-allowed', campaign, allowedChannels: this.allowedChannels };
    const ended = this.#endPassed(campaign, at);
    if (ended) return ended;
    const nothing = await this.#nothingToCall(campaign);
    if (nothing) return nothing;
    const result = await this.transitions.apply(id, 'schedule', {
      by: actor.userId,
      set: { scheduled_at: at, started_by: actor.userId, mode: this.options.mode, ...set },
    });
    return result.ok ? { ok: true, campaign: result.campaign } : { ok: false, reason: 'wrong-status', campaign: result.campaign };
  }

  async unschedule(id: Types.ObjectId, actor: Actor): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!this.canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const result = await this.transitions.apply(id, 'unschedule', { by: actor.userId, set: { scheduled_at: null } });
    return result.ok ? { ok: true, campaign: result.campaign } : { ok: false, reason: 'wrong-status', campaign: result.campaign };
  }

  /** The clock's start of a scheduled campaign: only the schedule it was given (a re-schedule moved it: nothing). */
  async startScheduled(id: Types.ObjectId, at: Date): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    const result = await this.transitions.apply(id, 'start', {
      by: campaign.started_by,
      where: { status: 'scheduled', scheduled_at: at },
      set: {
        progress_ts: null,
        progress_final: false,
        report_ts: null,
        report_cost_final: false,
        chart_posted: false,
        progress_channel: campaign.progress_channel ?? campaign.channel,
      },
    });
    if (!result.ok) return { ok: false, reason: 'wrong-status', campaign: result.campaign };
    const { requeued, atCap } = await this.#requeue(result.campaign);
    return { ok: true, campaign: (await this.findById(id)) ?? result.campaign, requeued, atCap };
  }

  /** Ends a campaign whose end date passed: nothing more is dialled; contacts never called stay counted as such. */
  async expire(id: Types.ObjectId, now: Date): Promise<ActionResult> {
    const result = await this.transitions.apply(id, 'expire', {
      where: { call_until: { $lte: now } },
      reason: 'Its end date passed; nothing more is dialled.',
    });
    return result.ok ? { ok: true, campaign: result.campaign } : { ok: false, reason: 'wrong-status', campaign: result.campaign };
  }

  /** Changes a campaign's rules while it is not running (one conditional update). */
  async updateRules(
    id: Types.ObjectId,
    actor: Actor,
    rules: Partial<
      Pick<
        CampaignFields,
        'retry' | 'calling_hours' | 'call_until' | 'calls_per_minute' | 'caller_id' | 'message_template' | 'keys' | 'title' | 'description'
      >
    >,
  ): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!this.canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const after = await this.store.Campaign.findOneAndUpdate(
      { _id: id, status: { $in: EDITABLE_STATUSES } },
      { $set: rules },
      { returnDocument: 'after', runValidators: true },
    ).lean();
    return after
      ? { ok: true, campaign: after as CampaignFields }
      : { ok: false, reason: 'wrong-status', campaign: (await this.findById(id)) ?? campaign };
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

  /** Queues again the contacts not reached that have attempts left; says how many are at their cap. */
  async retry(id: Types.ObjectId, actor: Actor): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!this.canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const { requeued, atCap } = await this.#requeue(campaign);
    if (requeued === 0) return { ok: false, reason: 'nothing-to-call', campaign, atCap };
    return { ok: true, campaign: (await this.findById(id)) ?? campaign, requeued, atCap };
  }

  async #change(id: Types.ObjectId, actor: Actor, transition: Transition): Promise<ActionResult> {
    const campaign = await this.findById(id);
    if (!campaign) return { ok: false, reason: 'not-found', campaign: null };
    if (!this.canManage(campaign, actor)) return { ok: false, reason: 'forbidden', campaign };
    const result = await this.transitions.apply(id, transition, { by: actor.userId });
    return result.ok ? { ok: true, campaign: result.campaign } : { ok: false, reason: 'wrong-status', campaign: result.campaign };
  }

  /**
   * The refusal when a start would call nobody: nobody waits, and every number not reached has had all the attempts
   * the rules allow (a scan of those contacts, only when nobody waits).
   */
  async #nothingToCall(campaign: CampaignFields): Promise<Extract<ActionResult, { ok: false }> | null> {
    const { counts } = campaign;
    if (counts.pending + counts.retrying > 0) return null;
    if (NOT_REACHED.reduce((n, b) => n + counts[b], 0) === 0) return { ok: false, reason: 'nothing-to-call', campaign };
    const finals = await this.#finals(campaign);
    const under = finals.filter((c) => c.attempts < campaign.retry.max_attempts).length;
    return under > 0 ? null : { ok: false, reason: 'nothing-to-call', campaign, atCap: finals.length };
  }

  async #finals(campaign: CampaignFields): Promise<ContactFields[]> {
    return (await this.store.Contact.find(
      { campaign_id: campaign._id, call_status: { $in: [...NOT_REACHED] } },
      { _id: 1, call_status: 1, tries: 1, attempts: 1, campaign_id: 1 },
    ).lean()) as ContactFields[];
  }

  /** A start or schedule after the end date would only expire again: refuse it with its reason. */
  #endPassed(campaign: CampaignFields, at: Date): Extract<ActionResult, { ok: false }> | null {
    return campaign.call_until && campaign.call_until.getTime() <= at.getTime() ? { ok: false, reason: 'end-passed', campaign } : null;
  }

  /** Contacts not reached go back to the queue when they have attempts left under the campaign's rules. */
  async #requeue(campaign: CampaignFields): Promise<{ requeued: number; atCap: number }> {
    const notReached = NOT_REACHED.reduce((n, b) => n + campaign.counts[b], 0);
    if (notReached === 0) return { requeued: 0, atCap: 0 };
    const finals = await this.#finals(campaign);
    const under = finals.filter((c) => c.attempts < campaign.retry.max_attempts);
    const requeued = await this.state.requeue(campaign._id, under, this.options.now?.() ?? new Date());
    return { requeued, atCap: finals.length - under.length };
  }

  /** In batches: one huge delete fails on SQLite-backed servers ("too many SQL variables") and holds locks long. */
  async #deleteContacts(id: Types.ObjectId): Promise<void> {
    for (;;) {
      const batch = await this.store.Contact.find({ campaign_id: id }, { _id: 1 }).limit(1_000).lean();
      if (batch.length === 0) break;
      await this.store.Contact.deleteMany({ _id: { $in: batch.map((c) => c._id) } });
    }
    await dropBuckets(this.store, id);
    await this.store.Failure.deleteMany({ campaign_id: id });
    await this.store.Call.deleteMany({ campaign_id: id });
  }
}
