import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeExotel, type FakeExotel, type FakeExotelOptions } from './fake-exotel.js';

let fake: FakeExotel | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(options: FakeExotelOptions = {}): Promise<FakeExotel> {
  fake = await startFakeExotel({ callbackDelayMs: [5, 10], ...options });
  return fake;
}

function connect(f: FakeExotel, fields: Record<string, string> = {}, auth = `${f.apiKey}:${f.apiToken}`): Promise<Response> {
  return fetch(`${f.url}/v1/Accounts/${f.accountSid}/Calls/connect.json`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ From: '919876543210', CallerId: '08012345678', Url: 'http://flow', ...fields }),
  });
}

describe('connect.json', () => {
  it('places a call and echoes From in 0-prefixed form', async () => {
    const f = await start();
    const res = await connect(f, { CustomField: 'c1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { Call: { Sid: string; From: string; Status: string } };
    expect(body.Call.From).toBe('09876543210');
    expect(body.Call.Status).toBe('in-progress');
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]).toMatchObject({ sid: body.Call.Sid, from: '919876543210', customField: 'c1' });
    expect(f.placedCount('+91 98765 43210')).toBe(1);
    expect(f.requests[0]).toMatchObject({ method: 'POST', outcome: 'placed', status: 200, callSid: body.Call.Sid });
  });

  it('answers 401 to wrong credentials or account and places nothing', async () => {
    const f = await start();
    expect((await connect(f, {}, 'fake-key:wrong')).status).toBe(401);
    const other = await fetch(`${f.url}/v1/Accounts/OTHER/Calls/connect.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${f.apiKey}:${f.apiToken}`).toString('base64')}` },
      body: new URLSearchParams({ From: '1', CallerId: '2', Url: '3' }),
    });
    expect(other.status).toBe(401);
    expect(await other.json()).toMatchObject({ RestException: { Status: 401 } });
    expect(f.calls).toHaveLength(0);
  });

  it('answers 400 naming the missing fields', async () => {
    const f = await start();
    const res = await connect(f, { From: '', Url: '' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { RestException: { Message: string } }).RestException.Message).toMatch(/From, Url/);
    expect(f.calls).toHaveLength(0);
  });
});

describe('rate limit', () => {
  it('admits callsPerMinute per sliding window, answers 429 with Retry-After beyond, and counts violations', async () => {
    const f = await start({ callsPerMinute: 2, windowMs: 300 });
    expect((await connect(f)).status).toBe(200);
    expect((await connect(f)).status).toBe(200);
    const limited = await connect(f);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ RestException: { Status: 429 } });
    expect(f.violations).toBe(1);
    expect(f.calls).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 320));
    expect((await connect(f)).status).toBe(200);
    expect(f.violations).toBe(1);
  });

  it('gives Retry-After in seconds until the window frees a slot', async () => {
    const f = await start({ callsPerMinute: 1 });
    await connect(f);
    const limited = await connect(f);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });
});

describe('faults', () => {
  it('429, 503 and reject400 answer without placing the call', async () => {
    const faults = ['429', '503', 'reject400'] as const;
    const f = await start({ fault: (n) => faults[n - 1] ?? 'ok' });
    expect((await connect(f)).status).toBe(429);
    expect((await connect(f)).status).toBe(503);
    expect((await connect(f)).status).toBe(400);
    expect(f.calls).toHaveLength(0);
    expect(f.violations).toBe(0);
    expect(f.requests.map((r) => r.outcome)).toEqual(['fault-429', 'fault-503', 'fault-reject400']);
  });

  it('reset places the call then destroys the socket', async () => {
    const f = await start({ fault: () => 'reset' });
    await expect(connect(f)).rejects.toThrow();
    expect(f.calls).toHaveLength(1);
    expect(f.requests[0]).toMatchObject({ outcome: 'reset', status: null });
  });

  it('hang places the call and never answers until close', async () => {
    const f = await start({ fault: (_n, from) => (from === '919999999999' ? 'hang' : 'ok') });
    const hanging = connect(f, { From: '919999999999' }).then(
      () => 'answered',
      () => 'dropped',
    );
    const raced = await Promise.race([hanging, new Promise((r) => setTimeout(() => r('still waiting'), 150))]);
    expect(raced).toBe('still waiting');
    expect(f.placedCount('09999999999')).toBe(1);
    expect(f.inFlight).toBe(1);
    expect((await connect(f)).status).toBe(200);
    expect(f.maxInFlight).toBe(2);
    await f.close();
    expect(await hanging).toBe('dropped');
  });

  it('latencyMs delays the answer but places the call on arrival', async () => {
    const f = await start({ latencyMs: 150 });
    const started = Date.now();
    const pending = connect(f);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.calls).toHaveLength(1);
    expect((await pending).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('outcomes', () => {
  it('ends calls with the chosen outcome and changes their status at that time', async () => {
    const f = await start({ outcome: () => 'busy', callbackDelayMs: [30, 30] });
    await connect(f);
    expect(f.calls[0]!.status).toBe('in-progress');
    await f.settled();
    expect(f.calls[0]).toMatchObject({ status: 'busy', duration: 0 });
  });

  it('is repeatable for a seed', async () => {
    const run = async () => {
      const f = await startFakeExotel({ seed: 42, callbackDelayMs: [1, 2] });
      for (let i = 0; i < 20; i++) await connect(f);
      const result = f.calls.map((c) => `${c.sid}:${c.outcome}`);
      await f.close();
      return result;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first.map((s) => s.split(':')[1])).size).toBeGreaterThan(1);
  });
});

const CALLS = (f: FakeExotel) => `${f.url}/v1/Accounts/${f.accountSid}/Calls`;
const AUTH = (f: FakeExotel) => ({ authorization: `Basic ${Buffer.from(`${f.apiKey}:${f.apiToken}`).toString('base64')}` });

async function details(f: FakeExotel, sid: string): Promise<{ status: number; call: Record<string, unknown> }> {
  const res = await fetch(`${CALLS(f)}/${sid}.json`, { headers: AUTH(f) });
  const body = (await res.json()) as { Call: Record<string, unknown> };
  return { status: res.status, call: body.Call };
}

async function listed(f: FakeExotel, query: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${CALLS(f)}.json?${new URLSearchParams(query).toString()}`, { headers: AUTH(f) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { Calls: Array<Record<string, unknown>> }).Calls;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Route {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A tiny local receiver for callbacks and applet requests: records every hit, answers by path (default 200, empty). */
async function receiver(routes: Record<string, Route> = {}) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      hits.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search,
        headers: req.headers,
        body,
      });
      const route = routes[url.pathname] ?? {};
      const text = route.body ?? '';
      res.writeHead(route.status ?? 200, { ...route.headers, 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { base, url: `${base}/cb`, hits, callbacks: () => hits.filter((h) => h.path === '/cb') };
}

const answeredAndTerminal = { 'StatusCallbackEvents[0]': 'terminal', 'StatusCallbackEvents[1]': 'answered' };

describe('status callbacks', () => {
  it('retries a failed delivery up to callbackRetries times', async () => {
    const statuses = [500, 503, 200];
    let hit = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(statuses[hit++] ?? 200).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
    const f = await start({ callbackRetries: 2, callbackRetryDelayMs: 5 });
    await connect(f, { StatusCallback: url, StatusCallbackContentType: 'application/json' });
    await f.settled();
    expect(f.callbacks.map((c) => [c.attempt, c.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    expect(f.callbacks[2]!.body).toMatchObject({ CallSid: f.calls[0]!.sid, EventType: 'terminal', Status: f.calls[0]!.status });
  });

  it('drops or duplicates the terminal callback as callbackFault says', async () => {
    const sink = await receiver();
    const f = await start({ callbackFault: (n) => (n === 1 ? 'drop' : 'duplicate') });
    await connect(f, { StatusCallback: sink.url });
    await f.settled();
    await connect(f, { StatusCallback: sink.url });
    await f.settled();
    expect(f.calls.every((c) => c.status !== 'in-progress')).toBe(true);
    expect(f.callbacks.map((c) => [c.callSid, c.eventType])).toEqual([
      [f.calls[1]!.sid, 'terminal'],
      [f.calls[1]!.sid, 'terminal'],
    ]);
    expect(sink.callbacks()).toHaveLength(2);
  });

  it('sends an answered event before the terminal one when asked, with CustomField exactly as sent in the terminal one', async () => {
    const sink = await receiver();
    const custom = 'campaign:ab c;contact=1&x=%20+ü"q"';
    const f = await start({ outcome: () => 'completed' });
    await connect(f, {
      StatusCallback: sink.url,
      StatusCallbackContentType: 'application/json',
      CustomField: custom,
      ...answeredAndTerminal,
    });
    await f.settled();
    const bodies = sink.callbacks().map((h) => JSON.parse(h.body) as Record<string, unknown>);
    expect(bodies.map((b) => b['EventType'])).toEqual(['answered', 'terminal']);
    expect(bodies[0]).toMatchObject({
      CallSid: f.calls[0]!.sid,
      Status: 'in-progress',
      Legs: [{ Status: 'in-progress', AnsweredBy: 'human' }],
    });
    expect(bodies[0]).not.toHaveProperty('CustomField');
    expect(bodies[1]).toMatchObject({ Status: 'completed', CustomField: custom, Legs: [{ Status: 'completed', AnsweredBy: 'human' }] });
    expect(f.callbacks.map((c) => c.eventType)).toEqual(['answered', 'terminal']);
  });

  it('reads answered from any StatusCallbackEvents index and sends form bodies with Legs flattened', async () => {
    const sink = await receiver();
    const custom = 'a&b=c d;e';
    const f = await start({ outcome: () => 'completed' });
    await connect(f, { StatusCallback: sink.url, CustomField: custom, 'StatusCallbackEvents[3]': 'answered' });
    await f.settled();
    const forms = sink.callbacks().map((h) => new URLSearchParams(h.body));
    expect(sink.callbacks()[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(forms.map((p) => p.get('EventType'))).toEqual(['answered', 'terminal']);
    expect(forms[1]!.get('CustomField')).toBe(custom);
    expect(forms[1]!.get('Legs[0][AnsweredBy]')).toBe('human');
    expect(forms[1]!.get('Legs[0][OnCallDuration]')).toBe(String(f.calls[0]!.duration));
  });

  it('sends no answered event for an unanswered call or when only terminal was asked for', async () => {
    const sink = await receiver();
    const f = await start({ outcome: (from) => (from.endsWith('1') ? 'busy' : 'completed') });
    await connect(f, { From: '919876543211', StatusCallback: sink.url, ...answeredAndTerminal });
    await connect(f, { From: '919876543212', StatusCallback: sink.url, 'StatusCallbackEvents[0]': 'terminal' });
    await f.settled();
    expect(f.callbacks.map((c) => c.eventType)).toEqual(['terminal', 'terminal']);
    expect(new URLSearchParams(sink.callbacks().find((h) => h.body.includes('busy'))!.body).get('Legs[0][AnsweredBy]')).toBe('NA');
  });

  it('reorder delivers the terminal callback first, then the answered event', async () => {
    const sink = await receiver();
    const f = await start({ outcome: () => 'completed', callbackFault: () => 'reorder' });
    await connect(f, { StatusCallback: sink.url, StatusCallbackContentType: 'application/json', ...answeredAndTerminal });
    await f.settled();
    expect(sink.callbacks().map((h) => (JSON.parse(h.body) as { EventType: string }).EventType)).toEqual(['terminal', 'answered']);
  });

  it('late delivers the terminal callback lateCallbackMs after the end, and settled() waits for it', async () => {
    const sink = await receiver();
    const f = await start({ lateCallbackMs: 400, callbackFault: () => 'late' });
    await connect(f, { StatusCallback: sink.url });
    await waitFor(() => f.calls[0]!.endTime !== null, 'the call to end');
    expect(f.callbacks).toHaveLength(0);
    await f.settled();
    expect(f.callbacks).toHaveLength(1);
    expect(f.callbacks[0]!.at.getTime() - f.calls[0]!.endTime!.getTime()).toBeGreaterThanOrEqual(395);
    expect(sink.callbacks()).toHaveLength(1);
  });
});

describe('call list', () => {
  it('leaves out calls that are still ringing or connected, while call details show them', async () => {
    const f = await start({
      outcome: () => 'completed',
      callTiming: (n) => (n === 1 ? { ringMs: 0, talkMs: 60_000 } : { ringMs: 0, talkMs: 5 }),
    });
    const ongoing = ((await (await connect(f, { From: '919876543211' })).json()) as { Call: { Sid: string } }).Call.Sid;
    await connect(f, { From: '919876543212' });
    await waitFor(() => f.finalCalls().length === 1, 'the short call to end');
    const calls = await listed(f);
    expect(calls.map((c) => c['Sid'])).toEqual([f.calls[1]!.sid]);
    expect(await listed(f, { Status: 'in-progress' })).toEqual([]);
    expect(await listed(f, { From: '09876543211' })).toEqual([]);
    expect((await details(f, ongoing)).call['Status']).toBe('in-progress');
    expect(f.finalCalls().map((c) => c.sid)).toEqual([f.calls[1]!.sid]);
  });

  it('filters by Sid', async () => {
    const f = await start({ detailsDelayMs: 0 });
    for (let i = 0; i < 3; i++) await connect(f);
    await f.settled();
    const sids = f.calls.map((c) => c.sid);
    expect((await listed(f, { Sid: `${sids[0]},${sids[2]}` })).map((c) => c['Sid'])).toEqual([sids[2], sids[0]]);
  });
});

describe('call details', () => {
  it('shows Duration, Price and EndTime as null while Status is already final', async () => {
    const f = await start({ outcome: () => 'completed', detailsDelayMs: 60_000 });
    const sid = ((await (await connect(f)).json()) as { Call: { Sid: string } }).Call.Sid;
    await waitFor(() => f.calls[0]!.endTime !== null, 'the call to end');
    const { call } = await details(f, sid);
    expect(call).toMatchObject({ Status: 'completed', Duration: null, Price: null, EndTime: null, AnsweredBy: 'human' });
    expect((await listed(f))[0]).toMatchObject({ Sid: sid, Status: 'completed', Duration: null, Price: null, EndTime: null });
    expect(f.calls[0]!.duration).toBeGreaterThan(0);
    expect(f.calls[0]!.detailsAt).toBeNull();
  });

  it('fills them in detailsDelayMs after the end, Price as a string like "1.500"', async () => {
    const f = await start({ outcome: () => 'completed', detailsDelayMs: 80 });
    const sid = ((await (await connect(f)).json()) as { Call: { Sid: string } }).Call.Sid;
    await f.settled();
    const truth = f.calls[0]!;
    expect(truth.detailsAt!.getTime() - truth.endTime!.getTime()).toBeGreaterThanOrEqual(75);
    const { call } = await details(f, sid);
    expect(call).toMatchObject({ Status: 'completed', Duration: String(truth.duration) });
    expect(call['Price']).toMatch(/^\d+\.\d{3}$/);
    expect(call['EndTime']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});

describe('TimeOut and TimeLimit', () => {
  it('caps the drawn call length by TimeOut + TimeLimit seconds, ringing by TimeOut and talking by TimeLimit', async () => {
    const f = await start({ outcome: () => 'completed', callbackDelayMs: [20_000, 20_000] });
    const started = Date.now();
    await connect(f, { TimeOut: '30', TimeLimit: '60' });
    await f.settled();
    const call = f.calls[0]!;
    expect(call).toMatchObject({ timeOutSeconds: 30, timeLimitSeconds: 60, status: 'completed' });
    expect(call.ringMs).toBeLessThanOrEqual(30);
    expect(call.talkMs).toBeLessThanOrEqual(60);
    expect(call.duration).toBeGreaterThanOrEqual(1);
    expect(call.duration).toBeLessThanOrEqual(60);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('scales Exotel seconds by secondMs', async () => {
    const f = await start({ outcome: () => 'completed', callbackDelayMs: [5_000, 5_000], secondMs: 10 });
    await connect(f, { TimeOut: '2', TimeLimit: '3' });
    await f.settled();
    expect(f.calls[0]!.ringMs).toBeLessThanOrEqual(20);
    expect(f.calls[0]!.talkMs).toBeLessThanOrEqual(30);
    expect(f.calls[0]!.duration).toBeLessThanOrEqual(3);
  });

  it('ends an unanswered call after at most TimeOut seconds of ringing', async () => {
    const f = await start({ outcome: () => 'no-answer', callbackDelayMs: [20_000, 20_000] });
    await connect(f, { TimeOut: '40' });
    await f.settled();
    expect(f.calls[0]).toMatchObject({ ringMs: 40, talkMs: 0, duration: 0, answeredAt: null, status: 'no-answer' });
  });

  it('applies Exotel’s 14400-second TimeLimit when none is sent and leaves ringing uncapped', async () => {
    const f = await start({ outcome: () => 'busy', callbackDelayMs: [30, 30] });
    await connect(f);
    expect(f.calls[0]).toMatchObject({ timeLimitSeconds: 14_400, timeOutSeconds: null, ringMs: 30 });
  });

  it('refuses a TimeLimit above 14400 or an unreadable TimeOut, placing nothing', async () => {
    const f = await start();
    expect((await connect(f, { TimeLimit: '14401' })).status).toBe(400);
    expect((await connect(f, { TimeOut: 'soon' })).status).toBe(400);
    expect(f.calls).toHaveLength(0);
  });

  it('callTiming forces a call to ring and talk as long as a test needs', async () => {
    const f = await start({ outcome: () => 'completed', callTiming: () => ({ ringMs: 30, talkMs: 120 }) });
    await connect(f, { TimeLimit: '60' });
    await f.settled();
    const call = f.calls[0]!;
    expect(call).toMatchObject({ ringMs: 30, talkMs: 120, duration: 120 });
    expect(call.answeredAt!.getTime() - call.createdAt.getTime()).toBeGreaterThanOrEqual(28);
    expect(call.endTime!.getTime() - call.answeredAt!.getTime()).toBeGreaterThanOrEqual(118);
  });
});

describe('faults that place the call and then fail the answer', () => {
  it.each([
    ['accept-then-502', 502, '502 Bad Gateway'],
    ['accept-then-504', 504, '504 Gateway Time-out'],
  ] as const)('%s places the call and answers a proxy’s HTML page', async (fault, status, title) => {
    const f = await start({ fault: () => fault });
    const res = await connect(f);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain(`<title>${title}</title>`);
    expect(f.calls).toHaveLength(1);
    expect(f.requests[0]).toMatchObject({ outcome: fault, status, callSid: f.calls[0]!.sid });
    await f.settled();
    expect(f.finalCalls()).toHaveLength(1);
  });

  it('accept-then-500-json places the call and answers a 500 RestException', async () => {
    const f = await start({ fault: () => 'accept-then-500-json' });
    const res = await connect(f);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ RestException: { Status: 500 } });
    expect(f.calls).toHaveLength(1);
    expect(f.requests[0]).toMatchObject({ outcome: 'accept-then-500-json', status: 500, callSid: f.calls[0]!.sid });
  });

  it('accept-then-hang places the call and never answers until close', async () => {
    const f = await start({ fault: () => 'accept-then-hang' });
    const hanging = connect(f).then(
      () => 'answered',
      () => 'dropped',
    );
    await waitFor(() => f.calls.length === 1, 'the call to be placed');
    const raced = await Promise.race([hanging, new Promise((r) => setTimeout(() => r('still waiting'), 100))]);
    expect(raced).toBe('still waiting');
    expect(f.requests[0]).toMatchObject({ outcome: 'accept-then-hang', status: null, callSid: f.calls[0]!.sid });
    await f.close();
    expect(await hanging).toBe('dropped');
  });
});

describe('AnsweredBy', () => {
  it('is human for completed calls and null otherwise by default', async () => {
    const f = await start({ outcome: (from) => (from.endsWith('1') ? 'completed' : 'failed'), detailsDelayMs: 0 });
    await connect(f, { From: '919876543211' });
    await connect(f, { From: '919876543212' });
    await f.settled();
    expect((await details(f, f.calls[0]!.sid)).call['AnsweredBy']).toBe('human');
    expect((await details(f, f.calls[1]!.sid)).call['AnsweredBy']).toBeNull();
  });

  it('follows the answeredBy option in call objects and callback legs', async () => {
    const sink = await receiver();
    const f = await start({ outcome: () => 'completed', answeredBy: () => 'machine' });
    await connect(f, { StatusCallback: sink.url, StatusCallbackContentType: 'application/json', ...answeredAndTerminal });
    await f.settled();
    expect((await details(f, f.calls[0]!.sid)).call['AnsweredBy']).toBe('machine');
    const legs = sink.callbacks().map((h) => (JSON.parse(h.body) as { Legs: Array<{ AnsweredBy: string }> }).Legs[0]!.AnsweredBy);
    expect(legs).toEqual(['machine', 'machine']);
  });
});

describe('per-second limit and limitAllRequests', () => {
  it('answers 429 beyond perSecond requests in any second and counts secondViolations', async () => {
    const f = await start({ perSecond: 2 });
    const statuses = (await Promise.all([connect(f), connect(f), connect(f)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const limited = f.requests.find((r) => r.status === 429)!;
    expect(limited.outcome).toBe('rate-limited');
    expect(f.secondViolations).toBe(1);
    expect(f.violations).toBe(0);
    expect(f.calls).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await connect(f)).status).toBe(200);
    expect(f.secondViolations).toBe(1);
  });

  it('says Retry-After: 1 for the per-second limit', async () => {
    const f = await start({ perSecond: 1 });
    const [a, b] = await Promise.all([connect(f), connect(f)]);
    const limited = a!.status === 429 ? a! : b!;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('does not count call details and list requests by default', async () => {
    const f = await start({ callsPerMinute: 2, perSecond: 2 });
    await listed(f);
    await listed(f);
    expect((await details(f, 'nope')).status).toBe(404);
    expect((await connect(f)).status).toBe(200);
    expect((await connect(f)).status).toBe(200);
    expect(f.violations + f.secondViolations).toBe(0);
  });

  it('with limitAllRequests, counts details and list requests in the minute window', async () => {
    const f = await start({ callsPerMinute: 2, limitAllRequests: true });
    await listed(f);
    expect((await details(f, 'nope')).status).toBe(404);
    const refused = await connect(f);
    expect(refused.status).toBe(429);
    const list = await fetch(`${CALLS(f)}.json`, { headers: AUTH(f) });
    expect(list.status).toBe(429);
    expect(Number(list.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(f.violations).toBe(2);
    expect(f.calls).toHaveLength(0);
  });

  it('with limitAllRequests, counts details and list requests in the per-second window', async () => {
    const f = await start({ perSecond: 1, limitAllRequests: true });
    const [a, b] = await Promise.all([fetch(`${CALLS(f)}.json`, { headers: AUTH(f) }), fetch(`${CALLS(f)}/x.json`, { headers: AUTH(f) })]);
    // Whichever arrives first is admitted (200 for the list, 404 for the unknown call); the other is refused.
    expect([a.status, b.status].filter((s) => s === 429)).toHaveLength(1);
    expect([a.status, b.status].filter((s) => s === 200 || s === 404)).toHaveLength(1);
    expect(f.secondViolations).toBe(1);
    expect(f.requests.filter((r) => r.outcome === 'rate-limited')).toHaveLength(1);
  });
});

describe('call flow applets', () => {
  async function flowSink() {
    return receiver({
      '/greet': { headers: { 'content-type': 'text/plain' }, body: 'Namaste Asha' },
      '/keys': { headers: { 'content-type': 'text/plain' }, body: 'ok' },
    });
  }

  it('fetches the greeting with HEAD then GET, then the passthru with quoted digits, before the terminal callback', async () => {
    const sink = await flowSink();
    const custom = 'campaign:7;contact:42 é';
    const f = await start({
      outcome: () => 'completed',
      flow: { greetingUrl: `${sink.base}/greet?lang=hi`, passthruUrl: `${sink.base}/keys`, digits: () => '1' },
    });
    await connect(f, { StatusCallback: sink.url, CustomField: custom });
    await f.settled();
    const call = f.calls[0]!;
    expect(sink.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['HEAD /greet', 'GET /greet', 'GET /keys', 'POST /cb']);
    for (const hit of sink.hits.slice(0, 3)) {
      expect(Object.fromEntries(hit.query)).toMatchObject({
        CallSid: call.sid,
        From: '09876543210',
        To: '08012345678',
        DialWhomNumber: '',
        CustomField: custom,
      });
    }
    expect(sink.hits[0]!.query.get('lang')).toBe('hi');
    expect(sink.hits[2]!.query.get('digits')).toBe('"1"');
    expect(sink.hits[2]!.rawQuery).toContain('digits=%221%22');
    expect(f.flowRequests.map((r) => [r.kind, r.status, r.contentType, r.body])).toEqual([
      ['greeting-head', 200, 'text/plain', ''],
      ['greeting-get', 200, 'text/plain', 'Namaste Asha'],
      ['passthru', 200, 'text/plain', 'ok'],
    ]);
    for (const r of f.flowRequests) {
      expect(r.callSid).toBe(call.sid);
      expect(r.at.getTime()).toBeGreaterThanOrEqual(call.answeredAt!.getTime());
      expect(r.at.getTime()).toBeLessThanOrEqual(call.endTime!.getTime());
    }
  });

  it('records what a wrong greeting answer looked like', async () => {
    const sink = await receiver({ '/greet': { status: 500, headers: { 'content-type': 'text/html' }, body: '<b>oops</b>' } });
    const f = await start({ outcome: () => 'completed', flow: { greetingUrl: `${sink.base}/greet` } });
    await connect(f);
    await f.settled();
    expect(f.flowRequests[1]).toMatchObject({ kind: 'greeting-get', status: 500, contentType: 'text/html', body: '<b>oops</b>' });
  });

  it('makes no applet requests for unanswered calls, and no passthru without a keypress', async () => {
    const sink = await flowSink();
    const f = await start({
      outcome: (from) => (from.endsWith('1') ? 'busy' : 'completed'),
      flow: { greetingUrl: `${sink.base}/greet`, passthruUrl: `${sink.base}/keys`, digits: () => null },
    });
    await connect(f, { From: '919876543211' });
    await connect(f, { From: '919876543212' });
    await f.settled();
    expect(f.flowRequests.map((r) => [r.callSid, r.kind])).toEqual([
      [f.calls[1]!.sid, 'greeting-head'],
      [f.calls[1]!.sid, 'greeting-get'],
    ]);
  });
});

describe('options', () => {
  it('fails at once on a bad option', async () => {
    await expect(startFakeExotel({ secondMs: 0 })).rejects.toThrow('Expected `secondMs` to be a positive number, got `0`');
    await expect(startFakeExotel({ detailsDelayMs: -1 })).rejects.toThrow(/Expected `detailsDelayMs`/);
    await expect(startFakeExotel({ callbackDelayMs: [10, 5] })).rejects.toThrow(/Expected `callbackDelayMs`/);
  });
});
