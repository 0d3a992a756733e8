// Every contact transition against the real database: the contact after it, the campaign view's counters after it,
// and what follows it (retry bucket, failure outbox, call record, live-call line). Each moves only the attempt it
// names, from the states it expects: a repeated, late or stale writer changes nothing and counts nothing.
import type { Types } from 'mongoose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slotOf } from '../../src/campaigns/contact-queue.js';
import { hourKey } from '../../src/campaigns/campaign-view.js';
import { attemptKey, type CallFields } from '../../src/store/call-model.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { FailureFields } from '../../src/store/failure-model.js';
import { retryBucketId } from '../../src/store/retry-bucket-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { NO_RETRIES, phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import {
  RUN,
  contactsOf,
  expectViewTrue,
  gateClaim,
  lineHolder,
  loadContact,
  stateHarness,
  viewOf,
  type GateClaim,
  type StateHarness,
} from './state-fixtures.js';

let store: Store;
let h: StateHarness;

const RETRY: RetryPolicy = {
  on: ['busy', 'no-answer', 'failed'],
  max_attempts: 3,
  delays: { busy: 60, 'no-answer': 600, failed: 120 },
  exponential: false,
};
const MINUTE = 60_000;

let n = 0;
async function campaignWith(count: number, fields: Partial<CampaignFields> = {}): Promise<CampaignFields> {
  n += 1;
  return seedCampaign(store, phoneNumbers(count, String(10 + (n % 80))), { retry: NO_RETRIES, status: 'running', ...fields });
}

async function firstContact(campaign: CampaignFields): Promise<ContactFields> {
  return (await contactsOf(store, campaign._id))[0]!;
}

/** The first contact claimed through the gate. */
async function dialing(campaign: CampaignFields, now = new Date()): Promise<GateClaim> {
  const claim = await gateClaim(h, await loadContact(store, (await firstContact(campaign))._id), now);
  expect(claim).not.toBeNull();
  return claim!;
}

/** The first contact claimed and accepted by Exotel under `sid`. */
async function initiated(campaign: CampaignFields, sid: string, now = new Date()): Promise<GateClaim> {
  const claim = await dialing(campaign, now);
  const after = await h.state.placed(claim.contact, sid, now, new Date(now.getTime() + 5_000));
  expect(after?.call_status).toBe('initiated');
  return { contact: after!, lineId: claim.lineId };
}

async function callRecord(contactId: string, tryNumber: number): Promise<CallFields | null> {
  return (await store.Call.findById(attemptKey(contactId, tryNumber)).lean()) as CallFields | null;
}

async function outbox(campaignId: Types.ObjectId): Promise<FailureFields[]> {
  return (await store.Failure.find({ campaign_id: campaignId }).sort({ _id: 1 }).lean()) as FailureFields[];
}

async function bucketHas(campaignId: Types.ObjectId, minute: number, id: string): Promise<boolean> {
  const bucket = await store.RetryBucket.findById(retryBucketId(campaignId, minute)).lean();
  return bucket?.contacts.includes(id) ?? false;
}

async function buckets(campaignId: Types.ObjectId): Promise<Array<{ slot: number; contacts: string[] }>> {
  return (await store.RetryBucket.find({ campaign_id: campaignId }).lean()).map((b) => ({ slot: b.slot, contacts: b.contacts }));
}

beforeAll(async () => {
  store = await testStore('contact_state');
});
let account = 0;
beforeEach(() => {
  account += 1;
  h = stateHarness(store, `acct-cs-${account}`);
});

describe('claim', () => {
  it('pending → dialing: sent_at now, one more try and attempt, the run and line recorded; no counter moves', async () => {
    const campaign = await campaignWith(1);
    const contact = await firstContact(campaign);
    const now = new Date();
    const checkAfter = new Date(now.getTime() + 7_000);
    const before = await viewOf(store, campaign._id);
    const claimed = await h.state.claim(contact, { runnerId: 'r-1', epoch: 4 }, 'line-x', now, checkAfter);
    expect(claimed).toMatchObject({
      call_status: 'dialing',
      tries: 1,
      attempts: 1,
      runner_id: 'r-1',
      lease_epoch: 4,
      line_id: 'line-x',
      call_sid: null,
    });
    expect(claimed!.sent_at).toEqual(now);
    expect(claimed!.check_after).toEqual(checkAfter);
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'dialing', tries: 1, attempts: 1, sent_at: now });
    // The gate's fencing write counts the contact as dialling; the claim itself writes no counter.
    expect(await viewOf(store, campaign._id)).toEqual(before);
    // The candidate's copy names try 0, which is gone: a second claim of it loses.
    expect(await h.state.claim(contact, RUN, 'line-y', now, checkAfter)).toBeNull();
    expect((await loadContact(store, contact._id)).line_id).toBe('line-x');
  });

  it('refuses a contact not due yet, and one that is not pending', async () => {
    const campaign = await campaignWith(2);
    const [early, other] = await contactsOf(store, campaign._id);
    const now = new Date();
    await store.Contact.updateOne({ _id: early!._id }, { $set: { next_attempt_at: new Date(now.getTime() + 1_000) } });
    const notDue = await loadContact(store, early!._id);
    expect(await h.state.claim(notDue, RUN, 'l', now, now)).toBeNull();
    expect(await h.state.claim(notDue, RUN, 'l', new Date(now.getTime() + 1_000), now)).toMatchObject({ call_status: 'dialing' });
    await store.Contact.updateOne({ _id: other!._id }, { $set: { call_status: 'completed' } });
    expect(await h.state.claim(other!, RUN, 'l', now, now)).toBeNull();
  });

  it('of racing claims of one candidate exactly one wins', async () => {
    const campaign = await campaignWith(1);
    const contact = await firstContact(campaign);
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => h.state.claim(contact, RUN, `line-${i}`, now, now)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'dialing', tries: 1, attempts: 1 });
  });

  it('through the gate: the line is held under the attempt key and the view counts the contact as dialling', async () => {
    const campaign = await campaignWith(2);
    const { contact, lineId } = await dialing(campaign);
    expect(await lineHolder(store, lineId)).toMatchObject({ holder: attemptKey(contact._id, 1) });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, dialing: 1 });
    await expectViewTrue(store, campaign._id);
  });
});

describe('placed', () => {
  it('dialing → initiated: the sid on the contact, its call record and its line; counted as placed', async () => {
    const campaign = await campaignWith(1);
    const { contact, lineId } = await dialing(campaign);
    const created = new Date(Date.now() - 500);
    const checkAfter = new Date(Date.now() + 9_000);
    const after = await h.state.placed(contact, 'sid-1', created, checkAfter);
    expect(after).toMatchObject({
      call_status: 'initiated',
      call_sid: 'sid-1',
      call_started_at: created,
      check_after: checkAfter,
      tries: 1,
      attempts: 1,
    });
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'initiated', call_sid: 'sid-1', call_started_at: created });
    expect(await callRecord(contact._id, 1)).toMatchObject({
      state: 'placed',
      sid: 'sid-1',
      try: 1,
      contact_id: contact._id,
      sent_at: contact.sent_at,
    });
    expect(await lineHolder(store, lineId)).toEqual({ holder: attemptKey(contact._id, 1), sid: 'sid-1', check_after: checkAfter });
    const view = await viewOf(store, campaign._id);
    expect(view.counts).toEqual({ initiated: 1 });
    expect((await store.Campaign.findById(campaign._id).lean())!.stats.placed).toBe(1);
    await expectViewTrue(store, campaign._id);
  });

  it('unknown → initiated (the call was found after all), with the send time as start when Exotel gave none', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await dialing(campaign);
    const unknown = await h.state.unknown(contact, 'timeout after send', new Date());
    expect(unknown?.call_status).toBe('unknown');
    const after = await h.state.placed(unknown!, 'sid-found', null, new Date());
    expect(after).toMatchObject({ call_status: 'initiated', call_sid: 'sid-found', call_error: null, call_started_at: contact.sent_at });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ initiated: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('a second report of the same acceptance changes and counts nothing', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await initiated(campaign, 'sid-1');
    const before = await viewOf(store, campaign._id);
    expect(await h.state.placed(contact, 'sid-1', null, new Date())).toBeNull();
    expect(await viewOf(store, campaign._id)).toEqual(before);
    expect((await store.Campaign.findById(campaign._id).lean())!.stats.placed).toBe(1);
  });

  it('stores the sid on the attempt’s call record even when the contact has moved on to its next try', async () => {
    const campaign = await campaignWith(1);
    const { contact: first } = await dialing(campaign);
    // The request timed out, Exotel's list did not show the call, and the next try started...
    const unknown = (await h.state.unknown(first, 'timeout after send', new Date()))!;
    await h.state.absent(unknown, new Date());
    const { contact: second } = await dialing(campaign);
    expect(second.tries).toBe(2);
    const before = await viewOf(store, campaign._id);
    // ...then the first request's answer arrives after all.
    expect(await h.state.placed(first, 'sid-late', null, new Date())).toBeNull();
    expect(await loadContact(store, first._id)).toMatchObject({ call_status: 'dialing', tries: 2, call_sid: null });
    expect(await callRecord(first._id, 1)).toMatchObject({ state: 'placed', sid: 'sid-late' });
    expect(await callRecord(first._id, 2)).toBeNull();
    expect(await viewOf(store, campaign._id)).toEqual(before);
  });

  it('does not undo the outcome of a call whose end was reported before its acceptance was recorded', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await dialing(campaign);
    const key = attemptKey(contact._id, contact.tries);
    // Exotel's status callback overtakes the answer to the request.
    expect(await h.state.reported({ attemptKey: key, callSid: 'sid-fast', status: 'completed', durationSeconds: 3 })).toMatchObject({
      from: 'dialing',
    });
    expect(await h.state.placed(contact, 'sid-fast', null, new Date())).toBeNull();
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'completed', call_sid: 'sid-fast' });
    expect(await callRecord(contact._id, 1)).toMatchObject({ state: 'completed', sid: 'sid-fast', duration: 3 });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ completed: 1 });
  });
});

describe('notPlaced', () => {
  it('dialing → pending through a retry bucket: the attempt given back, the line freed, the try kept', async () => {
    const campaign = await campaignWith(1);
    const { contact, lineId } = await dialing(campaign);
    const notBefore = new Date(Date.now() + 3 * MINUTE);
    const after = await h.state.notPlaced(contact, 'Exotel was unavailable; trying again.', notBefore);
    expect(after).toMatchObject({
      call_status: 'pending',
      attempts: 0,
      tries: 1,
      runner_id: null,
      check_after: null,
      call_error: 'Exotel was unavailable; trying again.',
    });
    expect(after!.next_attempt_at).toEqual(notBefore);
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'pending', attempts: 0, tries: 1 });
    expect(await bucketHas(campaign._id, slotOf(notBefore), contact._id)).toBe(true);
    expect(await callRecord(contact._id, 1)).toMatchObject({ state: 'not-placed', try: 1 });
    expect((await lineHolder(store, lineId)).holder).toBeNull();
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('a retry that was not placed goes back to waiting as a retry', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    await initiated(campaign, 'sid-1');
    const contact = await firstContact(campaign);
    await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-1', status: 'busy' });
    await store.Contact.updateOne({ _id: contact._id }, { $set: { next_attempt_at: new Date(0) } });
    const { contact: second } = await dialing(campaign);
    expect((await viewOf(store, campaign._id)).counts).toEqual({ dialing: 1 });
    const after = await h.state.notPlaced(second, null, new Date());
    expect(after).toMatchObject({ call_status: 'pending', last_outcome: 'busy', attempts: 1, tries: 2 });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ retrying: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('changes nothing for a contact that is not dialing that try', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await initiated(campaign, 'sid-1');
    const before = await viewOf(store, campaign._id);
    expect(await h.state.notPlaced(contact, null, new Date())).toBeNull();
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'initiated', attempts: 1 });
    expect(await viewOf(store, campaign._id)).toEqual(before);
  });
});

describe('rejected', () => {
  it('dialing → failed for good: in the failure outbox, the attempt given back, the line freed, counted failed', async () => {
    const campaign = await campaignWith(2, { retry: RETRY });
    const { contact, lineId } = await dialing(campaign);
    const now = new Date();
    const after = await h.state.rejected(contact, 'The number is barred', now);
    expect(after).toMatchObject({
      call_status: 'failed',
      last_outcome: 'failed',
      call_error: 'The number is barred',
      attempts: 0,
      outcome_at: now,
      runner_id: null,
    });
    expect(await outbox(campaign._id)).toEqual([
      expect.objectContaining({
        _id: attemptKey(contact._id, 1),
        contact_id: contact._id,
        try: 1,
        phone: contact.phone,
        name: contact.name,
        outcome: 'failed',
        reason: 'The number is barred',
      }),
    ]);
    expect(await callRecord(contact._id, 1)).toMatchObject({ state: 'not-placed' });
    expect((await lineHolder(store, lineId)).holder).toBeNull();
    // Final even though the policy retries "failed": Exotel refused the number itself.
    expect(await buckets(campaign._id)).toEqual([]);
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 1, failed: 1 }, failed: 1, completed: 0, total: 2 });
    await expectViewTrue(store, campaign._id);
    expect(await h.state.rejected(contact, 'again', now)).toBeNull();
    expect((await viewOf(store, campaign._id)).failed).toBe(1);
  });
});

describe('unknown', () => {
  it('dialing → unknown: keeps its line (the call may be live) and is checked from the given time', async () => {
    const campaign = await campaignWith(1);
    const { contact, lineId } = await dialing(campaign);
    const checkAfter = new Date(Date.now() + 6_000);
    const after = await h.state.unknown(contact, 'timeout after send', checkAfter);
    expect(after).toMatchObject({
      call_status: 'unknown',
      call_error: 'timeout after send',
      check_after: checkAfter,
      attempts: 1,
      tries: 1,
    });
    expect((await lineHolder(store, lineId)).holder).toBe(attemptKey(contact._id, 1));
    expect((await viewOf(store, campaign._id)).counts).toEqual({ unknown: 1 });
    await expectViewTrue(store, campaign._id);
    expect(await h.state.unknown(after!, 'again', checkAfter)).toBeNull();
    expect((await viewOf(store, campaign._id)).counts).toEqual({ unknown: 1 });
  });
});

describe('absent', () => {
  it('unknown → pending through the current minute’s bucket: the attempt given back, the line freed', async () => {
    const campaign = await campaignWith(1);
    const { contact, lineId } = await dialing(campaign);
    const unknown = (await h.state.unknown(contact, 'timeout after send', new Date()))!;
    const now = new Date();
    const after = await h.state.absent(unknown, now);
    expect(after).toMatchObject({ call_status: 'pending', attempts: 0, tries: 1, runner_id: null, last_outcome: null });
    expect(after!.next_attempt_at).toEqual(now);
    expect(await bucketHas(campaign._id, slotOf(now), contact._id)).toBe(true);
    expect(await callRecord(contact._id, 1)).toMatchObject({ state: 'absent' });
    expect((await lineHolder(store, lineId)).holder).toBeNull();
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('moves only an unknown contact', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await dialing(campaign);
    expect(await h.state.absent(contact, new Date())).toBeNull();
    expect(await loadContact(store, contact._id)).toMatchObject({ call_status: 'dialing', attempts: 1 });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ dialing: 1 });
  });
});

describe('skip', () => {
  it('pending or retrying → skipped (do not call), counted; anything else stays', async () => {
    const campaign = await campaignWith(3, { retry: RETRY });
    await initiated(campaign, 'sid-1');
    const [first, second, third] = await contactsOf(store, campaign._id);
    await h.state.outcome({ contactId: first!._id, try: 1, callSid: 'sid-1', status: 'busy' });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 2, retrying: 1 });

    expect(await h.state.skip(await loadContact(store, first!._id), 'dnc')).toMatchObject({ call_status: 'skipped', skip_reason: 'dnc' });
    expect(await h.state.skip(second!, 'dnc')).toMatchObject({
      call_status: 'skipped',
      call_error: 'On the do-not-call list; not called.',
    });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, skipped: 2 });

    const { contact } = await gateClaim(h, third!, new Date()).then((c) => c!);
    expect(await h.state.skip(contact, 'dnc')).toBeNull();
    expect((await viewOf(store, campaign._id)).counts).toEqual({ dialing: 1, skipped: 2 });
    await expectViewTrue(store, campaign._id);
  });

  it('never frees the line of another attempt that now uses the line the contact once held', async () => {
    h = stateHarness(store, `acct-cs-one-line-${account}`, 1);
    const campaign = await campaignWith(2, { retry: RETRY });
    const { contact, lineId } = await initiated(campaign, 'sid-1');
    await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-1', status: 'busy' });
    const other = (await contactsOf(store, campaign._id))[1]!;
    const { lineId: otherLine } = (await gateClaim(h, other, new Date()))!;
    expect(otherLine).toBe(lineId);
    const waiting = await loadContact(store, contact._id);
    expect(waiting.line_id).toBe(lineId);
    await h.state.skip(waiting, 'dnc');
    expect((await lineHolder(store, lineId)).holder).toBe(attemptKey(other._id, 1));
  });
});

describe('capReached', () => {
  it('a retrying contact with no attempts left keeps its last outcome, finally, and goes to the outbox', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    const { contact } = await initiated(campaign, 'sid-1');
    await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-1', status: 'no-answer', error: 'No answer' });
    const waiting = await loadContact(store, contact._id);
    const now = new Date();
    const after = await h.state.capReached(waiting, now);
    expect(after).toMatchObject({ call_status: 'no-answer', last_outcome: 'no-answer', outcome_at: now, call_error: 'No answer' });
    expect(await outbox(campaign._id)).toEqual([
      expect.objectContaining({
        _id: attemptKey(contact._id, 1),
        outcome: 'no-answer',
        reason: 'No attempts left under the campaign’s retry rules.',
      }),
    ]);
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { 'no-answer': 1 }, failed: 1 });
    await expectViewTrue(store, campaign._id);
    expect(await h.state.capReached(waiting, now)).toBeNull();
    expect((await viewOf(store, campaign._id)).failed).toBe(1);
  });

  it('a contact whose attempts all vanished ends failed, and a requeue brings it back into the right bucket', async () => {
    const campaign = await campaignWith(1, { retry: { ...RETRY, max_attempts: 1 } });
    const contact = await firstContact(campaign);
    // An attempt was counted but never given back (no outcome ever): at the cap without any outcome.
    await store.Contact.updateOne({ _id: contact._id }, { $set: { attempts: 1 } });
    const after = await h.state.capReached(await loadContact(store, contact._id), new Date());
    expect(after).toMatchObject({ call_status: 'failed', last_outcome: 'failed', call_error: 'No attempts left.' });
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { failed: 1 }, failed: 1 });
    await expectViewTrue(store, campaign._id);
    await h.state.requeue(campaign._id, [await loadContact(store, contact._id)], new Date());
    expect((await viewOf(store, campaign._id)).counts).toEqual({ retrying: 1 });
    await expectViewTrue(store, campaign._id);
  });
});

describe('outcome: final', () => {
  it('initiated → completed: the call’s details on the contact, its record, the stats of its local hour; the line freed', async () => {
    const campaign = await campaignWith(1);
    const { contact, lineId } = await initiated(campaign, 'sid-1');
    h.changes.length = 0;
    const now = new Date();
    const startedAt = new Date('2026-03-02T04:49:00Z');
    const endedAt = new Date('2026-03-02T04:50:00Z'); // 10:20 in Kolkata: the 10:00 IST hour starts 04:30 UTC
    const result = await h.state.outcome(
      {
        contactId: contact._id,
        try: 1,
        callSid: 'sid-1',
        status: 'completed',
        startedAt,
        endedAt,
        durationSeconds: 42,
        price: 0.5,
        answeredBy: 'human',
      },
      now,
    );
    expect(result).toMatchObject({ from: 'initiated', retrying: false, contact: { call_status: 'completed' } });
    expect(await loadContact(store, contact._id)).toMatchObject({
      call_status: 'completed',
      last_outcome: 'completed',
      call_sid: 'sid-1',
      call_started_at: startedAt,
      call_ended_at: endedAt,
      call_duration: 42,
      answered_by: 'human',
      outcome_at: now,
      call_error: null,
      check_after: null,
      runner_id: null,
      tries: 1,
      attempts: 1,
    });
    expect(await callRecord(contact._id, 1)).toMatchObject({
      state: 'completed',
      sid: 'sid-1',
      duration: 42,
      price: 0.5,
      answered_by: 'human',
      outcome_at: now,
    });
    expect((await lineHolder(store, lineId)).holder).toBeNull();
    expect(await outbox(campaign._id)).toEqual([]);
    const c = (await store.Campaign.findById(campaign._id).lean())!;
    expect({ counts: (await viewOf(store, campaign._id)).counts, completed: c.calls_completed, failed: c.calls_failed }).toEqual({
      counts: { completed: 1 },
      completed: 1,
      failed: 0,
    });
    const hour = String(Date.UTC(2026, 2, 2, 4, 30) / MINUTE);
    expect(hourKey(endedAt, 'Asia/Kolkata')).toBe(hour);
    expect(c.stats).toMatchObject({
      placed: 1,
      talk_seconds: 42,
      answered_human: 1,
      answered_machine: 0,
      hours: { [hour]: { completed: 1, human: 1 } },
    });
    expect(h.changes).toEqual([
      expect.objectContaining({ from: 'initiated', contact: expect.objectContaining({ call_status: 'completed' }) }),
    ]);
    await expectViewTrue(store, campaign._id);
  });

  it('not reached and not retried: final, with Exotel’s words, in the failure outbox, counted failed', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await initiated(campaign, 'sid-1');
    const now = new Date();
    await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-1', status: 'no-answer', error: 'Nobody picked up' }, now);
    expect(await loadContact(store, contact._id)).toMatchObject({
      call_status: 'no-answer',
      last_outcome: 'no-answer',
      call_error: 'Nobody picked up',
    });
    expect(await outbox(campaign._id)).toEqual([
      expect.objectContaining({ _id: attemptKey(contact._id, 1), outcome: 'no-answer', reason: 'Nobody picked up', at: now, try: 1 }),
    ]);
    expect(await buckets(campaign._id)).toEqual([]);
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { 'no-answer': 1 }, failed: 1, completed: 0 });
    await expectViewTrue(store, campaign._id);
  });

  it('from dialing or unknown too: a call whose acceptance was never recorded still ends', async () => {
    const campaign = await campaignWith(2);
    const [a, b] = await contactsOf(store, campaign._id);
    const claimA = (await gateClaim(h, a!, new Date()))!;
    const claimB = (await gateClaim(h, b!, new Date()))!;
    await h.state.unknown(claimB.contact, 'timeout after send', new Date());
    await h.state.outcome({ contactId: a!._id, try: 1, callSid: 'sid-a', status: 'busy' });
    await h.state.outcome({ contactId: b!._id, try: 1, callSid: 'sid-b', status: 'canceled' });
    expect((await loadContact(store, a!._id)).call_status).toBe('busy');
    expect((await loadContact(store, b!._id)).call_status).toBe('canceled');
    expect((await lineHolder(store, claimA.lineId)).holder).toBeNull();
    expect((await lineHolder(store, claimB.lineId)).holder).toBeNull();
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { busy: 1, canceled: 1 }, failed: 2 });
    await expectViewTrue(store, campaign._id);
  });
});

describe('outcome: retry per policy', () => {
  it('busy with attempts left → pending (retrying) through its bucket after the busy delay; no outbox', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    const { contact, lineId } = await initiated(campaign, 'sid-1');
    const now = new Date();
    const result = await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-1', status: 'busy', endedAt: now }, now);
    expect(result).toMatchObject({ retrying: true, from: 'initiated' });
    const due = new Date(now.getTime() + 60_000);
    expect(await loadContact(store, contact._id)).toMatchObject({
      call_status: 'pending',
      last_outcome: 'busy',
      next_attempt_at: due,
      attempts: 1,
      tries: 1,
      runner_id: null,
    });
    expect(await buckets(campaign._id)).toEqual([{ slot: slotOf(due), contacts: [contact._id] }]);
    expect(await outbox(campaign._id)).toEqual([]);
    expect(await callRecord(contact._id, 1)).toMatchObject({ state: 'busy' });
    expect((await lineHolder(store, lineId)).holder).toBeNull();
    const c = (await store.Campaign.findById(campaign._id).lean())!;
    expect(c.stats.hours[hourKey(now, 'Asia/Kolkata')]).toEqual({ busy: 1 });
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { retrying: 1 }, failed: 0 });
    await expectViewTrue(store, campaign._id);
  });

  it('each outcome waits its own delay', async () => {
    for (const [status, seconds] of [
      ['no-answer', 600],
      ['failed', 120],
    ] as const) {
      const campaign = await campaignWith(1, { retry: RETRY });
      const { contact } = await initiated(campaign, `sid-${status}`);
      const now = new Date();
      await h.state.outcome({ contactId: contact._id, try: 1, callSid: `sid-${status}`, status }, now);
      expect((await loadContact(store, contact._id)).next_attempt_at).toEqual(new Date(now.getTime() + seconds * 1000));
    }
  });

  /** Ends the current try busy at `now`; returns when the retry is due. */
  async function busyAgain(campaign: CampaignFields, sid: string, now: Date): Promise<Date | null> {
    const claim = await retryNow(await firstContact(campaign), now);
    await h.state.placed(claim.contact, sid, now, now);
    const result = await h.state.outcome({ contactId: claim.contact._id, try: claim.contact.tries, callSid: sid, status: 'busy' }, now);
    return result!.retrying ? result!.contact.next_attempt_at : null;
  }

  /** Makes the waiting contact due now and claims it. */
  async function retryNow(waiting: ContactFields, now: Date): Promise<GateClaim> {
    await store.Contact.updateOne({ _id: waiting._id }, { $set: { next_attempt_at: now } });
    return (await gateClaim(h, await loadContact(store, waiting._id), now))!;
  }

  it('exponential: the wait doubles after every attempt, and the last attempt allowed is final', async () => {
    const campaign = await campaignWith(1, { retry: { ...RETRY, exponential: true } });
    const now = new Date();
    expect(await busyAgain(campaign, 'sid-1', now)).toEqual(new Date(now.getTime() + 60_000));
    expect(await busyAgain(campaign, 'sid-2', now)).toEqual(new Date(now.getTime() + 120_000));
    expect(await busyAgain(campaign, 'sid-3', now)).toBeNull();
    const contact = await firstContact(campaign);
    expect(contact).toMatchObject({ call_status: 'busy', attempts: 3, tries: 3, call_sid: 'sid-3' });
    expect((await outbox(campaign._id)).map((f) => f._id)).toEqual([attemptKey(contact._id, 3)]);
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { busy: 1 }, failed: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('no retry when it would fall after the campaign’s end, or for an outcome the policy does not name', async () => {
    const now = new Date();
    const ending = await campaignWith(1, { retry: RETRY, call_until: new Date(now.getTime() + 30_000) });
    expect(await busyAgain(ending, 'sid-1', now)).toBeNull();
    expect((await firstContact(ending)).call_status).toBe('busy');
    const onlyBusy = await campaignWith(1, { retry: { ...RETRY, on: ['busy'] } });
    const { contact } = await initiated(onlyBusy, 'sid-2');
    expect(await h.state.outcome({ contactId: contact._id, try: 1, callSid: 'sid-2', status: 'failed' })).toMatchObject({
      retrying: false,
    });
    expect((await viewOf(store, onlyBusy._id)).counts).toEqual({ failed: 1 });
    // Completed and canceled are never retried.
    const all = await campaignWith(1, { retry: RETRY });
    const { contact: c3 } = await initiated(all, 'sid-3');
    expect(await h.state.outcome({ contactId: c3._id, try: 1, callSid: 'sid-3', status: 'canceled' })).toMatchObject({ retrying: false });
  });
});

describe('outcome: attribution', () => {
  it('applies once: a repeat of the current try’s outcome changes nothing, not even the view’s version', async () => {
    const campaign = await campaignWith(1);
    const { contact } = await initiated(campaign, 'sid-1');
    const o = { contactId: contact._id, try: 1, callSid: 'sid-1', status: 'completed' as const, durationSeconds: 12 };
    expect(await h.state.outcome(o)).not.toBeNull();
    const after = await loadContact(store, contact._id);
    const view = await store.Campaign.findById(campaign._id).lean();
    const record = await callRecord(contact._id, 1);
    h.changes.length = 0;
    expect(await h.state.outcome(o)).toBeNull();
    expect(await h.state.outcome({ ...o, status: 'busy', durationSeconds: 0 })).toBeNull();
    expect(await loadContact(store, contact._id)).toEqual(after);
    expect(await store.Campaign.findById(campaign._id).lean()).toEqual(view);
    expect(await callRecord(contact._id, 1)).toEqual(record);
    expect(h.changes).toEqual([]);
  });

  it('a repeat after the outcome earned a retry leaves the waiting contact and its bucket alone', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    const { contact } = await initiated(campaign, 'sid-1');
    const o = { contactId: contact._id, try: 1, callSid: 'sid-1', status: 'busy' as const };
    expect(await h.state.outcome(o)).toMatchObject({ retrying: true });
    const waiting = await loadContact(store, contact._id);
    const bucketsBefore = await buckets(campaign._id);
    const view = await viewOf(store, campaign._id);
    expect(await h.state.outcome({ ...o, status: 'no-answer' })).toBeNull();
    expect(await loadContact(store, contact._id)).toEqual(waiting);
    expect(await buckets(campaign._id)).toEqual(bucketsBefore);
    expect(await viewOf(store, campaign._id)).toEqual(view);
  });

  it('concurrent deliveries of one callback apply it once', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    const { contact } = await initiated(campaign, 'sid-1');
    const o = { contactId: contact._id, try: 1, callSid: 'sid-1', status: 'no-answer' as const };
    const results = await Promise.all([h.state.outcome(o), h.state.outcome(o), h.state.outcome(o)]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect((await viewOf(store, campaign._id)).counts).toEqual({ retrying: 1 });
    const c = (await store.Campaign.findById(campaign._id).lean())!;
    expect(Object.values(c.stats.hours).map((hour) => hour['no-answer'])).toEqual([1]);
    await expectViewTrue(store, campaign._id);
  });

  it('an earlier try’s late outcome completes that try’s call record only', async () => {
    const campaign = await campaignWith(1, { retry: RETRY });
    const { contact: first } = await dialing(campaign);
    await h.state.absent((await h.state.unknown(first, 'timeout after send', new Date()))!, new Date());
    const { contact: second } = await initiated(campaign, 'sid-2');
    expect(second.tries).toBe(2);
    const view = await store.Campaign.findById(campaign._id).lean();
    h.changes.length = 0;
    // The first request did place a call after all; it ended, and its callback arrives now.
    const late = { contactId: first._id, try: 1, callSid: 'sid-1', status: 'completed' as const, durationSeconds: 30, answeredBy: 'human' };
    expect(await h.state.outcome(late)).toBeNull();
    expect(await loadContact(store, first._id)).toMatchObject({
      call_status: 'initiated',
      tries: 2,
      attempts: 1,
      call_sid: 'sid-2',
      last_outcome: null,
    });
    expect(await callRecord(first._id, 1)).toMatchObject({ state: 'completed', sid: 'sid-1', duration: 30, answered_by: 'human' });
    expect(await callRecord(first._id, 2)).toMatchObject({ state: 'placed', sid: 'sid-2' });
    expect(await store.Campaign.findById(campaign._id).lean()).toEqual(view);
    expect(h.changes).toEqual([]);
    // A late outcome of the earlier try while the current one is still being dialled changes nothing either.
    await h.state.outcome({ contactId: first._id, try: 2, callSid: 'sid-2', status: 'busy' });
    await store.Contact.updateOne({ _id: first._id }, { $set: { next_attempt_at: new Date(0) } });
    const { contact: third } = await dialing(campaign);
    expect(await h.state.outcome({ ...late, status: 'busy' })).toBeNull();
    expect(await h.state.outcome({ contactId: first._id, try: 2, callSid: 'sid-2', status: 'completed' })).toBeNull();
    expect(await loadContact(store, first._id)).toMatchObject({ call_status: 'dialing', tries: 3 });
    expect(third.tries).toBe(3);
    expect((await viewOf(store, campaign._id)).counts).toEqual({ dialing: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('by sid only: applies to the live attempt with that sid, and to nothing else', async () => {
    const campaign = await campaignWith(2, { retry: RETRY });
    const [a, b] = await contactsOf(store, campaign._id);
    const placedA = (await gateClaim(h, a!, new Date()))!;
    await h.state.placed(placedA.contact, 'sid-a1', null, new Date());
    expect(await gateClaim(h, b!, new Date())).not.toBeNull();
    // Unknown sid, and a dialing contact (no sid yet): nothing.
    expect(await h.state.outcome({ contactId: a!._id, try: null, callSid: 'sid-other', status: 'completed' })).toBeNull();
    expect(await h.state.outcome({ contactId: b!._id, try: null, callSid: 'sid-b1', status: 'completed' })).toBeNull();
    expect((await loadContact(store, b!._id)).call_status).toBe('dialing');
    // The live attempt's sid: applied.
    expect(await h.state.outcome({ contactId: a!._id, try: null, callSid: 'sid-a1', status: 'busy' })).toMatchObject({ retrying: true });
    // Try 2 of a: the old sid by itself no longer matches anything.
    await store.Contact.updateOne({ _id: a!._id }, { $set: { next_attempt_at: new Date(0) } });
    const second = (await gateClaim(h, await loadContact(store, a!._id), new Date()))!;
    await h.state.placed(second.contact, 'sid-a2', null, new Date());
    expect(await h.state.outcome({ contactId: a!._id, try: null, callSid: 'sid-a1', status: 'completed' })).toBeNull();
    expect(await loadContact(store, a!._id)).toMatchObject({ call_status: 'initiated', call_sid: 'sid-a2', tries: 2 });
    expect(await callRecord(a!._id, 1)).toMatchObject({ state: 'busy' });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ initiated: 1, dialing: 1 });
    await expectViewTrue(store, campaign._id);
  });

  it('reported: by CustomField, or by the sid on the line when Exotel left CustomField out', async () => {
    const campaign = await campaignWith(3);
    const [a, b] = await contactsOf(store, campaign._id);
    const claimA = (await gateClaim(h, a!, new Date()))!;
    await h.state.placed(claimA.contact, 'sid-a', null, new Date());
    const claimB = (await gateClaim(h, b!, new Date()))!;
    await h.state.placed(claimB.contact, 'sid-b', null, new Date());
    expect(await h.state.reported({ attemptKey: attemptKey(a!._id, 1), callSid: 'sid-a', status: 'completed' })).toMatchObject({
      from: 'initiated',
    });
    expect(await h.state.reported({ attemptKey: null, callSid: 'sid-b', status: 'busy' })).toMatchObject({ from: 'initiated' });
    expect(await h.state.reported({ attemptKey: 'not-a-key', callSid: 'sid-nobody', status: 'busy' })).toBeNull();
    expect((await loadContact(store, b!._id)).call_status).toBe('busy');
    // The line was given back with the outcome: a repeat without CustomField finds no attempt.
    expect(await h.state.reported({ attemptKey: null, callSid: 'sid-b', status: 'completed' })).toBeNull();
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, completed: 1, busy: 1 });
    await expectViewTrue(store, campaign._id);
  });
});

describe('requeue', () => {
  async function finals(
    campaign: CampaignFields,
    statuses: Array<'busy' | 'no-answer' | 'failed' | 'completed'>,
  ): Promise<ContactFields[]> {
    const contacts = await contactsOf(store, campaign._id);
    for (const [i, status] of statuses.entries()) {
      const claim = (await gateClaim(h, contacts[i]!, new Date()))!;
      await h.state.placed(claim.contact, `sid-${i}`, null, new Date());
      await h.state.outcome({ contactId: contacts[i]!._id, try: 1, callSid: `sid-${i}`, status });
    }
    return contactsOf(store, campaign._id);
  }

  it('moves final not-reached contacts back, keeps their attempts, and undoes the count of a stale copy', async () => {
    const campaign = await campaignWith(5);
    const contacts = await finals(campaign, ['busy', 'no-answer', 'failed', 'completed']);
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, busy: 1, 'no-answer': 1, failed: 1, completed: 1 });
    h.changes.length = 0;
    const now = new Date();
    const moved = await h.state.requeue(campaign._id, contacts, now);
    expect(moved).toBe(3);
    const after = await contactsOf(store, campaign._id);
    expect(after.map((c) => [c.call_status, c.last_outcome, c.attempts])).toEqual([
      ['pending', 'busy', 1],
      ['pending', 'no-answer', 1],
      ['pending', 'failed', 1],
      ['completed', 'completed', 1],
      ['pending', null, 0],
    ]);
    expect(after[0]!.next_attempt_at).toEqual(now);
    expect((await buckets(campaign._id)).flatMap((b) => b.contacts).sort()).toEqual(
      contacts
        .slice(0, 3)
        .map((c) => c._id)
        .sort(),
    );
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 1, retrying: 3, completed: 1 }, failed: 0, completed: 1 });
    expect(h.changes).toEqual([{ campaignId: campaign._id }]);
    await expectViewTrue(store, campaign._id);
    // The same (now stale) copies again: nothing moves, and the counters it moved first are moved back.
    expect(await h.state.requeue(campaign._id, contacts, now)).toBe(0);
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, retrying: 3, completed: 1 });
    await expectViewTrue(store, campaign._id);
    // A requeued contact is dialled again from retrying.
    const claim = (await gateClaim(h, after[0]!, new Date()))!;
    expect(claim.contact).toMatchObject({ call_status: 'dialing', tries: 2, attempts: 2 });
    expect((await viewOf(store, campaign._id)).counts).toEqual({ pending: 1, retrying: 2, dialing: 1, completed: 1 });
  });
});
