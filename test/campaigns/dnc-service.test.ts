// DncService against the real database: add, remove, list per workspace; adding skips waiting contacts.
import { beforeAll, describe, expect, it } from 'vitest';
import { DncService, splitNumbers } from '../../src/campaigns/dnc-service.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { seedCampaign } from '../helpers/engine-fixtures.js';

let store: Store;
let dnc: DncService;
beforeAll(async () => {
  store = await testStore('dnc_service');
  dnc = new DncService(store);
});

describe('splitNumbers', () => {
  it('splits on commas, semicolons, line breaks and wide gaps, and keeps spaced numbers whole', () => {
    expect(splitNumbers('9876543210, +91 98765 43211 ; 098765-43212\n9876543213  9876543214')).toEqual([
      '9876543210',
      '+91 98765 43211',
      '098765-43212',
      '9876543213',
      '9876543214',
    ]);
    expect(splitNumbers('9876543210 9876543211')).toEqual(['9876543210', '9876543211']);
  });
});

describe('DncService', () => {
  it('adds numbers once per workspace, says which were already there and which are not numbers', async () => {
    const first = await dnc.add('T1', ['9876500101', '+91 98765 00102', 'hello'], 'U0ADMIN');
    expect(first.changed).toEqual(['919876500101', '919876500102']);
    expect(first.invalid).toEqual([{ value: 'hello', reason: expect.stringContaining('letters') }]);
    const again = await dnc.add('T1', ['09876500101'], 'U0ADMIN');
    expect(again).toEqual({ changed: [], unchanged: ['919876500101'], invalid: [] });
    expect((await dnc.add('T2', ['9876500101'], 'U0ADMIN')).changed).toEqual(['919876500101']);
    expect(await dnc.list('T1')).toEqual({ phones: ['919876500101', '919876500102'], total: 2 });
    expect(await dnc.remove('T1', ['9876500102', '9876500109'])).toEqual({ changed: ['919876500102'], unchanged: ['919876500109'], invalid: [] });
    expect(await dnc.list('T1')).toEqual({ phones: ['919876500101'], total: 1 });
  });

  it('skips pending contacts with the number in the workspace, leaves others alone, and recounts', async () => {
    const mine = await seedCampaign(store, ['919876500201', '919876500202'], { team_id: 'T3' });
    const done = await seedCampaign(store, ['919876500201'], { team_id: 'T3' });
    await store.Contact.updateOne({ campaign_id: done._id }, { $set: { call_status: 'completed' } });
    const other = await seedCampaign(store, ['919876500201'], { team_id: 'T4' });
    await dnc.add('T3', ['9876500201'], 'U0ADMIN');
    const status = async (campaignId: typeof mine._id) =>
      (await store.Contact.find({ campaign_id: campaignId }).sort({ phone: 1 }).lean()).map((c) => [c.phone, c.call_status, c.skip_reason]);
    expect(await status(mine._id)).toEqual([
      ['919876500201', 'skipped', 'dnc'],
      ['919876500202', 'pending', null],
    ]);
    expect(await status(done._id)).toEqual([['919876500201', 'completed', null]]);
    expect(await status(other._id)).toEqual([['919876500201', 'pending', null]]);
    expect((await store.Campaign.findById(mine._id).lean())?.contacts_skipped).toBe(1);
  });
});
