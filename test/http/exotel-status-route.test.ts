// Exotel's terminal status callback through the real app on a real port: the secret path, every body encoding Exotel
// may use, idempotent repeats, unknown calls and unreadable bodies.
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const SECRET = 'route-test-secret-0123456789';
let store: Store;
let app: TestApp;
let campaign: CampaignFields;
let sidSeq = 0;

beforeAll(async () => {
  store = await testStore('exotel_status_route');
  app = await startTestApp(store, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET }, { runtime: { settings: FAST_SETTINGS } });
  // A paused campaign: the engine leaves it alone, so only the callbacks change its contacts.
  campaign = await seedCampaign(store, phoneNumbers(20, '81'), { status: 'paused' });
});
afterAll(async () => {
  await app?.stop();
});

const statusUrl = (secret = SECRET) => `${app.url}/exotel/status/${secret}`;

/** A contact whose call Exotel accepted: initiated, with a fresh CallSid. */
async function initiatedContact(): Promise<ContactFields> {
  sidSeq += 1;
  const sid = `f00d${String(sidSeq).padStart(28, '0')}`;
  const contact = await store.Contact.findOneAndUpdate(
    { campaign_id: campaign._id, call_status: 'pending' },
    { $set: { call_status: 'initiated', call_sid: sid, attempts: 1, runner_id: 'elsewhere', call_started_at: new Date() } },
    { returnDocument: 'after' },
  ).lean();
  return contact as ContactFields;
}

const load = async (id: Types.ObjectId) => (await store.Contact.findById(id).lean()) as ContactFields;
const everyContact = async () => store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean();

function terminal(contact: ContactFields, status: string, extra: Record<string, string | number> = {}) {
  return {
    CallSid: contact.call_sid!,
    EventType: 'terminal',
    Status: status,
    From: `0${contact.phone.slice(-10)}`,
    To: '08047112345',
    DateUpdated: '2026-11-25 10:15:30',
    StartTime: '2026-11-25 10:14:00',
    EndTime: '2026-11-25 10:15:20',
    ConversationDuration: 75,
    CustomField: String(contact._id),
    ...extra,
  };
}

const postJson = (body: unknown, url = statusUrl()) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const postForm = (body: Record<string, string | number>) =>
  fetch(statusUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString(),
  });
function postMultipart(body: Record<string, string | number>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(body)) form.append(k, String(v));
  return fetch(statusUrl(), { method: 'POST', body: form });
}

describe('the secret path', () => {
  it('answers 404 to a wrong or missing secret and changes nothing', async () => {
    const contact = await initiatedContact();
    const before = await load(contact._id);
    for (const url of [statusUrl('not-the-secret-0123456789'), statusUrl(`${SECRET}x`), statusUrl(SECRET.slice(0, -1)), `${app.url}/exotel/status`]) {
      const res = await postJson(terminal(contact, 'completed'), url);
      expect(res.status, url).toBe(404);
    }
    expect(await load(contact._id)).toEqual(before);
  });
});

describe('body encodings', () => {
  it('records a JSON callback', async () => {
    const contact = await initiatedContact();
    const res = await postJson(terminal(contact, 'completed'));
    expect(res.status).toBe(200);
    expect(await load(contact._id)).toMatchObject({
      call_status: 'completed',
      last_outcome: 'completed',
      call_duration: 75,
      // Exotel's wall-clock IST.
      call_ended_at: new Date('2026-11-25T04:45:20Z'),
      call_started_at: new Date('2026-11-25T04:44:00Z'),
    });
  });

  it('records an urlencoded callback (with Legs flattened)', async () => {
    const contact = await initiatedContact();
    const res = await postForm(terminal(contact, 'busy', { 'Legs[0][Status]': 'busy', 'Legs[0][OnCallDuration]': 0, ConversationDuration: 0 }));
    expect(res.status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'busy', last_outcome: 'busy', call_duration: 0 });
  });

  it('records a multipart callback', async () => {
    const contact = await initiatedContact();
    const res = await postMultipart(terminal(contact, 'no-answer'));
    expect(res.status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'no-answer', last_outcome: 'no-answer' });
  });

  it('records a failed call with a sentence for the user', async () => {
    const contact = await initiatedContact();
    expect((await postJson(terminal(contact, 'failed'))).status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'failed', call_error: 'Exotel reported the call failed.' });
  });
});

describe('repeats and strangers', () => {
  it('a repeated delivery, in any encoding, answers 200, changes nothing and is counted once', async () => {
    const contact = await initiatedContact();
    expect((await postJson(terminal(contact, 'completed'))).status).toBe(200);
    const first = await load(contact._id);
    expect(first.call_status).toBe('completed');
    const repeats = await Promise.all([
      postJson(terminal(contact, 'completed')),
      postForm(terminal(contact, 'completed')),
      postMultipart(terminal(contact, 'busy')),
    ]);
    expect(repeats.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await load(contact._id)).toEqual(first);
    // The engine's tick flushes the counters; they must equal the completed contacts, so counted once.
    const completedContacts = () => store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'completed' });
    const counter = async () => ((await store.Campaign.findById(campaign._id).lean()) as CampaignFields).calls_completed;
    await waitFor(async () => (await counter()) === (await completedContacts()), 5_000, 'the completed counter to catch up');
    await app.runtime!.counters.flush(store);
    await new Promise((r) => setTimeout(r, 2 * (FAST_SETTINGS.tickMs ?? 200)));
    expect(await counter()).toBe(await completedContacts());
  });

  it('an unknown CallSid answers 200 (so Exotel stops retrying) and changes nothing', async () => {
    await initiatedContact();
    const before = await everyContact();
    const res = await postJson({ CallSid: 'ffffffffffffffffffffffffffffffff', Status: 'completed', DateUpdated: '2026-11-25 10:00:00' });
    expect(res.status).toBe(200);
    expect(await everyContact()).toEqual(before);
  });

  it('a non-terminal status answers 200 and changes nothing', async () => {
    const contact = await initiatedContact();
    const before = await load(contact._id);
    expect((await postJson(terminal(contact, 'in-progress', { EventType: 'answered' }))).status).toBe(200);
    expect(await load(contact._id)).toEqual(before);
  });
});

describe('unreadable bodies', () => {
  it('answers 400 and changes nothing', async () => {
    const contact = await initiatedContact();
    const before = await everyContact();
    const bodies: Array<[string, string]> = [
      ['application/json', '{"CallSid": '],
      ['application/json', '["CallSid"]'],
      ['application/json', JSON.stringify({ Status: 'completed' })],
      ['application/json', JSON.stringify({ CallSid: contact.call_sid, Status: 'exploded' })],
      ['application/x-www-form-urlencoded', `CallSid=${contact.call_sid}`],
      ['multipart/form-data; boundary=nope', 'not multipart at all'],
      ['text/xml', `<CallSid>${contact.call_sid}</CallSid>`],
    ];
    for (const [type, body] of bodies) {
      const res = await fetch(statusUrl(), { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, `${type}: ${body}`).toBe(400);
    }
    expect(await everyContact()).toEqual(before);
  });
});
