// What the campaign service decides on its own: who may create, start and export; where a campaign may report; a
// start that would call nobody or come after the end date.
import { beforeAll, describe, expect, it } from 'vitest';
import { CampaignService } from '../../src/campaigns/campaign-service.js';
import { CampaignTransitions } from '../../src/campaigns/campaign-transitions.js';
import { loadConfig } from '../../src/config.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { testEnv } from '../helpers/test-env.js';
import { stateHarness } from './state-fixtures.js';

let store: Store;
let service: CampaignService;
const ADMIN = 'U0ADMIN';
const OWNER = 'U0OWNER';

beforeAll(async () => {
  store = await testStore('campaign_service');
  const h = stateHarness(store, 'service-test');
  const config = loadConfig(testEnv());
  service = new CampaignService(store, h.state, new CampaignTransitions(store, h.events), {
    admins: [ADMIN],
    channels: ['C0CALLS'],
    mode: 'rehearsal',
    defaults: config,
  });
});

describe('who may do what', () => {
  it('create: never a guest, an operator yes, someone outside CAMPAIGN_OPERATORS no, an admin always', () => {
    expect(service.createRefusal({ userId: 'U1', guest: true, operator: true })).toBe('guest');
    expect(service.createRefusal({ userId: 'U1', guest: false, operator: true })).toBeNull();
    expect(service.createRefusal({ userId: 'U1', guest: false, operator: false })).toBe('not-operator');
    expect(service.createRefusal({ userId: ADMIN, guest: true, operator: false })).toBeNull();
  });

  it('start: its owner (an operator, not a guest) or an admin', () => {
    const campaign = { owner: OWNER };
    expect(service.startRefusal(campaign, { userId: OWNER, operator: true })).toBeNull();
    expect(service.startRefusal(campaign, { userId: OWNER, operator: false })).toBe('not-operator');
    expect(service.startRefusal(campaign, { userId: OWNER, guest: true, operator: true })).toBe('guest');
    expect(service.startRefusal(campaign, { userId: 'U0OTHER', operator: true })).toBe('forbidden');
    expect(service.startRefusal(campaign, { userId: ADMIN })).toBeNull();
  });

  it('export and View: the owner, operators and admins; never a guest', () => {
    const campaign = { owner: OWNER };
    expect(service.exportRefusal(campaign, { userId: OWNER, operator: false })).toBeNull();
    expect(service.exportRefusal(campaign, { userId: 'U0OTHER', operator: true })).toBeNull();
    expect(service.exportRefusal(campaign, { userId: 'U0OTHER', operator: false })).toBe('forbidden');
    expect(service.exportRefusal(campaign, { userId: OWNER, guest: true })).toBe('guest');
    expect(service.exportRefusal(campaign, { userId: ADMIN, guest: true })).toBeNull();
  });
});

describe('start', () => {
  it('reports only in a channel of CAMPAIGN_CHANNELS, and names them', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '61'), { owner: OWNER });
    const refused = await service.start(campaign._id, { userId: OWNER }, { channel: 'C0RANDOM', progress_channel: 'C0RANDOM' });
    expect(refused).toMatchObject({ ok: false, reason: 'channel-not-allowed', allowedChannels: ['C0CALLS'] });
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
    const started = await service.start(campaign._id, { userId: OWNER }, { channel: 'C0CALLS', progress_channel: 'C0CALLS' });
    expect(started).toMatchObject({ ok: true, campaign: { status: 'running', mode: 'rehearsal', started_by: OWNER } });
  });

  it('is refused after the end date, with that reason', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '62'), { owner: OWNER, call_until: new Date(Date.now() - 60_000) });
    expect(await service.start(campaign._id, { userId: OWNER }, { progress_channel: 'C0CALLS' })).toMatchObject({
      ok: false,
      reason: 'end-passed',
    });
    expect(
      await service.schedule(campaign._id, { userId: OWNER }, new Date(Date.now() + 3_600_000), { progress_channel: 'C0CALLS' }),
    ).toMatchObject({
      ok: false,
      reason: 'end-passed',
    });
  });

  it('is refused when nobody waits and every number not reached had all its attempts, saying how many', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '63'), { owner: OWNER });
    await store.Contact.updateMany(
      { campaign_id: campaign._id },
      { $set: { call_status: 'busy', attempts: 1, tries: 1, last_outcome: 'busy' } },
    );
    await store.Campaign.updateOne({ _id: campaign._id }, { $set: { 'counts.pending': 0, 'counts.busy': 2, calls_failed: 2 } });
    expect(await service.start(campaign._id, { userId: OWNER }, { progress_channel: 'C0CALLS' })).toMatchObject({
      ok: false,
      reason: 'nothing-to-call',
      atCap: 2,
    });
  });
});
