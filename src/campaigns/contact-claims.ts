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
