import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A finished call whose price Exotel has not reported yet (Duration, Price and EndTime arrive 2–5 minutes after the
 * call ends): `_id` is the attempt key. The reconciler asks for it now and then and deletes the entry once the price
 * is recorded, so the collection holds only what is still missing.
 */
export interface PriceCheckFields {
  _id: string;
  campaign_id: Types.ObjectId;
  sid: string;
  /** When the request that placed the call was sent: the call was created after it (less clock skew). */
  sent_at?: Date | null;
  /** The campaign's mode: a rehearsal process never asks Exotel, and a live one never asks the rehearsal dialer. */
  mode: 'live' | 'rehearsal';
  check_after: Date;
  /** Lookups made so far. */
  tries: number;
}

export const priceCheckSchema = new Schema<PriceCheckFields>(
  {
    _id: { type: String, required: true },
    campaign_id: { type: Schema.Types.ObjectId, required: true },
    sid: { type: String, required: true },
    sent_at: { type: Date, default: null },
    mode: { type: String, enum: ['live', 'rehearsal'], default: 'live' },
    check_after: { type: Date, required: true },
    tries: { type: Number, default: 0 },
  },
  { strict: 'throw', collection: 'price_checks', versionKey: false },
);

export type PriceCheckModel = Model<PriceCheckFields>;

export function priceCheckModel(connection: Connection): PriceCheckModel {
  return connection.model<PriceCheckFields>('PriceCheck', priceCheckSchema);
}
