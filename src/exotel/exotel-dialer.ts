// Exotel behind the engine's Dialer port: turns the client's answers and errors into what they mean for a call
// (placed, provably not placed, or unknown) and Exotel's call objects into CallReports.
import { comparablePhone } from '../campaigns/phone.js';
import { OUTCOMES, type Outcome } from '../campaigns/vocabulary.js';
import { DialerUnavailableError, type CallReport, type Dialer, type DialResult } from '../engine/dialer.js';
import { FINAL_CALL_STATUSES, type ExotelCall } from './exotel-call.js';
import type { ExotelClient } from './exotel-client.js';
import { isExotelError, type ExotelError } from './exotel-error.js';

/** Exotel refused the account or its settings, not the number. */
const ACCOUNT_STATUSES = new Set([401, 402, 403]);

/** Exotel's own form of an Indian number in filters: 0 + 10 digits. */
function exotelForm(phone: string): string {
  return `0${phone.slice(-10)}`;
}

export function toCallReport(call: ExotelCall): CallReport {
  const final = FINAL_CALL_STATUSES.has(call.status);
  const phone = call.from ? comparablePhone(call.from) : null;
  return {
    sid: call.sid,
    status: call.status,
    final,
    outcome: final && (OUTCOMES as readonly string[]).includes(call.status) ? (call.status as Outcome) : null,
    attemptKey: call.customField ?? null,
    phone: phone && /^91\d{10}$/.test(phone) ? phone : null,
    createdAt: call.dateCreated,
    startedAt: call.startTime,
    endedAt: call.endTime,
    durationSeconds: call.duration,
    price: call.price,
    answeredBy: call.answeredBy ?? null,
  };
}

function notPlaced(error: ExotelError): DialResult {
  const message = error.exotelMessage ?? error.message;
  if (error.status === 429) {
    return {
      kind: 'not-placed',
      why: 'rate-limited',
      message,
      httpStatus: 429,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  if (error.kind === 'retryable')
    return { kind: 'not-placed', why: 'unavailable', message, ...(error.status ? { httpStatus: error.status } : {}) };
  const signature = `${error.status ?? ''}|${error.code ?? ''}|${error.exotelMessage ?? ''}`;
  const why = error.status !== undefined && ACCOUNT_STATUSES.has(error.status) ? 'account' : 'number';
  return { kind: 'not-placed', why, message, signature, ...(error.status ? { httpStatus: error.status } : {}) };
}

/** What the dialer needs from the account's pacer: a 429 on a read holds every process too. */
export interface RateHolds {
  hold(retryAfterMs?: number): Promise<number>;
}

function unavailable(error: unknown): DialerUnavailableError {
  if (isExotelError(error)) return new DialerUnavailableError(error.message, error.retryAfterMs, error.status === 429, { cause: error });
  return new DialerUnavailableError(error instanceof Error ? error.message : String(error), undefined, false, { cause: error });
}

export function exotelDialer(client: ExotelClient, holds?: RateHolds): Dialer {
  const failed = async (error: unknown): Promise<never> => {
    if (isExotelError(error) && error.status === 429) await holds?.hold(error.retryAfterMs).catch(() => 0);
    throw unavailable(error);
  };
  return {
    rehearsal: false,
    async placeCall(r, signal) {
      try {
        const call = await client.placeCall(
          {
            from: `+${r.phone}`,
            callerId: r.callerId,
            flowUrl: r.flowUrl,
            customField: r.attemptKey,
            timeOutSeconds: r.ringSeconds,
            timeLimitSeconds: r.maxCallSeconds,
            ...(r.statusCallbackUrl ? { statusCallbackUrl: r.statusCallbackUrl } : {}),
          },
          signal,
        );
        return { kind: 'placed', sid: call.sid, createdAt: call.dateCreated };
      } catch (error) {
        if (isExotelError(error) && error.kind !== 'ambiguous') return notPlaced(error);
        return { kind: 'unknown', message: error instanceof Error ? error.message : String(error) };
      }
    },
    async callDetails(sid, signal) {
      try {
        return toCallReport(await client.getCall(sid, signal));
      } catch (error) {
        if (isExotelError(error) && error.status === 404) return null;
        return failed(error);
      }
    },
    async finalCalls(phones, since, signal) {
      try {
        const calls = await client.listCalls({ from: phones.map(exotelForm), createdAfter: since }, signal);
        // Exotel's list omits ongoing calls; a fake or a future API that lists them must not be taken for final.
        return calls.filter((c) => FINAL_CALL_STATUSES.has(c.status)).map(toCallReport);
      } catch (error) {
        return failed(error);
      }
    },
    async finalCallsBySid(sids, since, signal) {
      try {
        const calls = await client.listCalls({ sids: [...sids], createdAfter: since }, signal);
        return calls.filter((c) => FINAL_CALL_STATUSES.has(c.status)).map(toCallReport);
      } catch (error) {
        return failed(error);
      }
    },
    close: () => client.close(),
  };
}
