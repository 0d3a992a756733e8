// The local FerretDB build looks documents up by _id through the SQLite index whatever else the filter says, that
// changes no result, and the store's production settings work on it. Runs against a FerretDB of its own (the suite's
// server may be a real MongoDB).
import { mongo, Types } from 'mongoose';
import { contactId } from '../../src/store/contact-model.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveDatabase, type ResolvedDatabase } from '../../src/store/local-database.js';
import { openStore, type Store } from '../../src/store/store.js';

let ferret: ResolvedDatabase;
let store: Store;
let db: mongo.Db;
let contacts: mongo.Collection<mongo.Document>;
const { ObjectId } = mongo;

beforeAll(async () => {
  ferret = await resolveDatabase({ tryMongod: false });
  expect(ferret.kind).toBe('FerretDB');
  store = await openStore(ferret.uri, { dbName: 'pushdown' });
  db = store.connection.db!;
  contacts = db.collection('contacts');
});
afterAll(async () => {
  await store?.close();
  await ferret?.stop();
});
beforeEach(async () => {
  await contacts.deleteMany({});
});

async function explainFind(filter: mongo.Document): Promise<{ filterPushdown: boolean; plan: string }> {
  const result = await db.command({ explain: { find: 'contacts', filter }, verbosity: 'queryPlanner' });
  return { filterPushdown: result.filterPushdown as boolean, plan: JSON.stringify(result.queryPlanner) };
}

describe('filter pushdown', () => {
  it('searches the _id index for a filter with _id and other keys', async () => {
    const id = new ObjectId();
    await contacts.insertMany([{ _id: id, call_status: 'pending' }, { call_status: 'pending' }]);
    for (const filter of [
      { _id: id },
      { _id: id, call_status: 'pending' },
      { call_status: 'pending', _id: id, attempts: { $lt: 3 } },
      { _id: 'a-string-id', $or: [{ call_status: 'pending' }, { call_status: 'unknown' }] },
    ]) {
      const { filterPushdown, plan } = await explainFind(filter);
      expect(filterPushdown, JSON.stringify(filter)).toBe(true);
      expect(plan, JSON.stringify(filter)).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
    }
  });

  it('still scans when _id is not a plain string or ObjectId', async () => {
    await contacts.insertOne({ _id: 5 as never, call_status: 'pending' });
    for (const filter of [{ call_status: 'pending' }, { _id: 5, call_status: 'pending' }, { _id: { $in: [new ObjectId()] } }]) {
      expect((await explainFind(filter)).filterPushdown, JSON.stringify(filter)).toBe(false);
    }
  });
});

describe('results are MongoDB’s', () => {
  it('a conditional update by _id applies only when the condition holds', async () => {
    const id = new ObjectId();
    await contacts.insertOne({ _id: id, call_status: 'pending', attempts: 0 });
    const claim = () =>
      contacts.findOneAndUpdate(
        { _id: id, call_status: 'pending' },
        { $set: { call_status: 'dialing' }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      );
    expect(await claim()).toMatchObject({ _id: id, call_status: 'dialing', attempts: 1 });
    expect(await claim()).toBeNull();
    const noMatch = await contacts.updateOne({ _id: id, call_status: 'pending' }, { $set: { call_status: 'failed' } });
    expect(noMatch).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
    const match = await contacts.updateOne({ _id: id, call_status: 'dialing' }, { $set: { call_status: 'initiated' } });
    expect(match).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await contacts.findOne({ _id: id })).toEqual({ _id: id, call_status: 'initiated', attempts: 1 });
  });

  it('never matches an _id of another type with the same spelling', async () => {
    // FerretDB's unique _id index holds an ObjectId and its hex string as one key (MongoDB keeps them apart), so the
    // two spellings are tried one after the other: the index search finds the other type, the full filter drops it.
    const oid = new ObjectId();
    const hex = oid.toHexString();
    await contacts.insertMany([
      { _id: oid, call_status: 'pending', kind: 'objectid' },
      { _id: 42 as never, call_status: 'pending', kind: 'number' },
    ]);
    expect(await contacts.findOne({ _id: hex as never, call_status: 'pending' })).toBeNull();
    expect(await contacts.findOneAndUpdate({ _id: hex as never, call_status: 'pending' }, { $set: { call_status: 'x' } })).toBeNull();
    expect((await contacts.updateOne({ _id: hex as never, call_status: 'pending' }, { $set: { call_status: 'x' } })).matchedCount).toBe(0);
    expect(await contacts.findOne({ _id: oid, call_status: 'pending' })).toMatchObject({ kind: 'objectid' });
    expect(await contacts.findOne({ _id: '42' as never, call_status: 'pending' })).toBeNull();
    expect(await contacts.findOne({ _id: 42 as never, call_status: 'pending' })).toMatchObject({ kind: 'number' });

    await contacts.deleteOne({ _id: oid });
    await contacts.insertOne({ _id: hex as never, call_status: 'pending', kind: 'string' });
    expect(await contacts.findOne({ _id: oid, call_status: 'pending' })).toBeNull();
    expect((await contacts.deleteOne({ _id: oid, call_status: 'pending' })).deletedCount).toBe(0);
    const claimed = await contacts.findOneAndUpdate({ _id: hex as never, call_status: 'pending' }, { $set: { call_status: 'dialing' } });
    expect(claimed).toMatchObject({ kind: 'string' });
    expect(await contacts.findOne({ _id: new ObjectId(), call_status: 'pending' })).toBeNull();
  });

  it('count, distinct, aggregate and delete with _id and a condition agree with find', async () => {
    const [a, b] = [new ObjectId(), new ObjectId()];
    await contacts.insertMany([
      { _id: a, call_status: 'pending', campaign: 'x' },
      { _id: b, call_status: 'completed', campaign: 'x' },
    ]);
    expect(await contacts.countDocuments({ _id: a, call_status: 'pending' })).toBe(1);
    expect(await contacts.countDocuments({ _id: b, call_status: 'pending' })).toBe(0);
    expect(await contacts.distinct('campaign', { _id: b, call_status: 'completed' })).toEqual(['x']);
    expect(await contacts.distinct('campaign', { _id: b, call_status: 'pending' })).toEqual([]);
    const agg = await contacts.aggregate([{ $match: { _id: a, campaign: 'x' } }, { $count: 'n' }]).toArray();
    expect(agg).toEqual([{ n: 1 }]);
    expect(await contacts.find({ _id: a, $or: [{ call_status: 'completed' }, { campaign: 'y' }] }).toArray()).toEqual([]);
    expect((await contacts.deleteOne({ _id: a, call_status: 'completed' })).deletedCount).toBe(0);
    expect((await contacts.deleteOne({ _id: a, call_status: 'pending' })).deletedCount).toBe(1);
    expect(await contacts.countDocuments({})).toBe(1);
  });

  it('an upsert by _id and a condition inserts when nothing matches, and refuses a second document with that _id', async () => {
    const inserted = await contacts.updateOne({ _id: 'slot-1' as never, owner: 'a' }, { $set: { n: 1 } }, { upsert: true });
    expect(inserted.upsertedId).toBe('slot-1');
    expect(await contacts.findOne({ _id: 'slot-1' as never })).toEqual({ _id: 'slot-1', owner: 'a', n: 1 });
    await expect(contacts.updateOne({ _id: 'slot-1' as never, owner: 'b' }, { $set: { n: 2 } }, { upsert: true })).rejects.toMatchObject({
      code: 11000,
    });
    expect(await contacts.findOne({ _id: 'slot-1' as never })).toEqual({ _id: 'slot-1', owner: 'a', n: 1 });
  });
});

describe('the store on FerretDB', () => {
  it('works with the majority write and read settings', async () => {
    const campaign = await store.Campaign.create({ team_id: 'T1', name: 'durable', title: 'Durable', owner: 'U1' });
    await store.Contact.insertMany([
      { _id: contactId(campaign._id, 1), seq: 1, campaign_id: campaign._id, phone: '919800000001' },
      { _id: contactId(campaign._id, 2), seq: 2, campaign_id: campaign._id, phone: '919800000002' },
    ]);
    const claimed = await store.Contact.findOneAndUpdate(
      { campaign_id: campaign._id, call_status: 'pending' },
      { $set: { call_status: 'dialing' }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    ).lean();
    expect(claimed).toMatchObject({ call_status: 'dialing', attempts: 1 });
    await store.Campaign.updateOne({ _id: campaign._id, status: 'draft' }, { $inc: { calls_completed: 1 } });
    await store.Contact.bulkWrite([{ updateOne: { filter: { _id: claimed!._id }, update: { $set: { call_status: 'completed' } } } }]);
    const byStatus = await store.Contact.aggregate<{ _id: string; n: number }>([
      { $match: { campaign_id: campaign._id } },
      { $group: { _id: '$call_status', n: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ]);
    expect(byStatus).toEqual([
      { _id: 'completed', n: 1 },
      { _id: 'pending', n: 1 },
    ]);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id })).toBe(2);
    expect((await store.Campaign.findById(campaign._id).lean())?.calls_completed).toBe(1);
    expect((await store.Contact.deleteMany({ campaign_id: campaign._id })).deletedCount).toBe(2);
    expect(await store.Campaign.exists({ _id: new Types.ObjectId() })).toBeNull();
    expect(await store.ping()).toBe(true);
  });
});
