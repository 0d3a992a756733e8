// A number put on the do-not-call list while its campaign runs is never requested again once the add has returned —
// whether it was still waiting its turn, was the next one in line, or had already been called and is then brought
// back by `/campaign retry` — and ends `skipped` (dnc). Real app and engine, the fake Exotel's log as the truth.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';

const CONTACTS = 24;
/** The first four numbers are busy: final (no automatic retries), so `/campaign retry` brings them back. */
const BUSY = new Set([0, 1, 2, 3]);
/** One call a second: the run spends most of its time waiting for its turn, with the next number in hand. */
const RATE = 60;
const OWNER = { userId: 'U0OWNER' };

const phones = phoneNumbers(CONTACTS, '92');
const last10 = (from: string) => from.replace(/\D/g, '').slice(-10);
const indexOf = new Map(phones.map((p, i) => [last10(p), i]));

let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('dnc_midway');
  fake = await startFakeExotel({
    secondMs: 1000,
    callbackDelayMs: [200, 1_200],
    outcome: (from) => (BUSY.has(indexOf.get(last10(from))!) ? 'busy' : 'completed'),
    seed: 5,
  });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'dnc-webhook-secret-0123456789' }), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: RATE } },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const requestsFor = (phone: string) => fake.requests.filter((r) => r.method === 'POST' && last10(r.form['From'] ?? '') === last10(phone));

describe('a number put on the do-not-call list mid-campaign', () => {
  it('is never requested again after the add returned, not even after /campaign retry, and ends skipped (dnc)', async () => {
    const retry = { on: [], max_attempts: 3, delays: { busy: 0, 'no-answer': 0, failed: 0 }, exponential: false };
    const campaign = await seedCampaign(store, phones, { retry });
    const { runtime } = app;
    onTestFailed(async () => {
      const contacts = await store.Contact.find(
        { campaign_id: campaign._id },
        { phone: 1, call_status: 1, skip_reason: 1, tries: 1 },
      ).lean();
      console.error(JSON.stringify({ contacts, requests: fake.requests.map((r) => [r.at.toISOString(), r.method, r.form['From']]) }));
    });
    expect((await runtime.service.start(campaign._id, OWNER)).ok).toBe(true);

    // The busy numbers have been called and are final; the campaign is still running.
    await waitFor(
      async () => (await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'busy' })) === BUSY.size,
      30_000,
      'the busy numbers to be final',
    );
    const requested = new Set(fake.requests.filter((r) => r.method === 'POST').map((r) => indexOf.get(last10(r.form['From']!))!));
    const nextInLine = Math.min(...phones.map((_, i) => i).filter((i) => !requested.has(i)));
    expect(nextInLine).toBeLessThan(CONTACTS - 6);
    const later = CONTACTS - 2;
    // Called and final (busy) / the next one, probably waiting for its turn in the pacer / one far down the list.
    const listed = [1, 2, nextInLine, later];
    const added = await runtime.dnc.add(
      'T0001',
      listed.map((i) => phones[i]!),
      'U0ADMIN',
    );
    const addedAt = Date.now();
    expect(added.changed).toHaveLength(listed.length);

    // Waiting numbers are marked at once.
    expect(await store.Contact.findOne({ campaign_id: campaign._id, phone: phones[later] }).lean()).toMatchObject({
      call_status: 'skipped',
      skip_reason: 'dnc',
    });

    // /campaign retry while it runs: every busy number comes back, the listed ones too (retry does not read the
    // list); the dial gate is what keeps them from being called.
    const retried = await runtime.service.retry(campaign._id, OWNER);
    expect(retried).toMatchObject({ ok: true, requeued: BUSY.size });

    const done = await waitForStatus(store, campaign._id, 'completed', 120_000);
    await fake.settled();

    for (const i of listed) {
      const after = requestsFor(phones[i]!).filter((r) => r.at.getTime() >= addedAt);
      expect({ number: i, after: after.map((r) => r.at.toISOString()) }).toEqual({ number: i, after: [] });
    }
    const contacts = new Map(
      ((await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[]).map((c) => [c.phone, c]),
    );
    for (const i of [1, 2, later])
      expect(contacts.get(phones[i]!), `number ${i}`).toMatchObject({ call_status: 'skipped', skip_reason: 'dnc' });
    // The next in line was either claimed before the add (called once, before it) or never called.
    const next = contacts.get(phones[nextInLine]!)!;
    if (requestsFor(phones[nextInLine]!).length === 0) expect(next).toMatchObject({ call_status: 'skipped', skip_reason: 'dnc' });
    else expect(requestsFor(phones[nextInLine]!)).toHaveLength(1);

    // The retry did call the busy numbers not on the list again.
    for (const i of [0, 3]) {
      expect(requestsFor(phones[i]!), `number ${i}`).toHaveLength(2);
      expect(contacts.get(phones[i]!)).toMatchObject({ call_status: 'busy', attempts: 2 });
    }
    // Everyone else once.
    for (let i = 4; i < CONTACTS; i++) if (!listed.includes(i)) expect(requestsFor(phones[i]!), `number ${i}`).toHaveLength(1);

    expect(await countContacts(store, campaign._id)).toEqual(done.counts);
    expect(done.counts.skipped).toBe([...contacts.values()].filter((c) => c.call_status === 'skipped').length);
    expect(done.counts.skipped).toBeGreaterThanOrEqual(3);
    console.log(
      `[dnc-midway] next in line (#${nextInLine}) ${next.call_status === 'skipped' ? 'skipped' : `called before the add (${next.call_status})`}; ` +
        `retry requeued ${retried.ok ? retried.requeued : 0}; completed with ${done.counts.skipped} skipped`,
    );
  }, 150_000);
});
