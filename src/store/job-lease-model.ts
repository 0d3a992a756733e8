import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Who does a shared chore now (the reconciler of an account) or did a timed job (a window opening, a scheduled
 * start): `_id` names the chore or the job and its moment, so exactly one process wins it.
 */
export interface JobLeaseFields {
  _id: string;
  holder: string;
  until: Date;
}

export const jobLeaseSchema = new Schema<JobLeaseFields>(
  {
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { strict: 'throw', collection: 'job_leases', versionKey: false },
);

export type JobLeaseModel = Model<JobLeaseFields>;

export function jobLeaseModel(connection: Connection): JobLeaseModel {
  return connection.model<JobLeaseFields>('JobLease', jobLeaseSchema);
}
