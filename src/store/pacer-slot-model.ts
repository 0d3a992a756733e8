import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One of an Exotel account's N request slots per window, shared by every process on the database: a request may
 * start only by taking a slot whose last start is older than the window, so no window holds more than N starts.
 */
export interface PacerSlotFields {
  /** `<account>:<index>` */
  _id: string;
  account: string;
  index: number;
  last_start: Date;
}

export const pacerSlotSchema = new Schema<PacerSlotFields>(
  {
    _id: { type: String, required: true },
    account: { type: String, required: true },
    index: { type: Number, required: true },
    last_start: { type: Date, required: true },
  },
  { strict: 'throw', collection: 'pacer_slots', versionKey: false },
);

pacerSlotSchema.index({ account: 1, last_start: 1 });

export type PacerSlotModel = Model<PacerSlotFields>;

export function pacerSlotModel(connection: Connection): PacerSlotModel {
  return connection.model<PacerSlotFields>('PacerSlot', pacerSlotSchema);
}
