// Campaign counters say how many contacts are in each final state now (not how many attempts ended so), so they
// can always be recounted from the contacts and checked against them. Live changes are buffered in memory and added
// with one $inc per campaign per tick; a recount ($set from the contacts) runs when a runner adopts a campaign after
// a crash and when the campaign ends, so a delta lost in a crash never outlives the run.
import type { Types } from 'mongoose';
import type { CampaignFields } from '../store/campaign-model.js';
import type { CallStatus } from '../store/contact-model.js';
import type { Store } from '../store/store.js';

type CounterField = keyof Pick<
  CampaignFields,
  'calls_completed' | 'calls_failed' | 'calls_busy' | 'calls_no_answer' | 'calls_canceled' | 'contacts_skipped'
>;

export const COUNTER_FOR_STATUS: Partial<Record<CallStatus, CounterField>> = {
  completed: 'calls_completed',
  failed: 'calls_failed',
  busy: 'calls_busy',
  'no-answer': 'calls_no_answer',
  canceled: 'calls_canceled',
  skipped: 'contacts_skipped',
};

export type StatusBreakdown = Record<CallStatus, number>;

export const EMPTY_BREAKDOWN: Readonly<StatusBreakdown> = Object.freeze({
  pending: 0,
  dialing: 0,
  initiated: 0,
  unknown: 0,
  completed: 0,
  busy: 0,
  'no-answer': 0,
  failed: 0,
  canceled: 0,
  skipped: 0,
});

/** Contacts of a campaign by call_status, counted by the database. */
export async function statusBreakdown(store: Store, campaignId: Types.ObjectId): Promise<StatusBreakdown> {
  const rows = await store.Contact.aggregate<{ _id: CallStatus; n: number }>([
    { $match: { campaign_id: campaignId } },
    { $group: { _id: '$call_status', n: { $sum: 1 } } },
  ]);
  const breakdown: StatusBreakdown = { ...EMPTY_BREAKDOWN };
  for (const row of rows) breakdown[row._id] = row.n;
  return breakdown;
}

/** Contacts that still need something from the engine or from Exotel. */
export function outstanding(b: StatusBreakdown): number {
  return b.pending + b.dialing + b.unknown + b.initiated;
}

/** Sets every counter of a campaign from its contacts. */
export async function recountCampaign(store: Store, campaignId: Types.ObjectId): Promise<StatusBreakdown> {
  const breakdown = await statusBreakdown(store, campaignId);
  const set: Partial<Record<CounterField | 'total_contacts', number>> = {
    total_contacts: Object.values(breakdown).reduce((a, b) => a + b, 0),
  };
  for (const [status, field] of Object.entries(COUNTER_FOR_STATUS)) set[field] = breakdown[status as CallStatus];
  await store.Campaign.updateOne({ _id: campaignId }, { $set: set });
  return breakdown;
}

/** Counter changes waiting for the next flush, per campaign. */
export class CounterBuffer {
  readonly #pending = new Map<string, { id: Types.ObjectId; inc: Partial<Record<CounterField, number>> }>();

  /** Records that one contact moved from one call_status to another. */
  move(campaignId: Types.ObjectId, from: CallStatus, to: CallStatus): void {
    const dec = COUNTER_FOR_STATUS[from];
    const inc = COUNTER_FOR_STATUS[to];
    if (dec === inc) return;
    const key = String(campaignId);
    const entry = this.#pending.get(key) ?? { id: campaignId, inc: {} };
    if (dec) entry.inc[dec] = (entry.inc[dec] ?? 0) - 1;
    if (inc) entry.inc[inc] = (entry.inc[inc] ?? 0) + 1;
    this.#pending.set(key, entry);
  }

  /** Adds the buffered changes with one $inc per campaign; what fails to write stays buffered for the next flush. */
  async flush(store: Store, only?: Types.ObjectId): Promise<void> {
    for (const [key, entry] of [...this.#pending]) {
      if (only && !only.equals(entry.id)) continue;
      const inc = Object.fromEntries(Object.entries(entry.inc).filter(([, n]) => n !== 0));
      this.#pending.delete(key);
      if (Object.keys(inc).length === 0) continue;
      try {
        await store.Campaign.updateOne({ _id: entry.id }, { $inc: inc });
      } catch (error) {
        for (const [field, n] of Object.entries(inc)) this.#merge(entry.id, field as CounterField, n);
        throw error;
      }
    }
  }

  /** Drops what is buffered for a campaign (its counters were just recounted). */
  discard(campaignId: Types.ObjectId): void {
    this.#pending.delete(String(campaignId));
  }

  #merge(id: Types.ObjectId, field: CounterField, n: number): void {
    const key = String(id);
    const entry = this.#pending.get(key) ?? { id, inc: {} };
    entry.inc[field] = (entry.inc[field] ?? 0) + n;
    this.#pending.set(key, entry);
  }
}
