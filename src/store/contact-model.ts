import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';
import { CALL_STATUSES, OUTCOMES, SKIP_REASONS, type CallStatus, type Outcome, type SkipReason } from '../campaigns/vocabulary.js';

export type { CallStatus, SkipReason } from '../campaigns/vocabulary.js';
export { CALL_STATUSES, SKIP_REASONS } from '../campaigns/vocabulary.js';
/** Outcomes Exotel reports when a call ends. */
export const TERMINAL_CALL_STATUSES = OUTCOMES;
export type TerminalCallStatus = Outcome;

/**
 * A contact's `_id` is `<campaign id>:<sequence number>`, 7 digits: the engine walks a campaign's contacts by `_id`,
 * the one lookup every database (FerretDB included) serves without reading the whole collection.
 */
export function contactId(campaignId: Types.ObjectId | string, seq: number): string {
  return `${String(campaignId)}:${String(seq).padStart(7, '0')}`;
}

/** The campaign id and sequence number of a contact id, or null when it is not one. */
export function parseContactId(id: string): { campaignId: string; seq: number } | null {
  const m = /^([0-9a-f]{24}):(\d{7,})$/i.exec(id);
  return m ? { campaignId: m[1]!.toLowerCase(), seq: Number(m[2]) } : null;
}

export interface ContactFields {
  _id: string;
  campaign_id: Types.ObjectId;
  seq: number;
  phone: string;
  name: string;
  description: string;
  /** Extra CSV columns (amount, due_date, loan_id, …). */
  fields: Record<string, string>;

  call_status: CallStatus;
  skip_reason: SkipReason | null;
  /** Requests sent for this contact, ever: the current one's number; `CustomField` is `<_id>:<tries>`. */
  tries: number;
  /** Calls placed, or possibly placed: what the attempt cap counts (a request proven not placed gives it back). */
  attempts: number;
  /** Earliest time the next attempt may be made. */
  next_attempt_at: Date;
  /** The run that made the current request, and its lease epoch. */
  runner_id: string | null;
  lease_epoch: number | null;
  /** When the current request was sent (set immediately before sending): the grace for an ambiguous answer counts from it. */
  sent_at: Date | null;
  /** The live-call line this attempt holds. */
  line_id: string | null;

  call_sid: string | null;
  call_started_at: Date | null;
  call_ended_at: Date | null;
  call_duration: number | null;
  /** Exotel's message for a failed request or call, or why the outcome is still being checked. */
  call_error: string | null;
  outcome_at: Date | null;
  /** The outcome of the last finished attempt; on a pending contact it means "waiting for a retry". */
  last_outcome: Outcome | null;
  answered_by: string | null;
  digits: string | null;
  /** When to ask Exotel about this attempt next. */
  check_after: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const contactSchema = new Schema<ContactFields>(
  {
    _id: { type: String, required: true },
    campaign_id: { type: Schema.Types.ObjectId, required: true, ref: 'Campaign' },
    seq: { type: Number, required: true },
    /** Normalised number, 91XXXXXXXXXX. */
    phone: { type: String, required: true },
    name: { type: String, default: '', maxlength: 200 },
    description: { type: String, default: '', maxlength: 1000 },
    fields: { type: Schema.Types.Mixed, default: () => ({}) },

    call_status: { type: String, enum: CALL_STATUSES, default: 'pending', required: true },
    skip_reason: { type: String, enum: [...SKIP_REASONS, null], default: null },
    tries: { type: Number, default: 0, min: 0 },
    attempts: { type: Number, default: 0, min: 0 },
    next_attempt_at: { type: Date, default: () => new Date(0) },
    runner_id: { type: String, default: null },
    lease_epoch: { type: Number, default: null },
    sent_at: { type: Date, default: null },
    line_id: { type: String, default: null },

    call_sid: { type: String, default: null },
    call_started_at: { type: Date, default: null },
    call_ended_at: { type: Date, default: null },
    call_duration: { type: Number, default: null },
    call_error: { type: String, default: null },
    outcome_at: { type: Date, default: null },
    last_outcome: { type: String, enum: [...OUTCOMES, null], default: null },
    answered_by: { type: String, default: null },
    digits: { type: String, default: null },
    check_after: { type: Date, default: null },
  },
  {
    strict: 'throw',
    collection: 'contacts',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    minimize: false,
  },
);

// Import dedupes by number; exports and the finish report read a campaign's contacts in order.
contactSchema.index({ campaign_id: 1, phone: 1 }, { unique: true });
contactSchema.index({ campaign_id: 1, seq: 1 });

export type ContactDoc = HydratedDocument<ContactFields>;
export type ContactModel = Model<ContactFields>;

export function contactModel(connection: Connection): ContactModel {
  return connection.model<ContactFields>('Contact', contactSchema);
}
