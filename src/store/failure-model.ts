import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { OUTCOMES, type Outcome } from '../campaigns/vocabulary.js';

/**
 * A contact finally not reached, waiting to be posted in its campaign's thread (`_id` is the attempt key). Written
 * before the contact's final transition and deleted once posted, so the collection holds only what is still to be
 * said and the reporter reads O(new failures), never the campaign's contacts.
 */
export interface FailureFields {
  _id: string;
  campaign_id: Types.ObjectId;
  contact_id: string;
  try: number;
  phone: string;
  name: string;
  outcome: Outcome;
  reason: string | null;
  at: Date;
}

export const failureSchema = new Schema<FailureFields>(
  {
    _id: { type: String, required: true },
    campaign_id: { type: Schema.Types.ObjectId, required: true },
    contact_id: { type: String, required: true },
    try: { type: Number, required: true },
    phone: { type: String, required: true },
    name: { type: String, default: '' },
    outcome: { type: String, enum: OUTCOMES, required: true },
    reason: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { strict: 'throw', collection: 'failure_outbox', versionKey: false },
);

failureSchema.index({ campaign_id: 1, at: 1 });

export type FailureModel = Model<FailureFields>;

export function failureModel(connection: Connection): FailureModel {
  return connection.model<FailureFields>('Failure', failureSchema);
}
