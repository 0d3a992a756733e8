import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'stopped'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Statuses a campaign never leaves. */
export const FINAL_CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['completed', 'stopped'];

const retryPolicySchema = new Schema(
  {
    /** Attempts per contact including the first; 1 means no retry. */
    max_attempts: { type: Number, min: 1, max: 4, default: 1 },
    /** Wait before a retry, in seconds. */
    delay_seconds: { type: Number, min: 0, default: 1800 },
    /** Outcomes that earn a retry. */
    on: { type: [String], enum: ['busy', 'no-answer', 'failed'], default: ['busy', 'no-answer'] },
  },
  { _id: false, strict: 'throw' },
);

const callingWindowSchema = new Schema(
  {
    start: { type: String, match: /^\d{2}:\d{2}$/ },
    end: { type: String, match: /^\d{2}:\d{2}$/ },
    tz: { type: String },
  },
  { _id: false, strict: 'throw' },
);

export interface RetryPolicy {
  max_attempts: number;
  delay_seconds: number;
  on: Array<'busy' | 'no-answer' | 'failed'>;
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
  total_contacts: number;
  calls_completed: number;
  calls_failed: number;
  calls_busy: number;
  calls_no_answer: number;
  calls_canceled: number;
  contacts_skipped: number;
  started_at: Date | null;
  completed_at: Date | null;
  calls_per_minute: number | null;
  caller_id: string | null;
  retry: RetryPolicy;
  calling_window: { start: string; end: string; tz: string | null } | null;
  scheduled_at: Date | null;
  progress_channel: string | null;
  progress_ts: string | null;
  progress_final: boolean;
  runner_id: string | null;
  lease_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const campaignSchema = new Schema<CampaignFields>(
  {
    team_id: { type: String, required: true },
    /** The slug users type: lowercase letters, digits and dashes. */
    name: { type: String, required: true, lowercase: true, trim: true, match: /^[a-z0-9][a-z0-9-]{0,62}$/ },
    title: { type: String, required: true, trim: true, maxlength: 150 },
    description: { type: String, default: '', maxlength: 3000 },
    /** Slack user id of the owner. */
    owner: { type: String, required: true },
    /** Channel where the progress message lives. */
    channel: { type: String, default: null },
    status: { type: String, enum: CAMPAIGN_STATUSES, default: 'draft', required: true },
    /** Why the status last changed when a person did not change it (e.g. Exotel rejected the credentials). */
    status_reason: { type: String, default: null },

    // Counters. total_contacts, calls_completed and calls_failed are the original system's names.
    total_contacts: { type: Number, default: 0, min: 0 },
    calls_completed: { type: Number, default: 0, min: 0 },
    calls_failed: { type: Number, default: 0, min: 0 },
    calls_busy: { type: Number, default: 0, min: 0 },
    calls_no_answer: { type: Number, default: 0, min: 0 },
    calls_canceled: { type: Number, default: 0, min: 0 },
    contacts_skipped: { type: Number, default: 0, min: 0 },

    started_at: { type: Date, default: null },
    completed_at: { type: Date, default: null },

    /** Overrides of the account-wide settings; null means "use the account's". */
    calls_per_minute: { type: Number, min: 1, max: 200, default: null },
    caller_id: { type: String, default: null },
    retry: { type: retryPolicySchema, default: () => ({}) },
    calling_window: { type: callingWindowSchema, default: null },
    scheduled_at: { type: Date, default: null },

    /** The live progress message; failures are threaded beneath it. */
    progress_channel: { type: String, default: null },
    progress_ts: { type: String, default: null },
    /** True once the progress message shows the campaign's end. */
    progress_final: { type: Boolean, default: false },

    /** Runner lease: the process that dials this campaign, until the lease expires. */
    runner_id: { type: String, default: null },
    lease_expires_at: { type: Date, default: null },
  },
  {
    strict: 'throw',
    collection: 'campaigns',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    optimisticConcurrency: false,
  },
);

campaignSchema.index({ team_id: 1, name: 1 }, { unique: true });
campaignSchema.index({ status: 1 });
campaignSchema.index({ owner: 1, updated_at: -1 });

export type CampaignDoc = HydratedDocument<CampaignFields>;
export type CampaignModel = Model<CampaignFields>;

export function campaignModel(connection: Connection): CampaignModel {
  return connection.model<CampaignFields>('Campaign', campaignSchema);
}
