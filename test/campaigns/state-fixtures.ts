// What the contact-state and campaign-view tests share: a ContactState wired to real live-call lines, the dial
// gate's last two writes (count the contact as dialling, then claim it), and readers of the campaign view.
import type { Types } from 'mongoose';
import { expect } from 'vitest';
import { CampaignEvents, type ContactChange } from '../../src/campaigns/campaign-events.js';
import { applyDelta, countContacts, moveDelta } from '../../src/campaigns/campaign-view.js';
import { ContactState } from '../../src/campaigns/contact-state.js';
import { BUCKETS, NOT_REACHED, bucketOf, type Bucket, type Counts } from '../../src/campaigns/vocabulary.js';
import { LiveLines } from '../../src/engine/live-lines.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';

export const RUN = { runnerId: 'runner-a', epoch: 1 };

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines (warn and above) are kept for assertions. */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger({
    level: 'warn',
    pretty: false,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  });
  return { log, lines };
}

export interface StateHarness {
  store: Store;
  state: ContactState;
  events: CampaignEvents;
  lines: LiveLines;
  changes: ContactChange[];
  log: Logger;
  logLines: LogLine[];
}

/** A ContactState on `store` that gives lines back to `lines` (as the engine wires it). */
export function stateHarness(store: Store, account: string, cap = 20): StateHarness {
  const events = new CampaignEvents();
  const changes: ContactChange[] = [];
  events.on('contact', (c) => changes.push(c));
  const { log, lines: logLines } = capturingLogger();
  const state = new ContactState(store, events, log);
  const lines = new LiveLines(store, account, cap);
  state.useLines((lineId, holder) => lines.release(lineId, holder));
  return { store, state, events, lines, changes, log, logLines };
}

export async function loadContact(store: Store, id: string): Promise<ContactFields> {
  return (await store.Contact.findById(id).lean()) as ContactFields;
}

export async function contactsOf(store: Store, campaignId: Types.ObjectId): Promise<ContactFields[]> {
  return (await store.Contact.find({ campaign_id: campaignId }).sort({ _id: 1 }).lean()) as ContactFields[];
}

export async function loadCampaign(store: Store, id: Types.ObjectId): Promise<CampaignFields> {
  return (await store.Campaign.findById(id).lean()) as CampaignFields;
}

/** The buckets that hold contacts, e.g. `{ pending: 1, dialing: 1 }`. */
export function nonZero(counts: Partial<Counts>): Partial<Counts> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0)) as Partial<Counts>;
}

/** The campaign view's counters: buckets holding contacts, and the totals derived from them. */
export async function viewOf(store: Store, id: Types.ObjectId) {
  const c = await loadCampaign(store, id);
  return {
    counts: nonZero(c.counts),
    completed: c.calls_completed,
    failed: c.calls_failed,
    total: c.total_contacts,
    version: c.view_version,
  };
}

/** The view agrees with the contacts, bucket by bucket, and its totals agree with its buckets. */
export async function expectViewTrue(store: Store, id: Types.ObjectId): Promise<Counts> {
  const c = await loadCampaign(store, id);
  const truth = await countContacts(store, id);
  expect(c.counts).toEqual(truth);
  expect(c.calls_completed).toBe(truth.completed);
  expect(c.calls_failed).toBe(NOT_REACHED.reduce((n, b) => n + truth[b], 0));
  expect(c.total_contacts).toBe(BUCKETS.reduce((n, b) => n + truth[b], 0));
  return truth;
}

export interface GateClaim {
  contact: ContactFields;
  lineId: string;
}

/**
 * What the dial gate does once it decided a contact may be dialled: take a line, count the contact as dialling
 * (its fencing write), claim it; a lost claim gives both back. Null when no line was free or the claim was lost.
 */
export async function gateClaim(
  h: StateHarness,
  candidate: ContactFields,
  now: Date,
  checkAfter = new Date(now.getTime() + 60_000),
): Promise<GateClaim | null> {
  const key = attemptKey(candidate._id, candidate.tries + 1);
  const line = await h.lines.acquire(key, candidate.campaign_id, now, checkAfter);
  if (!line) return null;
  const from: Bucket = bucketOf(candidate);
  await applyDelta(h.store, candidate.campaign_id, moveDelta(from, 'dialing'));
  const claimed = await h.state.claim(candidate, RUN, line.lineId, now, checkAfter);
  if (!claimed) {
    await applyDelta(h.store, candidate.campaign_id, moveDelta('dialing', from));
    await h.lines.release(line.lineId, key);
    return null;
  }
  return { contact: claimed, lineId: line.lineId };
}

/** The holder of a line now (null when free). */
export async function lineHolder(
  store: Store,
  lineId: string,
): Promise<{ holder: string | null; sid: string | null; check_after: Date | null }> {
  const line = await store.LiveLine.findById(lineId).lean();
  return { holder: line?.holder ?? null, sid: line?.sid ?? null, check_after: line?.check_after ?? null };
}
