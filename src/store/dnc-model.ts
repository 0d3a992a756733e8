import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One number on a workspace's do-not-call list: never dialled by any campaign of that workspace. `_id` is
 * `<team id>:<number>`, so the dial gate checks a number with one lookup by `_id` immediately before each call.
 */
export interface DncFields {
  _id: string;
  team_id: string;
  /** Normalised number, 91XXXXXXXXXX. */
  phone: string;
  /** Slack user id of who added it (or `keypress` when the person pressed the do-not-call key). */
  added_by: string;
  created_at: Date;
  updated_at: Date;
}

export function dncId(teamId: string, phone: string): string {
  return `${teamId}:${phone}`;
}

export const dncSchema = new Schema<DncFields>(
  {
    _id: { type: String, required: true },
    team_id: { type: String, required: true },
    phone: { type: String, required: true },
    added_by: { type: String, required: true },
  },
  { strict: 'throw', collection: 'dnc', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } },
);

dncSchema.index({ team_id: 1, phone: 1 });

export type DncModel = Model<DncFields>;

export function dncModel(connection: Connection): DncModel {
  return connection.model<DncFields>('Dnc', dncSchema);
}
