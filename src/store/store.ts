import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import { campaignModel, type CampaignModel } from './campaign-model.js';
import { contactModel, type ContactModel } from './contact-model.js';
import { dncModel, type DncModel } from './dnc-model.js';
import { pacerStateModel, type PacerStateModel } from './pacer-state-model.js';
import { callModel, type CallModel } from './call-model.js';
import { failureModel, type FailureModel } from './failure-model.js';
import { jobLeaseModel, type JobLeaseModel } from './job-lease-model.js';
import { liveLineModel, type LiveLineModel } from './live-line-model.js';
import { priceCheckModel, type PriceCheckModel } from './price-check-model.js';
import { retryBucketModel, type RetryBucketModel } from './retry-bucket-model.js';

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly where: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot reach the database at ${where}. Check that it is running and that MONGODB_URI is right ` +
        `(unset MONGODB_URI to use the local database under ./data).`,
      options,
    );
    this.name = 'DatabaseUnreachableError';
  }
}

export interface StoreOptions {
  /** Database name; default: the one in the URI, else `campaign-bot`. */
  dbName?: string;
  /** How long to look for a server before an operation fails. Default 10 s. */
  serverSelectionTimeoutMS?: number;
  log?: Logger;
}

/** The database connection and the models bound to it. */
export interface Store {
  readonly connection: Connection;
  readonly Campaign: CampaignModel;
  readonly Contact: ContactModel;
  readonly Dnc: DncModel;
  readonly PacerState: PacerStateModel;
  readonly Call: CallModel;
  readonly LiveLine: LiveLineModel;
  readonly RetryBucket: RetryBucketModel;
  readonly Failure: FailureModel;
  readonly JobLease: JobLeaseModel;
  readonly PriceCheck: PriceCheckModel;
  /** True when the server answers a ping. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Shows a URI without its password, for logs and errors. */
export function describeUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:[redacted]@').replace(/\?.*$/, '');
}

/**
 * What every read and write of the bot asks of a replica set, so that a failover cannot undo a claim, a lease or an
 * outcome that was acknowledged, nor show a runner an older copy of one: writes are acknowledged once a majority of
 * the members has them in its journal (a write that reached only the old primary is rolled back on failover), reads
 * go to the primary and return only majority-committed data. A write that cannot reach a majority within
 * `wtimeoutMS` fails with a write concern error instead of waiting for the socket timeout. These keys are the URI
 * option names, so they override the same options in MONGODB_URI. A standalone server and FerretDB accept them
 * (FerretDB ignores them; it has one copy of the data).
 */
export const DURABLE_OPTIONS = Object.freeze({
  w: 'majority',
  journal: true,
  wtimeoutMS: 10_000,
  readPreference: 'primary',
  readConcernLevel: 'majority',
} as const);

export async function openStore(uri: string, options: StoreOptions = {}): Promise<Store> {
  const hasDbInUri = /^mongodb(\+srv)?:\/\/[^/]+\/[^/?]+/.test(uri);
  const connection = mongoose.createConnection(uri, {
    ...DURABLE_OPTIONS,
    dbName: options.dbName ?? (hasDbInUri ? undefined : 'campaign-bot'),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    connectTimeoutMS: 10_000,
    socketTimeoutMS: 60_000,
    maxPoolSize: 20,
    // Fail fast instead of queueing operations forever while disconnected; callers retry.
    bufferCommands: false,
    autoIndex: false,
    autoCreate: true,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => {});
    throw new DatabaseUnreachableError(describeUri(uri), { cause: error });
  }

  const Campaign = campaignModel(connection);
  const Contact = contactModel(connection);
  const Dnc = dncModel(connection);
  const PacerState = pacerStateModel(connection);
  const Call = callModel(connection);
  const LiveLine = liveLineModel(connection);
  const RetryBucket = retryBucketModel(connection);
  const Failure = failureModel(connection);
  const JobLease = jobLeaseModel(connection);
  const PriceCheck = priceCheckModel(connection);
  const models = [Campaign, Contact, Dnc, PacerState, Call, LiveLine, RetryBucket, Failure, JobLease, PriceCheck] as const;
  await Promise.all(models.map((m) => m.createCollection())).catch(() => {});
  await Promise.all(models.map((m) => m.createIndexes()));

  let closing = false;
  connection.on('disconnected', () => {
    if (!closing) options.log?.warn('database connection lost; retrying');
  });
  connection.on('reconnected', () => options.log?.info('database connection restored'));

  return {
    connection,
    Campaign,
    Contact,
    Dnc,
    PacerState,
    Call,
    LiveLine,
    RetryBucket,
    Failure,
    JobLease,
    PriceCheck,
    async ping() {
      try {
        await connection.db!.admin().ping();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      closing = true;
      await connection.close();
    },
  };
}
