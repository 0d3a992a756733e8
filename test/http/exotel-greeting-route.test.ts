// Exotel's Greeting applet fetching a person's text from the real app on a real port: HEAD and GET answer exactly
// `text/plain`, the right contact's text for a consistent request, a neutral text for anything else, 404 for a wrong
// secret.
import { request } from 'node:http';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import { NEUTRAL_GREETING } from '../../src/http/exotel-greeting-route.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { seedCampaign } from '../helpers/engine-fixtures.js';

const SECRET = 'greeting-test-secret-0123456789';
const TEMPLATE = 'Namaste {name}, your EMI of Rs {amount} is due on {due_date}. Press 1 if you have paid.';
let store: Store;
let app: TestApp;
let campaign: CampaignFields;
let sidSeq = 0;

beforeAll(async () => {
  store = await testStore('exotel_greeting_route');
  // The engine is not started: only these requests touch the contacts.
  app = await startTestApp(store, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET });
  campaign = await seedCampaign(store, [], { status: 'paused', message_template: TEMPLATE, columns: ['amount', 'due_date'] });
  await insertContacts(store, campaign._id, [
    { phone: '919800000001', name: 'Asha', description: '', fields: { amount: '4,500', due_date: '5 December' } },
    { phone: '919800000002', name: 'Ravi', description: '', fields: { amount: '12,000', due_date: '9 December' } },
    { phone: '919800000003', name: 'Meena', description: '', fields: { amount: '700' } },
  ]);
});
afterAll(async () => {
  await app?.stop();
});

const greetingUrl = (query: Record<string, string>, secret = SECRET) =>
  `${app.url}/exotel/greeting/${secret}?${new URLSearchParams(query)}`;
const contactBySeq = async (campaignId: Types.ObjectId, seq: number) =>
  (await store.Contact.findOne({ campaign_id: campaignId, seq }).lean()) as ContactFields;

/** The contact's `n`-th attempt, placed: Exotel gave it a CallSid, kept on the contact and its call record. */
async function placed(contact: ContactFields, opts: { sid?: boolean } = {}): Promise<{ key: string; sid: string; contact: ContactFields }> {
  sidSeq += 1;
  const sid = `9reet${String(sidSeq).padStart(27, '0')}`;
  const tries = contact.tries + 1;
  const after = (await store.Contact.findOneAndUpdate(
    { _id: contact._id },
    {
      $set: {
        call_status: opts.sid === false ? 'dialing' : 'initiated',
        call_sid: opts.sid === false ? null : sid,
        tries,
        attempts: tries,
        sent_at: new Date(),
      },
    },
    { returnDocument: 'after' },
  ).lean()) as ContactFields;
  const key = attemptKey(contact._id, tries);
  if (opts.sid !== false) {
    await store.Call.create({
      _id: key,
      campaign_id: contact.campaign_id,
      contact_id: contact._id,
      try: tries,
      state: 'placed',
      sent_at: new Date(),
      sid,
    });
  }
  return { key, sid, contact: after };
}

/** Exotel's query for a call: CallSid, From (its echo of the number), To, DialWhomNumber, CustomField. */
const exotelQuery = (contact: ContactFields, sid: string, customField: string) => ({
  CallSid: sid,
  From: `0${contact.phone.slice(-10)}`,
  To: '08047112345',
  DialWhomNumber: '',
  CustomField: customField,
});

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), length: res.headers.get('content-length'), body: await res.text() };
}

/** HEAD through node:http, to see the raw header list the bot sends. */
function head(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a consistent request', () => {
  it('GET answers exactly text/plain with that contact’s text; HEAD the same headers and no body', async () => {
    const { key, sid, contact } = await placed(await contactBySeq(campaign._id, 1));
    const url = greetingUrl(exotelQuery(contact, sid, key));
    const expected = 'Namaste Asha, your EMI of Rs 4,500 is due on 5 December. Press 1 if you have paid.';
    const got = await get(url);
    expect(got).toEqual({ status: 200, type: 'text/plain', length: String(Buffer.byteLength(expected)), body: expected });
    const headed = await head(url);
    expect(headed.status).toBe(200);
    expect(headed.body).toBe('');
    expect(headed.headers['content-type']).toBe('text/plain');
    expect(headed.headers['content-length']).toBe(got.length);
  });

  it('gives each contact its own text', async () => {
    const ravi = await placed(await contactBySeq(campaign._id, 2));
    const meena = await placed(await contactBySeq(campaign._id, 3));
    const [r, m] = await Promise.all([
      get(greetingUrl(exotelQuery(ravi.contact, ravi.sid, ravi.key))),
      get(greetingUrl(exotelQuery(meena.contact, meena.sid, meena.key))),
    ]);
    expect(r.body).toBe('Namaste Ravi, your EMI of Rs 12,000 is due on 9 December. Press 1 if you have paid.');
    // Meena's list has no due date: nothing is read in its place.
    expect(m.body).toBe('Namaste Meena, your EMI of Rs 700 is due on. Press 1 if you have paid.');
  });

  it('answers before the CallSid is recorded, for the contact’s current try', async () => {
    const { key, contact } = await placed(await contactBySeq(campaign._id, 1), { sid: false });
    expect((await get(greetingUrl(exotelQuery(contact, 'a-sid-not-stored-yet', key)))).body).toContain('Namaste Asha');
  });

  it('finds the attempt by CallSid alone, on the live-call line it holds', async () => {
    const { key, sid, contact } = await placed(await contactBySeq(campaign._id, 2));
    await store.LiveLine.create({
      _id: 'greeting-test:0',
      account: 'greeting-test',
      index: 0,
      holder: key,
      campaign_id: campaign._id,
      since: new Date(),
      sid,
    });
    try {
      expect(await get(greetingUrl(exotelQuery(contact, sid, '')))).toMatchObject({
        status: 200,
        body: expect.stringContaining('Namaste Ravi'),
      });
    } finally {
      await store.LiveLine.deleteOne({ _id: 'greeting-test:0' });
    }
  });

  it('answers an earlier attempt of the contact when its CallSid is that attempt’s', async () => {
    const first = await placed(await contactBySeq(campaign._id, 3));
    const second = await placed(first.contact);
    expect((await get(greetingUrl(exotelQuery(second.contact, first.sid, first.key)))).body).toContain('Namaste Meena');
  });
});

describe('anything else gets the neutral text', () => {
  it('an unknown, malformed or missing CustomField', async () => {
    const { sid, contact } = await placed(await contactBySeq(campaign._id, 1));
    const strangers = [
      `${String(campaign._id).replace(/^./, (c) => (c === 'f' ? 'e' : 'f'))}:0000001:1`,
      `${String(campaign._id)}:0000099:1`,
      'not-an-attempt',
      '',
    ];
    for (const customField of strangers) {
      const got = await get(greetingUrl({ ...exotelQuery(contact, `unknown-${customField}`, customField) }));
      expect(got, customField).toEqual({
        status: 200,
        type: 'text/plain',
        length: String(NEUTRAL_GREETING.length),
        body: NEUTRAL_GREETING,
      });
    }
    expect((await get(greetingUrl({}))).body).toBe(NEUTRAL_GREETING);
    // Sid known, but another contact's attempt key: the sid wins, and it does not match.
    expect(await get(greetingUrl(exotelQuery(contact, sid, attemptKey((await contactBySeq(campaign._id, 2))._id, 1))))).toMatchObject({
      body: NEUTRAL_GREETING,
    });
  });

  it('a CallSid that does not match the attempt’s, even with the current try', async () => {
    const asha = await placed(await contactBySeq(campaign._id, 1));
    const ravi = await placed(await contactBySeq(campaign._id, 2));
    for (const sid of [ravi.sid, 'ffffffffffffffffffffffffffffffff']) {
      expect((await get(greetingUrl(exotelQuery(asha.contact, sid, asha.key)))).body, sid).toBe(NEUTRAL_GREETING);
      const headed = await head(greetingUrl(exotelQuery(asha.contact, sid, asha.key)));
      expect(headed.headers['content-length']).toBe(String(NEUTRAL_GREETING.length));
    }
  });

  it('an earlier attempt whose CallSid is not known, or a try never made', async () => {
    const first = await placed(await contactBySeq(campaign._id, 2), { sid: false });
    const second = await placed(first.contact);
    expect((await get(greetingUrl(exotelQuery(second.contact, 'some-other-sid', first.key)))).body).toBe(NEUTRAL_GREETING);
    const future = attemptKey(second.contact._id, second.contact.tries + 1);
    expect((await get(greetingUrl(exotelQuery(second.contact, 'some-other-sid', future)))).body).toBe(NEUTRAL_GREETING);
  });

  it('a campaign without a message', async () => {
    const plain = await seedCampaign(store, ['919800000009'], { status: 'paused' });
    const { key, sid, contact } = await placed(await contactBySeq(plain._id, 1));
    expect((await get(greetingUrl(exotelQuery(contact, sid, key)))).body).toBe(NEUTRAL_GREETING);
  });
});

describe('the secret path', () => {
  it('answers 404 to a wrong or missing secret, for GET and HEAD, and says nothing of the contact', async () => {
    const { key, sid, contact } = await placed(await contactBySeq(campaign._id, 1));
    const query = exotelQuery(contact, sid, key);
    for (const url of [
      greetingUrl(query, 'not-the-secret-0123456789'),
      greetingUrl(query, `${SECRET}x`),
      greetingUrl(query, SECRET.slice(0, -1)),
      `${app.url}/exotel/greeting?${new URLSearchParams(query)}`,
    ]) {
      const got = await get(url);
      expect(got.status, url).toBe(404);
      expect(got.body).not.toContain('Asha');
      expect((await head(url)).status, url).toBe(404);
    }
  });
});
