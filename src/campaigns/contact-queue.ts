// Which contact a campaign's run should try next, found without reading the campaign's contacts:
// - first attempts: contacts are numbered as they are imported (`_id` = `<campaign>:<seq>`), so the run walks the
//   numbers from `queue_seq` to `contacts_seq` and looks each one up by `_id`;
// - everything that becomes due again later (a retry, a request Exotel never got, a manual retry, an attempt Exotel
//   proved was never placed) is put in the bucket of the 10-second slot it becomes due in, before the contact is made
//   pending, and the run empties the buckets of elapsed slots.
// Both are lookups by `_id` or a read of the small buckets collection, so the cost of a claim does not grow with the
// campaign (the embedded database scans the whole collection for any other query).
import type { Types } from 'mongoose';
import type { CampaignFields } from '../store/campaign-model.js';
import { contactId } from '../store/contact-model.js';
import { retryBucketId } from '../store/retry-bucket-model.js';
import type { Store } from '../store/store.js';

/** Width of a retry bucket: a contact queued again is looked at within this long after it becomes due. */
const SLOT_MS = 10_000;
/** The first-attempt position is written back every this many steps (and when the run stops); a restart repeats at most this many lookups. */
const SAVE_EVERY = 25;

export function slotOf(at: Date | number): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / SLOT_MS);
}

/**
 * Puts contacts in the bucket of the slot they become due in. Call it BEFORE the write that makes them pending, so a
 * crash in between leaves an extra entry (harmless: claims are conditional) rather than a contact nobody looks at.
 */
export async function scheduleContacts(
  store: Store,
  campaignId: Types.ObjectId,
  ids: readonly string[],
  dueAt: Date,
  now: Date = new Date(),
): Promise<void> {
  if (ids.length === 0) return;
  // Never into a slot that may already have been emptied.
  const slot = Math.max(slotOf(dueAt), slotOf(now));
  await store.RetryBucket.updateOne(
    { _id: retryBucketId(campaignId, slot) },
    { $setOnInsert: { campaign_id: campaignId, slot }, $addToSet: { contacts: { $each: [...ids] } } },
    { upsert: true },
  );
}

/** When the earliest bucket of this campaign becomes due, or null when none waits. */
export async function nextBucketDue(store: Store, campaignId: Types.ObjectId): Promise<Date | null> {
  const first = await store.RetryBucket.findOne({ campaign_id: campaignId }, { slot: 1 }).sort({ slot: 1 }).lean();
  return first ? new Date((first.slot + 1) * SLOT_MS) : null;
}

/** Drops a campaign's buckets (it is deleted). */
export async function dropBuckets(store: Store, campaignId: Types.ObjectId): Promise<void> {
  await store.RetryBucket.deleteMany({ campaign_id: campaignId });
}

export type NextCandidate = { id: string; fromBucket: boolean } | null;

/** One run's position in its campaign's queue. */
export class ContactQueue {
  #due: string[] = [];
  #loaded: string[] = [];
  #bucketId: string | null = null;
  #seq: number;
  #savedSeq: number;
  /** The slot of the last look for due buckets: buckets become due only when a slot ends, so one look per slot is enough. */
  #lookedSlot: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly campaignId: Types.ObjectId,
    startSeq: number,
  ) {
    this.#seq = Math.max(1, startSeq);
    this.#savedSeq = this.#seq;
  }

  /** The next contact worth trying, retries first; null when nothing is due now. */
  async next(campaign: Pick<CampaignFields, 'contacts_seq'>, now: Date): Promise<NextCandidate> {
    if (this.#due.length === 0 && this.#lookedSlot !== slotOf(now)) await this.#loadBucket(now);
    const due = this.#due[0];
    if (due !== undefined) return { id: due, fromBucket: true };
    if (this.#seq <= campaign.contacts_seq) return { id: contactId(this.campaignId, this.#seq), fromBucket: false };
    return null;
  }

  /** The candidate was claimed, or is not pending: move past it. */
  async done(candidate: NonNullable<NextCandidate>): Promise<void> {
    if (candidate.fromBucket) {
      this.#due.shift();
      if (this.#due.length === 0) await this.#dropBucket();
      return;
    }
    this.#seq += 1;
    if (this.#seq - this.#savedSeq >= SAVE_EVERY) await this.save();
  }

  /** Writes the first-attempt position back (never moving it backwards). */
  async save(): Promise<void> {
    if (this.#seq === this.#savedSeq) return;
    await this.store.Campaign.updateOne({ _id: this.campaignId }, { $max: { queue_seq: this.#seq } });
    this.#savedSeq = this.#seq;
  }

  /** Look for due buckets at the next `next()` (contacts were queued again, or time passed). */
  recheck(): void {
    this.#lookedSlot = null;
  }

  async #loadBucket(now: Date): Promise<void> {
    this.#lookedSlot = slotOf(now);
    const bucket = await this.store.RetryBucket.findOne({ campaign_id: this.campaignId, slot: { $lt: slotOf(now) } })
      .sort({ slot: 1 })
      .lean();
    if (!bucket) return;
    this.#bucketId = bucket._id;
    this.#loaded = [...bucket.contacts];
    this.#due = [...bucket.contacts];
    if (this.#due.length === 0) await this.#dropBucket();
  }

  /**
   * A bucket is emptied only once every contact in it was handled, so a crash re-reads it (claims are conditional).
   * Only the entries read are removed: one added meanwhile (a process whose clock is behind) stays for the next read.
   */
  async #dropBucket(): Promise<void> {
    const id = this.#bucketId;
    this.#bucketId = null;
    if (!id) return;
    await this.store.RetryBucket.updateOne({ _id: id }, { $pullAll: { contacts: this.#loaded } });
    await this.store.RetryBucket.deleteOne({ _id: id, contacts: { $size: 0 } });
    this.#loaded = [];
    // Another bucket may be due behind this one.
    this.recheck();
  }
}
