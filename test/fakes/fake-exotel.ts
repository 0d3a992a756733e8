/**
 * A local stand-in for Exotel's voice API, for tests, crash tests and benchmarks. It speaks the subset campaign-bot
 * uses (connect.json, call details, call list with filters and cursor paging, terminal status callbacks), enforces a
 * strict sliding-window rate limit, and injects faults on demand. Everything it did is recorded for assertions.
 *
 * ```ts
 * const fake = await startFakeExotel({ callsPerMinute: 60, fault: (n) => (n === 3 ? 'hang' : 'ok') });
 * const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken });
 * ...
 * await fake.settled();          // every scheduled outcome and callback has happened
 * expect(fake.violations).toBe(0);
 * await fake.close();
 * ```
 *
 * Differences from Exotel that tests may rely on: times are wall-clock IST like Exotel India; `From` is echoed as
 * `0XXXXXXXXXX`; `To` is null in call objects (flow calls) and the ExoPhone in callbacks; Duration and Price are strings.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { formatExotelTime, parseExotelTime } from '../../src/exotel/exotel-time.js';

/** What to do with one connect.json request. `hang` and `reset` place the call first; the others do not place it. */
export type FakeFault = 'ok' | '429' | '503' | 'hang' | 'reset' | 'reject400';
/** How a placed call ends. */
export type FakeCallOutcome = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
/** What happens to one terminal callback delivery: sent once, never sent (lost), or sent twice (Exotel may repeat). */
export type FakeCallbackFault = 'deliver' | 'drop' | 'duplicate';

export interface FakeExotelOptions {
  /** Account SID expected in paths. Default `ACfake`. */
  accountSid?: string;
  /** Basic auth user expected. Default `fake-key`. */
  apiKey?: string;
  /** Basic auth password expected. Default `fake-token`. */
  apiToken?: string;
  /** connect.json requests admitted per window; more get 429 and count as violations. Default: unlimited. */
  callsPerMinute?: number;
  /** Length of the sliding window. Default 60000 (Exotel's per-minute limit); shorten for fast tests. */
  windowMs?: number;
  /** Decides the fate of the n-th connect.json request (1-based, counting requests that passed auth, the rate limit
   * and validation); `from` is the `From` field as sent. Default: always `ok`. */
  fault?: (n: number, from: string) => FakeFault;
  /** How each placed call ends. Default: a seeded mix of 60% completed, 15% busy, 15% no-answer, 10% failed. */
  outcome?: (from: string) => FakeCallOutcome;
  /** Delay from placement to the call's end (status change and callback), uniform in [min, max] ms. Default [20, 100]. */
  callbackDelayMs?: [number, number];
  /** Delay before answering any request, ms, fixed or uniform in [min, max]. connect.json places the call before
   * waiting, as Exotel would, so a client that times out during it has still placed the call. Default 0. */
  latencyMs?: number | [number, number];
  /** Decides the fate of the n-th terminal callback (1-based). Default: always `deliver`. */
  callbackFault?: (n: number, call: FakeCall) => FakeCallbackFault;
  /** Extra delivery attempts when the callback receiver fails or answers non-2xx (Exotel retries about twice). Default 2. */
  callbackRetries?: number;
  /** Wait between callback attempts, ms. Default 200. */
  callbackRetryDelayMs?: number;
  /** Status of a call right after placement. Default `in-progress`. */
  initialStatus?: 'queued' | 'in-progress';
  /** Seed for outcomes, durations and call SIDs, so runs are repeatable. Default 1. */
  seed?: number;
}

/** How the fake answered one request. */
export type FakeRequestOutcome =
  | 'placed'
  | 'ok'
  | 'unauthorized'
  | 'bad-request'
  | 'rate-limited'
  | 'fault-429'
  | 'fault-503'
  | 'fault-reject400'
  | 'hang'
  | 'reset'
  | 'not-found';

export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Decoded urlencoded body (connect.json), `{}` otherwise. */
  form: Record<string, string>;
  /** When the request arrived. */
  at: Date;
  outcome: FakeRequestOutcome;
  /** HTTP status answered; null for `hang` and `reset`. */
  status: number | null;
  /** Call placed by this request (`placed`, `hang`, `reset`). */
  callSid?: string;
}

export interface FakeCall {
  sid: string;
  /** `From` exactly as sent. */
  from: string;
  /** `From` as Exotel echoes it (`0XXXXXXXXXX`). */
  fromEcho: string;
  callerId: string;
  flowUrl: string;
  customField?: string;
  statusCallback?: string;
  /** Content type the terminal callback is sent with. */
  callbackContentType: 'application/json' | 'application/x-www-form-urlencoded';
  status: 'queued' | 'in-progress' | FakeCallOutcome;
  /** How the call will end (or has ended). */
  outcome: FakeCallOutcome;
  createdAt: Date;
  updatedAt: Date;
  startTime: Date;
  endTime: Date | null;
  /** Seconds of conversation; null until the call ends. */
  duration: number | null;
  price: string | null;
}

export interface FakeCallback {
  callSid: string;
  url: string;
  /** 1 for the first delivery attempt. */
  attempt: number;
  contentType: string;
  body: Record<string, unknown>;
  /** Receiver's HTTP status; null when the connection failed. */
  status: number | null;
  error?: string;
  at: Date;
}

export interface FakeExotel {
  /** Base URL to give the client (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  /** Options in force; assign to `fault`, `outcome`, `latencyMs`… to change behaviour mid-test. */
  readonly options: ResolvedFakeExotelOptions;
  /** Every request, in arrival order. */
  readonly requests: FakeRequest[];
  /** Every placed call, in placement order. */
  readonly calls: FakeCall[];
  /** Every callback delivery attempt. */
  readonly callbacks: FakeCallback[];
  /** connect.json requests that arrived while the window was full. */
  readonly violations: number;
  /** connect.json requests being answered now, and the most ever at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Calls placed to `number`, in any of the forms Exotel accepts. */
  placedCount(number: string): number;
  /** Resolves once every scheduled call end and callback delivery (including retries) has happened. */
  settled(): Promise<void>;
  /** Stops timers, drops hanging requests and closes the server. */
  close(): Promise<void>;
}

/** Options after defaults; `fake.options` is this object and may be changed mid-test. */
export type ResolvedFakeExotelOptions = Required<Omit<FakeExotelOptions, 'callsPerMinute'>> & { callsPerMinute: number };

const DEFAULT_MIX: Array<[FakeCallOutcome, number]> = [
  ['completed', 0.6],
  ['busy', 0.15],
  ['no-answer', 0.15],
  ['failed', 0.1],
];

export async function startFakeExotel(options: FakeExotelOptions = {}): Promise<FakeExotel> {
  // Everything about a call is drawn at placement from one stream, so a seed gives the same calls whatever the timing;
  // latency draws use their own stream for the same reason.
  const random = mulberry32(options.seed ?? 1);
  const jitter = mulberry32((options.seed ?? 1) ^ 0x5bd1e995);
  const resolved: ResolvedFakeExotelOptions = {
    accountSid: 'ACfake',
    apiKey: 'fake-key',
    apiToken: 'fake-token',
    callsPerMinute: Number.POSITIVE_INFINITY,
    windowMs: 60_000,
    fault: () => 'ok',
    outcome: () => pick(random()),
    callbackDelayMs: [20, 100],
    latencyMs: 0,
    callbackFault: () => 'deliver',
    callbackRetries: 2,
    callbackRetryDelayMs: 200,
    initialStatus: 'in-progress',
    seed: 1,
    ...definedOnly(options),
  };

  const requests: FakeRequest[] = [];
  const calls: FakeCall[] = [];
  const callbacks: FakeCallback[] = [];
  const bySid = new Map<string, FakeCall>();
  const admitted: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<void>>();
  const outgoing = new Set<AbortController>();
  let violations = 0;
  let connectCount = 0;
  let callbackCount = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closed) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const between = (range: number | [number, number], from = jitter) =>
    typeof range === 'number' ? range : range[0] + Math.floor(from() * (range[1] - range[0] + 1));

  const newSid = () => {
    let sid = '';
    do {
      sid = '';
      for (let i = 0; i < 4; i++) sid += Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0');
    } while (bySid.has(sid));
    return sid;
  };

  const rest = (res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}) =>
    json(res, status, { RestException: { Status: status, Message: message, ...(code ? { Code: code } : {}) } }, headers);

  function authorised(req: IncomingMessage, sid: string): boolean {
    const expected = `Basic ${Buffer.from(`${resolved.apiKey}:${resolved.apiToken}`).toString('base64')}`;
    return req.headers.authorization === expected && sid === resolved.accountSid;
  }

  function placeCall(form: Record<string, string>, at: Date): FakeCall {
    const from = form['From'] ?? '';
    const outcome = resolved.outcome(from);
    const talkSeconds = 5 + Math.floor(random() * 116);
    const endsAfterMs = between(resolved.callbackDelayMs, random);
    const call: FakeCall = {
      sid: newSid(),
      from,
      fromEcho: exotelEcho(from),
      callerId: form['CallerId'] ?? '',
      flowUrl: form['Url'] ?? '',
      ...(form['CustomField'] !== undefined ? { customField: form['CustomField'] } : {}),
      ...(form['StatusCallback'] ? { statusCallback: form['StatusCallback'] } : {}),
      callbackContentType:
        form['StatusCallbackContentType'] === 'application/json' ? 'application/json' : 'application/x-www-form-urlencoded',
      status: resolved.initialStatus,
      outcome,
      createdAt: at,
      updatedAt: at,
      startTime: at,
      endTime: null,
      duration: null,
      price: null,
    };
    calls.push(call);
    bySid.set(call.sid, call);
    track(finishCall(call, endsAfterMs, talkSeconds));
    return call;
  }

  async function finishCall(call: FakeCall, endsAfterMs: number, talkSeconds: number): Promise<void> {
    await sleep(endsAfterMs);
    if (closed) return;
    const now = new Date();
    call.status = call.outcome;
    call.updatedAt = now;
    call.endTime = now;
    call.duration = call.outcome === 'completed' ? talkSeconds : 0;
    call.price = call.outcome === 'completed' ? (0.5 * Math.ceil(call.duration / 60)).toFixed(3) : '0.000';
    if (!call.statusCallback) return;
    const fault = resolved.callbackFault(++callbackCount, call);
    if (fault === 'drop') return;
    await deliver(call);
    if (fault === 'duplicate') await deliver(call);
  }

  async function deliver(call: FakeCall): Promise<void> {
    const body = callbackBody(call, resolved.accountSid);
    const payload =
      call.callbackContentType === 'application/json'
        ? JSON.stringify(body)
        : new URLSearchParams(flattenForForm(body)).toString();
    for (let attempt = 1; attempt <= 1 + resolved.callbackRetries && !closed; attempt++) {
      const record: FakeCallback = {
        callSid: call.sid,
        url: call.statusCallback!,
        attempt,
        contentType: call.callbackContentType,
        body,
        status: null,
        at: new Date(),
      };
      callbacks.push(record);
      try {
        record.status = await post(call.statusCallback!, call.callbackContentType, payload);
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      if (record.status !== null && record.status >= 200 && record.status < 300) return;
      await sleep(resolved.callbackRetryDelayMs);
    }
  }

  function post(url: string, contentType: string, payload: string): Promise<number> {
    const controller = new AbortController();
    outgoing.add(controller);
    return new Promise<number>((resolve, reject) => {
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          agent: false,
          signal: controller.signal,
          timeout: 5_000,
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'user-agent': 'fake-exotel' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('callback receiver did not answer within 5 s')));
      req.on('error', reject);
      req.end(payload);
    }).finally(() => outgoing.delete(controller));
  }

  async function handleConnect(req: IncomingMessage, res: ServerResponse, record: FakeRequest): Promise<void> {
    const now = record.at.getTime();
    while (admitted.length > 0 && admitted[0]! <= now - resolved.windowMs) admitted.shift();
    if (admitted.length >= resolved.callsPerMinute) {
      violations++;
      const retryAfter = Math.max(1, Math.ceil((admitted[0]! + resolved.windowMs - now) / 1000));
      answer(record, 'rate-limited', 429);
      await sleep(between(resolved.latencyMs));
      return rest(res, 429, 'Too many requests: rate limit exceeded', '429', { 'retry-after': String(retryAfter) });
    }
    admitted.push(now);

    const form = record.form;
    const missing = ['From', 'CallerId', 'Url'].filter((k) => !form[k]);
    if (missing.length > 0) {
      answer(record, 'bad-request', 400);
      await sleep(between(resolved.latencyMs));
      return rest(res, 400, `Missing parameter(s): ${missing.join(', ')}`, '400');
    }

    const fault = resolved.fault(++connectCount, form['From']!);
    if (fault === '429') {
      answer(record, 'fault-429', 429);
      await sleep(between(resolved.latencyMs));
      return rest(res, 429, 'Too many requests', '429', { 'retry-after': '1' });
    }
    if (fault === '503') {
      answer(record, 'fault-503', 503);
      await sleep(between(resolved.latencyMs));
      return rest(res, 503, 'Service temporarily unavailable');
    }
    if (fault === 'reject400') {
      answer(record, 'fault-reject400', 400);
      await sleep(between(resolved.latencyMs));
      return rest(res, 400, 'The From number is invalid or not allowed to be called', '21211');
    }

    const call = placeCall(form, record.at);
    record.callSid = call.sid;
    if (fault === 'hang') {
      // Never answered; close() destroys the socket.
      answer(record, 'hang', null);
      return;
    }
    await sleep(between(resolved.latencyMs));
    if (fault === 'reset') {
      answer(record, 'reset', null);
      req.socket.destroy();
      return;
    }
    answer(record, 'placed', 200);
    json(res, 200, { Call: callJson(call, resolved.accountSid) });
  }

  async function handleList(res: ServerResponse, record: FakeRequest, base: string): Promise<void> {
    const q = record.query;
    const pageSize = q['PageSize'] === undefined ? 50 : Number(q['PageSize']);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      answer(record, 'bad-request', 400);
      return rest(res, 400, 'PageSize must be an integer from 1 to 100');
    }
    const froms = (q['From'] ?? '').split(',').map(lastTen).filter((n) => n !== '');
    if (froms.length > 5) {
      answer(record, 'bad-request', 400);
      return rest(res, 400, 'At most 5 numbers may be given in From');
    }
    const statuses = (q['Status'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bounds = parseDateFilter(q['DateCreated']);
    if (bounds === undefined) {
      answer(record, 'bad-request', 400);
      return rest(res, 400, 'DateCreated must look like gte:YYYY-MM-DD HH:mm:ss;lte:YYYY-MM-DD HH:mm:ss');
    }
    // Newest first, like Exotel; new calls land before the cursor, so later pages stay stable.
    let matching = calls
      .filter((c) => froms.length === 0 || froms.includes(lastTen(c.from)))
      .filter((c) => statuses.length === 0 || statuses.includes(c.status))
      .filter((c) => bounds.every((test) => test(Math.floor(c.createdAt.getTime() / 1000) * 1000)))
      .reverse();
    const total = matching.length;
    if (q['After'] !== undefined) {
      const at = matching.findIndex((c) => c.sid === q['After']);
      if (at < 0) {
        answer(record, 'bad-request', 400);
        return rest(res, 400, 'Unknown After cursor');
      }
      matching = matching.slice(at + 1);
    }
    const page = matching.slice(0, pageSize);
    let next: string | null = null;
    if (matching.length > pageSize) {
      const params = new URLSearchParams(q);
      params.set('PageSize', String(pageSize));
      params.set('After', page[page.length - 1]!.sid);
      next = `${base}/Calls.json?${params.toString()}`;
    }
    answer(record, 'ok', 200);
    await sleep(between(resolved.latencyMs));
    json(res, 200, {
      Metadata: { Total: total, PageSize: pageSize, FirstPageUri: null, PrevPageUri: null, NextPageUri: next },
      Calls: page.map((c) => callJson(c, resolved.accountSid)),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const raw = await readBody(req);
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(raw)) : {};
    const record: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form,
      at,
      outcome: 'not-found',
      status: 404,
    };
    requests.push(record);

    const match = /^\/v1\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/.exec(url.pathname);
    if (!match) {
      answer(record, 'not-found', 404);
      return rest(res, 404, 'The requested resource was not found');
    }
    const sid = decodeURIComponent(match[1]!);
    const resource = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (!authorised(req, sid)) {
      answer(record, 'unauthorized', 401);
      await sleep(between(resolved.latencyMs));
      return rest(res, 401, 'Authentication is required to view this resource.');
    }
    const base = `/v1/Accounts/${match[1]}`;
    if (req.method === 'POST' && resource === 'connect') {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let counted = true;
      const done = () => {
        if (counted) inFlight--;
        counted = false;
      };
      res.on('close', done);
      return handleConnect(req, res, record);
    }
    if (req.method === 'GET' && resource === undefined) return handleList(res, record, base);
    if (req.method === 'GET' && resource !== undefined && resource !== 'connect') {
      const call = bySid.get(resource);
      await sleep(between(resolved.latencyMs));
      if (!call) {
        answer(record, 'not-found', 404);
        return rest(res, 404, `Call ${resource} was not found`, '20404');
      }
      answer(record, 'ok', 200);
      return json(res, 200, { Call: callJson(call, resolved.accountSid) });
    }
    answer(record, 'not-found', 404);
    return rest(res, 404, 'The requested resource was not found');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) rest(res, 500, error instanceof Error ? error.message : 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid: resolved.accountSid,
    apiKey: resolved.apiKey,
    apiToken: resolved.apiToken,
    options: resolved,
    requests,
    calls,
    callbacks,
    get violations() {
      return violations;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    placedCount: (number: string) => calls.filter((c) => lastTen(c.from) === lastTen(number)).length,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of outgoing) c.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(record: FakeRequest, outcome: FakeRequestOutcome, status: number | null): void {
  record.outcome = outcome;
  record.status = status;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function callJson(call: FakeCall, accountSid: string): Record<string, unknown> {
  return {
    Sid: call.sid,
    ParentCallSid: null,
    DateCreated: formatExotelTime(call.createdAt),
    DateUpdated: formatExotelTime(call.updatedAt),
    AccountSid: accountSid,
    To: null,
    From: call.fromEcho,
    PhoneNumberSid: call.callerId,
    Status: call.status,
    StartTime: formatExotelTime(call.startTime),
    EndTime: call.endTime ? formatExotelTime(call.endTime) : null,
    Duration: call.duration === null ? null : String(call.duration),
    Price: call.price,
    Direction: 'outbound-api',
    AnsweredBy: null,
    ForwardedFrom: null,
    CallerName: null,
    Uri: `/v1/Accounts/${accountSid}/Calls/${call.sid}.json`,
    RecordingUrl: null,
    ...(call.customField !== undefined ? { CustomField: call.customField } : {}),
  };
}

function callbackBody(call: FakeCall, accountSid: string): Record<string, unknown> {
  return {
    CallSid: call.sid,
    EventType: 'terminal',
    Status: call.status,
    CustomField: call.customField ?? '',
    From: call.fromEcho,
    To: call.callerId,
    Direction: 'outbound-api',
    AccountSid: accountSid,
    DateCreated: formatExotelTime(call.createdAt),
    DateUpdated: formatExotelTime(call.updatedAt),
    StartTime: formatExotelTime(call.startTime),
    EndTime: call.endTime ? formatExotelTime(call.endTime) : '',
    ConversationDuration: call.duration ?? 0,
    RecordingUrl: '',
    Legs: [{ OnCallDuration: call.duration ?? 0, Status: call.status === 'completed' ? 'completed' : call.status }],
  };
}

/** Form bodies cannot nest, so `Legs` goes out as `Legs[0][Status]`, the way PHP-style form encoders write it. */
function flattenForForm(body: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        for (const [k, v] of Object.entries(item as Record<string, unknown>)) out.push([`${key}[${i}][${k}]`, String(v)]);
      });
    } else {
      out.push([key, value === null || value === undefined ? '' : String(value)]);
    }
  }
  return out;
}

/** `gte:…;lte:…` (also `gt`/`lt`) in IST wall-clock time → predicates on epoch ms; undefined when unreadable. */
function parseDateFilter(value: string | undefined): Array<(ms: number) => boolean> | undefined {
  if (value === undefined || value.trim() === '') return [];
  const tests: Array<(ms: number) => boolean> = [];
  for (const part of value.split(';')) {
    const m = /^\s*(gte|lte|gt|lt):(.+)$/.exec(part);
    const at = m ? parseExotelTime(m[2]!.trim()) : null;
    if (!m || at === null || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(m[2]!.trim())) return undefined;
    const bound = at.getTime();
    const op = m[1];
    tests.push(op === 'gte' ? (t) => t >= bound : op === 'lte' ? (t) => t <= bound : op === 'gt' ? (t) => t > bound : (t) => t < bound);
  }
  return tests;
}

/** Exotel stores Indian numbers as `0` + 10 digits whatever form it was given. */
function exotelEcho(number: string): string {
  const digits = number.replace(/\D/g, '');
  const ten = lastTen(number);
  const indian =
    digits.length === 10 ||
    (digits.length === 11 && digits.startsWith('0')) ||
    (digits.length === 12 && digits.startsWith('91'));
  return indian ? `0${ten}` : number;
}

function lastTen(number: string): string {
  return number.replace(/\D/g, '').slice(-10);
}

function pick(r: number): FakeCallOutcome {
  let acc = 0;
  for (const [outcome, share] of DEFAULT_MIX) {
    acc += share;
    if (r < acc) return outcome;
  }
  return 'completed';
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
