// Exotel's Passthru applet reporting the keys a person pressed, through the real app on a real port: recorded on the
// attempt with Exotel's quotes stripped, counted once however often it is repeated, a "do not call" key puts the
// number on the list, and a wrong secret or an inconsistent request changes nothing.
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import { attemptKey, type CallFields } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { dncId } from '../../src/store/dnc-model.js';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const SECRET = 'passthru-test-secret-0123456789';
const KEYS = { '1': 'paid', '2': 'call me back', '9': 'Do Not Call', '0': 'DNC' };
let store: Store;
let app: TestApp;
let campaign: CampaignFields;
let sidSeq = 0;
let phoneSeq = 0;

beforeAll(async () => {
  store = await testStore('exotel_passthru_route');
  // The engine is not started: only these requests touch the contacts.
  app = await startTestApp(store, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET });
  campaign = await seedCampaign(store, [], { status: 'paused', keys: KEYS });
});
afterAll(async () => {
  await app?.stop();
});

const passthruUrl = (query: Record<string, string>, secret = SECRET) =>
  `${app.url}/exotel/passthru/${secret}?${new URLSearchParams(query)}`;
const loadCampaign = async () => (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
const loadContact = async (id: string) => (await store.Contact.findById(id).lean()) as ContactFields;
const loadCall = async (key: string) => (await store.Call.findById(key).lean()) as CallFields | null;
const keyCount = async (key: string) => (await loadCampaign()).stats.keys?.[key] ?? 0;

/** A new contact of `target` whose call Exotel accepted (the contact and its call record carry the CallSid). */
async function inCall(target: Types.ObjectId = campaign._id, opts: { record?: boolean; phone?: string } = {}) {
  phoneSeq += 1;
  sidSeq += 1;
  const phone = opts.phone ?? `9198${String(phoneSeq).padStart(8, '0')}`;
  await insertContacts(store, target, [{ phone, name: `Person ${phoneSeq}`, description: '' }]);
  const sid = `pa55${String(sidSeq).padStart(28, '0')}`;
  const contact = (await store.Contact.findOneAndUpdate(
    { campaign_id: target, phone },
    { $set: { call_status: 'initiated', call_sid: sid, tries: 1, attempts: 1, sent_at: new Date() } },
    { returnDocument: 'after' },
  ).lean()) as ContactFields;
  const key = attemptKey(contact._id, 1);
  if (opts.record !== false)
    await store.Call.create({ _id: key, campaign_id: target, contact_id: contact._id, try: 1, state: 'placed', sent_at: new Date(), sid });
  return { contact, key, sid };
}

/** What Exotel's Passthru sends: the call's fields and `digits` in double quotes. */
const pressed = (call: { contact: ContactFields; key: string; sid: string }, digits: string, extra: Record<string, string> = {}) =>
  passthruUrl({
    CallSid: call.sid,
    From: `0${call.contact.phone.slice(-10)}`,
    To: '08047112345',
    CustomField: call.key,
    digits: `"${digits}"`,
    ...extra,
  });

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('recording keys', () => {
  it('answers 200 with an empty text/plain body and records the digits without quotes on the contact and its call', async () => {
    const call = await inCall();
    const before = await keyCount('1');
    expect(await get(pressed(call, '1'))).toEqual({ status: 200, type: 'text/plain', body: '' });
    expect((await loadContact(call.contact._id)).digits).toBe('1');
    expect((await loadCall(call.key))?.digits).toBe('1');
    expect(await keyCount('1')).toBe(before + 1);
  });

  it('counts an attempt once, however often and in whatever order Exotel repeats it; the first keys stand', async () => {
    const call = await inCall();
    const before = await keyCount('2');
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(pressed(call, '2'))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await get(pressed(call, '2'))).status).toBe(200);
    expect((await get(pressed(call, '1'))).status).toBe(200);
    expect(await keyCount('2')).toBe(before + 1);
    expect((await loadContact(call.contact._id)).digits).toBe('2');
    expect((await loadCall(call.key))?.digits).toBe('2');
  });

  it('counts every attempt: two people pressing the same key make two', async () => {
    const before = await keyCount('1');
    const [a, b] = [await inCall(), await inCall()];
    await Promise.all([get(pressed(a, '1')), get(pressed(b, '1')), get(pressed(a, '1'))]);
    expect(await keyCount('1')).toBe(before + 2);
  });

  it('finds the attempt by CallSid alone, on the live-call line it holds', async () => {
    const call = await inCall();
    await store.LiveLine.create({
      _id: 'passthru-test:0',
      account: 'passthru-test',
      index: 0,
      holder: call.key,
      campaign_id: campaign._id,
      since: new Date(),
      sid: call.sid,
    });
    try {
      expect((await get(pressed(call, '2', { CustomField: '' }))).status).toBe(200);
      expect((await loadContact(call.contact._id)).digits).toBe('2');
    } finally {
      await store.LiveLine.deleteOne({ _id: 'passthru-test:0' });
    }
  });

  it('creates the call record of an attempt whose placing was not recorded yet', async () => {
    const call = await inCall(campaign._id, { record: false });
    expect(await loadCall(call.key)).toBeNull();
    expect((await get(pressed(call, '1'))).status).toBe(200);
    expect(await loadCall(call.key)).toMatchObject({ digits: '1', contact_id: call.contact._id, try: 1, state: 'sent' });
  });

  it('records an entry of several keys, without Gather’s finish key, and does not count it as a key', async () => {
    const call = await inCall();
    const before = (await loadCampaign()).stats.keys;
    expect((await get(pressed(call, '4321#'))).status).toBe(200);
    expect((await loadContact(call.contact._id)).digits).toBe('4321');
    expect((await loadCampaign()).stats.keys).toEqual(before);
  });

  it('records an earlier attempt’s keys on its call only, not on the contact now on a later try', async () => {
    const call = await inCall();
    await store.Contact.updateOne({ _id: call.contact._id }, { $set: { tries: 2, call_sid: null, call_status: 'dialing' } });
    expect((await get(pressed(call, '1'))).status).toBe(200);
    expect((await loadCall(call.key))?.digits).toBe('1');
    expect((await loadContact(call.contact._id)).digits).toBeNull();
  });
});

describe('requests that record nothing', () => {
  it('no keys, empty keys or keys that are not a phone’s', async () => {
    const call = await inCall();
    const before = await loadCampaign();
    for (const digits of ['', ' ', 'abc', '1;DROP']) expect((await get(pressed(call, digits))).status, digits).toBe(200);
    expect((await get(passthruUrl({ CallSid: call.sid, CustomField: call.key }))).status).toBe(200);
    expect((await loadContact(call.contact._id)).digits).toBeNull();
    expect((await loadCall(call.key))?.digits).toBeNull();
    expect((await loadCampaign()).stats.keys).toEqual(before.stats.keys);
  });

  it('a CallSid that is not the attempt’s, or an attempt that does not exist', async () => {
    const call = await inCall();
    const other = await inCall();
    expect((await get(pressed(call, '1', { CallSid: other.sid }))).status).toBe(200);
    expect((await get(pressed(call, '1', { CallSid: 'ffffffffffffffffffffffffffffffff' }))).status).toBe(200);
    expect((await get(pressed(call, '1', { CustomField: attemptKey(call.contact._id, 7) }))).status).toBe(200);
    expect((await get(pressed(call, '1', { CustomField: 'nonsense', CallSid: 'nonsense' }))).status).toBe(200);
    expect((await loadContact(call.contact._id)).digits).toBeNull();
    expect((await loadCall(call.key))?.digits).toBeNull();
    expect(await loadCall(attemptKey(call.contact._id, 7))).toBeNull();
  });

  it('a wrong or missing secret: 404', async () => {
    const call = await inCall();
    const good = pressed(call, '9');
    for (const url of [
      good.replace(SECRET, 'not-the-secret-0123456789'),
      good.replace(SECRET, `${SECRET}x`),
      good.replace(`/${SECRET}`, ''),
    ]) {
      expect((await get(url)).status, url).toBe(404);
    }
    expect((await loadContact(call.contact._id)).digits).toBeNull();
    expect(await app.runtime.dnc.has(campaign.team_id, call.contact.phone)).toBe(false);
  });
});

describe('the do-not-call key', () => {
  it('puts the number on the workspace’s list (added by keypress) and skips it where it still waits', async () => {
    const phone = '919812345678';
    const waiting = await seedCampaign(store, [phone], { status: 'paused' });
    const call = await inCall(campaign._id, { phone });
    expect((await get(pressed(call, '9'))).status).toBe(200);
    await waitFor(() => app.runtime.dnc.has(campaign.team_id, phone), 5_000, 'the number on the do-not-call list');
    expect(await store.Dnc.findById(dncId(campaign.team_id, phone)).lean()).toMatchObject({ added_by: 'keypress' });
    await waitFor(
      async () => (await store.Contact.findOne({ campaign_id: waiting._id, phone }).lean())?.call_status === 'skipped',
      5_000,
      'the waiting contact skipped',
    );
    // Repeats change nothing more.
    expect((await get(pressed(call, '9'))).status).toBe(200);
    expect(await store.Dnc.countDocuments({ team_id: campaign.team_id, phone })).toBe(1);
  });

  it('knows "dnc" as a meaning, and honours it even after other keys were recorded', async () => {
    const call = await inCall();
    expect((await get(pressed(call, '1'))).status).toBe(200);
    expect((await get(pressed(call, '0'))).status).toBe(200);
    await waitFor(() => app.runtime.dnc.has(campaign.team_id, call.contact.phone), 5_000, 'the number on the do-not-call list');
    expect((await loadContact(call.contact._id)).digits).toBe('1');
  });

  it('other keys leave the number off the list', async () => {
    const call = await inCall();
    for (const digits of ['1', '2', '3']) expect((await get(pressed(call, digits))).status).toBe(200);
    // A do-not-call add follows the answer: wait for a later one to land, so any the keys above started has too.
    const later = await inCall();
    await get(pressed(later, '9'));
    await waitFor(() => app.runtime.dnc.has(campaign.team_id, later.contact.phone), 5_000, 'the later number on the list');
    expect(await app.runtime.dnc.has(campaign.team_id, call.contact.phone)).toBe(false);
  });
});
