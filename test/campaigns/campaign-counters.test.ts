// Campaign counters = contacts in each final state. Live changes are buffered and added with $inc; a recount from
// the contacts must always agree with them.
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CounterBuffer,
  EMPTY_BREAKDOWN,
  outstanding,
  recountCampaign,
  statusBreakdown,
} from '../../src/campaigns/campaign-counters.js';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { ContactState } from '../../src/campaigns/contact-state.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields, TerminalCallStatus } from '../../src/store/contact-model.js';
import { openStore, type Store } from '../../src/store/store.js';
import { mongoUri, testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';

let store: Store;

const COUNTER_KEYS = ['total_contacts', 'calls_completed', 'calls_failed', 'calls_busy', 'calls_no_answer', 'calls_canceled', 'contacts_skipped'] as const;

async function counters(id: Types.ObjectId) {
  const c = (await store.Campaign.findById(id).lean()) as CampaignFields;
  return Object.fromEntries(COUNTER_KEYS.map((k) => [k, c[k]]));
}

beforeAll(async () => {
  store = await testStore('campaign_counters');
});

describe('CounterBuffer', () => {
  it('adds one $inc per campaign per flush and writes nothing more until something moves', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '71'));
    const buffer = new CounterBuffer();
    buffer.move(campaign._id, 'initiated', 'completed');
    buffer.move(campaign._id, 'initiated', 'completed');
    buffer.move(campaign._id, 'dialing', 'failed');
    // Moves between non-final states change no counter.
    buffer.move(campaign._id, 'pending', 'dialing');
    buffer.move(campaign._id, 'initiated', 'pending');
    await buffer.flush(store);
    expect(await counters(campaign._id)).toMatchObject({ calls_completed: 2, calls_failed: 1, calls_busy: 0 });
    await buffer.flush(store);
    expect(await counters(campaign._id)).toMatchObject({ calls_completed: 2, calls_failed: 1 });
  });

  it('a move out of a final state takes one off its counter', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(1, '72'), { calls_failed: 1 });
    const buffer = new CounterBuffer();
    buffer.move(campaign._id, 'failed', 'pending');
    await buffer.flush(store);
    expect(await counters(campaign._id)).toMatchObject({ calls_failed: 0 });
  });

  it('flushes only the campaign asked for, and discard drops a campaign’s buffer', async () => {
    const a = await seedCampaign(store, phoneNumbers(1, '73'));
    const b = await seedCampaign(store, phoneNumbers(1, '74'));
    const buffer = new CounterBuffer();
    buffer.move(a._id, 'initiated', 'busy');
    buffer.move(b._id, 'initiated', 'busy');
    await buffer.flush(store, a._id);
    expect((await counters(a._id)).calls_busy).toBe(1);
    expect((await counters(b._id)).calls_busy).toBe(0);
    buffer.discard(b._id);
    await buffer.flush(store);
    expect((await counters(b._id)).calls_busy).toBe(0);
  });

  it('keeps what it could not write and writes it at the next flush', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(1, '75'));
    const buffer = new CounterBuffer();
    buffer.move(campaign._id, 'initiated', 'no-answer');
    // The same database through a connection that is closed: the write fails for real.
    const closed = await openStore(mongoUri(), { dbName: store.connection.name });
    await closed.close();
    await expect(buffer.flush(closed)).rejects.toThrow();
    expect((await counters(campaign._id)).calls_no_answer).toBe(0);
    buffer.move(campaign._id, 'initiated', 'no-answer');
    await buffer.flush(store);
    expect((await counters(campaign._id)).calls_no_answer).toBe(2);
  });
});

describe('statusBreakdown and outstanding', () => {
  it('counts contacts by call_status; outstanding is what still needs the engine or Exotel', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(6, '76'));
    const ids = (await store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean()).map((c) => c._id);
    const statuses = ['dialing', 'initiated', 'unknown', 'completed', 'skipped'] as const;
    for (const [i, s] of statuses.entries()) await store.Contact.updateOne({ _id: ids[i] }, { $set: { call_status: s } });
    const breakdown = await statusBreakdown(store, campaign._id);
    expect(breakdown).toEqual({ ...EMPTY_BREAKDOWN, pending: 1, dialing: 1, initiated: 1, unknown: 1, completed: 1, skipped: 1 });
    expect(outstanding(breakdown)).toBe(4);
    expect(await statusBreakdown(store, new Types.ObjectId())).toEqual(EMPTY_BREAKDOWN);
  });
});

describe('live counters and a recount agree', () => {
  it('after a mixed run through ContactState, the flushed counters equal recountCampaign', async () => {
    const buffer = new CounterBuffer();
    const state = new ContactState(store, buffer, new CampaignEvents());
    const phones = phoneNumbers(40, '77');
    const campaign = await seedCampaign(store, phones, {
      status: 'running',
      retry: { max_attempts: 2, delay_seconds: 0, on: ['busy'] },
    });
    // Two contacts were skipped at import: counted by the recount the run starts with, as the engine does.
    await store.Contact.updateMany({ campaign_id: campaign._id, phone: { $in: phones.slice(0, 2) } }, { $set: { call_status: 'skipped', skip_reason: 'dnc' } });
    await recountCampaign(store, campaign._id);

    const outcomes: TerminalCallStatus[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
    let n = 0;
    for (;;) {
      const claimed = await state.claim(campaign._id, 'runner');
      if (!claimed) break;
      const contact = claimed.toObject() as ContactFields;
      n += 1;
      if (n % 11 === 0) {
        await state.rejected(contact, 'runner', 'invalid number', new Date());
        continue;
      }
      if (n % 13 === 0) {
        await state.released(contact, 'runner', new Date(), null); // tried again later in the loop
        continue;
      }
      const sid = `sid-${n}`;
      await state.initiated(contact, 'runner', sid, new Date(), new Date());
      const status = outcomes[n % outcomes.length]!;
      await state.outcome({ callSid: sid, status });
      // Every fourth callback is delivered twice.
      if (n % 4 === 0) expect(await state.outcome({ callSid: sid, status })).toBeNull();
      if (n % 5 === 0) await buffer.flush(store); // flushes land mid-run, as the engine's tick does
    }
    await buffer.flush(store);
    const live = await counters(campaign._id);
    const breakdown = await recountCampaign(store, campaign._id);
    expect(outstanding(breakdown)).toBe(0);
    expect(await counters(campaign._id)).toEqual(live);
    expect(live).toEqual({
      total_contacts: 40,
      calls_completed: breakdown.completed,
      calls_failed: breakdown.failed,
      calls_busy: breakdown.busy,
      calls_no_answer: breakdown['no-answer'],
      calls_canceled: breakdown.canceled,
      contacts_skipped: 2,
    });
    // Every kind of final state happened, so the comparison covers every counter.
    expect(Math.min(breakdown.completed, breakdown.failed, breakdown.busy, breakdown['no-answer'], breakdown.canceled)).toBeGreaterThan(0);
  });

  it('a recount repairs a counter that drifted (a delta lost in a crash)', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '78'), { calls_completed: 5, total_contacts: 9 });
    const [first] = await store.Contact.find({ campaign_id: campaign._id }).lean();
    await store.Contact.updateOne({ _id: first!._id }, { $set: { call_status: 'completed' } });
    await recountCampaign(store, campaign._id);
    expect(await counters(campaign._id)).toMatchObject({ total_contacts: 2, calls_completed: 1 });
  });
});
