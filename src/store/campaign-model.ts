import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';
import {
  BUCKETS,
  CAMPAIGN_STATUSES,
  MAX_ATTEMPTS_MAX,
  MAX_ATTEMPTS_MIN,
  PACE_MAX,
  PACE_MIN,
  RETRY_OUTCOMES,
  type CampaignStatus,
  type Counts,
  type RetryOutcome,
} from '../campaigns/vocabulary.js';

export type { CampaignStatus } from '../campaigns/vocabulary.js';

export interface RetryPolicy {
  /** Outcomes that earn another attempt. */
  on: RetryOutcome[];
  /** Attempts per contact, first call and manual retries included. */
  max_attempts: number;
  /** Wait before the next attempt, in seconds, per outcome. */
  delays: Record<RetryOutcome, number>;
  /** Double the wait after every attempt. */
  exponential: boolean;
}

export interface CallingHoursFields {
  /** ISO weekdays (Mon = 1 … Sun = 7). */
  days: number[];
  /** HH:MM, start inclusive, end exclusive, local to `tz`. */
  start: string;
  end: string;
  tz: string;
  /** Local dates (YYYY-MM-DD) with no calls. */
  skip: string[];
}

export interface CampaignStats {
  /** Calls Exotel accepted. */
  placed: number;
  talk_seconds: number;
  /** Sum of Exotel's Price of the calls whose price is known. */
  cost: number;
  /** Calls whose price Exotel has not reported yet. */
  cost_pending: number;
  /** Calls Exotel never reported a price for. */
  cost_missing: number;
  answered_human: number;
  answered_machine: number;
  /** Keys pressed (Passthru digits) → how many calls. */
  keys: Record<string, number>;
  /** Epoch minute of the start of the campaign's local hour → outcome (and `human`) → calls. */
  hours: Record<string, Partial<Record<string, number>>>;
}

export interface CampaignAction {
  verb: string;
  by: string | null;
  at: Date;
}

/** Why a running campaign is not dialling now, written by its run for everyone who looks. */
export interface DialWait {
  reason: 'outside-hours' | 'waiting-retries' | 'waiting-outcomes' | 'live-cap' | 'rate-held' | 'scheduled' | null;
  until: Date | null;
}

export interface CampaignFields {
  _id: Types.ObjectId;
  team_id: string;
  name: string;
  title: string;
  description: string;
  owner: string;
  channel: string | null;
  status: CampaignStatus;
  status_reason: string | null;
  /** `live` or `rehearsal`, recorded at start: a process in the other mode never adopts the campaign. */
  mode: 'live' | 'rehearsal' | null;

  // The campaign view: counters kept true by every contact transition (see campaign-view.ts).
  total_contacts: number;
  /** Calls Exotel reported completed (the original system's name). */
  calls_completed: number;
  /** Contacts finally not reached: busy, no answer, failed or canceled after their last attempt. */
  calls_failed: number;
  counts: Counts;
  /** Incremented with every change of the counters, so a recount can tell whether it raced one. */
  view_version: number;
  stats: CampaignStats;

  started_at: Date | null;
  started_by: string | null;
  completed_at: Date | null;
  last_action: CampaignAction | null;

  calls_per_minute: number | null;
  caller_id: string | null;
  retry: RetryPolicy;
  calling_hours: CallingHoursFields;
  scheduled_at: Date | null;
  call_until: Date | null;
  message_template: string | null;
  /** Passthru keys → meaning (`1` → `paid`); a meaning of `do not call` adds the number to the do-not-call list. */
  keys: Record<string, string>;
  /** Extra CSV columns the contacts carry (amount, due_date, …). */
  columns: string[];

  /** Sequence numbers: the last one given to a contact, and the next one the first-attempt queue will look at. */
  contacts_seq: number;
  queue_seq: number;
  /** Retry queue: minutes (epoch minute) below this have been handed to the run. */
  retry_cursor: number;
  /** Completion waits while a requeue may be in flight. */
  requeue_until: Date | null;
  dial_wait: DialWait;

  progress_channel: string | null;
  progress_ts: string | null;
  progress_final: boolean;
  /** The finish report in the thread (its ts), whether it shows the final cost, and whether the chart went with it. */
  report_ts: string | null;
  report_cost_final: boolean;
  chart_posted: boolean;

  runner_id: string | null;
  lease_expires_at: Date | null;
  /** Incremented by every adoption: a runner whose epoch is older may not send anything. */
  lease_epoch: number;
  created_at: Date;
  updated_at: Date;
}

const countsSchema = new Schema(Object.fromEntries(BUCKETS.map((b) => [b, { type: Number, default: 0 }])), { _id: false, strict: 'throw' });

const retryPolicySchema = new Schema(
  {
    on: { type: [String], enum: RETRY_OUTCOMES, default: ['busy', 'no-answer'] },
    max_attempts: { type: Number, min: MAX_ATTEMPTS_MIN, max: MAX_ATTEMPTS_MAX, default: 3 },
    delays: {
      type: new Schema(
        {
          busy: { type: Number, min: 0, default: 1800 },
          'no-answer': { type: Number, min: 0, default: 7200 },
          failed: { type: Number, min: 0, default: 1800 },
        },
        { _id: false, strict: 'throw' },
      ),
      default: () => ({}),
    },
    exponential: { type: Boolean, default: false },
  },
  { _id: false, strict: 'throw' },
);

const callingHoursSchema = new Schema(
  {
    days: { type: [Number], default: [1, 2, 3, 4, 5, 6, 7] },
    start: { type: String, match: /^\d{2}:\d{2}$/, default: '09:00' },
    end: { type: String, match: /^\d{2}:\d{2}$/, default: '21:00' },
    tz: { type: String, default: 'Asia/Kolkata' },
    skip: { type: [String], default: [] },
  },
  { _id: false, strict: 'throw' },
);

const statsSchema = new Schema(
  {
    placed: { type: Number, default: 0 },
    talk_seconds: { type: Number, default: 0 },
    cost: { type: Number, default: 0 },
    cost_pending: { type: Number, default: 0 },
    cost_missing: { type: Number, default: 0 },
    answered_human: { type: Number, default: 0 },
    answered_machine: { type: Number, default: 0 },
    keys: { type: Schema.Types.Mixed, default: () => ({}) },
    hours: { type: Schema.Types.Mixed, default: () => ({}) },
  },
  { _id: false, strict: 'throw', minimize: false },
);

export const campaignSchema = new Schema<CampaignFields>(
  {
    team_id: { type: String, required: true },
    name: { type: String, required: true, lowercase: true, trim: true, match: /^[a-z0-9][a-z0-9-]{0,62}$/ },
    title: { type: String, required: true, trim: true, maxlength: 150 },
    description: { type: String, default: '', maxlength: 3000 },
    owner: { type: String, required: true },
    channel: { type: String, default: null },
    status: { type: String, enum: CAMPAIGN_STATUSES, default: 'draft', required: true },
    status_reason: { type: String, default: null },
    mode: { type: String, enum: ['live', 'rehearsal', null], default: null },

    total_contacts: { type: Number, default: 0 },
    calls_completed: { type: Number, default: 0 },
    calls_failed: { type: Number, default: 0 },
    counts: { type: countsSchema, default: () => ({}) },
    view_version: { type: Number, default: 0 },
    stats: { type: statsSchema, default: () => ({}) },

    started_at: { type: Date, default: null },
    started_by: { type: String, default: null },
    completed_at: { type: Date, default: null },
    last_action: {
      type: new Schema({ verb: String, by: { type: String, default: null }, at: Date }, { _id: false, strict: 'throw' }),
      default: null,
    },

    calls_per_minute: { type: Number, min: PACE_MIN, max: PACE_MAX, default: null },
    caller_id: { type: String, default: null },
    retry: { type: retryPolicySchema, default: () => ({}) },
    calling_hours: { type: callingHoursSchema, default: () => ({}) },
    scheduled_at: { type: Date, default: null },
    call_until: { type: Date, default: null },
    message_template: { type: String, default: null, maxlength: 1000 },
    keys: { type: Schema.Types.Mixed, default: () => ({}) },
    columns: { type: [String], default: [] },

    contacts_seq: { type: Number, default: 0 },
    queue_seq: { type: Number, default: 1 },
    retry_cursor: { type: Number, default: 0 },
    requeue_until: { type: Date, default: null },
    dial_wait: {
      type: new Schema({ reason: { type: String, default: null }, until: { type: Date, default: null } }, { _id: false, strict: 'throw' }),
      default: () => ({ reason: null, until: null }),
    },

    progress_channel: { type: String, default: null },
    progress_ts: { type: String, default: null },
    progress_final: { type: Boolean, default: false },
    report_ts: { type: String, default: null },
    report_cost_final: { type: Boolean, default: false },
    chart_posted: { type: Boolean, default: false },

    runner_id: { type: String, default: null },
    lease_expires_at: { type: Date, default: null },
    lease_epoch: { type: Number, default: 0 },
  },
  {
    strict: 'throw',
    collection: 'campaigns',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    optimisticConcurrency: false,
    minimize: false,
  },
);

campaignSchema.index({ team_id: 1, name: 1 }, { unique: true });
campaignSchema.index({ status: 1 });

export type CampaignDoc = HydratedDocument<CampaignFields>;
export type CampaignModel = Model<CampaignFields>;

export function campaignModel(connection: Connection): CampaignModel {
  return connection.model<CampaignFields>('Campaign', campaignSchema);
}
