import type { Types } from 'mongoose';
import type { ContactDoc } from '../store/contact-model.js';
import type { Store } from '../store/store.js';

/**
 * Claims the next pending contact of a campaign for one attempt: one atomic findOneAndUpdate, so no
 * two runners (in this process or another) can ever hold the same contact. Returns null when nothing
 * is due.
 */
export async function claimNextContact(
  store: Store,
  campaignId: Types.ObjectId,
  runnerId: string,
  now: Date = new Date(),
): Promise<ContactDoc | null> {
  return store.Contact.findOneAndUpdate(
    { campaign_id: campaignId, call_status: 'pending', next_attempt_at: { $lte: now } },
    { $set: { call_status: 'dialing', runner_id: runnerId, claimed_at: now }, $inc: { attempts: 1 } },
    { returnDocument: 'after', sort: { next_attempt_at: 1, _id: 1 } },
  );
}

/** Candidates read per query when claiming through a {@link ContactClaimer}. */
const CANDIDATES = 50;

/**
 * Claims contacts of one campaign for one runner, cheaply: one query reads the next candidates' ids, then each is
 * claimed by its id with the same conditions as {@link claimNextContact}, so the claim stays one atomic update
 * and a candidate someone else took meanwhile is simply skipped. On MongoDB this saves a sort per claim; on the
 * FerretDB test server, where only `_id` lookups avoid a collection scan, it is what keeps claims fast.
 */
export class ContactClaimer {
  #candidates: Types.ObjectId[] = [];

  constructor(
    private readonly store: Store,
    private readonly campaignId: Types.ObjectId,
    private readonly runnerId: string,
  ) {}

  async next(now: Date = new Date()): Promise<ContactDoc | null> {
    for (let refill = 0; refill < 3; refill++) {
      while (this.#candidates.length > 0) {
        const id = this.#candidates.shift()!;
        const claimed = await this.store.Contact.findOneAndUpdate(
          { _id: id, campaign_id: this.campaignId, call_status: 'pending', next_attempt_at: { $lte: now } },
          { $set: { call_status: 'dialing', runner_id: this.runnerId, claimed_at: now }, $inc: { attempts: 1 } },
          { returnDocument: 'after' },
        );
        if (claimed) return claimed;
      }
      const due = await this.store.Contact.find(
        { campaign_id: this.campaignId, call_status: 'pending', next_attempt_at: { $lte: now } },
        { _id: 1 },
      )
        .sort({ next_attempt_at: 1, _id: 1 })
        .limit(CANDIDATES)
        .lean();
      this.#candidates = due.map((d) => d._id);
      if (this.#candidates.length === 0) return null;
    }
    return null;
  }
}
