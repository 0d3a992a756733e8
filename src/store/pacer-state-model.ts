import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The pace of one Exotel account, shared by every process on the database. One small document per account, always
 * read and written by `_id` (the test database, FerretDB, scans the collection for any other filter), and every
 * change is one atomic single-document update.
 */
export interface PacerStateFields {
  /** The Exotel account SID, or `rehearsal`. */
  _id: string;
  /**
   * The earliest moment the next request of this account may start. A process takes a turn by moving it forward with
   * a compare-and-set on the value it read; a 429 hold moves it to the hold's end.
   */
  next_at: Date;
  /** End of the latest 429 hold (for display; the hold itself is in `next_at`). */
  held_until: Date;
  /** Calls per minute of the process that wrote last, to notice processes configured differently. */
  rate: number;
}

export const pacerStateSchema = new Schema<PacerStateFields>(
  {
    _id: { type: String, required: true },
    next_at: { type: Date, required: true },
    held_until: { type: Date, required: true },
    rate: { type: Number, required: true },
  },
  { strict: 'throw', collection: 'pacer_state', versionKey: false },
);

export type PacerStateModel = Model<PacerStateFields>;

export function pacerStateModel(connection: Connection): PacerStateModel {
  return connection.model<PacerStateFields>('PacerState', pacerStateSchema);
}
