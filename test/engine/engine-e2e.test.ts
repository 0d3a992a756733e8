// The engine end to end over real HTTP and the real database: the real app serves the status callbacks, the fake
// Exotel enforces the pace and reports outcomes after random delays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  exotelEnv,
  FAST_SETTINGS,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitForStatus,
  outcomeCounters,
  expectContactsMatchCalls,
  outcomeTruth,
} from '../helpers/engine-fixtures.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('engine_e2e');
  // 1200 calls a minute, enforced as 200 in any 10 s (stricter than 1200 in any 60 s).
  fake = await startFakeExotel({ callsPerMinute: 200, windowMs: 10_000, callbackDelayMs: [50, 1500], seed: 7, secondMs: 1000 });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'e2e-webhook-secret-0123456789' }), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 200, windowMs: 10_000 } },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('a 300-contact campaign at 1200 calls a minute', () => {
  it('places every number exactly once, within the limit, and records what Exotel reported', async () => {
    const phones = phoneNumbers(300);
    const campaign = await seedCampaign(store, phones);
    const started = await app.runtime!.transitions.apply(campaign._id, 'start', { set: { mode: 'live' } });
    expect(started.ok).toBe(true);

    const done = await waitForStatus(store, campaign._id, 'completed', 90_000);
    await fake.settled();

    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(300);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(fake.violations).toBe(0);

    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    expectContactsMatchCalls(contacts, fake.calls);
    const truth = outcomeTruth(fake.calls);
    expect(truth.completed).toBeGreaterThan(100);
    expect(truth.busy + truth['no-answer'] + truth.failed).toBeGreaterThan(30);
    expect(outcomeCounters(done)).toEqual(truth);
    expect(done.total_contacts).toBe(300);
    expect(done.completed_at).toBeInstanceOf(Date);
    // Outcomes came by callback, not by polling (the fake ends calls well before the first poll).
    expect(fake.requests.filter((r) => r.method === 'GET').length).toBeLessThan(30);
  }, 120_000);
});
