// The connection's production settings: what every model operation inherits, whatever MONGODB_URI says.
import { afterAll, describe, expect, it } from 'vitest';
import { DURABLE_OPTIONS, DatabaseUnreachableError, describeUri, openStore, type Store } from '../../src/store/store.js';
import { mongoUri } from '../helpers/database.js';

const opened: Store[] = [];
afterAll(async () => {
  for (const store of opened) {
    await store.connection.dropDatabase().catch(() => {});
    await store.close();
  }
});

/** The suite's server with extra URI options. */
function withOptions(uri: string, options: string): string {
  const [base, query] = uri.split('?') as [string, string | undefined];
  const withPath = /^mongodb(\+srv)?:\/\/[^/]+$/.test(base) ? `${base}/` : base;
  return `${withPath}?${[query, options].filter(Boolean).join('&')}`;
}

describe('production settings', () => {
  it('majority journaled writes, majority reads from the primary, even when the URI asks for less', async () => {
    const uri = withOptions(mongoUri(), 'w=1&journal=false&readConcernLevel=local&readPreference=secondaryPreferred');
    const store = await openStore(uri, { dbName: 'store_settings' });
    opened.push(store);
    // Model operations take the collection's settings (no model or call overrides them).
    const models = [
      store.Campaign,
      store.Contact,
      store.Dnc,
      store.PacerState,
      store.Call,
      store.LiveLine,
      store.RetryBucket,
      store.Failure,
      store.JobLease,
    ];
    for (const model of models) {
      const collection = (model.collection as unknown as { collection: unknown }).collection as {
        writeConcern: { w?: unknown; journal?: boolean; wtimeoutMS?: number };
        readConcern: { level?: string };
        readPreference: { mode: string };
      };
      expect(collection.writeConcern, model.modelName).toMatchObject({ w: 'majority', journal: true, wtimeoutMS: 10_000 });
      expect(collection.readConcern.level, model.modelName).toBe('majority');
      expect(collection.readPreference.mode, model.modelName).toBe('primary');
    }
    await store.Campaign.create({ team_id: 'T1', name: 'settings', title: 'Settings', owner: 'U1' });
    expect(await store.Campaign.countDocuments({ name: 'settings' })).toBe(1);
  });

  it('creates every collection with its indexes at open, and answers a ping until closed', async () => {
    const store = await openStore(mongoUri(), { dbName: `store_open_${process.pid}` });
    const collections = (await store.connection.db!.listCollections().toArray()).map((c) => c.name).sort();
    expect(collections).toEqual([
      'calls',
      'campaigns',
      'contacts',
      'dnc',
      'failure_outbox',
      'job_leases',
      'live_lines',
      'pacer_state',
      'price_checks',
      'retry_buckets',
    ]);
    expect(await store.ping()).toBe(true);
    await store.connection.dropDatabase();
    await store.close();
    expect(await store.ping()).toBe(false);
  });

  it('a server that cannot be reached fails the open with a sentence that names it without its password', async () => {
    const error = await openStore('mongodb://bot:s3cret@127.0.0.1:9/campaigns', { serverSelectionTimeoutMS: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toContain('mongodb://bot:[redacted]@127.0.0.1:9/campaigns');
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('are frozen, so no caller can weaken them for everyone', () => {
    expect(Object.isFrozen(DURABLE_OPTIONS)).toBe(true);
  });

  it('describeUri hides the password and the options', () => {
    expect(describeUri('mongodb://bot:s3cret@db1:27017,db2:27017/campaigns?replicaSet=rs0&w=majority')).toBe(
      'mongodb://bot:[redacted]@db1:27017,db2:27017/campaigns',
    );
  });
});
