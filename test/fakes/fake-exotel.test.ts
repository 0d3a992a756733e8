import { afterEach, describe, expect, it } from 'vitest';
import { startFakeExotel, type FakeExotel, type FakeExotelOptions } from './fake-exotel.js';

let fake: FakeExotel | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
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

describe('status callbacks', () => {
  async function receiver(statuses: number[]) {
    const { createServer } = await import('node:http');
    const hits: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits.push(body);
        res.writeHead(statuses[hits.length - 1] ?? 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    return { url: `http://127.0.0.1:${port}/cb`, hits, close: () => new Promise((r) => server.close(r)) };
  }

  it('retries a failed delivery up to callbackRetries times', async () => {
    const sink = await receiver([500, 503, 200]);
    const f = await start({ callbackRetries: 2, callbackRetryDelayMs: 5 });
    await connect(f, { StatusCallback: sink.url, StatusCallbackContentType: 'application/json' });
    await f.settled();
    await sink.close();
    expect(f.callbacks.map((c) => [c.attempt, c.status])).toEqual([[1, 500], [2, 503], [3, 200]]);
    expect(JSON.parse(sink.hits[2]!)).toMatchObject({ CallSid: f.calls[0]!.sid, EventType: 'terminal', Status: f.calls[0]!.status });
  });

  it('drops or duplicates callbacks as callbackFault says', async () => {
    const sink = await receiver([]);
    const f = await start({ callbackFault: (n) => (n === 1 ? 'drop' : 'duplicate') });
    await connect(f, { StatusCallback: sink.url });
    await connect(f, { StatusCallback: sink.url });
    await f.settled();
    await sink.close();
    expect(f.calls.every((c) => c.status !== 'in-progress')).toBe(true);
    expect(f.callbacks.map((c) => c.callSid)).toEqual([f.calls[1]!.sid, f.calls[1]!.sid]);
  });
});
