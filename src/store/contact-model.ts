import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';

/** `call_status` values (the original system's field name). See DESIGN.md, State. */
export const CALL_STATUSES = [
  'pending',
  'dialing',
  'initiated',
  'unknown',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'skipped',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Outcomes Exotel reports when a call ends. */
export const TERMINAL_CALL_STATUSES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type TerminalCallStatus = (typeof TERMINAL_CALL_STATUSES)[number];

export const SKIP_REASONS = ['invalid', 'dnc', 'duplicate'] as const;

export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ContactFields {
  _id: Types.ObjectId;
  campaign_id: Types.ObjectId;
  phone: string;
  name: string;
  description: string;
  call_status: CallStatus;
  skip_reason: SkipReason | null;
  attempts: number;
  next_attempt_at: Date;
  runner_id: string | null;
  claimed_at: Date | null;
  call_sid: string | null;
  call_started_at: Date | null;
  call_ended_at: Date | null;
  call_duration: number | null;
  call_error: string | null;
  outcome_at: Date | null;
  last_outcome: TerminalCallStatus | null;
  check_after: Date | null;
  reported_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const contactSchema = new Schema<ContactFields>(
  {
    campaign_id: { type: Schema.Types.ObjectId, required: true, ref: 'Campaign' },
    /** Normalised number, 91XXXXXXXXXX. */
    phone: { type: String, required: true },
    name: { type: String, default: '', maxlength: 200 },
    description: { type: String, default: '', maxlength: 1000 },

    call_status: { type: String, enum: CALL_STATUSES, default: 'pending', required: true },
    skip_reason: { type: String, enum: [...SKIP_REASONS, null], default: null },
    /** Attempts started (claims), including the one in progress. */
    attempts: { type: Number, default: 0, min: 0 },
    /** Earliest time the next attempt may be claimed. */
    next_attempt_at: { type: Date, default: () => new Date(0) },

    /** Which runner claimed the current attempt, and when. */
    runner_id: { type: String, default: null },
    claimed_at: { type: Date, default: null },

    call_sid: { type: String, default: null },
    call_started_at: { type: Date, default: null },
    call_ended_at: { type: Date, default: null },
    call_duration: { type: Number, default: null },
    /** Exotel's message for a failed request or call, or why the outcome is unknown. */
    call_error: { type: String, default: null },
    /** When the terminal outcome was recorded (callback or reconciliation). */
    outcome_at: { type: Date, default: null },
    /** The outcome of the previous attempt, kept while a retry waits (shown as "retrying"). */
    last_outcome: { type: String, enum: [...TERMINAL_CALL_STATUSES, null], default: null },
    /** When to ask Exotel about an initiated call whose outcome has not arrived, or re-check an unknown one. */
    check_after: { type: Date, default: null },
    /** When this contact's failure was posted in the progress message's thread. */
    reported_at: { type: Date, default: null },
  },
  {
    strict: 'throw',
    collection: 'contacts',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
  },
);

contactSchema.index({ campaign_id: 1, phone: 1 }, { unique: true });
contactSchema.index({ campaign_id: 1, call_status: 1, next_attempt_at: 1 });
// Status callbacks find their contact by Exotel's CallSid.
contactSchema.index({ call_sid: 1 });

export type ContactDoc = HydratedDocument<ContactFields>;
export type ContactModel = Model<ContactFields>;

export function contactModel(connection: Connection): ContactModel {
  return connection.model<ContactFields>('Contact', contactSchema);
}
