import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One of an Exotel account's live-call lines (EXOTEL_MAX_LIVE_CALLS of them, `_id` `<account>:<index>`). An attempt
 * takes a free line before its request is sent and gives it back when its outcome is final, so no more calls than
 * lines are ever live, across every process. The held lines are also the list of attempts whose outcome is still
 * awaited: the reconciler walks them, whatever the campaign's status. The collection stays small (one document
 * per line), which matters on the embedded database, where a query that is not by `_id` reads the whole collection.
 */
export interface LiveLineFields {
  _id: string;
  account: string;
  index: number;
  /** `<contact id>:<try>` of the attempt holding the line, or null when free. */
  holder: string | null;
  campaign_id: Types.ObjectId | null;
  since: Date | null;
  /** Exotel's CallSid once the call was accepted (finds the attempt of a callback that carries no CustomField). */
  sid: string | null;
  /** When the reconciler should look at this attempt next. */
  check_after: Date | null;
}

export const liveLineSchema = new Schema<LiveLineFields>(
  {
    _id: { type: String, required: true },
    account: { type: String, required: true },
    index: { type: Number, required: true },
    holder: { type: String, default: null },
    campaign_id: { type: Schema.Types.ObjectId, default: null },
    since: { type: Date, default: null },
    sid: { type: String, default: null },
    check_after: { type: Date, default: null },
  },
  { strict: 'throw', collection: 'live_lines', versionKey: false },
);

export type LiveLineModel = Model<LiveLineFields>;

export function liveLineModel(connection: Connection): LiveLineModel {
  return connection.model<LiveLineFields>('LiveLine', liveLineSchema);
}
