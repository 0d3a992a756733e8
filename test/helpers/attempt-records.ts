// What a campaign's attempts left behind, for tests of the dialling rules: the fake Exotel's record of every request
// to place a call, and the bot's call records (one per attempt, written with the business clock).
import type { Types } from 'mongoose';
import { OUTCOMES } from '../../src/campaigns/vocabulary.js';
import type { CallFields } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import type { FakeExotel, FakeRequest } from '../fakes/fake-exotel.js';
import { waitFor } from './engine-fixtures.js';

/** Every request to place a call that reached the fake (whatever it answered), in arrival order. */
export function connectRequests(fake: FakeExotel): FakeRequest[] {
  return fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls/connect.json'));
}

/** The campaign's call records, by contact, then try. */
export async function callRecords(store: Store, campaignId: Types.ObjectId): Promise<CallFields[]> {
  const calls = (await store.Call.find({ campaign_id: campaignId }).lean()) as CallFields[];
  return calls.sort((a, b) => a.contact_id.localeCompare(b.contact_id) || a.try - b.try);
}

/** Calls of the campaign that may be live now, by its view. */
export function liveCalls(campaign: CampaignFields): number {
  return campaign.counts.dialing + campaign.counts.initiated + campaign.counts.unknown;
}

/** Waits until `count` attempts of the campaign have their outcome recorded and none is live; returns the campaign. */
export async function waitForOutcomes(
  store: Store,
  campaignId: Types.ObjectId,
  count: number,
  timeoutMs = 60_000,
): Promise<CampaignFields> {
  return waitFor(
    async () => {
      const ended = await store.Call.countDocuments({ campaign_id: campaignId, state: { $in: [...OUTCOMES] } });
      if (ended < count) return null;
      const campaign = (await store.Campaign.findById(campaignId).lean()) as CampaignFields | null;
      return campaign && liveCalls(campaign) === 0 ? campaign : null;
    },
    timeoutMs,
    `${count} outcomes of campaign ${String(campaignId)}`,
  );
}
