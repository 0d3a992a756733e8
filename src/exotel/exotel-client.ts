import { Pool, type Dispatcher } from 'undici';
import { exotelCallSchema, type CallStatus, type ExotelCall } from './exotel-call.js';
import { ExotelError, type ExotelErrorKind } from './exotel-error.js';
import { formatExotelTime } from './exotel-time.js';

export interface ExotelClientOptions {
  /** API origin, e.g. `https://api.exotel.com` or `https://api.in.exotel.com`; may carry a path prefix (proxies).
   * Must not contain credentials. */
  baseUrl: string;
  /** Account SID, the `{sid}` in every path. */
  accountSid: string;
  /** API key, sent as the Basic auth user. */
  apiKey: string;
  /** API token, sent as the Basic auth password. */
  apiToken: string;
  /** Give up connecting after this long; the request was never sent, so the error is `retryable`. Default 5000. */
  connectTimeoutMs?: number;
  /** Give up waiting for response headers, and then between body chunks, after this long; the request may have been
   * processed, so the error is `ambiguous`. undici checks these timers about once a second, so short values fire
   * late (200 ms ≈ 1 s). Default 15000. */
  responseTimeoutMs?: number;
  /** Most sockets kept open to Exotel; requests beyond it queue in the pool. Default 10. */
  maxConnections?: number;
  /**
   * Called before every HTTP request, including each page of a call list (Exotel's limit counts every API request):
   * the engine waits here for the account's pacer. Not called for `place-call`, whose slot the caller takes itself
   * before its last checks. Default: none.
   */
  beforeRequest?: (operation: Operation, signal?: AbortSignal) => Promise<void>;
  /** Told of every request sent, once it ended: Exotel's HTTP status, or null when no answer came (metrics). Default: none. */
  onResponse?: (operation: Operation, status: number | null) => void;
  /** Replaces the client's own keep-alive pool (tests: undici `MockAgent`). `connectTimeoutMs` and `maxConnections`
   * then belong to that dispatcher, and `close()` leaves it open for its owner. Default: a `Pool` on `baseUrl`. */
  dispatcher?: Dispatcher;
}

export interface PlaceCallParams {
  /** The customer's number, sent as Exotel's `From` as given (E.164 or 0-prefixed; Exotel accepts both). */
  from: string;
  /** Your ExoPhone (`CallerId`). */
  callerId: string;
  /** Call flow URL (`Url`), `http://my.exotel.com/{sid}/exoml/start_voice/{app_id}`. */
  flowUrl: string;
  /** Where Exotel POSTs the terminal callback (as JSON). Omit to rely on polling call details. */
  statusCallbackUrl?: string;
  /** Echoed back in the terminal callback; at most 128 characters. */
  customField?: string;
  /** `TimeLimit`: longest call in seconds, 1–14400. Default: Exotel's (4 hours). */
  timeLimitSeconds?: number;
  /** `TimeOut`: how long to ring, in seconds. Default: Exotel's. */
  timeOutSeconds?: number;
}

export interface ListCallsParams {
  /** Only calls from these numbers (Exotel allows at most 5), sent as Exotel's `From` filter as given. */
  from?: string[];
  /** Only these calls (Exotel allows at most 100 sids), sent as Exotel's `Sid` filter. */
  sids?: string[];
  /** Calls created at or after this instant (sent as IST wall-clock time). */
  createdAfter: Date;
  /** Calls created at or before this instant. Default: no upper bound. */
  createdBefore?: Date;
  /** Only calls in this status (or any of these). */
  status?: CallStatus | CallStatus[];
  /** Calls per page, 1–100. Default 100. */
  pageSize?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_RESPONSE_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_CONNECTIONS = 10;
const MAX_CUSTOM_FIELD = 128;
const MAX_TIME_LIMIT_SECONDS = 14_400;
const MAX_FROM_FILTER = 5;
const MAX_SID_FILTER = 100;
const MAX_PAGE_SIZE = 100;

// The request never left this machine, so Exotel cannot have acted on it. Not UND_ERR_DESTROYED: a dispatcher
// destroyed mid-request fails requests already sent (and answers being read) with that code too.
const NOT_SENT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CLOSED',
]);

export type Operation = 'place-call' | 'call-details' | 'call-list';

/**
 * Exotel's voice REST API over one keep-alive undici pool. Every failure is an {@link ExotelError} whose `kind` says
 * whether a call may exist; nothing here retries, because only the caller knows whether a retry may double-dial.
 */
export class ExotelClient {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #accountPath: string;
  readonly #authorization: string;
  readonly #secrets: string[];
  readonly #responseTimeoutMs: number;
  readonly #beforeRequest: ExotelClientOptions['beforeRequest'];
  readonly #onResponse: ExotelClientOptions['onResponse'];

  constructor(options: ExotelClientOptions) {
    const url = parseBaseUrl(options.baseUrl);
    requireText('accountSid', options.accountSid);
    requireSecret('apiKey', options.apiKey);
    requireSecret('apiToken', options.apiToken);
    const connectTimeoutMs = positiveInteger('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.#responseTimeoutMs = positiveInteger('responseTimeoutMs', options.responseTimeoutMs, DEFAULT_RESPONSE_TIMEOUT_MS);
    const maxConnections = positiveInteger('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS);

    this.#beforeRequest = options.beforeRequest;
    this.#onResponse = options.onResponse;
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#accountPath = `${this.#basePath}/v1/Accounts/${encodeURIComponent(options.accountSid)}`;
    const pair = `${options.apiKey}:${options.apiToken}`;
    const encoded = Buffer.from(pair).toString('base64');
    this.#authorization = `Basic ${encoded}`;
    this.#secrets = [pair, encoded, options.apiToken, options.apiKey].filter((s) => s.length > 0);

    if (options.dispatcher) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      this.#dispatcher = new Pool(this.#origin, {
        connections: maxConnections,
        connectTimeout: connectTimeoutMs,
        headersTimeout: this.#responseTimeoutMs,
        bodyTimeout: this.#responseTimeoutMs,
        // Short idle lifetime: reusing a socket the server already closed turns a POST into an ambiguous reset.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 30_000,
      });
      this.#ownsDispatcher = true;
    }
  }

  /**
   * Connects `from` to the call flow. Resolves when Exotel has accepted the call (status usually `queued` or
   * `in-progress`), never when it has ended. An abort after the request was sent makes the outcome `ambiguous`.
   */
  async placeCall(params: PlaceCallParams, signal?: AbortSignal): Promise<ExotelCall> {
    requireText('from', params.from);
    requireText('callerId', params.callerId);
    requireText('flowUrl', params.flowUrl);
    const form = new URLSearchParams();
    form.set('From', params.from);
    form.set('CallerId', params.callerId);
    form.set('Url', params.flowUrl);
    form.set('CallType', 'trans');
    if (params.timeLimitSeconds !== undefined) {
      const limit = params.timeLimitSeconds;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIME_LIMIT_SECONDS) {
        throw new TypeError(`Expected \`timeLimitSeconds\` to be an integer from 1 to ${MAX_TIME_LIMIT_SECONDS}, got ${String(limit)}`);
      }
      form.set('TimeLimit', String(params.timeLimitSeconds));
    }
    if (params.timeOutSeconds !== undefined) {
      form.set('TimeOut', String(positiveInteger('timeOutSeconds', params.timeOutSeconds, 0)));
    }
    if (params.statusCallbackUrl !== undefined) {
      requireText('statusCallbackUrl', params.statusCallbackUrl);
      form.set('StatusCallback', params.statusCallbackUrl);
      form.set('StatusCallbackEvents[0]', 'terminal');
      form.set('StatusCallbackContentType', 'application/json');
    }
    if (params.customField !== undefined) {
      if (typeof params.customField !== 'string' || params.customField.length > MAX_CUSTOM_FIELD) {
        throw new TypeError(
          `Expected \`customField\` to be a string of at most ${MAX_CUSTOM_FIELD} characters, ` +
            `got ${describeLength(params.customField)}`,
        );
      }
      form.set('CustomField', params.customField);
    }
    const json = await this.#request('place-call', 'POST', `${this.#accountPath}/Calls/connect.json`, form.toString(), signal);
    return this.#readCall('place-call', json);
  }

  /** Current details of one call; an unknown sid is a `definite` 404. */
  async getCall(callSid: string, signal?: AbortSignal): Promise<ExotelCall> {
    requireText('callSid', callSid);
    const json = await this.#request(
      'call-details',
      'GET',
      `${this.#accountPath}/Calls/${encodeURIComponent(callSid)}.json`,
      undefined,
      signal,
    );
    return this.#readCall('call-details', json);
  }

  /**
   * Every call matching the filter, following `Metadata.NextPageUri` until it is absent. Used to reconcile calls whose
   * outcome is unknown, so an unreadable item fails the whole listing rather than being skipped: a call missing from
   * the answer would look like a call never placed.
   */
  async listCalls(params: ListCallsParams, signal?: AbortSignal): Promise<ExotelCall[]> {
    const from = params.from ?? [];
    if (!Array.isArray(from) || from.length > MAX_FROM_FILTER) {
      const got = Array.isArray(from) ? from.length : typeof from;
      throw new TypeError(`Expected \`from\` to hold at most ${MAX_FROM_FILTER} numbers, got ${got}`);
    }
    for (const [i, n] of from.entries()) requireText(`from[${i}]`, n);
    const sids = params.sids ?? [];
    if (!Array.isArray(sids) || sids.length > MAX_SID_FILTER) {
      const got = Array.isArray(sids) ? sids.length : typeof sids;
      throw new TypeError(`Expected \`sids\` to hold at most ${MAX_SID_FILTER} call sids, got ${got}`);
    }
    for (const [i, sid] of sids.entries()) requireText(`sids[${i}]`, sid);
    requireDate('createdAfter', params.createdAfter);
    if (params.createdBefore !== undefined) requireDate('createdBefore', params.createdBefore);
    const pageSize = positiveInteger('pageSize', params.pageSize, MAX_PAGE_SIZE);
    if (pageSize > MAX_PAGE_SIZE) throw new TypeError(`Expected \`pageSize\` to be at most ${MAX_PAGE_SIZE}, got ${pageSize}`);

    let dateFilter = `gte:${formatExotelTime(params.createdAfter)}`;
    if (params.createdBefore) dateFilter += `;lte:${formatExotelTime(params.createdBefore)}`;
    const query: Array<[string, string]> = [];
    if (sids.length > 0) query.push(['Sid', sids.join(',')]);
    if (from.length > 0) query.push(['From', from.join(',')]);
    if (params.status !== undefined) query.push(['Status', [params.status].flat().join(',')]);
    query.push(['DateCreated', dateFilter], ['PageSize', String(pageSize)]);
    let path: string | undefined = `${this.#accountPath}/Calls.json?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;

    const calls: ExotelCall[] = [];
    const visited = new Set<string>();
    while (path !== undefined) {
      visited.add(path);
      const page = asRecord(await this.#request('call-list', 'GET', path, undefined, signal));
      const items = page?.['Calls'];
      if (!Array.isArray(items)) throw this.#unreadable('call-list', 'the answer has no Calls list');
      for (const item of items) {
        const record = asRecord(item);
        calls.push(this.#readCall('call-list', record && 'Call' in record ? record : { Call: item }));
      }
      const next = asRecord(page?.['Metadata'])?.['NextPageUri'];
      if (typeof next !== 'string' || next.trim() === '') break;
      path = this.#pagePath(next);
      if (visited.has(path)) throw this.#unreadable('call-list', 'the next page is one already read');
    }
    return calls;
  }

  /** Closes the client's own pool once requests in flight have finished; a dispatcher passed in is left open. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #request(
    operation: Operation,
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (operation !== 'place-call') await this.#beforeRequest?.(operation, signal);
    // Nothing has been sent yet, so the caller's own abort reason is the honest answer.
    signal?.throwIfAborted();
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';

    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: this.#origin,
        path,
        method,
        headers,
        body,
        signal,
        headersTimeout: this.#responseTimeoutMs,
        bodyTimeout: this.#responseTimeoutMs,
      });
    } catch (error) {
      this.#onResponse?.(operation, null);
      throw this.#transportError(operation, error);
    }

    const status = response.statusCode;
    this.#onResponse?.(operation, status);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      // Exotel has answered: whatever cut the body off, the request was sent.
      if (status >= 200 && status < 300) throw this.#transportError(operation, error, true);
      text = '';
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw this.#unreadable(operation, 'the answer is not JSON');
      }
    }
    throw this.#statusError(operation, status, text, response.headers['retry-after']);
  }

  #statusError(operation: Operation, status: number, text: string, retryAfter: string | string[] | undefined): ExotelError {
    let exotelMessage: string | undefined;
    let code: string | undefined;
    try {
      const rest = asRecord(asRecord(JSON.parse(text))?.['RestException']);
      if (typeof rest?.['Message'] === 'string') exotelMessage = this.#redact(rest['Message']);
      if (typeof rest?.['Code'] === 'string' || typeof rest?.['Code'] === 'number') code = this.#redact(String(rest['Code']));
    } catch {
      // Not every failure comes from Exotel itself (proxies, load balancers answer HTML); the status still classifies it.
    }
    // A 429 proves the request was refused before anything happened. For a call, a 5xx, a 408 or a 499 does not: the
    // call may have been placed behind a gateway that then failed (EXOTEL.md); for a read, retrying is harmless.
    const uncertain = status >= 500 || status === 408 || status === 499;
    const kind: ExotelErrorKind =
      status === 429 ? 'retryable' : uncertain ? (operation === 'place-call' ? 'ambiguous' : 'retryable') : 'definite';
    // 503 may carry Retry-After too (RFC 9110); honouring it costs nothing.
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
    const consequence =
      operation !== 'place-call'
        ? ''
        : kind === 'retryable'
          ? ' No call was placed; it may be tried again later.'
          : kind === 'ambiguous'
            ? ' The call may have been placed and must be checked before dialling again.'
            : ' No call was placed.';
    const detail = exotelMessage ? `: ${exotelMessage.replace(/\.?\s*$/, '')}` : '';
    const withCode = code ? ` (code ${code})` : '';
    return new ExotelError(`Exotel rejected the ${operation} request with HTTP ${status}${withCode}${detail}.${consequence}`, {
      kind,
      status,
      ...(code === undefined ? {} : { code }),
      ...(exotelMessage === undefined ? {} : { exotelMessage }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  #transportError(operation: Operation, error: unknown, answered = false): ExotelError {
    const code = errorCode(error);
    const kind: ExotelErrorKind = !answered && code !== undefined && NOT_SENT_CODES.has(code) ? 'retryable' : 'ambiguous';
    const aborted = error instanceof Error && error.name === 'AbortError';
    const what =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer from Exotel within ${this.#responseTimeoutMs} ms`
        : aborted || code === 'UND_ERR_ABORTED'
          ? 'the request was cancelled while Exotel was handling it'
          : kind === 'retryable'
            ? `Exotel could not be reached (${code})`
            : `the connection to Exotel failed (${code ?? this.#redact(error instanceof Error ? error.message : String(error))})`;
    const consequence =
      operation !== 'place-call'
        ? ''
        : kind === 'retryable'
          ? ' No call was placed.'
          : ' The call may have been placed and must be checked before dialling again.';
    return new ExotelError(`The ${operation} request to Exotel failed: ${what}.${consequence}`, { kind, cause: error });
  }

  #unreadable(operation: Operation, why: string): ExotelError {
    const consequence = operation === 'place-call' ? ' The call may have been placed and must be checked before dialling again.' : '';
    return new ExotelError(`The ${operation} request to Exotel failed: ${why}.${consequence}`, { kind: 'ambiguous' });
  }

  #readCall(operation: Operation, json: unknown): ExotelCall {
    const parsed = exotelCallSchema.safeParse(asRecord(json)?.['Call']);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'Call'))].join(', ');
      throw this.#unreadable(operation, `the call in Exotel's answer is unreadable (${fields})`);
    }
    return parsed.data;
  }

  #pagePath(next: string): string {
    const url = new URL(next, `${this.#origin}${this.#basePath}/`);
    if (url.origin !== this.#origin) {
      // Following it would send our credentials to another host.
      throw this.#unreadable('call-list', 'the next page is on another host');
    }
    // Exotel's NextPageUri starts at /v1; behind a proxy prefix it must be put back.
    const prefixed = this.#basePath !== '' && !url.pathname.startsWith(`${this.#basePath}/`);
    const path = prefixed ? `${this.#basePath}${url.pathname}` : url.pathname;
    return `${path}${url.search}`;
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date; a past date means "now". */
function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect reports one AggregateError for all addresses tried.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) return inner.map(errorCode).find((c) => c !== undefined);
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? undefined : errorCode(cause);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseBaseUrl(value: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const got = typeof value === 'string' ? JSON.stringify(value) : typeof value;
    throw new TypeError(`Expected \`baseUrl\` to be an http(s) URL, got ${got}`);
  }
  if (url.username || url.password) {
    // The URL is not echoed: it holds the very credentials this check keeps out of messages.
    throw new TypeError('Expected `baseUrl` without credentials; pass them as `apiKey` and `apiToken`');
  }
  if (url.search || url.hash) throw new TypeError(`Expected \`baseUrl\` without query or fragment, got ${JSON.stringify(value)}`);
  return url;
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`);
  }
}

function requireSecret(name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    const got = typeof value === 'string' ? 'an empty string' : typeof value;
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${got}`);
  }
}

function requireDate(name: string, value: unknown): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    const got = value instanceof Date ? 'an invalid Date' : typeof value;
    throw new TypeError(`Expected \`${name}\` to be a valid Date, got ${got}`);
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got ${String(value)}`);
  }
  return value;
}

function describeLength(value: unknown): string {
  return typeof value === 'string' ? `${value.length} characters` : typeof value;
}
