// Exotel's terminal status callback through the real app on a real port: the secret path, every body encoding Exotel
// may use, the attempt named by CustomField (`<contact id>:<try>`) or found by the sid on its line when Exotel leaves
// CustomField out, idempotent repeats counted once in the campaign view, unknown calls, unreadable bodies, and
// clients that break off or lie.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyDelta, countContacts, moveDelta } from '../../src/campaigns/campaign-view.js';
import { attemptKey, type CallFields } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import { contactId, type ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import type { App } from '@slack/bolt';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { exotelStatusRoute } from '../../src/http/exotel-status-route.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { FAKE_BOT } from '../fakes/fake-slack.js';
import { freePort, startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testEnv } from '../helpers/test-env.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const SECRET = 'route-test-secret-0123456789';
const CONTACTS = 30;
let store: Store;
let app: TestApp;
let campaign: CampaignFields;
let seq = 0;

beforeAll(async () => {
  store = await testStore('exotel_status_route');
  // No engine: only the callbacks change the contacts. Lines enough for every contact the tests place.
  app = await startTestApp(store, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: SECRET, EXOTEL_MAX_LIVE_CALLS: String(CONTACTS) });
  campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '81'), { status: 'paused' });
});
afterAll(async () => {
  await app?.stop();
});

const statusUrl = (secret = SECRET) => `${app.url}/exotel/status/${secret}`;

/**
 * The next contact, placed the way the engine places it: a live line taken, counted as dialling (the dial gate's
 * fencing write), claimed, then accepted by Exotel with a fresh CallSid. Its line is not checked for an hour.
 */
async function placedContact(): Promise<ContactFields> {
  seq += 1;
  const { lines, state } = app.runtime;
  const id = contactId(campaign._id, seq);
  const pending = (await store.Contact.findById(id).lean()) as ContactFields;
  const now = new Date();
  const later = new Date(now.getTime() + 3_600_000);
  const line = await lines.acquire(attemptKey(id, pending.tries + 1), campaign._id, now, later);
  expect(line, 'a free line').not.toBeNull();
  await applyDelta(store, campaign._id, moveDelta('pending', 'dialing'));
  const claimed = await state.claim(pending, { runnerId: 'route-test', epoch: 0 }, line!.lineId, now, later);
  const placed = await state.placed(claimed!, `f00d${String(seq).padStart(28, '0')}`, now, later);
  expect(placed?.call_status).toBe('initiated');
  return placed!;
}

const load = async (id: string) => (await store.Contact.findById(id).lean()) as ContactFields;
const everyContact = async () => store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean();
const callRecord = async (contact: ContactFields) =>
  (await store.Call.findById(attemptKey(contact._id, contact.tries)).lean()) as CallFields | null;

/** The campaign view equals a count of its contacts, bucket by bucket. */
async function expectViewTrue(): Promise<void> {
  const view = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
  const truth = await countContacts(store, campaign._id);
  expect(view.counts).toEqual(truth);
  expect(view.calls_completed).toBe(truth.completed);
}

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
    CustomField: attemptKey(contact._id, contact.tries),
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
    const contact = await placedContact();
    const before = await load(contact._id);
    for (const url of [
      statusUrl('not-the-secret-0123456789'),
      statusUrl(`${SECRET}x`),
      statusUrl(SECRET.slice(0, -1)),
      `${app.url}/exotel/status`,
    ]) {
      const res = await postJson(terminal(contact, 'completed'), url);
      expect(res.status, url).toBe(404);
    }
    expect(await load(contact._id)).toEqual(before);
  });
});

describe('body encodings', () => {
  it('records a JSON callback on the contact and its call record, and gives the line back', async () => {
    const contact = await placedContact();
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
    expect(await callRecord(contact)).toMatchObject({ state: 'completed', sid: contact.call_sid, duration: 75 });
    expect(await store.LiveLine.countDocuments({ holder: attemptKey(contact._id, contact.tries) })).toBe(0);
    await expectViewTrue();
  });

  it('records an urlencoded callback (with Legs flattened)', async () => {
    const contact = await placedContact();
    const res = await postForm(
      terminal(contact, 'busy', { 'Legs[0][Status]': 'busy', 'Legs[0][OnCallDuration]': 0, ConversationDuration: 0 }),
    );
    expect(res.status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'busy', last_outcome: 'busy', call_duration: 0 });
  });

  it('records a multipart callback', async () => {
    const contact = await placedContact();
    const res = await postMultipart(terminal(contact, 'no-answer'));
    expect(res.status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'no-answer', last_outcome: 'no-answer' });
  });

  it('records a failed call with a sentence for the user', async () => {
    const contact = await placedContact();
    expect((await postJson(terminal(contact, 'failed'))).status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'failed', call_error: 'Exotel reported the call failed.' });
    await expectViewTrue();
  });
});

describe('which attempt a callback belongs to', () => {
  it('without CustomField, the attempt holding the line with that CallSid', async () => {
    const contact = await placedContact();
    const { CustomField: _left, ...body } = terminal(contact, 'completed');
    expect((await postJson(body)).status).toBe(200);
    expect(await load(contact._id)).toMatchObject({ call_status: 'completed', call_sid: contact.call_sid });
    await expectViewTrue();
  });

  it('a CustomField naming another try of the number changes nothing about its live attempt', async () => {
    const contact = await placedContact();
    const before = await load(contact._id);
    for (const key of [attemptKey(contact._id, contact.tries + 1), attemptKey(contact._id, 0)]) {
      expect((await postJson(terminal(contact, 'busy', { CustomField: key }))).status, key).toBe(200);
    }
    expect(await load(contact._id)).toEqual(before);
    // Its own try then ends it.
    expect((await postJson(terminal(contact, 'busy'))).status).toBe(200);
    expect((await load(contact._id)).call_status).toBe('busy');
    await expectViewTrue();
  });
});

describe('repeats and strangers', () => {
  it('a repeated delivery, in any encoding, answers 200, changes nothing and is counted once', async () => {
    const contact = await placedContact();
    expect((await postJson(terminal(contact, 'completed'))).status).toBe(200);
    const first = await load(contact._id);
    expect(first.call_status).toBe('completed');
    const view = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
    const repeats = await Promise.all([
      postJson(terminal(contact, 'completed')),
      postForm(terminal(contact, 'completed')),
      postMultipart(terminal(contact, 'busy')),
    ]);
    expect(repeats.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await load(contact._id)).toEqual(first);
    // The campaign view moved once, with the first delivery, and no more.
    const after = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
    expect([after.counts, after.calls_completed, after.stats.placed, after.stats.talk_seconds]).toEqual([
      view.counts,
      view.calls_completed,
      view.stats.placed,
      view.stats.talk_seconds,
    ]);
    await expectViewTrue();
  });

  it('two different outcomes for one attempt at once: exactly one is applied', async () => {
    const contact = await placedContact();
    const answers = await Promise.all([
      postJson(terminal(contact, 'completed')),
      postJson(terminal(contact, 'no-answer')),
      postForm(terminal(contact, 'busy')),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(['completed', 'no-answer', 'busy']).toContain((await load(contact._id)).call_status);
    await expectViewTrue();
  });

  it('an unknown CallSid, or a CustomField that names no contact, answers 200 (so Exotel stops retrying) and changes nothing', async () => {
    await placedContact();
    const before = await everyContact();
    const bodies = [
      { CallSid: 'ffffffffffffffffffffffffffffffff', Status: 'completed', DateUpdated: '2026-11-25 10:00:00' },
      { CallSid: 'ffffffffffffffffffffffffffffffff', Status: 'completed', CustomField: attemptKey(contactId(campaign._id, 9_999_999), 1) },
      { CallSid: 'ffffffffffffffffffffffffffffffff', Status: 'busy', CustomField: 'not an attempt key' },
    ];
    for (const body of bodies) expect((await postJson(body)).status, JSON.stringify(body)).toBe(200);
    expect(await everyContact()).toEqual(before);
  });

  it('a non-terminal status answers 200 and changes nothing', async () => {
    const contact = await placedContact();
    const before = await load(contact._id);
    expect((await postJson(terminal(contact, 'in-progress', { EventType: 'answered' }))).status).toBe(200);
    expect(await load(contact._id)).toEqual(before);
  });
});

describe('unreadable bodies', () => {
  it('answers 400 and changes nothing', async () => {
    const contact = await placedContact();
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

describe('clients that break off, lie or send garbage', () => {
  const BODY_TIMEOUT_MS = 500;
  const lines: string[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let port: number;
  let bolt: App;
  let runtime: Runtime;

  // The real app with a logger whose lines the tests read, and a short body timeout.
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    port = await freePort();
    const config = loadConfig(testEnv({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, EXOTEL_WEBHOOK_SECRET: SECRET }));
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const log = createLogger({ level: 'debug', destination, pretty: false });
    runtime = createRuntime(config, store, log);
    const routes = [exotelStatusRoute(SECRET, runtime.state, log, { bodyTimeoutMs: BODY_TIMEOUT_MS })];
    bolt = createApp({
      config,
      log,
      store,
      identity: { botId: FAKE_BOT.bot_id, botUserId: FAKE_BOT.user_id },
      runtime: { ...runtime, routes },
    });
    await bolt.start(port);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await bolt?.stop();
    await runtime?.close();
  });

  /** Sends raw bytes, then hangs up, half-closes or waits; resolves with whatever the server sent back. */
  function raw(bytes: string, then: 'destroy' | 'half-close' | 'wait'): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8').on('data', (d: string) => (received += d));
      socket.on('error', reject).on('close', () => resolve(received));
      socket.write(bytes, () => {
        if (then === 'destroy') setTimeout(() => socket.destroy(), 100);
        if (then === 'half-close') socket.end();
      });
    });
  }

  const headers = (length: number | 'chunked', type = 'application/json') =>
    `POST /exotel/status/${SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\n` +
    (length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`) +
    '\r\n\r\n';
  const callbackLines = () => lines.filter((l) => JSON.parse(l).component === 'exotel-callback');

  /** Runs `send`, then waits for the route's one log line about it. */
  async function oneLogLine(send: () => Promise<unknown>): Promise<{ msg: string; level: number }> {
    const before = callbackLines().length;
    await send();
    await waitFor(async () => callbackLines().length > before, 5_000, 'the route to log the request');
    // Give a second line the chance to appear, had the route logged twice.
    await new Promise((r) => setTimeout(r, 100));
    const added = callbackLines().slice(before);
    expect(added, added.join('\n')).toHaveLength(1);
    return JSON.parse(added[0]!) as { msg: string; level: number };
  }

  afterEach(async () => {
    // The process is still serving, and nothing escaped as an unhandled rejection or put the secret in a log line.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/exotel/status/${SECRET}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(rejections).toEqual([]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('half a body, then the client hangs up: one line, nothing else', async () => {
    const line = await oneLogLine(() => raw(`${headers(500)}{"CallSid": "abc`, 'destroy'));
    expect(line.msg).toMatch(
      /^unreadable status callback request: (the client closed the connection before the body was complete|the request broke off \(.+\))$/,
    );
  });

  it('a body shorter than its Content-Length, then the client closes its side: 400 if it still listens', async () => {
    let response = '';
    const line = await oneLogLine(async () => (response = await raw(`${headers(500)}{"CallSid": "abc"}`, 'half-close')));
    expect(line.msg).toMatch(/^unreadable status callback request: /);
    if (response !== '') expect(response).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a body shorter than its Content-Length on an open connection: 408 once the body is overdue', async () => {
    let response = '';
    const line = await oneLogLine(async () => (response = await raw(`${headers(500)}{"CallSid": "abc"}`, 'wait')));
    expect(line.msg).toBe(`unreadable status callback request: the body did not arrive within ${BODY_TIMEOUT_MS} ms (18 bytes came)`);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('a body longer than its Content-Length: the declared part is read, and is garbage', async () => {
    let response = '';
    const line = await oneLogLine(async () => (response = await raw(`${headers(10)}{"CallSid": "abc", "Status": "completed"}`, 'wait')));
    expect(line.msg).toBe('unreadable status callback');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a malformed chunked body: one line', async () => {
    const line = await oneLogLine(() => raw(`${headers('chunked')}5\r\n{"Cal\r\nZZZ\r\nnot a chunk\r\n`, 'wait'));
    expect(line.msg).toMatch(/^unreadable status callback request: the request broke off \(.+\)$/);
  });

  it('garbage JSON: 400 and one line', async () => {
    let status = 0;
    const line = await oneLogLine(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/exotel/status/${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"CallSid": "abc", "Status": compl\u0000eted}}}',
      });
      status = res.status;
    });
    expect(status).toBe(400);
    expect(line.msg).toBe('unreadable status callback');
  });

  it('a GET or HEAD to the callback path gets 404, and the log shows the path without the secret', async () => {
    for (const method of ['GET', 'HEAD']) {
      const before = lines.length;
      const res = await fetch(`http://127.0.0.1:${port}/exotel/status/${SECRET}`, { method });
      expect(res.status, method).toBe(404);
      await waitFor(async () => lines.length > before, 5_000, `Bolt to log the ${method}`);
      expect(lines.slice(before).map((l) => JSON.parse(l).msg)).toContain(
        `Unhandled HTTP request (${method}) made to /exotel/status/[redacted]`,
      );
    }
  });
});
