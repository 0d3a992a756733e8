import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimNextContact } from '../../src/campaigns/contact-claims.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('models');
});

async function newCampaign(name: string) {
  return store.Campaign.create({ team_id: 'T1', name, title: name.toUpperCase(), owner: 'U1' });
}

describe('campaign', () => {
  it('has the original system fields with their defaults', async () => {
    const c = await newCampaign('defaults');
    expect(c.status).toBe('draft');
    expect(c.total_contacts).toBe(0);
    expect(c.calls_completed).toBe(0);
    expect(c.calls_failed).toBe(0);
    expect(c.started_at).toBeNull();
    expect(c.created_at).toBeInstanceOf(Date);
    expect(c.retry?.max_attempts).toBe(1);
  });

  it('rejects a second campaign with the same name in the same workspace', async () => {
    await newCampaign('emi-reminder');
    await expect(newCampaign('emi-reminder')).rejects.toMatchObject({ code: 11000 });
    await expect(store.Campaign.create({ team_id: 'T2', name: 'emi-reminder', title: 't', owner: 'U1' })).resolves.toBeTruthy();
  });

  it('rejects fields that are not in the schema', async () => {
    await expect(
      store.Campaign.create({ team_id: 'T1', name: 'strict', title: 't', owner: 'U1', colour: 'red' } as never),
    ).rejects.toThrow(/not in schema/);
  });
});

describe('contact', () => {
  it('rejects a second contact with the same number in the same campaign', async () => {
    const c = await newCampaign('dupes');
    await store.Contact.create({ campaign_id: c._id, phone: '919876543210' });
    await expect(store.Contact.create({ campaign_id: c._id, phone: '919876543210' })).rejects.toMatchObject({ code: 11000 });
    const other = await newCampaign('dupes-2');
    await expect(store.Contact.create({ campaign_id: other._id, phone: '919876543210' })).resolves.toBeTruthy();
    expect(await store.Contact.countDocuments({ phone: '919876543210' })).toBe(2);
  });

  it('has the original system fields', async () => {
    const c = await newCampaign('fields');
    const contact = await store.Contact.create({ campaign_id: c._id, phone: '919800000001', name: 'Ravi' });
    expect(contact.call_status).toBe('pending');
    expect(contact.call_sid).toBeNull();
    expect(contact.call_started_at).toBeNull();
    expect(contact.call_ended_at).toBeNull();
    expect(contact.call_error).toBeNull();
    expect(contact.attempts).toBe(0);
  });

  it('has the indexes the engine relies on', async () => {
    const contactIndexes = (await store.Contact.listIndexes()).map((i) => ({ key: i.key, unique: i.unique ?? false }));
    expect(contactIndexes).toContainEqual({ key: { campaign_id: 1, phone: 1 }, unique: true });
    expect(contactIndexes).toContainEqual({ key: { campaign_id: 1, call_status: 1, next_attempt_at: 1 }, unique: false });
    const campaignIndexes = (await store.Campaign.listIndexes()).map((i) => ({ key: i.key, unique: i.unique ?? false }));
    expect(campaignIndexes).toContainEqual({ key: { team_id: 1, name: 1 }, unique: true });
    expect(campaignIndexes).toContainEqual({ key: { status: 1 }, unique: false });
    expect(campaignIndexes).toContainEqual({ key: { owner: 1, updated_at: -1 }, unique: false });
  });
});

describe('atomic claims', () => {
  it('50 concurrent claims over 20 pending contacts claim each contact exactly once', async () => {
    const c = await newCampaign('claims');
    const phones = Array.from({ length: 20 }, (_, i) => `9198000${String(i).padStart(5, '0')}`);
    await store.Contact.insertMany(phones.map((phone) => ({ campaign_id: c._id, phone })));

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => claimNextContact(store, c._id, `runner-${i % 5}`)),
    );
    const claimed = results.filter((r) => r !== null);
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed.map((r) => String(r!._id))).size).toBe(20);
    expect(new Set(claimed.map((r) => r!.phone))).toEqual(new Set(phones));
    for (const r of claimed) {
      expect(r!.call_status).toBe('dialing');
      expect(r!.attempts).toBe(1);
    }
    const inDb = await store.Contact.find({ campaign_id: c._id }).lean();
    expect(inDb.every((d) => d.call_status === 'dialing' && d.attempts === 1)).toBe(true);
    expect(await claimNextContact(store, c._id, 'late')).toBeNull();
  });

  it('does not claim contacts whose next attempt is in the future or of another campaign', async () => {
    const a = await newCampaign('claims-a');
    const b = await newCampaign('claims-b');
    await store.Contact.create({ campaign_id: a._id, phone: '919811111111', next_attempt_at: new Date(Date.now() + 60_000) });
    await store.Contact.create({ campaign_id: b._id, phone: '919822222222' });
    expect(await claimNextContact(store, a._id, 'r')).toBeNull();
    expect(await claimNextContact(store, new Types.ObjectId(), 'r')).toBeNull();
    expect((await claimNextContact(store, b._id, 'r'))?.phone).toBe('919822222222');
  });
});
