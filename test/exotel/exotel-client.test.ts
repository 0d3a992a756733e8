import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { MockAgent, Pool, errors as undiciErrors } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { exotelCallSchema } from '../../src/exotel/exotel-call.js';
import { ExotelClient, type ExotelClientOptions, type Operation } from '../../src/exotel/exotel-client.js';
import { ExotelError, isExotelError } from '../../src/exotel/exotel-error.js';
import { startFakeExotel, type FakeExotelOptions } from '../fakes/fake-exotel.js';

// Distinctive so a leak anywhere in an error is caught by substring search.
const API_KEY = 'KEY-sekrit-4711';
const API_TOKEN = 'TOKEN-sekrit-0815';
const BASIC = Buffer.from(`${API_KEY}:${API_TOKEN}`).toString('base64');
const CALL = { from: '+919876543210', callerId: '08012345678', flowUrl: 'http://my.exotel.com/ACfake/exoml/start_voice/1' };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(fakeOptions: FakeExotelOptions = {}, clientOptions: Partial<ExotelClientOptions> = {}) {
  const fake = await startFakeExotel({ apiKey: API_KEY, apiToken: API_TOKEN, callbackDelayMs: [5, 10], ...fakeOptions });
  const client = new ExotelClient({
    baseUrl: fake.url,
    accountSid: fake.accountSid,
    apiKey: API_KEY,
    apiToken: API_TOKEN,
    ...clientOptions,
  });
  cleanups.push(
    () => fake.close(),
    () => client.close(),
  );
  return { fake, client };
}

function mocked(clientOptions: Partial<ExotelClientOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const client = new ExotelClient({
    baseUrl: 'http://exotel.test',
    accountSid: 'AC1',
    apiKey: API_KEY,
    apiToken: API_TOKEN,
    dispatcher: agent,
    ...clientOptions,
  });
  cleanups.push(() => agent.close());
  return { client, pool: agent.get('http://exotel.test') };
}

async function failure(promise: Promise<unknown>): Promise<ExotelError> {
  try {
    await promise;
  } catch (error) {
    expect(isExotelError(error)).toBe(true);
    expect(error).toBeInstanceOf(ExotelError);
    expectNoCredentials(error as ExotelError);
    return error as ExotelError;
  }
  throw new Error('expected the request to fail');
}

function expectNoCredentials(error: ExotelError): void {
  const renderings = [error.message, String(error), inspect(error, { depth: 5 }), JSON.stringify(error), error.stack ?? ''];
  for (const text of renderings) {
    for (const secret of [API_KEY, API_TOKEN, BASIC, 'sekrit']) expect(text).not.toContain(secret);
  }
}

describe('placeCall', () => {
  it('posts exactly the documented form fields and returns the parsed call', async () => {
    const { fake, client } = await setup();
    const call = await client.placeCall({
      ...CALL,
      statusCallbackUrl: 'https://bot.example/exotel/status/s3cret',
      customField: 'campaign:abc;contact:1',
      timeLimitSeconds: 600,
      timeOutSeconds: 30,
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toBe('/v1/Accounts/ACfake/Calls/connect.json');
    expect(fake.requests[0]!.form).toEqual({
      From: '+919876543210',
      CallerId: '08012345678',
      Url: 'http://my.exotel.com/ACfake/exoml/start_voice/1',
      CallType: 'trans',
      TimeLimit: '600',
      TimeOut: '30',
      StatusCallback: 'https://bot.example/exotel/status/s3cret',
      'StatusCallbackEvents[0]': 'terminal',
      StatusCallbackContentType: 'application/json',
      CustomField: 'campaign:abc;contact:1',
    });
    expect(call).toMatchObject({
      sid: fake.calls[0]!.sid,
      status: 'in-progress',
      from: '09876543210',
      to: null,
      customField: 'campaign:abc;contact:1',
    });
    expect(Math.abs(call.dateCreated!.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('sends no callback fields when no statusCallbackUrl is given', async () => {
    const { fake, client } = await setup();
    await client.placeCall(CALL);
    expect(Object.keys(fake.requests[0]!.form).sort()).toEqual(['CallType', 'CallerId', 'From', 'Url']);
  });

  it('sends Basic auth with the key as user and the token as password', async () => {
    const { client, pool } = mocked();
    pool
      .intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST', headers: { authorization: `Basic ${BASIC}` } })
      .reply(200, { Call: { Sid: 'S1', Status: 'queued' } });
    await expect(client.placeCall(CALL)).resolves.toMatchObject({ sid: 'S1', status: 'queued' });
  });

  it('rejects a CustomField over 128 characters before sending anything', async () => {
    const { fake, client } = await setup();
    await expect(client.placeCall({ ...CALL, customField: 'x'.repeat(129) })).rejects.toThrow(TypeError);
    await expect(client.placeCall({ ...CALL, customField: 'x'.repeat(128) })).resolves.toBeDefined();
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const { fake, client } = await setup();
    await expect(client.placeCall(CALL, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('error classification', () => {
  it('400 with RestException is definite and carries Exotel message and code', async () => {
    const { fake, client } = await setup({ fault: () => 'reject400' });
    const error = await failure(client.placeCall(CALL));
    expect(error).toMatchObject({
      kind: 'definite',
      status: 400,
      code: '21211',
      exotelMessage: 'The From number is invalid or not allowed to be called',
    });
    expect(error.message).toContain('The From number is invalid');
    expect(error.retryable).toBe(false);
    expect(fake.calls).toHaveLength(0);
  });

  it('401 for bad credentials is definite', async () => {
    const fake = await startFakeExotel();
    const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: API_KEY, apiToken: API_TOKEN });
    cleanups.push(
      () => fake.close(),
      () => client.close(),
    );
    expect(await failure(client.placeCall(CALL))).toMatchObject({ kind: 'definite', status: 401 });
  });

  it('redacts credentials Exotel echoes back in its message', async () => {
    const { client, pool } = mocked();
    pool
      .intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' })
      .reply(401, { RestException: { Status: 401, Message: `Bad token ${API_TOKEN} for key ${API_KEY}` } });
    const error = await failure(client.placeCall(CALL));
    expect(error.exotelMessage).toBe('Bad token [redacted] for key [redacted]');
  });

  it('429 is retryable with retryAfterMs from Retry-After seconds', async () => {
    const { client } = await setup({ callsPerMinute: 1 });
    await client.placeCall(CALL);
    const error = await failure(client.placeCall(CALL));
    expect(error).toMatchObject({ kind: 'retryable', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(59_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('429 Retry-After as an HTTP date becomes the delay until that date', async () => {
    const { client, pool } = mocked();
    const at = new Date(Date.now() + 30_000).toUTCString();
    pool
      .intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' })
      .reply(429, 'slow down', { headers: { 'retry-after': at } });
    const error = await failure(client.placeCall(CALL));
    expect(error.kind).toBe('retryable');
    expect(error.retryAfterMs).toBeGreaterThan(27_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('503 on place-call is ambiguous (a gateway may answer 503 after Exotel placed the call), and its Retry-After is kept', async () => {
    const { client, pool } = mocked();
    pool
      .intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' })
      .reply(503, '<html>Service Unavailable</html>', { headers: { 'retry-after': '7' } });
    const error = await failure(client.placeCall(CALL));
    expect(error).toMatchObject({ kind: 'ambiguous', status: 503, retryAfterMs: 7_000 });
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/HTTP 503.*may have been placed and must be checked/);
  });

  it.each([
    ['accept-then-502', 502],
    ['accept-then-504', 504],
    ['accept-then-500-json', 500],
  ] as const)('%s: the call exists and the answer is ambiguous', async (fault, status) => {
    const { fake, client } = await setup({ fault: () => fault });
    expect(await failure(client.placeCall(CALL))).toMatchObject({ kind: 'ambiguous', status });
    expect(fake.placedCount(CALL.from)).toBe(1);
  });

  it.each([408, 499, 500, 501, 502, 503, 504, 599])('place-call HTTP %i is ambiguous', async (status) => {
    const { client, pool } = mocked();
    pool.intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' }).reply(status, '');
    expect(await failure(client.placeCall(CALL))).toMatchObject({ kind: 'ambiguous', status });
  });

  it.each([400, 401, 402, 403, 404, 405, 409, 410, 422])(
    'place-call HTTP %i is definite: no call, and sending it again will not help',
    async (status) => {
      const { client, pool } = mocked();
      pool
        .intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' })
        .reply(status, { RestException: { Status: status, Message: 'Nope' } });
      const error = await failure(client.placeCall(CALL));
      expect(error).toMatchObject({ kind: 'definite', status, exotelMessage: 'Nope' });
      expect(error.message).toMatch(/No call was placed\.$/);
    },
  );

  it('a fault that refuses before placing (503 from the fake) is still ambiguous to the client, which cannot tell', async () => {
    const { fake, client } = await setup({ fault: () => '503' });
    expect(await failure(client.placeCall(CALL))).toMatchObject({ kind: 'ambiguous', status: 503 });
    expect(fake.calls).toHaveLength(0);
  });

  it.each([
    ['call-details', 500],
    ['call-details', 502],
    ['call-details', 503],
    ['call-details', 408],
    ['call-list', 500],
    ['call-list', 504],
    ['call-list', 499],
  ] as const)('a read (%s) answered HTTP %i is retryable: asking again is harmless', async (operation, status) => {
    const { client, pool } = mocked();
    pool.intercept({ path: (p) => p.startsWith('/v1/Accounts/AC1/Calls'), method: 'GET' }).reply(status, 'upstream trouble');
    const read = operation === 'call-details' ? client.getCall('S1') : client.listCalls({ createdAfter: new Date() });
    const error = await failure(read);
    expect(error).toMatchObject({ kind: 'retryable', status });
    expect(error.message).toContain(`the ${operation} request with HTTP ${status}`);
    expect(error.message).not.toMatch(/call was placed|may have been placed/);
  });

  it('a read answered 429 is retryable with its Retry-After; a read answered 403 is definite', async () => {
    const { client, pool } = mocked();
    pool.intercept({ path: '/v1/Accounts/AC1/Calls/S1.json', method: 'GET' }).reply(429, '', { headers: { 'retry-after': '3' } });
    pool
      .intercept({ path: '/v1/Accounts/AC1/Calls/S2.json', method: 'GET' })
      .reply(403, { RestException: { Status: 403, Message: 'Forbidden' } });
    expect(await failure(client.getCall('S1'))).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 3_000 });
    expect(await failure(client.getCall('S2'))).toMatchObject({ kind: 'definite', status: 403 });
  });

  it('a refused connection is retryable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new ExotelClient({ baseUrl: `http://127.0.0.1:${port}`, accountSid: 'AC1', apiKey: API_KEY, apiToken: API_TOKEN });
    cleanups.push(() => client.close());
    const error = await failure(client.placeCall(CALL));
    expect(error.kind).toBe('retryable');
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/ECONNREFUSED.*No call was placed/);
  });

  it.each([
    ['connect timeout', () => new undiciErrors.ConnectTimeoutError()],
    ['DNS failure', () => Object.assign(new Error('getaddrinfo ENOTFOUND exotel.test'), { code: 'ENOTFOUND' })],
  ])('%s is retryable', async (_name, makeError) => {
    const { client, pool } = mocked();
    pool.intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' }).replyWithError(makeError());
    expect((await failure(client.placeCall(CALL))).kind).toBe('retryable');
  });

  it('no answer within responseTimeoutMs after Exotel received the request is ambiguous', async () => {
    const { fake, client } = await setup({ fault: () => 'hang' }, { responseTimeoutMs: 200 });
    const started = Date.now();
    const error = await failure(client.placeCall(CALL));
    expect(error.kind).toBe('ambiguous');
    expect(error.message).toMatch(/within 200 ms.*may have been placed/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.placedCount(CALL.from)).toBe(1);
  });

  it('a socket destroyed after Exotel received the request is ambiguous', async () => {
    const { fake, client } = await setup({ fault: () => 'reset' });
    expect((await failure(client.placeCall(CALL))).kind).toBe('ambiguous');
    expect(fake.placedCount(CALL.from)).toBe(1);
  });

  it('an unreadable success answer is ambiguous', async () => {
    const { client, pool } = mocked();
    pool.intercept({ path: '/v1/Accounts/AC1/Calls/connect.json', method: 'POST' }).reply(200, '<html>gateway</html>');
    expect((await failure(client.placeCall(CALL))).kind).toBe('ambiguous');
  });

  it('a dispatcher destroyed while Exotel handles the request is ambiguous, not "never sent"', async () => {
    const { fake } = await setup({ fault: () => 'hang' });
    const dispatcher = new Pool(fake.url);
    const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: API_KEY, apiToken: API_TOKEN, dispatcher });
    cleanups.push(() => dispatcher.destroy().catch(() => {}));
    const pending = failure(client.placeCall(CALL));
    while (fake.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await dispatcher.destroy();
    const error = await pending;
    expect(error.kind).toBe('ambiguous');
    expect(error.message).toMatch(/may have been placed/);
    expect(fake.placedCount(CALL.from)).toBe(1);
  });

  it('a success answer cut off while its body is read is ambiguous, whatever the socket error says', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"Call":{"Sid":"S1",');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(r);
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Cut by the peer (a reset), and cut by our own dispatcher going away: both after Exotel answered 200.
    const peerCut = new ExotelClient({ baseUrl: url, accountSid: 'AC1', apiKey: API_KEY, apiToken: API_TOKEN });
    cleanups.push(() => peerCut.close());
    const placing = failure(peerCut.placeCall(CALL));
    await new Promise((r) => setTimeout(r, 100));
    server.closeAllConnections();
    expect((await placing).kind).toBe('ambiguous');

    const dispatcher = new Pool(url);
    const ownCut = new ExotelClient({ baseUrl: url, accountSid: 'AC1', apiKey: API_KEY, apiToken: API_TOKEN, dispatcher });
    const placing2 = failure(ownCut.placeCall(CALL));
    await new Promise((r) => setTimeout(r, 100));
    await dispatcher.destroy();
    expect((await placing2).kind).toBe('ambiguous');
  });

  it('an unknown call sid is a definite 404', async () => {
    const { client } = await setup();
    expect(await failure(client.getCall('nope'))).toMatchObject({ kind: 'definite', status: 404 });
  });
});

describe('getCall', () => {
  it('reads the final state once the call has ended', async () => {
    const { fake, client } = await setup({ outcome: () => 'completed' });
    const placed = await client.placeCall(CALL);
    await fake.settled();
    const call = await client.getCall(placed.sid);
    expect(call).toMatchObject({ sid: placed.sid, status: 'completed', duration: fake.calls[0]!.duration });
    expect(call.price).toBeGreaterThan(0);
    expect(call.endTime).toBeInstanceOf(Date);
    expect(call.answeredBy).toBe('human');
  });

  it('reads who answered (AnsweredBy) as Exotel reports it', async () => {
    const { fake, client } = await setup({ outcome: () => 'completed', answeredBy: () => 'machine' });
    const placed = await client.placeCall(CALL);
    expect(placed.answeredBy).toBeNull();
    await fake.settled();
    expect((await client.getCall(placed.sid)).answeredBy).toBe('machine');
  });
});

describe('listCalls', () => {
  it('follows NextPageUri until it is absent and returns every call', async () => {
    const { fake, client } = await setup();
    const since = new Date(Date.now() - 60_000);
    for (let i = 0; i < 7; i++) await client.placeCall({ ...CALL, from: `+91987654321${i}` });
    // The bulk list leaves out ongoing calls, as Exotel's does: wait until every call has ended.
    await fake.settled();
    const calls = await client.listCalls({ createdAfter: since, pageSize: 3 });
    expect(calls.map((c) => c.sid).sort()).toEqual(fake.calls.map((c) => c.sid).sort());
    const pages = fake.requests.filter((r) => r.path.endsWith('/Calls.json'));
    expect(pages).toHaveLength(3);
    expect(pages.map((p) => p.query['After'] === undefined)).toEqual([true, false, false]);
  });

  it('filters by From numbers, comma-separated', async () => {
    const { fake, client } = await setup();
    for (let i = 0; i < 4; i++) await client.placeCall({ ...CALL, from: `+91987654321${i}` });
    await fake.settled();
    const calls = await client.listCalls({ from: ['09876543211', '919876543213'], createdAfter: new Date(Date.now() - 60_000) });
    expect(calls.map((c) => c.from).sort()).toEqual(['09876543211', '09876543213']);
    expect(fake.requests.at(-1)!.query['From']).toBe('09876543211,919876543213');
  });

  it('formats DateCreated bounds as IST wall-clock time', async () => {
    const { fake, client } = await setup();
    await client.listCalls({ createdAfter: new Date('2024-01-15T04:00:00Z'), createdBefore: new Date('2024-01-15T20:15:30.900Z') });
    expect(fake.requests[0]!.query['DateCreated']).toBe('gte:2024-01-15 09:30:00;lte:2024-01-16 01:45:30');
  });

  it('lists no call that is still ongoing, as Exotel does', async () => {
    const { fake, client } = await setup({ outcome: () => 'completed', callTiming: () => ({ ringMs: 10, talkMs: 60_000 }) });
    await client.placeCall(CALL);
    expect(await client.listCalls({ createdAfter: new Date(Date.now() - 60_000) })).toEqual([]);
    expect(fake.calls[0]!.status).toBe('in-progress');
  });

  it('excludes calls outside the date range', async () => {
    const { fake, client } = await setup();
    await client.placeCall(CALL);
    await fake.settled();
    expect(await client.listCalls({ createdAfter: new Date(Date.now() - 60_000) })).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000);
    expect(await client.listCalls({ createdAfter: future })).toEqual([]);
  });

  it('filters by call sids, comma-separated', async () => {
    const { fake, client } = await setup();
    for (let i = 0; i < 4; i++) await client.placeCall({ ...CALL, from: `+91987654321${i}` });
    await fake.settled();
    const wanted = [fake.calls[0]!.sid, fake.calls[2]!.sid];
    const calls = await client.listCalls({ sids: wanted, createdAfter: new Date(Date.now() - 60_000) });
    expect(calls.map((c) => c.sid).sort()).toEqual([...wanted].sort());
    expect(fake.requests.at(-1)!.query['Sid']).toBe(wanted.join(','));
  });

  it('refuses more than 100 sids', async () => {
    const { client } = await setup();
    const sids = Array.from({ length: 101 }, (_, i) => `S${i}`);
    await expect(client.listCalls({ sids, createdAfter: new Date() })).rejects.toThrow(/at most 100 call sids/);
  });

  it('refuses more than 5 numbers', async () => {
    const { client } = await setup();
    await expect(client.listCalls({ from: ['1', '2', '3', '4', '5', '6'], createdAfter: new Date() })).rejects.toThrow(/at most 5/);
  });

  it('refuses a next page on another host rather than send credentials there', async () => {
    const { client, pool } = mocked();
    pool
      .intercept({ path: (p) => p.startsWith('/v1/Accounts/AC1/Calls.json'), method: 'GET' })
      .reply(200, { Calls: [], Metadata: { NextPageUri: 'https://evil.test/v1/Accounts/AC1/Calls.json?After=x' } });
    expect((await failure(client.listCalls({ createdAfter: new Date() }))).message).toMatch(/another host/);
  });

  it('keeps a base path prefix on relative next pages', async () => {
    const { client, pool } = mocked({ baseUrl: 'http://exotel.test/proxy' });
    pool
      .intercept({ path: (p) => p.startsWith('/proxy/v1/Accounts/AC1/Calls.json?') && !p.includes('After'), method: 'GET' })
      .reply(200, { Calls: [{ Sid: 'A', Status: 'completed' }], Metadata: { NextPageUri: '/v1/Accounts/AC1/Calls.json?After=A' } });
    pool
      .intercept({ path: '/proxy/v1/Accounts/AC1/Calls.json?After=A', method: 'GET' })
      .reply(200, { Calls: [{ Call: { Sid: 'B', Status: 'busy' } }], Metadata: { NextPageUri: null } });
    expect((await client.listCalls({ createdAfter: new Date() })).map((c) => c.sid)).toEqual(['A', 'B']);
  });
});

describe('beforeRequest (the account pacer)', () => {
  function hooked(fakeOptions: FakeExotelOptions = {}) {
    const seen: Array<{ operation: Operation; requestsBefore: number; signal: AbortSignal | undefined }> = [];
    let fakeRef: { requests: unknown[] } | undefined;
    const beforeRequest = async (operation: Operation, signal?: AbortSignal) => {
      seen.push({ operation, requestsBefore: fakeRef?.requests.length ?? -1, signal });
    };
    return {
      seen,
      ready: async () => {
        const made = await setup(fakeOptions, { beforeRequest });
        fakeRef = made.fake;
        return made;
      },
    };
  }

  it('is not called for place-call, whose turn the caller takes itself', async () => {
    const { seen, ready } = hooked();
    const { fake, client } = await ready();
    await client.placeCall(CALL);
    expect(fake.requests).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it("is called before call details, with the caller's signal, and before each page of a list", async () => {
    const { seen, ready } = hooked();
    const { fake, client } = await ready();
    for (let i = 0; i < 7; i++) await client.placeCall({ ...CALL, from: `+91987654321${i}` });
    await fake.settled();
    const controller = new AbortController();
    await client.getCall(fake.calls[0]!.sid, controller.signal);
    expect(seen).toEqual([{ operation: 'call-details', requestsBefore: 7, signal: controller.signal }]);

    await client.listCalls({ createdAfter: new Date(Date.now() - 60_000), pageSize: 3 });
    const pages = seen.slice(1);
    expect(pages.map((p) => p.operation)).toEqual(['call-list', 'call-list', 'call-list']);
    // Each turn is taken before its own request goes out: 8 requests before the first page, 9 before the second…
    expect(pages.map((p) => p.requestsBefore)).toEqual([8, 9, 10]);
    expect(fake.requests).toHaveLength(11);
  });

  it('a hook that fails or aborts stops the request before anything is sent', async () => {
    const { fake, client } = await setup(
      {},
      {
        beforeRequest: async (_op, signal) => {
          if (signal?.aborted) throw signal.reason;
          throw new Error('pacer closed');
        },
      },
    );
    await expect(client.getCall('S1')).rejects.toThrow('pacer closed');
    await expect(client.listCalls({ createdAfter: new Date() }, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.requests).toEqual([]);
  });
});

describe('Call parsing', () => {
  it('accepts Duration and Price as strings, numbers, empty or null, and reads times as IST', () => {
    const base = { Sid: 'S', Status: 'completed', From: '09876543210', To: null, DateCreated: '2024-01-15 09:30:00' };
    expect(exotelCallSchema.parse({ ...base, Duration: '17', Price: '1.500' })).toMatchObject({ duration: 17, price: 1.5 });
    expect(exotelCallSchema.parse({ ...base, Duration: 17, Price: 0.5 })).toMatchObject({ duration: 17, price: 0.5 });
    expect(exotelCallSchema.parse({ ...base, Duration: null, Price: '' })).toMatchObject({ duration: null, price: null });
    const call = exotelCallSchema.parse({ ...base, StartTime: null, EndTime: '' });
    expect(call.dateCreated).toEqual(new Date('2024-01-15T04:00:00Z'));
    expect(call).toMatchObject({ startTime: null, endTime: null, to: null });
    expect(call).not.toHaveProperty('customField');
  });

  it('reads AnsweredBy, with missing or empty as null', () => {
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'completed', AnsweredBy: 'human' }).answeredBy).toBe('human');
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'completed', AnsweredBy: 'machine' }).answeredBy).toBe('machine');
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'completed', AnsweredBy: '' }).answeredBy).toBeNull();
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'completed', AnsweredBy: null }).answeredBy).toBeNull();
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'busy' }).answeredBy).toBeNull();
  });

  it('normalises status spellings and rejects unknown ones', () => {
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'No_Answer' }).status).toBe('no-answer');
    expect(exotelCallSchema.parse({ Sid: 'S', Status: 'cancelled' }).status).toBe('canceled');
    expect(exotelCallSchema.safeParse({ Sid: 'S', Status: 'exploded' }).success).toBe(false);
  });
});

describe('options', () => {
  it('fails at once on bad options, naming the option', () => {
    const ok = { baseUrl: 'https://api.exotel.com', accountSid: 'AC', apiKey: 'k', apiToken: 't' };
    expect(() => new ExotelClient({ ...ok, baseUrl: 'ftp://x' })).toThrow(/`baseUrl`/);
    expect(() => new ExotelClient({ ...ok, apiToken: '' })).toThrow(/`apiToken`/);
    expect(() => new ExotelClient({ ...ok, responseTimeoutMs: 0 })).toThrow(/`responseTimeoutMs`.*got 0/);
  });

  it('refuses credentials inside baseUrl without repeating them', () => {
    const attempt = () =>
      new ExotelClient({ baseUrl: `https://${API_KEY}:${API_TOKEN}@api.exotel.com`, accountSid: 'AC', apiKey: 'k', apiToken: 't' });
    expect(attempt).toThrow(/without credentials/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('sekrit');
    }
  });

  it('keeps credentials out of the client when inspected', () => {
    const client = new ExotelClient({ baseUrl: 'https://api.exotel.com', accountSid: 'AC', apiKey: API_KEY, apiToken: API_TOKEN });
    cleanups.push(() => client.close());
    expect(inspect(client, { depth: 5 })).not.toContain('sekrit');
    expect(JSON.stringify(client)).not.toContain('sekrit');
  });
});

describe('cancellation', () => {
  it('an abort after the request was sent is ambiguous', async () => {
    const { fake, client } = await setup({ fault: () => 'hang' });
    const controller = new AbortController();
    const pending = failure(client.placeCall(CALL, controller.signal));
    while (fake.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await pending;
    expect(error.kind).toBe('ambiguous');
    expect(error.message).toMatch(/cancelled while Exotel was handling it.*may have been placed/);
  });
});
