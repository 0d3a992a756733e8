// The campaign document is the read model: `counts` holds how many contacts are in each bucket now, kept true by
// every contact transition with one `$inc` on the campaign, so status, list, the Home tab and the progress message
// read one document and never the contacts.
//
// There are no multi-document transactions, so a crash can fall between a contact's write and its campaign's `$inc`.
// The order of the two writes makes that harmless: a transition that takes a contact out of the outstanding buckets
// (to a final state) writes the contact first, one that brings a contact into them (a requeue, an import) writes the
// counters first. Counters can then over-count outstanding work for a moment, never under-count it, so "nothing
// outstanding" — which completes a campaign — is always true when the counters say so. A recount (off the hot path:
// at adoption, at the end, and now and then) corrects what a crash left, logs the drift, and applies its correction
// only if no transition moved the counters meanwhile (`view_version`).
import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { BUCKETS, NOT_REACHED, OUTSTANDING_BUCKETS, emptyCounts, type Bucket, type Counts, type Outcome } from './vocabulary.js';

/** A change of the campaign view: counter deltas, plus anything else that must change with them. */
export type ViewDelta = Record<string, number>;

/** The `$inc` that moves `n` contacts from one bucket to another (`null` = not counted before / after). */
export function moveDelta(from: Bucket | null, to: Bucket | null, n = 1): ViewDelta {
  const delta: ViewDelta = {};
  if (from === to || n === 0) return delta;
  const add = (bucket: Bucket, k: number) => {
    delta[`counts.${bucket}`] = (delta[`counts.${bucket}`] ?? 0) + k;
    if (bucket === 'completed') delta.calls_completed = (delta.calls_completed ?? 0) + k;
    if ((NOT_REACHED as readonly string[]).includes(bucket)) delta.calls_failed = (delta.calls_failed ?? 0) + k;
  };
  if (from) add(from, -n);
  if (to) add(to, n);
  if (from === null && to !== null) delta.total_contacts = n;
  if (to === null && from !== null) delta.total_contacts = -n;
  return delta;
}

/** Adds one delta to another (e.g. counters and the stats of a finished call, written in one update). */
export function mergeDelta(...deltas: ViewDelta[]): ViewDelta {
  const out: ViewDelta = {};
  for (const d of deltas) for (const [k, v] of Object.entries(d)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The key of the campaign's local hour holding `at`: the epoch minute the hour starts (zones with :30 offsets too). */
export function hourKey(at: Date, timeZone: string): string {
  const start = DateTime.fromJSDate(at, { zone: timeZone }).startOf('hour');
  return String(Math.floor((start.isValid ? start.toMillis() : at.getTime() - (at.getTime() % 3_600_000)) / 60_000));
}

/** The stats a finished call adds: its hour (local to the campaign), talk time and who answered. */
export function callStatsDelta(
  outcome: Outcome,
  at: Date,
  talkSeconds: number | null,
  answeredBy: string | null,
  timeZone = 'UTC',
): ViewDelta {
  const hour = hourKey(at, timeZone);
  const delta: ViewDelta = { [`stats.hours.${hour}.${outcome}`]: 1 };
  if (talkSeconds && talkSeconds > 0) delta['stats.talk_seconds'] = talkSeconds;
  const who = answeredBy?.toLowerCase();
  if (outcome === 'completed' && who === 'human') {
    delta['stats.answered_human'] = 1;
    delta[`stats.hours.${hour}.human`] = 1;
  }
  if (outcome === 'completed' && who === 'machine') delta['stats.answered_machine'] = 1;
  return delta;
}

/** Applies a delta to the campaign view with one update; returns the campaign after it (null when it is gone). */
export async function applyDelta(store: Store, campaignId: Types.ObjectId, delta: ViewDelta): Promise<CampaignFields | null> {
  const inc = Object.fromEntries(Object.entries(delta).filter(([, v]) => v !== 0));
  if (Object.keys(inc).length === 0) return null;
  return (await store.Campaign.findOneAndUpdate(
    { _id: campaignId },
    { $inc: { ...inc, view_version: 1 } },
    { returnDocument: 'after' },
  ).lean()) as CampaignFields | null;
}

/** Contacts still needing the engine or Exotel, by the view. */
export function outstandingOf(counts: Counts): number {
  return OUTSTANDING_BUCKETS.reduce((n, b) => n + (counts[b] ?? 0), 0);
}

/** A campaign's counts read from its contacts (a scan of them: never on the hot path). */
export async function countContacts(store: Store, campaignId: Types.ObjectId): Promise<Counts> {
  // Two simple queries rather than one with $cond, which the embedded database does not evaluate.
  const byStatus = await store.Contact.aggregate<{ _id: string; n: number }>([
    { $match: { campaign_id: campaignId } },
    { $group: { _id: '$call_status', n: { $sum: 1 } } },
  ]);
  const retrying = await store.Contact.countDocuments({ campaign_id: campaignId, call_status: 'pending', last_outcome: { $ne: null } });
  const counts = emptyCounts();
  for (const row of byStatus) if ((BUCKETS as readonly string[]).includes(row._id)) counts[row._id as Bucket] += row.n;
  counts.pending -= retrying;
  counts.retrying = retrying;
  return counts;
}

/** Differences between what the view says and what the contacts say, or null when they agree. */
export function driftOf(view: Counts, truth: Counts): Partial<Counts> | null {
  const drift: Partial<Counts> = {};
  for (const b of BUCKETS) if ((view[b] ?? 0) !== truth[b]) drift[b] = truth[b] - (view[b] ?? 0);
  return Object.keys(drift).length > 0 ? drift : null;
}

/**
 * Recounts a campaign from its contacts and corrects the view if it drifted, unless a transition changed the view
 * while the contacts were counted (then nothing is written and the result says so; try again later).
 */
export async function recountCampaign(
  store: Store,
  campaignId: Types.ObjectId,
  log?: Logger,
): Promise<{ drift: Partial<Counts> | null; applied: boolean }> {
  const before = (await store.Campaign.findById(campaignId, { counts: 1, view_version: 1 }).lean()) as Pick<
    CampaignFields,
    'counts' | 'view_version'
  > | null;
  if (!before) return { drift: null, applied: false };
  const truth = await countContacts(store, campaignId);
  const drift = driftOf(before.counts, truth);
  if (!drift) return { drift: null, applied: true };
  const total = BUCKETS.reduce((n, b) => n + truth[b], 0);
  const set: Record<string, number> = {
    total_contacts: total,
    calls_completed: truth.completed,
    calls_failed: NOT_REACHED.reduce((n, b) => n + truth[b], 0),
  };
  for (const b of BUCKETS) set[`counts.${b}`] = truth[b];
  const res = await store.Campaign.updateOne(
    { _id: campaignId, view_version: before.view_version },
    { $set: set, $inc: { view_version: 1 } },
  );
  const applied = res.modifiedCount > 0;
  if (applied) log?.warn({ campaign: String(campaignId), drift }, 'campaign counters had drifted from the contacts; corrected');
  return { drift, applied };
}
