// The engine against an Exotel that misbehaves: rate limits with Retry-After, 503s, requests that hang past the
// client's response timeout after the call was placed, and connections reset after the call was placed. Real app,
// real database, the fake Exotel over real HTTP; the fake's own log is the truth about what was dialled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exotelDialer } from '../../src/engine/dialer.js';
import { Pacer } from '../../src/engine/pacer.js';
import { ExotelClient } from '../../src/exotel/exotel-client.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel, type FakeFault } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitForStatus, outcomeCounters, outcomeTruth, expectContactsMatchCalls } from '../helpers/engine-fixtures.js';

const CONTACTS = 40;
/** Fate of the n-th connect.json request the fake accepts (retries count too); every other one is placed normally. */
const FAULTS = new Map<number, FakeFault>([
  [3, '429'],
  [6, '503'],
  [8, 'hang'],
  [11, 'reset'],
  [15, '429'],
  [19, '503'],
  [22, 'hang'],
  [26, 'reset'],
]);
/** The fake answers every request after this long (a hanging one never). */
const LATENCY_MS = 30;
/** What the fake's 429 says in Retry-After. */
const RETRY_AFTER_MS = 1_000;

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('engine_faults');
  fake = await startFakeExotel({
    fault: (n) => FAULTS.get(n) ?? 'ok',
    latencyMs: LATENCY_MS,
    callbackDelayMs: [50, 400],
    seed: 11,
  });
  // The default response timeout is 15 s; a short one makes a hang ambiguous within a second or two.
  const client = new ExotelClient({
    baseUrl: fake.url,
    accountSid: fake.accountSid,
    apiKey: fake.apiKey,
    apiToken: fake.apiToken,
    responseTimeoutMs: 1_000,
  });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'faults-webhook-secret-0123456789' }), {
    runtime: {
      dialer: exotelDialer(client),
      settings: FAST_SETTINGS,
      pacer: new Pacer({ callsPerMinute: 200, windowMs: 10_000, maxInFlight: 4 }),
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('a campaign through 429s, 503s, hangs and resets', () => {
  it('dials every number exactly once, loses no contact, and resolves the ambiguous requests from the call list', async () => {
    const phones = phoneNumbers(CONTACTS, '96');
    const campaign = await seedCampaign(store, phones);
    expect((await app.runtime!.transitions.apply(campaign._id, 'start')).ok).toBe(true);

    const done = await waitForStatus(store, campaign._id, 'completed', 50_000);
    await fake.settled();

    // Every fault was actually served.
    const connects = fake.requests.filter((r) => r.method === 'POST');
    const served = (outcome: string) => connects.filter((r) => r.outcome === outcome);
    expect(served('fault-429')).toHaveLength(2);
    expect(served('fault-503')).toHaveLength(2);
    expect(served('hang')).toHaveLength(2);
    expect(served('reset')).toHaveLength(2);
    // Each 429 and 503 cost one extra request; a hang or reset placed its call, so it was never sent again.
    expect(connects).toHaveLength(CONTACTS + 4);

    // No number placed twice, none missed (the fake's log).
    const perNumber = placedPerNumber(fake);
    expect(perNumber.size).toBe(CONTACTS);
    expect([...perNumber.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(fake.calls).toHaveLength(CONTACTS);

    // No contact lost: every one ended with the outcome of the one call Exotel placed for it.
    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    expect(contacts).toHaveLength(CONTACTS);
    const byPhone = expectContactsMatchCalls(contacts, fake.calls);

    // The ambiguous ones: the client never saw an answer, yet each contact holds the sid the fake gave that request,
    // which only the call list could have told the engine.
    const ambiguous = connects.filter((r) => r.outcome === 'hang' || r.outcome === 'reset');
    for (const request of ambiguous) {
      expect(request.status).toBeNull();
      const contact = byPhone.get(`91${request.form['From']!.slice(-10)}`)!;
      expect(contact.call_sid).toBe(request.callSid);
      expect(fake.placedCount(request.form['From']!)).toBe(1);
    }
    const lists = fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/Calls.json'));
    expect(lists.length).toBeGreaterThanOrEqual(1);

    // A 429 held the whole account: nothing reached the fake between the client reading the 429 (LATENCY_MS after
    // it arrived; requests already started may land up to ~100 ms later) and the end of the Retry-After hold.
    for (const limited of served('fault-429')) {
      const heard = limited.at.getTime() + LATENCY_MS;
      const during = fake.requests.filter((r) => r.at.getTime() > heard + 100 && r.at.getTime() < heard + RETRY_AFTER_MS);
      expect(during.map((r) => `${r.method} ${r.outcome} +${r.at.getTime() - heard} ms`)).toEqual([]);
      // And the number that got the 429 was tried again only after the hold.
      const again = connects.find((r) => r !== limited && r.form['From'] === limited.form['From'] && r.at > limited.at);
      expect(again).toBeDefined();
      expect(again!.at.getTime() - heard).toBeGreaterThanOrEqual(RETRY_AFTER_MS - 5);
      // The gap is the hold, not a lack of work: dialling went on as soon as it ended.
      const after = fake.requests.find((r) => r.at.getTime() >= heard + RETRY_AFTER_MS - 5);
      expect(after!.at.getTime() - heard).toBeLessThan(RETRY_AFTER_MS + 600);
    }

    const truth = outcomeTruth(fake.calls);
    expect(outcomeCounters(done)).toEqual(truth);
    expect(done.total_contacts).toBe(CONTACTS);
  }, 60_000);
});
