// ContactQueue against the real database: first attempts walked by sequence number, retry buckets due only once
// their minute has passed, a bucket emptied only after every id in it was handled (an id added meanwhile survives),
// and the walk's position saved and resumed.
import type { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContactQueue,
  dropBuckets,
  slotOf,
  nextBucketDue,
  scheduleContacts,
  type NextCandidate,
} from '../../src/campaigns/contact-queue.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import { contactId } from '../../src/store/contact-model.js';
import { retryBucketId } from '../../src/store/retry-bucket-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { loadCampaign } from './state-fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('contact_queue');
});

const MINUTE = 60_000;

/** Takes candidates until none is due, handling each. */
async function drain(
  queue: ContactQueue,
  campaign: Pick<CampaignFields, 'contacts_seq'>,
  now: Date,
): Promise<NonNullable<NextCandidate>[]> {
  const out: NonNullable<NextCandidate>[] = [];
  for (let next = await queue.next(campaign, now); next; next = await queue.next(campaign, now)) {
    out.push(next);
    await queue.done(next);
  }
  return out;
}

async function bucketIds(campaignId: Types.ObjectId, minute: number): Promise<string[] | null> {
  return (await store.RetryBucket.findById(retryBucketId(campaignId, minute)).lean())?.contacts ?? null;
}

/** A minute two minutes ahead (so scheduleContacts still writes into it) and a clock just after it. */
function futureMinute(): { dueAt: Date; minute: number; after: Date } {
  const dueAt = new Date(Date.now() + 2 * MINUTE);
  const minute = slotOf(dueAt);
  return { dueAt, minute, after: new Date((minute + 1) * 10_000) };
}

describe('first attempts', () => {
  it('walks the sequence numbers from the start position to contacts_seq, by _id', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '71'));
    const queue = new ContactQueue(store, campaign._id, campaign.queue_seq);
    expect(await drain(queue, campaign, new Date())).toEqual(
      [1, 2, 3].map((seq) => ({ id: contactId(campaign._id, seq), fromBucket: false })),
    );
    expect(await queue.next(campaign, new Date())).toBeNull();
  });

  it('offers the same candidate until it is done with, and walks on as contacts are added', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(1, '72'));
    const queue = new ContactQueue(store, campaign._id, 0); // below 1: starts at 1
    const first = await queue.next(campaign, new Date());
    expect(await queue.next(campaign, new Date())).toEqual(first);
    await queue.done(first!);
    expect(await queue.next(campaign, new Date())).toBeNull();
    // An import raced the walk: contacts_seq grew.
    expect(await queue.next({ contacts_seq: 2 }, new Date())).toEqual({ id: contactId(campaign._id, 2), fromBucket: false });
  });
});

describe('retry buckets', () => {
  it('a bucket is due only once its minute has passed, and before any first attempt', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '73'));
    const retry = contactId(campaign._id, 2);
    const { dueAt, minute, after } = futureMinute();
    await scheduleContacts(store, campaign._id, [retry], dueAt);
    expect(await bucketIds(campaign._id, minute)).toEqual([retry]);
    const queue = new ContactQueue(store, campaign._id, 1);
    expect(await queue.next(campaign, new Date(after.getTime() - 1))).toEqual({ id: contactId(campaign._id, 1), fromBucket: false });
    expect(await queue.next(campaign, after)).toEqual({ id: retry, fromBucket: true });
    expect(await nextBucketDue(store, campaign._id)).toEqual(after);
  });

  it('hands out earlier minutes first, each bucket in the order its ids were added', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '74'));
    const [a, b, c] = [1, 2, 3].map((seq) => contactId(campaign._id, seq)) as [string, string, string];
    const now = Date.now();
    await scheduleContacts(store, campaign._id, [c], new Date(now + 5 * MINUTE));
    await scheduleContacts(store, campaign._id, [b, a], new Date(now + 2 * MINUTE));
    const queue = new ContactQueue(store, campaign._id, 4);
    expect((await drain(queue, campaign, new Date(now + 10 * MINUTE))).map((x) => x.id)).toEqual([b, a, c]);
    expect(await store.RetryBucket.countDocuments({ campaign_id: campaign._id })).toBe(0);
    expect(await nextBucketDue(store, campaign._id)).toBeNull();
  });

  it('is emptied only after every id in it was handled, so a queue that dies midway reads it again', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '75'));
    const [a, b] = [1, 2].map((seq) => contactId(campaign._id, seq)) as [string, string];
    const { dueAt, minute, after } = futureMinute();
    await scheduleContacts(store, campaign._id, [a, b], dueAt);
    const queue = new ContactQueue(store, campaign._id, 3);
    await queue.done((await queue.next(campaign, after))!);
    expect(await bucketIds(campaign._id, minute)).toEqual([a, b]);
    // Another run (after a crash of this one) starts from the bucket as it is: nothing is lost.
    const restarted = new ContactQueue(store, campaign._id, 3);
    expect(await restarted.next(campaign, after)).toEqual({ id: a, fromBucket: true });
    expect(await queue.next(campaign, after)).toEqual({ id: b, fromBucket: true });
    await queue.done({ id: b, fromBucket: true });
    expect(await bucketIds(campaign._id, minute)).toBeNull();
  });

  it('keeps an id added to the bucket while it was being handled', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '76'));
    const [a, b, late] = [1, 2, 3].map((seq) => contactId(campaign._id, seq)) as [string, string, string];
    const { dueAt, minute, after } = futureMinute();
    await scheduleContacts(store, campaign._id, [a, b], dueAt);
    const queue = new ContactQueue(store, campaign._id, 4);
    const first = (await queue.next(campaign, after))!;
    // A process whose clock is behind queues a retry into the same minute meanwhile.
    await scheduleContacts(store, campaign._id, [late], dueAt);
    await queue.done(first);
    await queue.done((await queue.next(campaign, after))!);
    expect(await bucketIds(campaign._id, minute)).toEqual([late]);
    expect(await queue.next(campaign, after)).toEqual({ id: late, fromBucket: true });
    await queue.done({ id: late, fromBucket: true });
    expect(await bucketIds(campaign._id, minute)).toBeNull();
  });

  it('scheduleContacts adds an id once, and never into a minute that has passed (it may have been emptied)', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(1, '77'));
    const a = contactId(campaign._id, 1);
    const { dueAt, minute } = futureMinute();
    await scheduleContacts(store, campaign._id, [a], dueAt);
    await scheduleContacts(store, campaign._id, [a], dueAt);
    expect(await bucketIds(campaign._id, minute)).toEqual([a]);
    const before = slotOf(Date.now());
    await scheduleContacts(store, campaign._id, [a], new Date(Date.now() - 30 * MINUTE));
    const written = (await store.RetryBucket.find({ campaign_id: campaign._id }).lean()).map((b) => b.slot).sort();
    expect(written).toHaveLength(2);
    expect(written[0]).toBeGreaterThanOrEqual(before);
    await scheduleContacts(store, campaign._id, [], dueAt);
    await dropBuckets(store, campaign._id);
    expect(await store.RetryBucket.countDocuments({ campaign_id: campaign._id })).toBe(0);
  });
});

describe('position', () => {
  it('is saved every 25 steps and on save(), never moves back, and a new queue resumes from it', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(30, '78'));
    const queue = new ContactQueue(store, campaign._id, campaign.queue_seq);
    const now = new Date();
    for (let i = 0; i < 24; i++) await queue.done((await queue.next(campaign, now))!);
    expect((await loadCampaign(store, campaign._id)).queue_seq).toBe(1);
    await queue.done((await queue.next(campaign, now))!);
    expect((await loadCampaign(store, campaign._id)).queue_seq).toBe(26);
    await queue.done((await queue.next(campaign, now))!);
    await queue.done((await queue.next(campaign, now))!);
    await queue.save();
    expect((await loadCampaign(store, campaign._id)).queue_seq).toBe(28);
    // A run that stopped behind (an older lease) cannot move it back.
    const behind = new ContactQueue(store, campaign._id, 10);
    await behind.done((await behind.next(campaign, now))!);
    await behind.save();
    const saved = (await loadCampaign(store, campaign._id)).queue_seq;
    expect(saved).toBe(28);
    const resumed = new ContactQueue(store, campaign._id, saved);
    expect((await drain(resumed, campaign, now)).map((x) => x.id)).toEqual([28, 29, 30].map((seq) => contactId(campaign._id, seq)));
  });
});
