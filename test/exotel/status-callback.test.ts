import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExotelClient } from '../../src/exotel/exotel-client.js';
import { parseCallbackBody, parseStatusCallback, StatusCallbackError } from '../../src/exotel/status-callback.js';
import { startFakeExotel } from '../fakes/fake-exotel.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const EXOTEL_JSON = {
  CallSid: 'b6cfaf0c4d1ab7b9a5c2a4d1f19b1f5e',
  EventType: 'terminal',
  Status: 'completed',
  CustomField: 'campaign:abc;contact:42',
  From: '09876543210',
  To: '08012345678',
  DateCreated: '2024-01-15 09:30:00',
  DateUpdated: '2024-01-15 09:31:05',
  StartTime: '2024-01-15 09:30:02',
  EndTime: '2024-01-15 09:31:00',
  ConversationDuration: 48,
  RecordingUrl: '',
  Legs: [{ OnCallDuration: 48, Status: 'completed', AnsweredBy: 'human' }],
};

describe('parseStatusCallback', () => {
  it('reads every documented field, times as IST', () => {
    expect(parseStatusCallback(EXOTEL_JSON)).toEqual({
      callSid: 'b6cfaf0c4d1ab7b9a5c2a4d1f19b1f5e',
      status: 'completed',
      eventType: 'terminal',
      customField: 'campaign:abc;contact:42',
      from: '09876543210',
      to: '08012345678',
      dateCreated: new Date('2024-01-15T04:00:00Z'),
      dateUpdated: new Date('2024-01-15T04:01:05Z'),
      startTime: new Date('2024-01-15T04:00:02Z'),
      endTime: new Date('2024-01-15T04:01:00Z'),
      duration: 48,
      legs: [{ status: 'completed', onCallDuration: 48, answeredBy: 'human' }],
    });
  });

  it('needs only CallSid and Status (the always-sent minimum)', () => {
    expect(parseStatusCallback({ CallSid: 'S1', Status: 'no-answer', RecordingUrl: '' })).toEqual({ callSid: 'S1', status: 'no-answer' });
  });

  it('reads string numbers and flattened Legs from form bodies', () => {
    const parsed = parseStatusCallback({
      CallSid: 'S1',
      Status: 'busy',
      ConversationDuration: '0',
      'Legs[1][Status]': 'busy',
      'Legs[0][Status]': 'busy',
      'Legs[0][OnCallDuration]': '0',
    });
    expect(parsed).toMatchObject({ duration: 0, legs: [{ status: 'busy', onCallDuration: 0 }, { status: 'busy' }] });
  });

  it('reads who answered from the legs; Exotel\'s "NA" (not known) is left out', () => {
    const legs = (l: unknown[]) => parseStatusCallback({ CallSid: 'S1', Status: 'completed', Legs: l }).legs;
    expect(legs([{ Status: 'completed', AnsweredBy: 'machine' }])).toEqual([{ status: 'completed', answeredBy: 'machine' }]);
    expect(legs([{ Status: 'completed', AnsweredBy: 'NA' }])).toEqual([{ status: 'completed' }]);
    expect(
      legs([
        { Status: 'completed', AnsweredBy: 'na' },
        { Status: 'completed', AnsweredBy: 'human' },
      ]),
    ).toEqual([{ status: 'completed' }, { status: 'completed', answeredBy: 'human' }]);
    // So the first leg that knows is the one that tells (what the status route reads).
    expect(legs([{ AnsweredBy: 'NA' }, { AnsweredBy: 'human' }])!.find((l) => l.answeredBy)?.answeredBy).toBe('human');
  });

  it('reads Legs sent as a JSON string', () => {
    expect(parseStatusCallback({ CallSid: 'S1', Status: 'failed', Legs: '[{"Status":"failed"}]' }).legs).toEqual([{ status: 'failed' }]);
  });

  it.each([
    [{ Status: 'completed' }, /no CallSid/],
    [{ CallSid: '  ', Status: 'completed' }, /no CallSid/],
    [{ CallSid: 'S1' }, /unknown Status \(none\)/],
    [{ CallSid: 'S1', Status: 'exploded' }, /unknown Status \("exploded"\)/],
  ])('rejects %j', (body, reason) => {
    expect(() => parseStatusCallback(body)).toThrow(StatusCallbackError);
    expect(() => parseStatusCallback(body)).toThrow(reason);
  });
});

describe('parseCallbackBody', () => {
  it('decodes JSON, with or without a charset', async () => {
    const raw = Buffer.from(JSON.stringify(EXOTEL_JSON));
    expect(await parseCallbackBody('application/json', raw)).toEqual(EXOTEL_JSON);
    expect(await parseCallbackBody('application/json; charset=utf-8', raw)).toEqual(EXOTEL_JSON);
  });

  it('decodes urlencoded', async () => {
    const raw = Buffer.from('CallSid=S1&Status=completed&CustomField=a%3Bb+c');
    expect(await parseCallbackBody('application/x-www-form-urlencoded', raw)).toEqual({
      CallSid: 'S1',
      Status: 'completed',
      CustomField: 'a;b c',
    });
  });

  it('decodes multipart/form-data and ignores file parts', async () => {
    const form = new FormData();
    form.set('CallSid', 'S1');
    form.set('Status', 'busy');
    form.set('CustomField', 'x=1&y=2');
    form.set('Recording', new Blob(['RIFF']), 'r.wav');
    const response = new Response(form);
    const raw = Buffer.from(await response.arrayBuffer());
    const body = await parseCallbackBody(response.headers.get('content-type')!, raw);
    expect(body).toEqual({ CallSid: 'S1', Status: 'busy', CustomField: 'x=1&y=2' });
  });

  it('sniffs a missing content type', async () => {
    expect(await parseCallbackBody('', Buffer.from('{"CallSid":"S1"}'))).toEqual({ CallSid: 'S1' });
    expect(await parseCallbackBody('', Buffer.from('CallSid=S2'))).toEqual({ CallSid: 'S2' });
  });

  it.each([
    ['application/json', '{not json', /not valid JSON/],
    ['application/json', '[1,2]', /not an object/],
    ['multipart/form-data; boundary=x', 'garbage', /multipart/],
    ['text/plain', 'CallSid=S1', /unsupported content type/],
  ])('rejects %s %j', async (type, raw, reason) => {
    await expect(parseCallbackBody(type, Buffer.from(raw))).rejects.toThrow(StatusCallbackError);
    await expect(parseCallbackBody(type, Buffer.from(raw))).rejects.toThrow(reason);
  });
});

describe('callbacks from the fake Exotel, end to end', () => {
  async function receiver() {
    const received: Array<{ contentType: string; raw: Buffer }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ contentType: req.headers['content-type'] ?? '', raw: Buffer.concat(chunks) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/exotel/status/secret`, received };
  }

  it('reads the JSON callback requested by placeCall', async () => {
    const sink = await receiver();
    const fake = await startFakeExotel({ outcome: () => 'completed', callbackDelayMs: [5, 10] });
    const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken });
    cleanups.push(
      () => fake.close(),
      () => client.close(),
    );
    const call = await client.placeCall({
      from: '919876543210',
      callerId: '08012345678',
      flowUrl: 'http://flow',
      statusCallbackUrl: sink.url,
      customField: 'c-1',
    });
    await fake.settled();
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.contentType).toBe('application/json');
    const parsed = parseStatusCallback(await parseCallbackBody(sink.received[0]!.contentType, sink.received[0]!.raw));
    expect(parsed).toMatchObject({
      callSid: call.sid,
      status: 'completed',
      eventType: 'terminal',
      customField: 'c-1',
      from: '09876543210',
    });
    expect(parsed.duration).toBe(fake.calls[0]!.duration);
    expect(parsed.endTime!.getTime()).toBe(Math.floor(fake.calls[0]!.endTime!.getTime() / 1000) * 1000);
    expect(fake.callbacks[0]).toMatchObject({ callSid: call.sid, status: 200, attempt: 1 });
    expect(parsed.legs).toEqual([{ status: 'completed', onCallDuration: fake.calls[0]!.duration, answeredBy: 'human' }]);
  });

  it('carries who answered for a machine, and nothing for an unanswered call', async () => {
    const sink = await receiver();
    const fake = await startFakeExotel({
      outcome: (from) => (from.endsWith('1') ? 'completed' : 'busy'),
      answeredBy: (c) => (c.outcome === 'completed' ? 'machine' : null),
      callbackDelayMs: [5, 10],
    });
    const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken });
    cleanups.push(
      () => fake.close(),
      () => client.close(),
    );
    for (const from of ['919876543211', '919876543212'])
      await client.placeCall({ from, callerId: '08012345678', flowUrl: 'http://flow', statusCallbackUrl: sink.url });
    await fake.settled();
    const parsed = await Promise.all(sink.received.map(async (r) => parseStatusCallback(await parseCallbackBody(r.contentType, r.raw))));
    const bySid = new Map(parsed.map((p) => [p.callSid, p]));
    expect(bySid.get(fake.calls[0]!.sid)!.legs).toEqual([expect.objectContaining({ status: 'completed', answeredBy: 'machine' })]);
    expect(bySid.get(fake.calls[1]!.sid)!.legs).toEqual([{ status: 'busy', onCallDuration: 0 }]);
  });

  it('reads the urlencoded callback sent when no content type was requested', async () => {
    const sink = await receiver();
    const fake = await startFakeExotel({ outcome: () => 'no-answer', callbackDelayMs: [5, 10] });
    cleanups.push(() => fake.close());
    await fetch(`${fake.url}/v1/Accounts/${fake.accountSid}/Calls/connect.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${fake.apiKey}:${fake.apiToken}`).toString('base64')}` },
      body: new URLSearchParams({ From: '9876543210', CallerId: '08012345678', Url: 'http://flow', StatusCallback: sink.url }),
    });
    await fake.settled();
    expect(sink.received[0]!.contentType).toBe('application/x-www-form-urlencoded');
    const parsed = parseStatusCallback(await parseCallbackBody(sink.received[0]!.contentType, sink.received[0]!.raw));
    expect(parsed).toMatchObject({
      callSid: fake.calls[0]!.sid,
      status: 'no-answer',
      duration: 0,
      legs: [{ status: 'no-answer', onCallDuration: 0 }],
    });
    expect(parsed).not.toHaveProperty('customField');
  });
});
