// A live campaign end to end through the fake Exotel's call flow: every answered call's Greeting applet fetches its
// own person's text (HEAD then GET, exactly text/plain), its Passthru applet reports the keys pressed, and the
// campaign view counts them; the person who pressed the "do not call" key is on the list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import { renderTemplate } from '../../src/campaigns/message-template.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, numberOf, phoneNumbers, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';

const SECRET = 'call-flow-test-secret-0123456789';
const TEMPLATE = 'Namaste {name}, your EMI of Rs {amount} is due on {Due Date}, for the number ending {number}. Press 1 if you have paid.';
const PHONES = phoneNumbers(12, '83');
/** What each number presses: most pay, some ask for a call back, one wants no more calls, some press nothing. */
const PRESSES: Record<string, string | null> = Object.fromEntries(
  PHONES.map((p, i) => [p, i === 0 ? '9' : i % 4 === 1 ? '2' : i % 4 === 2 ? null : '1']),
);
let store: Store;
let fake: FakeExotel;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('exotel_call_flow');
  fake = await startFakeExotel({ secondMs: 1000, callbackDelayMs: [300, 900], outcome: () => 'completed', seed: 11 });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET }), {
    runtime: { settings: FAST_SETTINGS },
  });
  fake.options.flow = {
    greetingUrl: `${app.url}/exotel/greeting/${SECRET}`,
    passthruUrl: `${app.url}/exotel/passthru/${SECRET}`,
    digits: (call) => PRESSES[numberOf(call)] ?? null,
  };
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('a campaign with a message and keys', () => {
  it('reads each person their own text and records, counts and honours their keys', async () => {
    const campaign = await seedCampaign(store, [], {
      message_template: TEMPLATE,
      columns: ['amount', 'due_date'],
      keys: { '1': 'paid', '2': 'call me back', '9': 'do not call' },
    });
    await insertContacts(
      store,
      campaign._id,
      PHONES.map((phone, i) => ({
        phone,
        name: `Person ${i}`,
        description: '',
        fields: { amount: String(1000 + i), due_date: `${i + 1} December` },
      })),
    );
    expect((await app.runtime.transitions.apply(campaign._id, 'start', { set: { mode: 'live' } })).ok).toBe(true);
    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);
    await fake.settled();
    expect(done.counts.completed).toBe(PHONES.length);
    expect(fake.calls).toHaveLength(PHONES.length);

    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    const byPhone = new Map(contacts.map((c) => [c.phone, c]));
    for (const call of fake.calls) {
      const contact = byPhone.get(numberOf(call))!;
      const requests = fake.flowRequests.filter((r) => r.callSid === call.sid);
      const [head, get] = [requests.find((r) => r.kind === 'greeting-head')!, requests.find((r) => r.kind === 'greeting-get')!];
      expect(get).toMatchObject({ status: 200, contentType: 'text/plain', body: renderTemplate(TEMPLATE, contact) });
      expect(get.body).toContain(`Namaste ${contact.name}, your EMI of Rs ${contact.fields.amount} is due on ${contact.fields.due_date}`);
      expect(get.body).not.toContain(contact.phone.slice(2));
      expect(head).toMatchObject({ status: 200, contentType: 'text/plain', body: '' });
      const passthru = requests.filter((r) => r.kind === 'passthru');
      expect(passthru.map((r) => r.status)).toEqual(PRESSES[contact.phone] === null ? [] : [200]);
      expect(contact.digits).toBe(PRESSES[contact.phone]);
    }

    const pressedCounts: Record<string, number> = {};
    for (const key of Object.values(PRESSES)) if (key !== null) pressedCounts[key] = (pressedCounts[key] ?? 0) + 1;
    expect(done.stats.keys).toEqual(pressedCounts);
    await waitFor(() => app.runtime.dnc.has(campaign.team_id, PHONES[0]!), 5_000, 'the do-not-call presser on the list');
    for (const phone of PHONES.slice(1)) expect(await app.runtime.dnc.has(campaign.team_id, phone)).toBe(false);
  }, 90_000);
});
