import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** One number on a workspace's do-not-call list: never dialled by any campaign of that workspace. */
export interface DncFields {
  _id: Types.ObjectId;
  team_id: string;
  /** Normalised number, 91XXXXXXXXXX. */
  phone: string;
  /** Slack user id of the admin who added it. */
  added_by: string;
  created_at: Date;
  updated_at: Date;
}

export const dncSchema = new Schema<DncFields>(
  {
    team_id: { type: String, required: true },
    phone: { type: String, required: true },
    added_by: { type: String, required: true },
  },
  { strict: 'throw', collection: 'dnc', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } },
);

dncSchema.index({ team_id: 1, phone: 1 }, { unique: true });

export type DncModel = Model<DncFields>;

export function dncModel(connection: Connection): DncModel {
  return connection.model<DncFields>('Dnc', dncSchema);
}
