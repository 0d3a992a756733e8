// The models against the real database: defaults, validation, uniqueness, the ids the hot paths look up by, and the
// indexes the rest relies on.
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../src/campaigns/vocabulary.js';
import { attemptKey, parseAttemptKey } from '../../src/store/call-model.js';
import { contactId, parseContactId } from '../../src/store/contact-model.js';
import { dncId } from '../../src/store/dnc-model.js';
import { retryBucketId } from '../../src/store/retry-bucket-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('models');
});

async function newCampaign(name: string, extra: Record<string, unknown> = {}) {
  return store.Campaign.create({ team_id: 'T1', name, title: name.toUpperCase(), owner: 'U1', ...extra });
}

async function newContact(campaignId: Types.ObjectId, seq: number, phone: string, extra: Record<string, unknown> = {}) {
  return store.Contact.create({ _id: contactId(campaignId, seq), campaign_id: campaignId, seq, phone, ...extra });
}

async function indexes(model: { listIndexes(): Promise<Array<{ key: Record<string, unknown>; unique?: boolean }>> }) {
  return (await model.listIndexes()).map((i) => ({ key: i.key, unique: i.unique ?? false }));
}

describe('ids', () => {
  it('a contact id is the campaign id and a 7-digit sequence number, and reads back', () => {
    const campaign = new Types.ObjectId('65f000000000000000000abc');
    expect(contactId(campaign, 42)).toBe('65f000000000000000000abc:0000042');
    expect(contactId(String(campaign), 12_345_678)).toBe('65f000000000000000000abc:12345678');
    expect(parseContactId('65F000000000000000000ABC:0000042')).toEqual({ campaignId: '65f000000000000000000abc', seq: 42 });
    for (const bad of ['65f000000000000000000abc:42', 'nope:0000042', '65f000000000000000000abc', ''])
      expect(parseContactId(bad), bad).toBeNull();
    // Sequence order is _id order, which the first-attempt walk and exports rely on.
    expect([contactId(campaign, 10), contactId(campaign, 9), contactId(campaign, 100)].sort()).toEqual([
      contactId(campaign, 9),
      contactId(campaign, 10),
      contactId(campaign, 100),
    ]);
  });

  it('an attempt key is the contact id and the try: the CustomField sent to Exotel and the call record’s _id', () => {
    const contact = contactId(new Types.ObjectId('65f000000000000000000abc'), 7);
    expect(attemptKey(contact, 3)).toBe('65f000000000000000000abc:0000007:3');
    expect(parseAttemptKey(attemptKey(contact, 3))).toEqual({ contactId: contact, try: 3 });
    for (const bad of [contact, `${contact}:`, `${contact}:x`, 'anything', '', null, undefined])
      expect(parseAttemptKey(bad), String(bad)).toBeNull();
  });

  it('retry buckets and do-not-call entries are named by what they are looked up by', () => {
    expect(retryBucketId('65f000000000000000000abc', 29_000_000)).toBe('65f000000000000000000abc:29000000');
    expect(dncId('T1', '919876543210')).toBe('T1:919876543210');
  });
});

describe('campaign', () => {
  it('starts as a draft with an empty view, the default rules, and queue positions at the start', async () => {
    const c = (await newCampaign('defaults')).toObject();
    expect(c).toMatchObject({
      status: 'draft',
      mode: null,
      total_contacts: 0,
      calls_completed: 0,
      calls_failed: 0,
      counts: emptyCounts(),
      view_version: 0,
      stats: { placed: 0, talk_seconds: 0, cost: 0, cost_pending: 0, answered_human: 0, answered_machine: 0, keys: {}, hours: {} },
      retry: { on: ['busy', 'no-answer'], max_attempts: 3, delays: { busy: 1800, 'no-answer': 7200, failed: 1800 }, exponential: false },
      calling_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '21:00', tz: 'Asia/Kolkata', skip: [] },
      contacts_seq: 0,
      queue_seq: 1,
      retry_cursor: 0,
      dial_wait: { reason: null, until: null },
      lease_epoch: 0,
      runner_id: null,
      columns: [],
      keys: {},
      started_at: null,
    });
    expect(c.created_at).toBeInstanceOf(Date);
  });

  it('rejects a second campaign with the same name in the same workspace', async () => {
    await newCampaign('emi-reminder');
    await expect(newCampaign('emi-reminder')).rejects.toMatchObject({ code: 11000 });
    await expect(store.Campaign.create({ team_id: 'T2', name: 'emi-reminder', title: 't', owner: 'U1' })).resolves.toBeTruthy();
  });

  it('rejects fields and counters that are not in the schema, and rules out of bounds', async () => {
    await expect(newCampaign('strict', { colour: 'red' })).rejects.toThrow(/not in schema/);
    await expect(newCampaign('strict-counts', { counts: { waiting: 1 } })).rejects.toThrow(/counts/);
    await expect(newCampaign('bad-name!')).rejects.toThrow(/name/);
    await expect(newCampaign('too-many', { retry: { max_attempts: 6 } })).rejects.toThrow(/max_attempts/);
    await expect(newCampaign('too-few', { retry: { max_attempts: 0 } })).rejects.toThrow(/max_attempts/);
    await expect(newCampaign('negative-delay', { retry: { delays: { busy: -1 } } })).rejects.toThrow(/busy/);
    await expect(newCampaign('bad-pace', { calls_per_minute: 0 })).rejects.toThrow(/calls_per_minute/);
    await expect(newCampaign('bad-hours', { calling_hours: { start: '9am' } })).rejects.toThrow(/start/);
    await expect(newCampaign('bad-status', { status: 'dialling' })).rejects.toThrow(/status/);
  });

  it('keeps per-hour stats and the view’s counters as they are incremented', async () => {
    const c = await newCampaign('stats');
    await store.Campaign.updateOne(
      { _id: c._id },
      { $inc: { 'stats.hours.29000000.completed': 2, 'stats.keys.1': 1, 'counts.pending': 3, view_version: 1 } },
    );
    const after = (await store.Campaign.findById(c._id).lean())!;
    expect(after.stats.hours).toEqual({ '29000000': { completed: 2 } });
    expect(after.stats.keys).toEqual({ '1': 1 });
    expect(after.counts.pending).toBe(3);
  });

  it('has the indexes the service relies on', async () => {
    const campaignIndexes = await indexes(store.Campaign);
    expect(campaignIndexes).toContainEqual({ key: { team_id: 1, name: 1 }, unique: true });
    expect(campaignIndexes).toContainEqual({ key: { status: 1 }, unique: false });
  });
});

describe('contact', () => {
  it('is waiting for its first attempt, with nothing tried yet', async () => {
    const c = await newCampaign('contact-defaults');
    const contact = (await newContact(c._id, 1, '919800000001', { name: 'Ravi', fields: { amount: '1200' } })).toObject();
    expect(contact).toMatchObject({
      _id: contactId(c._id, 1),
      call_status: 'pending',
      skip_reason: null,
      tries: 0,
      attempts: 0,
      next_attempt_at: new Date(0),
      runner_id: null,
      lease_epoch: null,
      sent_at: null,
      line_id: null,
      call_sid: null,
      call_started_at: null,
      call_ended_at: null,
      call_duration: null,
      call_error: null,
      last_outcome: null,
      answered_by: null,
      digits: null,
      check_after: null,
      description: '',
      fields: { amount: '1200' },
    });
  });

  it('rejects a second contact with the same number in the same campaign, and a reused id', async () => {
    const c = await newCampaign('dupes');
    await newContact(c._id, 1, '919876543210');
    await expect(newContact(c._id, 2, '919876543210')).rejects.toMatchObject({ code: 11000 });
    await expect(newContact(c._id, 1, '919876543211')).rejects.toMatchObject({ code: 11000 });
    const other = await newCampaign('dupes-2');
    await expect(newContact(other._id, 1, '919876543210')).resolves.toBeTruthy();
    expect(await store.Contact.countDocuments({ phone: '919876543210' })).toBe(2);
  });

  it('rejects unknown fields, states and outcomes, and a missing id', async () => {
    const c = await newCampaign('contact-strict');
    await expect(newContact(c._id, 1, '919800000002', { colour: 'red' })).rejects.toThrow(/not in schema/);
    await expect(newContact(c._id, 2, '919800000003', { call_status: 'ringing' })).rejects.toThrow(/call_status/);
    await expect(newContact(c._id, 3, '919800000004', { last_outcome: 'pending' })).rejects.toThrow(/last_outcome/);
    await expect(newContact(c._id, 4, '919800000005', { name: 'x'.repeat(201) })).rejects.toThrow(/name/);
    await expect(store.Contact.create({ campaign_id: c._id, seq: 5, phone: '919800000006' })).rejects.toThrow(/_id/);
  });

  it('has the indexes import and export rely on', async () => {
    const contactIndexes = await indexes(store.Contact);
    expect(contactIndexes).toContainEqual({ key: { campaign_id: 1, phone: 1 }, unique: true });
    expect(contactIndexes).toContainEqual({ key: { campaign_id: 1, seq: 1 }, unique: false });
  });
});

describe('the small collections', () => {
  it('call records, lines, buckets, the failure outbox, pacer state and job leases take their documents', async () => {
    const c = await newCampaign('small');
    const contact = contactId(c._id, 1);
    const key = attemptKey(contact, 1);
    const now = new Date();
    await store.Call.create({ _id: key, campaign_id: c._id, contact_id: contact, try: 1, state: 'placed', sent_at: now, sid: 'sid-1' });
    expect(await store.Call.findById(key).lean()).toMatchObject({ state: 'placed', sid: 'sid-1', price: null, outcome_at: null });
    await expect(
      store.Call.create({ _id: `${key}x`, campaign_id: c._id, contact_id: contact, try: 1, state: 'ringing' as never, sent_at: now }),
    ).rejects.toThrow(/state/);

    await store.LiveLine.create({ _id: 'ACfake:0', account: 'ACfake', index: 0 });
    expect(await store.LiveLine.findById('ACfake:0').lean()).toMatchObject({
      holder: null,
      campaign_id: null,
      sid: null,
      check_after: null,
    });

    const bucket = retryBucketId(c._id, 29_000_000);
    await store.RetryBucket.create({ _id: bucket, campaign_id: c._id, slot: 174_000_000, contacts: [contact] });
    expect((await store.RetryBucket.findById(bucket).lean())?.contacts).toEqual([contact]);

    await store.Failure.create({
      _id: key,
      campaign_id: c._id,
      contact_id: contact,
      try: 1,
      phone: '919800000001',
      outcome: 'busy',
      at: now,
    });
    expect(await store.Failure.findById(key).lean()).toMatchObject({ name: '', reason: null, outcome: 'busy' });
    await expect(
      store.Failure.create({
        _id: `${key}y`,
        campaign_id: c._id,
        contact_id: contact,
        try: 1,
        phone: '9198',
        outcome: 'pending' as never,
        at: now,
      }),
    ).rejects.toThrow(/outcome/);

    await store.PacerState.create({ _id: 'ACfake', next_at: now, held_until: now, rate: 200 });
    await expect(store.PacerState.create({ _id: 'ACfake', next_at: now, held_until: now, rate: 200 })).rejects.toMatchObject({
      code: 11000,
    });
    await store.JobLease.create({ _id: 'reconcile:ACfake', holder: 'p1', until: now });
    await expect(store.JobLease.create({ _id: 'reconcile:ACfake', holder: 'p2', until: now })).rejects.toMatchObject({ code: 11000 });

    await store.Dnc.create({ _id: dncId('T1', '919800000001'), team_id: 'T1', phone: '919800000001', added_by: 'U1' });
    await expect(
      store.Dnc.create({ _id: dncId('T1', '919800000001'), team_id: 'T1', phone: '919800000001', added_by: 'U2' }),
    ).rejects.toMatchObject({ code: 11000 });
  });

  it('have the indexes the outbox, deletes and the list rely on', async () => {
    expect(await indexes(store.Call)).toContainEqual({ key: { campaign_id: 1 }, unique: false });
    expect(await indexes(store.Failure)).toContainEqual({ key: { campaign_id: 1, at: 1 }, unique: false });
    expect(await indexes(store.Dnc)).toContainEqual({ key: { team_id: 1, phone: 1 }, unique: false });
  });
});
