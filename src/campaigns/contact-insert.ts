// Adds contacts to a campaign: each gets the next sequence number of its campaign (its `_id`, which the engine walks),
// and the campaign view counts them before they are inserted (campaign-view.ts: a campaign must not complete while
// contacts come in), corrected afterwards for any the unique index turned away as duplicates.
import type { Types } from 'mongoose';
import type { CampaignFields } from '../store/campaign-model.js';
import { contactId, type ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import { applyDelta, mergeDelta, moveDelta } from './campaign-view.js';

export interface NewContact {
  /** Normalised, 91XXXXXXXXXX. */
  phone: string;
  name: string;
  description: string;
  fields?: Record<string, string>;
  /** Imported as skipped (never dialled): the number is on the do-not-call list. */
  skip?: 'dnc';
}

export interface InsertResult {
  inserted: number;
  skipped: number;
  /** Numbers the campaign already had (another import raced this one). */
  duplicates: number;
}

export async function insertContacts(store: Store, campaignId: Types.ObjectId, rows: readonly NewContact[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, skipped: 0, duplicates: 0 };
  const reserved = (await store.Campaign.findOneAndUpdate(
    { _id: campaignId },
    { $inc: { contacts_seq: rows.length } },
    { returnDocument: 'after' },
  ).lean()) as CampaignFields | null;
  if (!reserved) throw new Error(`campaign ${String(campaignId)} no longer exists`);
  const first = reserved.contacts_seq - rows.length + 1;
  const docs = rows.map((r, i) => ({
    _id: contactId(campaignId, first + i),
    campaign_id: campaignId,
    seq: first + i,
    phone: r.phone,
    name: r.name,
    description: r.description,
    fields: r.fields ?? {},
    ...(r.skip ? { call_status: 'skipped' as const, skip_reason: r.skip } : {}),
  }));
  const skipped = rows.filter((r) => r.skip).length;
  const counted = mergeDelta(moveDelta(null, 'pending', rows.length - skipped), moveDelta(null, 'skipped', skipped));
  await applyDelta(store, campaignId, counted);
  try {
    // Without throwOnValidationError an unordered insertMany drops rows the schema refuses without a word, and they
    // would stay counted as waiting: the campaign could never complete.
    await store.Contact.insertMany(docs, { ordered: false, throwOnValidationError: true });
    return { inserted: rows.length - skipped, skipped, duplicates: 0 };
  } catch (error) {
    if (!isDuplicateError(error)) {
      await recountAfterFailure(store, campaignId, docs);
      throw error;
    }
    return recountAfterFailure(store, campaignId, docs);
  }
}

function isDuplicateError(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: Array<{ code?: number; err?: { code?: number } }> };
  return e.code === 11000 || (e.writeErrors ?? []).some((w) => (w.code ?? w.err?.code) === 11000);
}

/** An unordered insert stores every document it can: count what is there (by `_id`) and take the rest off the view. */
async function recountAfterFailure(
  store: Store,
  campaignId: Types.ObjectId,
  docs: ReadonlyArray<Pick<ContactFields, '_id'> & { skip_reason?: string }>,
): Promise<InsertResult> {
  let inserted = 0;
  let skipped = 0;
  let missingPending = 0;
  let missingSkipped = 0;
  for (const doc of docs) {
    const there = await store.Contact.exists({ _id: doc._id });
    if (there) doc.skip_reason ? skipped++ : inserted++;
    else doc.skip_reason ? missingSkipped++ : missingPending++;
  }
  await applyDelta(store, campaignId, mergeDelta(moveDelta('pending', null, missingPending), moveDelta('skipped', null, missingSkipped)));
  return { inserted, skipped, duplicates: missingPending + missingSkipped };
}
