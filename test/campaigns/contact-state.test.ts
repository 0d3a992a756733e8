// Every contact state change against the real database: each moves only from the state it expects (and, for a
// claimed contact, only for the runner holding it), and a repeated outcome changes nothing and is counted once.
import type { Types } from 'mongoose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CounterBuffer } from '../../src/campaigns/campaign-counters.js';
import { CampaignEvents, type ContactChange } from '../../src/campaigns/campaign-events.js';
import { ContactState } from '../../src/campaigns/contact-state.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';

let store: Store;
let counters: CounterBuffer;
let events: CampaignEvents;
let state: ContactState;
let changes: ContactChange[];

const RUNNER = 'runner-a';
const OTHER = 'runner-b';
const NO_RETRY: RetryPolicy = { max_attempts: 1, delay_seconds: 0, on: [] };
const RETRY_BUSY: RetryPolicy = { max_attempts: 2, delay_seconds: 60, on: ['busy', 'no-answer'] };

let prefix = 10;
async function campaignWith(n: number, retry: RetryPolicy = NO_RETRY): Promise<CampaignFields> {
  prefix += 1;
  return seedCampaign(store, phoneNumbers(n, String(prefix)), { retry, status: 'running' });
}

async function load(id: Types.ObjectId): Promise<ContactFields> {
  return (await store.Contact.findById(id).lean()) as ContactFields;
}

/** Claims the next contact and records Exotel's acceptance under `sid`. */
async function placed(campaignId: Types.ObjectId, sid: string, at = new Date()): Promise<ContactFields> {
  const claimed = await state.claim(campaignId, RUNNER, at);
  expect(claimed).not.toBeNull();
  const after = await state.initiated(claimed!.toObject() as ContactFields, RUNNER, sid, at, new Date(at.getTime() + 60_000));
  expect(after?.call_status).toBe('initiated');
  return after!;
}

async function counterFields(id: Types.ObjectId) {
  await counters.flush(store, id);
  const c = (await store.Campaign.findById(id).lean()) as CampaignFields;
  return { completed: c.calls_completed, failed: c.calls_failed, busy: c.calls_busy, noAnswer: c.calls_no_answer };
}

beforeAll(async () => {
  store = await testStore('contact_state');
});
beforeEach(() => {
  counters = new CounterBuffer();
  events = new CampaignEvents();
  changes = [];
  events.on('contact', (c) => changes.push(c));
  state = new ContactState(store, counters, events);
});

describe('claim', () => {
  it('moves one due pending contact to dialing for this runner and counts the attempt', async () => {
    const campaign = await campaignWith(1);
    const now = new Date();
    const claimed = await state.claim(campaign._id, RUNNER, now);
    expect(claimed).toMatchObject({ call_status: 'dialing', runner_id: RUNNER, attempts: 1 });
    expect(claimed!.claimed_at).toEqual(now);
    expect(await state.claim(campaign._id, OTHER, now)).toBeNull();
  });

  it('never gives the same contact to two racing claims', async () => {
    const campaign = await campaignWith(5);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => state.claim(campaign._id, `r${i}`)));
    const won = results.filter((r) => r !== null);
    expect(won).toHaveLength(5);
    expect(new Set(won.map((c) => String(c!._id))).size).toBe(5);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing', attempts: 1 })).toBe(5);
  });

  it('leaves a contact whose next attempt is not due yet', async () => {
    const campaign = await campaignWith(1);
    const now = new Date();
    await store.Contact.updateMany({ campaign_id: campaign._id }, { $set: { next_attempt_at: new Date(now.getTime() + 1_000) } });
    expect(await state.claim(campaign._id, RUNNER, now)).toBeNull();
    expect(await state.claim(campaign._id, RUNNER, new Date(now.getTime() + 1_000))).not.toBeNull();
  });
});

describe('changes of a claimed (dialing) contact', () => {
  it('initiated: only by the runner that holds the claim, once', async () => {
    const campaign = await campaignWith(1);
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    const at = new Date();
    expect(await state.initiated(claimed, OTHER, 'sid-x', at, at)).toBeNull();
    const after = await state.initiated(claimed, RUNNER, 'sid-1', at, new Date(at.getTime() + 5_000));
    expect(after).toMatchObject({ call_status: 'initiated', call_sid: 'sid-1', attempts: 1 });
    expect(after!.check_after).toEqual(new Date(at.getTime() + 5_000));
    expect(await state.initiated(claimed, RUNNER, 'sid-2', at, at)).toBeNull();
    expect((await load(claimed._id)).call_sid).toBe('sid-1');
  });

  it('rejected, released and unknown move nothing that is not dialing for this runner', async () => {
    const campaign = await campaignWith(2);
    const initiated = await placed(campaign._id, 'sid-held');
    const pending = (await store.Contact.findOne({ campaign_id: campaign._id, call_status: 'pending' }).lean()) as ContactFields;
    const now = new Date();
    for (const contact of [pending, initiated]) {
      expect(await state.rejected(contact, RUNNER, 'no', now)).toBeNull();
      expect(await state.released(contact, RUNNER, now, null)).toBeNull();
      expect(await state.unknown(contact, RUNNER, 'maybe', now)).toBeNull();
    }
    expect((await load(pending._id)).call_status).toBe('pending');
    expect(await load(initiated._id)).toMatchObject({ call_status: 'initiated', call_sid: 'sid-held', attempts: 1 });
    // A runner that lost the claim cannot change it either.
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    expect(await state.rejected(claimed, OTHER, 'no', now)).toBeNull();
    expect(await state.released(claimed, OTHER, now, null)).toBeNull();
    expect(await state.unknown(claimed, OTHER, 'maybe', now)).toBeNull();
    expect((await load(claimed._id)).call_status).toBe('dialing');
  });

  it('rejected: dialing → failed, final, counted as failed', async () => {
    const campaign = await campaignWith(1);
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    const after = await state.rejected(claimed, RUNNER, 'The From number is invalid', new Date());
    expect(after).toMatchObject({ call_status: 'failed', last_outcome: 'failed', call_error: 'The From number is invalid' });
    expect(await counterFields(campaign._id)).toMatchObject({ failed: 1 });
  });

  it('released: dialing → pending, the attempt given back, not before the given time', async () => {
    const campaign = await campaignWith(1);
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    const notBefore = new Date(Date.now() + 30_000);
    const after = await state.released(claimed, RUNNER, notBefore, 'Exotel was unavailable');
    expect(after).toMatchObject({ call_status: 'pending', attempts: 0, runner_id: null, claimed_at: null, call_error: 'Exotel was unavailable' });
    expect(after!.next_attempt_at).toEqual(notBefore);
    expect(await state.claim(campaign._id, RUNNER)).toBeNull();
  });

  it('unknown: dialing → unknown, to be checked from the given time', async () => {
    const campaign = await campaignWith(1);
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    const checkAfter = new Date();
    const after = await state.unknown(claimed, RUNNER, 'timeout after send', checkAfter);
    expect(after).toMatchObject({ call_status: 'unknown', attempts: 1, call_error: 'timeout after send' });
    expect(after!.check_after).toEqual(checkAfter);
    expect(await state.claim(campaign._id, RUNNER)).toBeNull();
  });

  it('orphansToUnknown: only contacts other runners left dialing', async () => {
    const campaign = await campaignWith(3);
    await state.claim(campaign._id, OTHER);
    await state.claim(campaign._id, RUNNER);
    expect(await state.orphansToUnknown(campaign._id, RUNNER, new Date())).toBe(1);
    const byStatus = await store.Contact.find({ campaign_id: campaign._id }).lean();
    expect(byStatus.map((c) => `${c.call_status}:${c.runner_id ?? ''}`).sort()).toEqual(['dialing:runner-a', 'pending:', 'unknown:runner-b']);
  });
});

describe('reconciling an unknown contact', () => {
  async function unknownContact(): Promise<{ campaign: CampaignFields; contact: ContactFields }> {
    const campaign = await campaignWith(1);
    const claimed = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    const contact = (await state.unknown(claimed, RUNNER, 'reset', new Date()))!;
    return { campaign, contact };
  }

  it('foundOnExotel: unknown → initiated with Exotel’s sid, once', async () => {
    const { contact } = await unknownContact();
    const created = new Date(Date.now() - 2_000);
    const after = await state.foundOnExotel(contact, 'sid-found', created, new Date());
    expect(after).toMatchObject({ call_status: 'initiated', call_sid: 'sid-found', attempts: 1, call_error: null });
    expect(after!.call_started_at).toEqual(created);
    expect(await state.foundOnExotel(contact, 'sid-other', created, new Date())).toBeNull();
    expect(await state.absentOnExotel(contact, new Date())).toBeNull();
    expect((await load(contact._id)).call_sid).toBe('sid-found');
  });

  it('absentOnExotel: unknown → pending, the attempt given back, once', async () => {
    const { contact } = await unknownContact();
    const now = new Date();
    const after = await state.absentOnExotel(contact, now);
    expect(after).toMatchObject({ call_status: 'pending', attempts: 0, runner_id: null });
    expect(await state.absentOnExotel(contact, now)).toBeNull();
    expect((await load(contact._id)).attempts).toBe(0);
  });

  it('neither moves a contact that is not unknown, or was claimed again since', async () => {
    const { campaign, contact } = await unknownContact();
    await state.absentOnExotel(contact, new Date());
    await state.claim(campaign._id, RUNNER);
    // The stale copy still says unknown with attempts 1; the contact is dialing its next attempt (attempts 1 again).
    expect(await state.foundOnExotel(contact, 'sid-late', null, new Date())).toBeNull();
    expect(await state.absentOnExotel(contact, new Date())).toBeNull();
    expect((await load(contact._id)).call_status).toBe('dialing');
  });
});

describe('outcome', () => {
  it('records the outcome of an initiated call and emits one change', async () => {
    const campaign = await campaignWith(1);
    const contact = await placed(campaign._id, 'sid-done');
    changes.length = 0;
    const ended = new Date(Date.now() - 1_000);
    const result = await state.outcome({ callSid: 'sid-done', status: 'completed', endedAt: ended, durationSeconds: 42 });
    expect(result).toMatchObject({ from: 'initiated', retrying: false });
    expect(await load(contact._id)).toMatchObject({
      call_status: 'completed',
      last_outcome: 'completed',
      call_duration: 42,
      call_ended_at: ended,
      check_after: null,
    });
    expect(changes).toHaveLength(1);
    expect(await counterFields(campaign._id)).toEqual({ completed: 1, failed: 0, busy: 0, noAnswer: 0 });
  });

  it('is idempotent: a repeated callback changes nothing and is not counted again', async () => {
    const campaign = await campaignWith(1);
    const contact = await placed(campaign._id, 'sid-twice');
    expect(await state.outcome({ callSid: 'sid-twice', status: 'no-answer' })).not.toBeNull();
    const first = await load(contact._id);
    changes.length = 0;
    const repeats = await Promise.all([
      state.outcome({ callSid: 'sid-twice', status: 'no-answer' }),
      state.outcome({ callSid: 'sid-twice', status: 'completed', durationSeconds: 9 }),
    ]);
    expect(repeats).toEqual([null, null]);
    expect(await load(contact._id)).toEqual(first);
    expect(changes).toEqual([]);
    expect(await counterFields(campaign._id)).toEqual({ completed: 0, failed: 0, busy: 0, noAnswer: 1 });
  });

  it('racing deliveries of one callback record it exactly once', async () => {
    const campaign = await campaignWith(1);
    await placed(campaign._id, 'sid-race');
    const results = await Promise.all(Array.from({ length: 6 }, () => state.outcome({ callSid: 'sid-race', status: 'busy' })));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await counterFields(campaign._id)).toMatchObject({ busy: 1 });
  });

  it('an unknown CallSid changes nothing', async () => {
    const campaign = await campaignWith(1);
    const contact = await placed(campaign._id, 'sid-known');
    const before = await load(contact._id);
    expect(await state.outcome({ callSid: 'sid-nobody', status: 'completed' })).toBeNull();
    expect(await load(contact._id)).toEqual(before);
  });

  it('a retry re-queues the contact as pending with next_attempt_at, uncounted until final', async () => {
    const campaign = await campaignWith(1, RETRY_BUSY);
    const contact = await placed(campaign._id, 'sid-busy-1');
    const now = new Date();
    const result = await state.outcome({ callSid: 'sid-busy-1', status: 'busy' }, now);
    expect(result).toMatchObject({ retrying: true, from: 'initiated' });
    const queued = await load(contact._id);
    expect(queued).toMatchObject({ call_status: 'pending', last_outcome: 'busy', attempts: 1, runner_id: null, claimed_at: null });
    expect(queued.next_attempt_at).toEqual(new Date(now.getTime() + 60_000));
    expect(await counterFields(campaign._id)).toEqual({ completed: 0, failed: 0, busy: 0, noAnswer: 0 });

    // Not due before the delay; due after it, as attempt 2.
    expect(await state.claim(campaign._id, RUNNER, new Date(now.getTime() + 59_000))).toBeNull();
    const second = await state.claim(campaign._id, RUNNER, new Date(now.getTime() + 60_000));
    expect(second).toMatchObject({ attempts: 2, call_status: 'dialing' });
    await state.initiated(second!.toObject() as ContactFields, RUNNER, 'sid-busy-2', now, now);

    // The last attempt allowed: busy again is final.
    expect(await state.outcome({ callSid: 'sid-busy-2', status: 'busy' })).toMatchObject({ retrying: false });
    expect(await load(contact._id)).toMatchObject({ call_status: 'busy', attempts: 2, call_sid: 'sid-busy-2' });
    expect(await counterFields(campaign._id)).toMatchObject({ busy: 1 });
  });

  it('a late repeat of the previous attempt’s callback does not touch the next attempt', async () => {
    const campaign = await campaignWith(1, { ...RETRY_BUSY, delay_seconds: 0 });
    const contact = await placed(campaign._id, 'sid-old');
    expect(await state.outcome({ callSid: 'sid-old', status: 'busy' })).toMatchObject({ retrying: true });

    // Attempt 2 is claimed; Exotel delivers the first call's callback again before attempt 2 is recorded.
    const second = (await state.claim(campaign._id, RUNNER))!.toObject() as ContactFields;
    expect(await state.outcome({ callSid: 'sid-old', status: 'busy' })).toBeNull();
    expect(await load(contact._id)).toMatchObject({ call_status: 'dialing', attempts: 2 });

    // Attempt 2's request times out (unknown); the old callback arrives once more.
    await state.unknown(second, RUNNER, 'timeout after send', new Date());
    expect(await state.outcome({ callSid: 'sid-old', status: 'completed' })).toBeNull();
    expect(await load(contact._id)).toMatchObject({ call_status: 'unknown', attempts: 2 });
    expect(await counterFields(campaign._id)).toEqual({ completed: 0, failed: 0, busy: 0, noAnswer: 0 });
  });
});
