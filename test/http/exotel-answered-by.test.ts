// Exotel's AnsweredBy (Legs[].AnsweredBy in the terminal status callback) through the real status route: stored on
// the contact and its call record, and counted as a person or a machine whatever its case; "NA" counts as neither.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptKey, type CallFields } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';

const SECRET = 'answered-by-test-secret-0123456789';
let store: Store;
let app: TestApp;
let campaign: CampaignFields;
let sidSeq = 0;

beforeAll(async () => {
  store = await testStore('exotel_answered_by');
  app = await startTestApp(store, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET });
  campaign = await seedCampaign(store, phoneNumbers(10, '82'), { status: 'paused' });
});
afterAll(async () => {
  await app?.stop();
});

async function initiatedContact(): Promise<ContactFields> {
  sidSeq += 1;
  const sid = `a115${String(sidSeq).padStart(28, '0')}`;
  const contact = (await store.Contact.findOneAndUpdate(
    { campaign_id: campaign._id, call_status: 'pending' },
    { $set: { call_status: 'initiated', call_sid: sid, tries: 1, attempts: 1, sent_at: new Date() } },
    { returnDocument: 'after' },
  ).lean()) as ContactFields;
  await store.Call.create({
    _id: attemptKey(contact._id, 1),
    campaign_id: campaign._id,
    contact_id: contact._id,
    try: 1,
    state: 'placed',
    sent_at: new Date(),
    sid,
  });
  return contact;
}

function terminal(contact: ContactFields, answeredBy: string | null) {
  return {
    CallSid: contact.call_sid!,
    EventType: 'terminal',
    Status: 'completed',
    DateUpdated: '2026-11-25 10:15:30',
    EndTime: '2026-11-25 10:15:20',
    ConversationDuration: 30,
    CustomField: attemptKey(contact._id, 1),
    Legs: [{ Status: 'completed', OnCallDuration: 30, ...(answeredBy === null ? {} : { AnsweredBy: answeredBy }) }],
  };
}

const postJson = (body: unknown) =>
  fetch(`${app.url}/exotel/status/${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
function postForm(body: ReturnType<typeof terminal>) {
  const { Legs, ...rest } = body;
  const form = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)]));
  for (const [i, leg] of Legs.entries()) for (const [k, v] of Object.entries(leg)) form.append(`Legs[${i}][${k}]`, String(v));
  return fetch(`${app.url}/exotel/status/${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

const stats = async () => ((await store.Campaign.findById(campaign._id).lean()) as CampaignFields).stats;

describe('AnsweredBy', () => {
  it('is stored as Exotel sent it and counted as a person or a machine in any case; NA (not known) is stored as nothing', async () => {
    const cases: Array<[string | null, 'json' | 'form']> = [
      ['HUMAN', 'json'],
      ['human', 'form'],
      ['Machine', 'json'],
      ['MACHINE', 'form'],
      ['NA', 'json'],
      [null, 'form'],
    ];
    const before = await stats();
    for (const [answeredBy, encoding] of cases) {
      const contact = await initiatedContact();
      const res = encoding === 'json' ? await postJson(terminal(contact, answeredBy)) : await postForm(terminal(contact, answeredBy));
      expect(res.status).toBe(200);
      const after = (await store.Contact.findById(contact._id).lean()) as ContactFields;
      expect(after.call_status).toBe('completed');
      const stored = answeredBy === 'NA' ? null : answeredBy;
      expect(after.answered_by, `${answeredBy} (${encoding})`).toBe(stored);
      expect(((await store.Call.findById(attemptKey(contact._id, 1)).lean()) as CallFields).answered_by).toBe(stored);
    }
    const now = await stats();
    expect(now.answered_human - before.answered_human).toBe(2);
    expect(now.answered_machine - before.answered_machine).toBe(2);
    const humansByHour = Object.values(now.hours).reduce((n, h) => n + (h.human ?? 0), 0);
    expect(humansByHour).toBe(2);
  });
});
