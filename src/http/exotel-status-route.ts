import { timingSafeEqual, createHash } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContactState } from '../campaigns/contact-state.js';
import { FINAL_CALL_STATUSES } from '../exotel/exotel-call.js';
import { parseCallbackBody, parseStatusCallback, StatusCallbackError } from '../exotel/status-callback.js';
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

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/**
 * `POST /exotel/status/<EXOTEL_WEBHOOK_SECRET>`: Exotel's terminal status callback. Not signed by Exotel, so the
 * path carries an unguessable secret, compared in constant time (404 otherwise). Idempotent per CallSid: a repeated
 * delivery changes nothing. Answers 503 when the outcome could not be stored, so Exotel delivers it again.
 */
export function exotelStatusRoute(secret: string, state: ContactState, log: Logger): CustomRoute {
  const routeLog = log.child({ component: 'exotel-callback' });
  return {
    path: `${EXOTEL_STATUS_PATH}/:secret`,
    method: ['POST'],
    handler: async (req, res) => {
      const given = (req as IncomingMessage & { params?: Record<string, string> }).params?.secret ?? '';
      if (!sameSecret(given, secret)) return answer(res, 404, 'Not found');
      const raw = await readBody(req);
      if (raw === null) return answer(res, 413, 'Body too large');
      let callback;
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
    },
  };
}
