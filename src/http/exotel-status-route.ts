import { timingSafeEqual, createHash } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContactState } from '../campaigns/contact-state.js';
import { FINAL_CALL_STATUSES } from '../exotel/exotel-call.js';
import { parseCallbackBody, parseStatusCallback, StatusCallbackError, type StatusCallback } from '../exotel/status-callback.js';
import type { Logger } from '../logger.js';
import type { TerminalCallStatus } from '../store/contact-model.js';

export const EXOTEL_STATUS_PATH = '/exotel/status';
const MAX_BODY = 256 * 1024;

/** The URL Exotel is given for a call's status callback. */
export function statusCallbackUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}${EXOTEL_STATUS_PATH}/${secret}`;
}

/** Compares a webhook secret from a URL path with ours in constant time (every Exotel route uses it). */
export function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A request whose body cannot be read; `status` is what the client is told, if it is still listening. */
class CallbackBodyError extends Error {
  override readonly name = 'CallbackBodyError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The whole body, or a {@link CallbackBodyError}: too large, too slow, or broken off (the client aborted, closed its
 * side before sending what Content-Length promised, or sent a malformed chunk). Never throws anything else, so a bad
 * client cannot turn into an unhandled rejection.
 */
function readBody(req: IncomingMessage, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: CallbackBodyError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      // Keep an 'error' listener: a stream that errors with none throws from the event loop.
      req.on('error', () => {});
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) settle(new CallbackBodyError(413, `the body is larger than ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onError = (error: Error) => settle(new CallbackBodyError(400, `the request broke off (${error.message})`));
    const onClose = () => {
      if (!req.complete) settle(new CallbackBodyError(400, 'the client closed the connection before the body was complete'));
    };
    const timer = setTimeout(
      () => settle(new CallbackBodyError(408, `the body did not arrive within ${timeoutMs} ms (${size} bytes came)`)),
      timeoutMs,
    );
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Answers unless the client is gone; after a bad body the connection is closed rather than reused. */
function answer(res: ServerResponse, status: number, body: string, close = false): void {
  if (res.headersSent || res.writableEnded || res.destroyed || res.socket?.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

export interface ExotelStatusRouteOptions {
  /** How long a callback's body may take to arrive once its headers have. Default 10 s; Exotel sends a few hundred bytes at once. */
  bodyTimeoutMs?: number;
}

/**
 * `POST /exotel/status/<EXOTEL_WEBHOOK_SECRET>`: Exotel's terminal status callback. Not signed by Exotel, so the
 * path carries an unguessable secret, compared in constant time (404 otherwise). Idempotent per CallSid: a repeated
 * delivery changes nothing. Answers 503 when the outcome could not be stored, so Exotel delivers it again. A body that
 * cannot be read gets a 4xx and one log line, never an exception: 400 when it is malformed or broken off (the client
 * aborted, or closed before sending what Content-Length promised), 408 when it does not arrive in time, 413 when it
 * is over 256 kB; no answer at all when the client is already gone.
 */
export function exotelStatusRoute(secret: string, state: ContactState, log: Logger, options: ExotelStatusRouteOptions = {}): CustomRoute {
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  if (!Number.isInteger(bodyTimeoutMs) || bodyTimeoutMs <= 0) {
    throw new TypeError(`Expected \`bodyTimeoutMs\` to be a positive integer, got \`${bodyTimeoutMs}\``);
  }
  const routeLog = log.child({ component: 'exotel-callback' });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const given = (req as IncomingMessage & { params?: Record<string, string> }).params?.secret ?? '';
    if (!sameSecret(given, secret)) return answer(res, 404, 'Not found');
    let raw: Buffer;
    try {
      raw = await readBody(req, bodyTimeoutMs);
    } catch (error) {
      const { status, message } = error as CallbackBodyError;
      routeLog.warn({ status }, `unreadable status callback request: ${message}`);
      return answer(res, status, `Unreadable request: ${message}`, true);
    }
    await record(req, res, raw);
  };
  const record = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    let callback: StatusCallback;
    try {
      callback = parseStatusCallback(await parseCallbackBody(req.headers['content-type'] ?? '', raw));
    } catch (error) {
      if (error instanceof StatusCallbackError) {
        routeLog.warn({ err: error }, 'unreadable status callback');
        return answer(res, 400, error.message);
      }
      throw error;
    }
    if (!FINAL_CALL_STATUSES.has(callback.status)) return answer(res, 200, 'ok');
    try {
      const result = await state.reported({
        attemptKey: callback.customField ?? null,
        callSid: callback.callSid,
        status: callback.status as TerminalCallStatus,
        startedAt: callback.startTime ?? null,
        endedAt: callback.endTime ?? callback.dateUpdated ?? null,
        durationSeconds: callback.duration ?? null,
        answeredBy: callback.legs?.find((l) => l.answeredBy)?.answeredBy ?? null,
        error: callback.status === 'failed' ? 'Exotel reported the call failed.' : null,
      });
      routeLog.debug({ call_sid: callback.callSid, status: callback.status, recorded: result !== null }, 'status callback');
      answer(res, 200, 'ok');
    } catch (error) {
      routeLog.error({ err: error, call_sid: callback.callSid }, 'could not store a status callback');
      answer(res, 503, 'Try again later');
    }
  };
  return {
    path: `${EXOTEL_STATUS_PATH}/:secret`,
    method: ['POST'],
    // Bolt calls custom routes without awaiting them: whatever escapes here would be an unhandled rejection.
    handler: (req, res) =>
      handle(req, res).catch((error: unknown) => {
        routeLog.error({ err: error }, 'status callback failed');
        answer(res, 500, 'Internal error', true);
      }),
  };
}
