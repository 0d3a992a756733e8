// insertContacts against the real database: each row gets the campaign's next sequence number (its `_id`), the view
// counts the rows before they are written, and rows turned away (a number another import stored first, a row the
// schema refuses) are taken off the view again.
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertContacts, type NewContact } from '../../src/campaigns/contact-insert.js';
import { contactId } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { contactsOf, expectViewTrue, loadCampaign, viewOf } from './state-fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('contact_insert');
});

function rows(phones: string[], extra: Partial<NewContact> = {}): NewContact[] {
  return phones.map((phone, i) => ({ phone, name: `N${i}`, description: '', ...extra }));
}

/** `base` whose inserts first let `before` look at the database, as a reader would while the rows are on their way. */
function watchingInserts(base: Store, before: () => Promise<void>): Store {
  const Contact = new Proxy(base.Contact, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'insertMany') {
        return async (...args: unknown[]) => {
          await before();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...base, Contact } as Store;
}

describe('sequence numbers', () => {
  it('gives each row the next number of its campaign, as its _id, across inserts and campaigns', async () => {
    const campaign = await seedCampaign(store, []);
    const other = await seedCampaign(store, phoneNumbers(2, '81'));
    expect(await insertContacts(store, campaign._id, rows(phoneNumbers(3, '82')))).toEqual({ inserted: 3, skipped: 0, duplicates: 0 });
    expect(await insertContacts(store, campaign._id, rows(phoneNumbers(2, '83'), { fields: { amount: '1200' } }))).toEqual({
      inserted: 2,
      skipped: 0,
      duplicates: 0,
    });
    const stored = await contactsOf(store, campaign._id);
    expect(stored.map((c) => [c._id, c.seq, c.phone])).toEqual([
      ...phoneNumbers(3, '82').map((p, i) => [contactId(campaign._id, i + 1), i + 1, p]),
      ...phoneNumbers(2, '83').map((p, i) => [contactId(campaign._id, i + 4), i + 4, p]),
    ]);
    expect(stored[3]).toMatchObject({ call_status: 'pending', tries: 0, attempts: 0, fields: { amount: '1200' }, name: 'N0' });
    expect(stored[0]!.fields).toEqual({});
    expect((await loadCampaign(store, campaign._id)).contacts_seq).toBe(5);
    expect((await contactsOf(store, other._id)).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('writes nothing for no rows, and refuses a campaign that does not exist', async () => {
    const campaign = await seedCampaign(store, []);
    expect(await insertContacts(store, campaign._id, [])).toEqual({ inserted: 0, skipped: 0, duplicates: 0 });
    expect((await loadCampaign(store, campaign._id)).view_version).toBe(campaign.view_version);
    const missing = new Types.ObjectId();
    await expect(insertContacts(store, missing, rows(phoneNumbers(1, '84')))).rejects.toThrow(/no longer exists/);
    expect(await store.Contact.countDocuments({ campaign_id: missing })).toBe(0);
  });
});

describe('the campaign view', () => {
  it('counts waiting and skipped (do-not-call) rows', async () => {
    const campaign = await seedCampaign(store, []);
    const result = await insertContacts(store, campaign._id, [
      ...rows(phoneNumbers(3, '85')),
      ...rows(phoneNumbers(2, '86'), { skip: 'dnc' }),
    ]);
    expect(result).toEqual({ inserted: 3, skipped: 2, duplicates: 0 });
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 3, skipped: 2 }, total: 5 });
    expect((await contactsOf(store, campaign._id)).slice(3).map((c) => [c.call_status, c.skip_reason])).toEqual([
      ['skipped', 'dnc'],
      ['skipped', 'dnc'],
    ]);
    await expectViewTrue(store, campaign._id);
  });

  it('counts the rows before they are written, so no reader sees them uncounted', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(1, '87'));
    const seen: unknown[] = [];
    const watching = watchingInserts(store, async () => {
      seen.push((await viewOf(store, campaign._id)).counts, await store.Contact.countDocuments({ campaign_id: campaign._id }));
    });
    await insertContacts(watching, campaign._id, rows(phoneNumbers(4, '88')));
    expect(seen).toEqual([{ pending: 5 }, 1]);
    await expectViewTrue(store, campaign._id);
  });

  it('takes numbers the campaign already has off the view again, waiting or skipped', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '89'));
    const fresh = phoneNumbers(2, '90');
    const result = await insertContacts(store, campaign._id, [
      ...rows([phoneNumbers(2, '89')[0]!, fresh[0]!]),
      ...rows([phoneNumbers(2, '89')[1]!, fresh[1]!], { skip: 'dnc' }),
    ]);
    expect(result).toEqual({ inserted: 1, skipped: 1, duplicates: 2 });
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 3, skipped: 1 }, total: 4 });
    await expectViewTrue(store, campaign._id);
    // The numbers given to the turned-away rows stay unused: the sequence only grows.
    expect((await loadCampaign(store, campaign._id)).contacts_seq).toBe(6);
  });

  it('two imports of overlapping lists at once: every number stored once, the view right, the numbers unique', async () => {
    const campaign = await seedCampaign(store, []);
    const a = phoneNumbers(60, '91');
    const b = [...a.slice(20), ...phoneNumbers(30, '92')];
    const results = await Promise.all([
      insertContacts(store, campaign._id, rows(a)),
      insertContacts(store, campaign._id, rows(b.slice(0, 40))),
      insertContacts(store, campaign._id, rows(b.slice(40))),
    ]);
    const stored = await contactsOf(store, campaign._id);
    expect(stored).toHaveLength(90);
    expect(new Set(stored.map((c) => c.phone)).size).toBe(90);
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(90);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(40);
    expect(new Set(stored.map((c) => c.seq)).size).toBe(90);
    expect(Math.max(...stored.map((c) => c.seq))).toBeLessThanOrEqual(130);
    expect((await loadCampaign(store, campaign._id)).contacts_seq).toBe(130);
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 90 }, total: 90 });
    await expectViewTrue(store, campaign._id);
  });

  it('a row the schema refuses fails the insert loudly, and the view keeps only the rows stored', async () => {
    const campaign = await seedCampaign(store, []);
    const bad = { phone: phoneNumbers(1, '93')[0]!, name: 'x'.repeat(201), description: '' };
    await expect(insertContacts(store, campaign._id, [...rows(phoneNumbers(2, '94')), bad])).rejects.toThrow();
    expect((await contactsOf(store, campaign._id)).map((c) => c.phone)).toEqual(phoneNumbers(2, '94'));
    expect(await viewOf(store, campaign._id)).toMatchObject({ counts: { pending: 2 }, total: 2 });
    await expectViewTrue(store, campaign._id);
  });
});
