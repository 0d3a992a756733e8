// DncService against the real database: add, remove, list per workspace; adding a number skips the contacts still
// waiting with it (pending or retrying) in that workspace's campaigns, through ContactState, so the view stays right.
import { beforeAll, describe, expect, it } from 'vitest';
import { DncService, splitNumbers } from '../../src/campaigns/dnc-service.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { seedCampaign } from '../helpers/engine-fixtures.js';
import { contactsOf, expectViewTrue, gateClaim, stateHarness, viewOf, type StateHarness } from './state-fixtures.js';

let store: Store;
let h: StateHarness;
let dnc: DncService;
beforeAll(async () => {
  store = await testStore('dnc_service');
  h = stateHarness(store, 'acct-dnc');
  dnc = new DncService(store, h.state);
});

const RETRY_BUSY: RetryPolicy = { on: ['busy'], max_attempts: 3, delays: { busy: 0, 'no-answer': 0, failed: 0 }, exponential: false };

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
    expect(splitNumbers(' , ;\n')).toEqual([]);
  });
});

describe('the list', () => {
  it('adds numbers once per workspace, says which were already there and which are not numbers', async () => {
    const first = await dnc.add('T1', ['9876500101', '+91 98765 00102', 'hello'], 'U0ADMIN');
    expect(first.changed).toEqual(['919876500101', '919876500102']);
    expect(first.invalid).toEqual([{ value: 'hello', reason: expect.stringContaining('letters') }]);
    const again = await dnc.add('T1', ['09876500101'], 'U0ADMIN');
    expect(again).toEqual({ changed: [], unchanged: ['919876500101'], invalid: [] });
    expect((await dnc.add('T2', ['9876500101'], 'U0ADMIN')).changed).toEqual(['919876500101']);
    expect(await dnc.list('T1')).toEqual({ phones: ['919876500101', '919876500102'], total: 2 });
    expect(await dnc.has('T1', '919876500102')).toBe(true);
    expect(await dnc.remove('T1', ['9876500102', '9876500109'])).toEqual({
      changed: ['919876500102'],
      unchanged: ['919876500109'],
      invalid: [],
    });
    expect(await dnc.list('T1')).toEqual({ phones: ['919876500101'], total: 1 });
    expect(await dnc.has('T1', '919876500102')).toBe(false);
    expect(await dnc.has('T2', '919876500101')).toBe(true);
    expect(await store.Dnc.findById('T1:919876500101').lean()).toMatchObject({ team_id: 'T1', phone: '919876500101', added_by: 'U0ADMIN' });
  });

  it('lists at most the limit asked for, in number order, with the total', async () => {
    await dnc.add('T5', ['9876500303', '9876500301', '9876500302'], 'U0ADMIN');
    expect(await dnc.list('T5', 2)).toEqual({ phones: ['919876500301', '919876500302'], total: 3 });
  });
});

describe('adding skips waiting contacts', () => {
  /** Ends the contact with `phone` in `campaign` with `status` (claimed, placed, outcome). */
  async function call(campaign: CampaignFields, phone: string, status: 'busy' | 'completed'): Promise<void> {
    const contact = (await contactsOf(store, campaign._id)).find((c) => c.phone === phone)!;
    const claim = (await gateClaim(h, contact, new Date()))!;
    await h.state.placed(claim.contact, `sid-${phone}`, null, new Date());
    await h.state.outcome({ contactId: contact._id, try: 1, callSid: `sid-${phone}`, status });
  }

  it('pending and retrying ones, in this workspace only, with the counters moved; live and final ones stay', async () => {
    const [x, y, z, w] = ['919876500201', '919876500202', '919876500203', '919876500204'];
    const mine = await seedCampaign(store, [x!, y!, z!, w!], { team_id: 'T3', retry: RETRY_BUSY, status: 'running' });
    await call(mine, y!, 'busy'); // waits for a retry
    const dialling = (await contactsOf(store, mine._id)).find((c) => c.phone === z)!;
    await gateClaim(h, dialling, new Date()); // its request is on its way
    const done = await seedCampaign(store, [x!], { team_id: 'T3', status: 'running' });
    await call(done, x!, 'completed');
    const other = await seedCampaign(store, [x!, y!], { team_id: 'T4' });
    expect((await viewOf(store, mine._id)).counts).toEqual({ pending: 2, retrying: 1, dialing: 1 });

    await dnc.add('T3', [x!, y!, z!], 'U0ADMIN');
    const status = async (c: CampaignFields) => (await contactsOf(store, c._id)).map((k) => [k.phone, k.call_status, k.skip_reason]);
    expect(await status(mine)).toEqual([
      [x, 'skipped', 'dnc'],
      [y, 'skipped', 'dnc'],
      [z, 'dialing', null], // the dial gate checks the list again before any later attempt
      [w, 'pending', null],
    ]);
    expect(await status(done)).toEqual([[x, 'completed', null]]);
    expect(await status(other)).toEqual([
      [x, 'pending', null],
      [y, 'pending', null],
    ]);
    expect((await viewOf(store, mine._id)).counts).toEqual({ pending: 1, dialing: 1, skipped: 2 });
    for (const c of [mine, done, other]) await expectViewTrue(store, c._id);

    // Adding them again changes and counts nothing.
    const version = (await viewOf(store, mine._id)).version;
    expect((await dnc.add('T3', [x!, y!], 'U0ADMIN')).unchanged).toEqual([x, y]);
    expect((await viewOf(store, mine._id)).version).toBe(version);
  });
});
