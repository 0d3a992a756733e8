import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The contacts of one campaign that become due for another attempt in one 10-second slot: `_id` `<campaign id>:<slot>`
 * (epoch milliseconds ÷ 10,000). A contact is put in its bucket before it is made pending again, so a crash in between can only leave a
 * harmless extra entry (claims are conditional), never a contact nobody will look at.
 */
export interface RetryBucketFields {
  _id: string;
  campaign_id: Types.ObjectId;
  slot: number;
  contacts: string[];
}

export const retryBucketSchema = new Schema<RetryBucketFields>(
  {
    _id: { type: String, required: true },
    campaign_id: { type: Schema.Types.ObjectId, required: true },
    slot: { type: Number, required: true },
    contacts: { type: [String], default: [] },
  },
  { strict: 'throw', collection: 'retry_buckets', versionKey: false },
);

export type RetryBucketModel = Model<RetryBucketFields>;

export function retryBucketModel(connection: Connection): RetryBucketModel {
  return connection.model<RetryBucketFields>('RetryBucket', retryBucketSchema);
}

export function retryBucketId(campaignId: Types.ObjectId | string, slot: number): string {
  return `${String(campaignId)}:${slot}`;
}
