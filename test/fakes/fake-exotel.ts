/**
 * A local stand-in for Exotel's voice API, for tests, crash tests and benchmarks. It speaks the subset campaign-bot
 * uses (connect.json, call details, call list with filters and cursor paging, status callbacks, the greeting and
 * passthru applets of a call flow), enforces strict sliding-window rate limits, and injects faults on demand.
 * Everything it did is recorded for assertions.
 *
 * ```ts
 * const fake = await startFakeExotel({ callsPerMinute: 60, fault: (n) => (n === 3 ? 'accept-then-502' : 'ok') });
 * const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken });
 * ...
 * await fake.settled();          // every call end, callback, flow request and late detail has happened
 * expect(fake.violations).toBe(0);
 * await fake.close();
 * ```
 *
 * Documented Exotel behaviours it reproduces by default (sources: the Exotel developer and support pages named):
 * - The bulk list (Calls.json) leaves out ongoing calls: only completed, failed, busy, no-answer and canceled calls
 *   are listed (developer.exotel.com/api/call-details-bulk), so absence from it proves nothing.
 * - Duration, Price and EndTime are filled in after the call ends (Exotel: 2–5 minutes, support article 56523; here
 *   `detailsDelayMs`); until then call details and list items show them as null while Status is already final.
 * - A call rings at most `TimeOut` and talks at most `TimeLimit` seconds when the request sets them; TimeLimit
 *   defaults to 14400 (4 hours). `secondMs` scales an Exotel second to test time.
 * - A 5xx or gateway answer after the call was placed: HTML 502/504 pages from a proxy, a 500 RestException, or no
 *   answer at all; the call exists either way.
 * - Status callbacks (developer.exotel.com/api/statuscallback): terminal, plus `answered` when StatusCallbackEvents
 *   asks for it; deliveries can be late, lost, repeated or out of order; failed deliveries are retried about twice.
 *   CustomField is echoed exactly as sent, in the terminal one only; Legs carry AnsweredBy (`NA` when not known).
 * - 200 requests per minute per account on all voice APIs (`callsPerMinute`, `limitAllRequests`), answered 429
 *   with Retry-After beyond; Exotel does not say how the minute is measured, so an optional per-second window
 *   (`perSecond`) models the per-second buckets API gateways commonly use.
 * - Greeting applets with a URL are fetched with HEAD then GET, and passthru applets with `digits` in double quotes,
 *   each with CallSid, From, To, DialWhomNumber and CustomField (support article 48285).
 *
 * Differences from Exotel that tests may rely on: times are wall-clock IST like Exotel India; `From` is echoed as
 * `0XXXXXXXXXX`; `To` is null in call objects (flow calls) and the ExoPhone in callbacks; Duration and Price are
 * strings; a terminal callback carries every field whether or not StatusCallbackEvents was given; TimeLimit above
 * 14400 or an unreadable TimeOut/TimeLimit is refused with 400 (Exotel's answer to those is undocumented).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  answeredBody,
  callbackEvents,
  callJson,
  exotelEcho,
  flattenForForm,
  lastTen,
  parseDateFilter,
  readBody,
  sendGatewayPage,
  sendJson,
  terminalBody,
} from './fake-exotel-wire.js';
import { sendOutgoing } from './outgoing-request.js';
import { mulberry32 } from '../helpers/seeded-random.js';

/**
 * What to do with one connect.json request. `429`, `503` and `reject400` answer without placing the call. All others
 * place it first: `hang` / `accept-then-hang` never answer, `reset` destroys the socket, `accept-then-502` and
 * `accept-then-504` answer a proxy's HTML error page, `accept-then-500-json` a 500 RestException.
 */
export type FakeFault =
  | 'ok'
  | '429'
  | '503'
  | 'hang'
  | 'reset'
  | 'reject400'
  | 'accept-then-502'
  | 'accept-then-504'
  | 'accept-then-hang'
  | 'accept-then-500-json';
/** How a placed call ends. */
export type FakeCallOutcome = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
/**
 * What happens to a call's status callbacks: `deliver` (once each), `drop` (terminal never sent), `duplicate`
 * (terminal sent twice), `late` (terminal sent `lateCallbackMs` after the end), `reorder` (terminal first, then the
 * `answered` event; the same as `deliver` when no answered event is due).
 */
export type FakeCallbackFault = 'deliver' | 'drop' | 'duplicate' | 'late' | 'reorder';
/** Who picked up, as Exotel reports it in `AnsweredBy`. */
export type FakeAnsweredBy = 'human' | 'machine' | null;

/** A call's timing in test milliseconds: ringing from placement, then talking (completed calls only). */
export interface FakeCallTiming {
  ringMs: number;
  talkMs: number;
}

/** The call flow's applets that call the bot while a completed call is connected. */
export interface FakeFlow {
  /** Greeting applet "read text from URL": HEAD then GET with CallSid, From, To, DialWhomNumber, CustomField. */
  greetingUrl?: string;
  /** Passthru after a Gather/Menu: GET with the same parameters plus `digits` wrapped in double quotes. */
  passthruUrl?: string;
  /** Keys the callee presses; null (or no function) means no keypress and no passthru request. */
  digits?: (call: FakeCall) => string | null;
}

export interface FakeExotelOptions {
  /** Account SID expected in paths. Default `ACfake`. */
  accountSid?: string;
  /** Basic auth user expected. Default `fake-key`. */
  apiKey?: string;
  /** Basic auth password expected. Default `fake-token`. */
  apiToken?: string;
  /** Requests admitted per window (connect.json, or every request with `limitAllRequests`); more get 429 and count as
   * `violations`. Default: unlimited. */
  callsPerMinute?: number;
  /** Length of the sliding window. Default 60000 (Exotel's per-minute limit); shorten for fast tests. */
  windowMs?: number;
  /** Requests admitted in any sliding 1-second window; more get 429 and count as `secondViolations`. Default: unlimited. */
  perSecond?: number;
  /** Count call details and list requests against `callsPerMinute` and `perSecond` too, as Exotel's limit covers all
   * voice APIs. Default false (only connect.json counts), which older tests rely on. */
  limitAllRequests?: boolean;
  /** Decides the fate of the n-th connect.json request (1-based, counting requests that passed auth, the rate limit
   * and validation); `from` is the `From` field as sent. Default: always `ok`. */
  fault?: (n: number, from: string) => FakeFault;
  /** How each placed call ends. Default: a seeded mix of 60% completed, 15% busy, 15% no-answer, 10% failed. */
  outcome?: (from: string) => FakeCallOutcome;
  /** Time from placement to the call's end, uniform in [min, max] ms, then capped by the request's TimeOut and
   * TimeLimit (× `secondMs`). Default [20, 100]. */
  callbackDelayMs?: [number, number];
  /** Forces the n-th placed call's timing (1-based); undefined draws it from `callbackDelayMs`. Forced timings are
   * not capped by TimeOut/TimeLimit, so a test can also model a call that outlasts what the client expects.
   * A call that does not complete only rings (`talkMs` ignored). Default: always undefined. */
  callTiming?: (n: number, from: string) => FakeCallTiming | undefined;
  /** Test milliseconds per Exotel second, for TimeOut, TimeLimit and Duration. Default 1. */
  secondMs?: number;
  /** Time after a call's end before Duration, Price and EndTime show in call details and lists, ms (Exotel: 2–5
   * minutes). 0 shows them at the end. Default 50. */
  detailsDelayMs?: number;
  /** Delay before answering any request, ms, fixed or uniform in [min, max]. connect.json places the call before
   * waiting, as Exotel would, so a client that times out during it has still placed the call. Default 0. */
  latencyMs?: number | [number, number];
  /** Decides the fate of the n-th call's callbacks (1-based, in the order the decisions are needed: when the call is
   * answered if it asked for the `answered` event, else when it ends). Default: always `deliver`. */
  callbackFault?: (n: number, call: FakeCall) => FakeCallbackFault;
  /** How long a `late` terminal callback waits after the call's end, ms. Default 500. */
  lateCallbackMs?: number;
  /** Extra delivery attempts when the callback receiver fails or answers non-2xx (Exotel retries about twice). Default 2. */
  callbackRetries?: number;
  /** Wait between callback attempts, ms. Default 200. */
  callbackRetryDelayMs?: number;
  /** Who answered each call, decided when it is answered (or ends unanswered). Default: `human` for completed calls,
   * null otherwise. */
  answeredBy?: (call: FakeCall) => FakeAnsweredBy;
  /** Applets that call the bot during completed calls. Default: none. */
  flow?: FakeFlow;
  /** Status of a call right after placement; completed calls turn `in-progress` when answered. Default `in-progress`. */
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
  | 'accept-then-502'
  | 'accept-then-504'
  | 'accept-then-hang'
  | 'accept-then-500-json'
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
  /** HTTP status answered; null when never answered (`hang`, `accept-then-hang`, `reset`). */
  status: number | null;
  /** Call placed by this request (`placed`, `hang`, `reset`, `accept-then-*`). */
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
  /** StatusCallbackEvents as asked (`terminal`, `answered`), lower case. */
  callbackEvents: string[];
  /** Content type the callbacks are sent with. */
  callbackContentType: 'application/json' | 'application/x-www-form-urlencoded';
  status: 'queued' | 'in-progress' | FakeCallOutcome;
  /** How the call will end (or has ended). */
  outcome: FakeCallOutcome;
  /** TimeOut and TimeLimit in force (seconds); TimeOut null when the request did not set it. */
  timeOutSeconds: number | null;
  timeLimitSeconds: number;
  /** Planned ringing and talking time, test ms. */
  ringMs: number;
  talkMs: number;
  createdAt: Date;
  updatedAt: Date;
  startTime: Date;
  /** When a completed call was picked up; null otherwise. */
  answeredAt: Date | null;
  /** Null until decided (answer or end). */
  answeredBy: FakeAnsweredBy;
  /** When the call ended (the truth, whether or not the API shows it yet). */
  endTime: Date | null;
  /** When Duration, Price and EndTime became visible through call details and lists; null before. */
  detailsAt: Date | null;
  /** Seconds of conversation; null until the call ends. */
  duration: number | null;
  price: string | null;
}

export interface FakeCallback {
  callSid: string;
  eventType: 'terminal' | 'answered';
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

/** One request a call flow applet made to the bot. */
export interface FakeFlowRequest {
  kind: 'greeting-head' | 'greeting-get' | 'passthru';
  callSid: string;
  url: string;
  /** Receiver's HTTP status; null when the connection failed. */
  status: number | null;
  contentType: string | null;
  body: string;
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
  /** Every request the call flow's applets made. */
  readonly flowRequests: FakeFlowRequest[];
  /** Counted requests refused because the `callsPerMinute` window was full. */
  readonly violations: number;
  /** Counted requests refused because the `perSecond` window was full (and the minute one was not). */
  readonly secondViolations: number;
  /** connect.json requests being answered now, and the most ever at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Calls placed to `number`, in any of the forms Exotel accepts. */
  placedCount(number: string): number;
  /** Calls with a final status, which the bulk list can show, in placement order. */
  finalCalls(): FakeCall[];
  /** Resolves once every scheduled call end, callback (including retries and late ones), flow request and details
   * reveal has happened. */
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
const FINAL: ReadonlySet<string> = new Set<FakeCallOutcome>(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
/** Exotel's TimeLimit when the request sets none, and its documented maximum. */
const MAX_TIME_LIMIT_SECONDS = 14_400;
/** How long the fake waits for a callback receiver or an applet URL to answer. */
const OUTGOING_TIMEOUT_MS = 5_000;

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
    perSecond: Number.POSITIVE_INFINITY,
    limitAllRequests: false,
    fault: () => 'ok',
    outcome: () => pick(random()),
    callbackDelayMs: [20, 100],
    callTiming: () => undefined,
    secondMs: 1,
    detailsDelayMs: 50,
    latencyMs: 0,
    callbackFault: () => 'deliver',
    lateCallbackMs: 500,
    callbackRetries: 2,
    callbackRetryDelayMs: 200,
    answeredBy: (call) => (call.outcome === 'completed' ? 'human' : null),
    flow: {},
    initialStatus: 'in-progress',
    seed: 1,
    ...definedOnly(options),
  };
  validateOptions(resolved);

  const requests: FakeRequest[] = [];
  const calls: FakeCall[] = [];
  const callbacks: FakeCallback[] = [];
  const flowRequests: FakeFlowRequest[] = [];
  const bySid = new Map<string, FakeCall>();
  const minuteLog: number[] = [];
  const secondLog: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  const pending = new Set<Promise<void>>();
  const outgoing = new Set<AbortController>();
  let violations = 0;
  let secondViolations = 0;
  let connectCount = 0;
  let callbackCount = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;

  // close() wakes every sleeper, so work in progress sees `closed` and stops instead of hanging forever.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closed) return resolve();
      const wake = () => {
        clearTimeout(t);
        timers.delete(t);
        sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      timers.add(t);
      sleepers.add(wake);
    });
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const between = (range: number | [number, number], from = jitter) =>
    typeof range === 'number' ? range : range[0] + Math.floor(from() * (range[1] - range[0] + 1));
  const latency = () => sleep(between(resolved.latencyMs));

  const newSid = () => {
    let sid = '';
    do {
      sid = '';
      for (let i = 0; i < 4; i++)
        sid += Math.floor(random() * 2 ** 32)
          .toString(16)
          .padStart(8, '0');
    } while (bySid.has(sid));
    return sid;
  };

  const rest = (res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, { RestException: { Status: status, Message: message, ...(code ? { Code: code } : {}) } }, headers);

  function authorised(req: IncomingMessage, sid: string): boolean {
    const expected = `Basic ${Buffer.from(`${resolved.apiKey}:${resolved.apiToken}`).toString('base64')}`;
    return req.headers.authorization === expected && sid === resolved.accountSid;
  }

  /** Admits a counted request into both windows, or says how many seconds to wait (and counts the violation). */
  function admit(now: number): number | null {
    while (minuteLog.length > 0 && minuteLog[0]! <= now - resolved.windowMs) minuteLog.shift();
    while (secondLog.length > 0 && secondLog[0]! <= now - 1_000) secondLog.shift();
    if (minuteLog.length >= resolved.callsPerMinute) {
      violations++;
      return Math.max(1, Math.ceil((minuteLog[0]! + resolved.windowMs - now) / 1000));
    }
    if (secondLog.length >= resolved.perSecond) {
      secondViolations++;
      return 1;
    }
    minuteLog.push(now);
    secondLog.push(now);
    return null;
  }

  /** Answers 429 when a counted request is over a limit; true when it did. */
  async function refusedOverLimit(res: ServerResponse, record: FakeRequest): Promise<boolean> {
    const retryAfter = admit(record.at.getTime());
    if (retryAfter === null) return false;
    answer(record, 'rate-limited', 429);
    await latency();
    rest(res, 429, 'Too many requests: rate limit exceeded', '429', { 'retry-after': String(retryAfter) });
    return true;
  }

  function placeCall(form: Record<string, string>, events: string[], at: Date): FakeCall {
    const from = form['From'] ?? '';
    const outcome = resolved.outcome(from);
    // Drawn in the same order as before TimeOut/TimeLimit existed, so a seed still gives the same SIDs and outcomes.
    const ringShare = random();
    const drawnMs = between(resolved.callbackDelayMs, random);
    const timeOutSeconds = form['TimeOut'] ? Number(form['TimeOut']) : null;
    const timeLimitSeconds = form['TimeLimit'] ? Number(form['TimeLimit']) : MAX_TIME_LIMIT_SECONDS;
    const timing =
      resolved.callTiming(calls.length + 1, from) ??
      drawTiming(outcome, drawnMs, ringShare, timeOutSeconds, timeLimitSeconds, resolved.secondMs);
    const call: FakeCall = {
      sid: newSid(),
      from,
      fromEcho: exotelEcho(from),
      callerId: form['CallerId'] ?? '',
      flowUrl: form['Url'] ?? '',
      ...(form['CustomField'] !== undefined ? { customField: form['CustomField'] } : {}),
      ...(form['StatusCallback'] ? { statusCallback: form['StatusCallback'] } : {}),
      callbackEvents: events,
      callbackContentType:
        form['StatusCallbackContentType'] === 'application/json' ? 'application/json' : 'application/x-www-form-urlencoded',
      status: resolved.initialStatus,
      outcome,
      timeOutSeconds,
      timeLimitSeconds,
      ringMs: Math.max(0, timing.ringMs),
      talkMs: outcome === 'completed' ? Math.max(0, timing.talkMs) : 0,
      createdAt: at,
      updatedAt: at,
      startTime: at,
      answeredAt: null,
      answeredBy: null,
      endTime: null,
      detailsAt: null,
      duration: null,
      price: null,
    };
    calls.push(call);
    bySid.set(call.sid, call);
    track(runCall(call));
    return call;
  }

  /** A call's life after placement: ring, maybe answer (answered event, applets, talk), end, terminal callback. */
  async function runCall(call: FakeCall): Promise<void> {
    await sleep(call.ringMs);
    if (closed) return;
    let fault: FakeCallbackFault | undefined;
    let answeredDelivery: Promise<void> | undefined;
    let deferredAnswered: Record<string, unknown> | undefined;
    if (call.outcome === 'completed') {
      pickUp(call);
      if (call.statusCallback && call.callbackEvents.includes('answered')) {
        fault = resolved.callbackFault(++callbackCount, call);
        const body = answeredBody(call, resolved.accountSid);
        if (fault === 'reorder') deferredAnswered = body;
        else answeredDelivery = deliver(call, body);
      }
      await runFlow(call);
      await sleep(call.answeredAt!.getTime() + call.talkMs - Date.now());
      if (closed) return;
    }
    const terminal = endCall(call);
    await answeredDelivery;
    if (!call.statusCallback) return;
    fault ??= resolved.callbackFault(++callbackCount, call);
    if (fault === 'drop') return;
    if (fault === 'late') await sleep(resolved.lateCallbackMs);
    await deliver(call, terminal);
    if (fault === 'duplicate') await deliver(call, terminal);
    if (deferredAnswered) await deliver(call, deferredAnswered);
  }

  function pickUp(call: FakeCall): void {
    const now = new Date();
    call.answeredAt = now;
    call.updatedAt = now;
    call.status = 'in-progress';
    call.answeredBy = resolved.answeredBy(call);
  }

  /** Ends the call and schedules its billing details; returns the terminal callback body as of this moment. */
  function endCall(call: FakeCall): Record<string, unknown> {
    const now = new Date();
    call.status = call.outcome;
    call.updatedAt = now;
    call.endTime = now;
    call.duration = call.outcome === 'completed' ? Math.max(1, Math.round(call.talkMs / resolved.secondMs)) : 0;
    call.price = call.outcome === 'completed' ? (0.5 * Math.ceil(call.duration / 60)).toFixed(3) : '0.000';
    if (call.answeredAt === null) call.answeredBy = resolved.answeredBy(call);
    const body = terminalBody(call, resolved.accountSid);
    if (resolved.detailsDelayMs <= 0) call.detailsAt = now;
    else track(revealDetails(call));
    return body;
  }

  async function revealDetails(call: FakeCall): Promise<void> {
    await sleep(resolved.detailsDelayMs);
    if (closed) return;
    call.detailsAt = new Date();
    call.updatedAt = call.detailsAt;
  }

  async function runFlow(call: FakeCall): Promise<void> {
    const { greetingUrl, passthruUrl, digits } = resolved.flow;
    const params: Record<string, string> = {
      CallSid: call.sid,
      From: call.fromEcho,
      To: call.callerId,
      DialWhomNumber: '',
      CustomField: call.customField ?? '',
    };
    if (greetingUrl) {
      const url = withQuery(greetingUrl, params);
      await flowRequest(call, 'greeting-head', url);
      await flowRequest(call, 'greeting-get', url);
    }
    const pressed = passthruUrl && digits && !closed ? digits(call) : null;
    if (passthruUrl && pressed !== null) await flowRequest(call, 'passthru', withQuery(passthruUrl, { ...params, digits: `"${pressed}"` }));
  }

  async function flowRequest(call: FakeCall, kind: FakeFlowRequest['kind'], url: string): Promise<void> {
    if (closed) return;
    const record: FakeFlowRequest = { kind, callSid: call.sid, url, status: null, contentType: null, body: '', at: new Date() };
    flowRequests.push(record);
    try {
      const res = await send(url, kind === 'greeting-head' ? 'HEAD' : 'GET');
      Object.assign(record, { status: res.status, contentType: res.contentType, body: res.body });
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    }
  }

  async function deliver(call: FakeCall, body: Record<string, unknown>): Promise<void> {
    const payload =
      call.callbackContentType === 'application/json' ? JSON.stringify(body) : new URLSearchParams(flattenForForm(body)).toString();
    for (let attempt = 1; attempt <= 1 + resolved.callbackRetries && !closed; attempt++) {
      const record: FakeCallback = {
        callSid: call.sid,
        eventType: body['EventType'] === 'answered' ? 'answered' : 'terminal',
        url: call.statusCallback!,
        attempt,
        contentType: call.callbackContentType,
        body,
        status: null,
        at: new Date(),
      };
      callbacks.push(record);
      try {
        record.status = (await send(call.statusCallback!, 'POST', call.callbackContentType, payload)).status;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      if (record.status !== null && record.status >= 200 && record.status < 300) return;
      await sleep(resolved.callbackRetryDelayMs);
    }
  }

  async function send(url: string, method: 'GET' | 'HEAD' | 'POST', contentType?: string, body?: string) {
    const controller = new AbortController();
    outgoing.add(controller);
    try {
      return await sendOutgoing(url, {
        method,
        ...(contentType ? { headers: { 'content-type': contentType } } : {}),
        ...(body !== undefined ? { body } : {}),
        timeoutMs: OUTGOING_TIMEOUT_MS,
        signal: controller.signal,
      });
    } finally {
      outgoing.delete(controller);
    }
  }

  async function handleConnect(req: IncomingMessage, res: ServerResponse, record: FakeRequest, params: URLSearchParams): Promise<void> {
    if (await refusedOverLimit(res, record)) return;
    const form = record.form;
    const problem = connectProblem(form);
    if (problem) {
      answer(record, 'bad-request', 400);
      await latency();
      return rest(res, 400, problem, '400');
    }

    const fault = resolved.fault(++connectCount, form['From']!);
    if (fault === '429' || fault === '503' || fault === 'reject400') return refuseUnplaced(res, record, fault);

    const call = placeCall(form, callbackEvents(params), record.at);
    record.callSid = call.sid;
    if (fault === 'hang' || fault === 'accept-then-hang') {
      // Never answered; close() destroys the socket.
      answer(record, fault, null);
      return;
    }
    await latency();
    if (fault === 'reset') {
      answer(record, 'reset', null);
      req.socket.destroy();
      return;
    }
    if (fault === 'accept-then-502' || fault === 'accept-then-504') {
      const status = fault === 'accept-then-502' ? 502 : 504;
      answer(record, fault, status);
      return sendGatewayPage(res, status);
    }
    if (fault === 'accept-then-500-json') {
      answer(record, fault, 500);
      return rest(res, 500, 'An internal server error occurred while processing the request');
    }
    answer(record, 'placed', 200);
    sendJson(res, 200, { Call: callJson(call, resolved.accountSid) });
  }

  async function refuseUnplaced(res: ServerResponse, record: FakeRequest, fault: '429' | '503' | 'reject400'): Promise<void> {
    const status = fault === '429' ? 429 : fault === '503' ? 503 : 400;
    answer(record, `fault-${fault}`, status);
    await latency();
    if (fault === '429') return rest(res, 429, 'Too many requests', '429', { 'retry-after': '1' });
    if (fault === '503') return rest(res, 503, 'Service temporarily unavailable');
    return rest(res, 400, 'The From number is invalid or not allowed to be called', '21211');
  }

  /** Calls.json: final calls only, newest first, filtered, with cursor paging. */
  async function handleList(res: ServerResponse, record: FakeRequest, base: string): Promise<void> {
    if (resolved.limitAllRequests && (await refusedOverLimit(res, record))) return;
    const q = record.query;
    const filter = listFilter(q);
    if (typeof filter === 'string') {
      answer(record, 'bad-request', 400);
      return rest(res, 400, filter);
    }
    // Newest first, like Exotel; new calls land before the cursor, so later pages stay stable.
    let matching = calls.filter((c) => FINAL.has(c.status) && filter.test(c)).reverse();
    const total = matching.length;
    if (q['After'] !== undefined) {
      const at = matching.findIndex((c) => c.sid === q['After']);
      if (at < 0) {
        answer(record, 'bad-request', 400);
        return rest(res, 400, 'Unknown After cursor');
      }
      matching = matching.slice(at + 1);
    }
    const page = matching.slice(0, filter.pageSize);
    let next: string | null = null;
    if (matching.length > filter.pageSize) {
      const params = new URLSearchParams(q);
      params.set('PageSize', String(filter.pageSize));
      params.set('After', page[page.length - 1]!.sid);
      next = `${base}/Calls.json?${params.toString()}`;
    }
    answer(record, 'ok', 200);
    await latency();
    sendJson(res, 200, {
      Metadata: { Total: total, PageSize: filter.pageSize, FirstPageUri: null, PrevPageUri: null, NextPageUri: next },
      Calls: page.map((c) => callJson(c, resolved.accountSid)),
    });
  }

  async function handleDetails(res: ServerResponse, record: FakeRequest, sid: string): Promise<void> {
    if (resolved.limitAllRequests && (await refusedOverLimit(res, record))) return;
    const call = bySid.get(sid);
    await latency();
    if (!call) {
      answer(record, 'not-found', 404);
      return rest(res, 404, `Call ${sid} was not found`, '20404');
    }
    answer(record, 'ok', 200);
    return sendJson(res, 200, { Call: callJson(call, resolved.accountSid) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const raw = await readBody(req);
    const params = new URLSearchParams(req.method === 'POST' ? raw : '');
    const record: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(params),
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
      await latency();
      return rest(res, 401, 'Authentication is required to view this resource.');
    }
    if (req.method === 'POST' && resource === 'connect') {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let counted = true;
      res.on('close', () => {
        if (counted) inFlight--;
        counted = false;
      });
      return handleConnect(req, res, record, params);
    }
    if (req.method === 'GET' && resource === undefined) return handleList(res, record, `/v1/Accounts/${match[1]}`);
    if (req.method === 'GET' && resource !== undefined && resource !== 'connect') return handleDetails(res, record, resource);
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
    flowRequests,
    get violations() {
      return violations;
    },
    get secondViolations() {
      return secondViolations;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    placedCount: (number: string) => calls.filter((c) => lastTen(c.from) === lastTen(number)).length,
    finalCalls: () => calls.filter((c) => FINAL.has(c.status)),
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const wake of [...sleepers]) wake();
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

/**
 * Ringing then talking within the request's limits: the whole draw fits in TimeOut + TimeLimit, ringing in TimeOut
 * (when set) and talking in TimeLimit. A completed call rings for up to half the draw; other calls only ring.
 */
function drawTiming(
  outcome: FakeCallOutcome,
  drawnMs: number,
  ringShare: number,
  timeOutSeconds: number | null,
  timeLimitSeconds: number,
  secondMs: number,
): FakeCallTiming {
  const ringCap = timeOutSeconds === null ? Number.POSITIVE_INFINITY : timeOutSeconds * secondMs;
  const talkCap = timeLimitSeconds * secondMs;
  const total = Math.min(drawnMs, ringCap + talkCap);
  if (outcome !== 'completed') return { ringMs: Math.min(total, ringCap), talkMs: 0 };
  const ringMs = Math.min(Math.floor((total * ringShare) / 2), ringCap);
  return { ringMs, talkMs: Math.min(total - ringMs, talkCap) };
}

/** What is wrong with a connect.json form, or null. */
function connectProblem(form: Record<string, string>): string | null {
  const missing = ['From', 'CallerId', 'Url'].filter((k) => !form[k]);
  if (missing.length > 0) return `Missing parameter(s): ${missing.join(', ')}`;
  const limit = form['TimeLimit'];
  if (limit && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_TIME_LIMIT_SECONDS)) {
    return `TimeLimit must be a whole number of seconds from 1 to ${MAX_TIME_LIMIT_SECONDS}`;
  }
  const timeOut = form['TimeOut'];
  if (timeOut && !/^\d+$/.test(timeOut)) return 'TimeOut must be a whole number of seconds';
  return null;
}

interface ListFilter {
  pageSize: number;
  test: (call: FakeCall) => boolean;
}

/** The Calls.json filters (Sid, From, Status, DateCreated, PageSize), or the reason they are refused. */
function listFilter(q: Record<string, string>): ListFilter | string {
  const pageSize = q['PageSize'] === undefined ? 50 : Number(q['PageSize']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return 'PageSize must be an integer from 1 to 100';
  const sids = list(q['Sid']);
  if (sids.length > 100) return 'At most 100 call SIDs may be given in Sid';
  const froms = list(q['From']).map(lastTen);
  if (froms.length > 5) return 'At most 5 numbers may be given in From';
  const statuses = list(q['Status']);
  const bounds = parseDateFilter(q['DateCreated']);
  if (bounds === undefined) return 'DateCreated must look like gte:YYYY-MM-DD HH:mm:ss;lte:YYYY-MM-DD HH:mm:ss';
  return {
    pageSize,
    test: (c) =>
      (sids.length === 0 || sids.includes(c.sid)) &&
      (froms.length === 0 || froms.includes(lastTen(c.from))) &&
      (statuses.length === 0 || statuses.includes(c.status)) &&
      bounds.every((within) => within(Math.floor(c.createdAt.getTime() / 1000) * 1000)),
  };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function withQuery(url: string, params: Record<string, string>): string {
  const target = new URL(url);
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  return target.toString();
}

function validateOptions(o: ResolvedFakeExotelOptions): void {
  const positive = { secondMs: o.secondMs, windowMs: o.windowMs, perSecond: o.perSecond };
  for (const [name, value] of Object.entries(positive)) {
    if (typeof value !== 'number' || !(value > 0))
      throw new TypeError(`Expected \`${name}\` to be a positive number, got \`${String(value)}\``);
  }
  const nonNegative = { detailsDelayMs: o.detailsDelayMs, lateCallbackMs: o.lateCallbackMs, callbackRetries: o.callbackRetries };
  for (const [name, value] of Object.entries(nonNegative)) {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new TypeError(`Expected \`${name}\` to be a non-negative number, got \`${String(value)}\``);
    }
  }
  const [min, max] = o.callbackDelayMs;
  if (!(min >= 0 && max >= min))
    throw new TypeError(`Expected \`callbackDelayMs\` to be [min, max] with 0 <= min <= max, got \`[${min}, ${max}]\``);
}

function pick(r: number): FakeCallOutcome {
  let acc = 0;
  for (const [outcome, share] of DEFAULT_MIX) {
    acc += share;
    if (r < acc) return outcome;
  }
  return 'completed';
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
