import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { OUTCOMES, type Outcome } from '../campaigns/vocabulary.js';

/**
 * One request to place a call, and what became of it: `_id` is `<contact id>:<try>`, the same text sent to Exotel as
 * `CustomField`, so an outcome, a price that arrives minutes later, the keys pressed or a late callback of an earlier
 * attempt all land on the attempt they belong to.
 */
export interface CallFields {
  _id: string;
  campaign_id: Types.ObjectId;
  contact_id: string;
  try: number;
  /** sent → placed | not-placed | absent; placed → one of the outcomes. */
  state: 'sent' | 'placed' | 'not-placed' | 'absent' | Outcome;
  sent_at: Date;
  sid: string | null;
  outcome_at: Date | null;
  duration: number | null;
  /** Exotel's Price, once reported (about 2–5 minutes after the call ends). */
  price: number | null;
  answered_by: string | null;
  digits: string | null;
  /** When to ask Exotel for a price still missing. */
  price_check_after: Date | null;
}

export const callSchema = new Schema<CallFields>(
  {
    _id: { type: String, required: true },
    campaign_id: { type: Schema.Types.ObjectId, required: true },
    contact_id: { type: String, required: true },
    try: { type: Number, required: true },
    state: { type: String, enum: ['sent', 'placed', 'not-placed', 'absent', ...OUTCOMES], required: true },
    sent_at: { type: Date, required: true },
    sid: { type: String, default: null },
    outcome_at: { type: Date, default: null },
    duration: { type: Number, default: null },
    price: { type: Number, default: null },
    answered_by: { type: String, default: null },
    digits: { type: String, default: null },
    price_check_after: { type: Date, default: null },
  },
  { strict: 'throw', collection: 'calls', versionKey: false },
);

callSchema.index({ campaign_id: 1 });

export type CallModel = Model<CallFields>;

export function callModel(connection: Connection): CallModel {
  return connection.model<CallFields>('Call', callSchema);
}

/** The `CustomField` of an attempt, and the `_id` of its call record. */
export function attemptKey(contactId: string, tryNumber: number): string {
  return `${contactId}:${tryNumber}`;
}

/** The contact id and try of an attempt key (what Exotel echoes as `CustomField`), or null when it is not one. */
export function parseAttemptKey(text: string | null | undefined): { contactId: string; try: number } | null {
  const m = /^([0-9a-f]{24}:\d{7,}):(\d+)$/i.exec(text ?? '');
  return m ? { contactId: m[1]!, try: Number(m[2]) } : null;
}
