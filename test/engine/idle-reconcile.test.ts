// Calls still ringing when a campaign is stopped (or paused) get their outcomes too, without callbacks: the
// scheduler asks Exotel about them, and nothing new is dialled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExotelClient } from '../../src/exotel/exotel-client.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';
import { Pacer } from '../../src/engine/pacer.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('idle_reconcile');
  fake = await startFakeExotel({ callbackDelayMs: [50, 300], seed: 31 });
  app = await startTestApp(store, exotelEnv(fake), {
    runtime: { settings: FAST_SETTINGS, pacer: new Pacer({ callsPerMinute: 200, windowMs: 1_000 }) },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('a stopped campaign with calls still ringing', () => {
  it('gets their outcomes from call details, and dials nobody', async () => {
    const phones = phoneNumbers(6, '95');
    const campaign = await seedCampaign(store, phones, { status: 'stopped', started_at: new Date(), completed_at: new Date() });
    const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken });
    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    for (const contact of contacts) {
      const call = await client.placeCall({ from: `+${contact.phone}`, callerId: '08047112345', flowUrl: 'http://my.exotel.com/x', customField: String(contact._id) });
      await store.Contact.updateOne(
        { _id: contact._id },
        { $set: { call_status: 'initiated', call_sid: call.sid, attempts: 1, claimed_at: new Date(), check_after: new Date() } },
      );
    }
    await client.close();
    const placed = fake.calls.length;

    const settled = await waitFor(
      async () => {
        const now = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
        return now.every((c) => ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(c.call_status)) ? now : null;
      },
      30_000,
      'outcomes of the stopped campaign',
    );
    for (const c of settled) expect(c.call_status).toBe(fake.calls.find((f) => f.sid === c.call_sid)!.outcome);
    expect(fake.calls.length).toBe(placed);
    expect(fake.requests.some((r) => r.method === 'GET' && /\/Calls\/[^/]+\.json$/.test(r.path))).toBe(true);
    const after = await waitFor(
      async () => {
        const c = await store.Campaign.findById(campaign._id).lean();
        return c && c.calls_completed + c.calls_busy + c.calls_no_answer + c.calls_failed + c.calls_canceled === 6 ? c : null;
      },
      10_000,
      'counters of the stopped campaign',
    );
    expect(after.status).toBe('stopped');
    expect(after.calls_completed).toBe(settled.filter((c) => c.call_status === 'completed').length);
  }, 60_000);
});
