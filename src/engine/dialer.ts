// The engine's port to a telephony provider, in the engine's words. `src/exotel` implements it for Exotel (and for
// rehearsals); a second provider would implement the same port rather than pretend to be Exotel.
import type { Outcome } from '../campaigns/vocabulary.js';

export interface DialRequest {
  /** Normalised number, 91XXXXXXXXXX. */
  phone: string;
  callerId: string;
  flowUrl: string;
  /** Where the provider reports the call's end; undefined to rely on call details. */
  statusCallbackUrl?: string;
  /** Echoed back with every report of this call: `<contact id>:<try>`. */
  attemptKey: string;
  /** How long the number may ring, seconds (Exotel's TimeOut). */
  ringSeconds: number;
  /** Longest call, seconds (Exotel's TimeLimit). */
  maxCallSeconds: number;
}

/** What a request to place a call did. */
export type DialResult =
  | { kind: 'placed'; sid: string; createdAt: Date | null }
  | {
      kind: 'not-placed';
      /** rate-limited / unavailable: send again later; number: this number never works; account: no number will (credentials, plan, caller id). */
      why: 'rate-limited' | 'unavailable' | 'number' | 'account';
      message: string;
      httpStatus?: number;
      /** Groups identical refusals (the same error for every number means the account's settings are wrong). */
      signature?: string;
      retryAfterMs?: number;
    }
  /** The request may have placed a call: it must be looked up before the number is dialled again. */
  | { kind: 'unknown'; message: string };

/** What the provider knows about one call. */
export interface CallReport {
  sid: string;
  /** The provider's status word. */
  status: string;
  /** True once the call can no longer change. */
  final: boolean;
  outcome: Outcome | null;
  /** The `attemptKey` the call was placed with, when the provider echoes it. */
  attemptKey: string | null;
  /** Normalised number, 91XXXXXXXXXX, when known. */
  phone: string | null;
  createdAt: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  price: number | null;
  answeredBy: string | null;
}

/** The provider could not be asked (network, 5xx, 429); try again later. */
export class DialerUnavailableError extends Error {
  override readonly name = 'DialerUnavailableError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly rateLimited = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Dialer {
  /** True when nothing is really dialled. */
  readonly rehearsal: boolean;
  /** Never throws for the provider's answers: every failure is a DialResult. */
  placeCall(request: DialRequest, signal?: AbortSignal): Promise<DialResult>;
  /** Details of one call; null when the provider does not know the sid. Throws DialerUnavailableError. */
  callDetails(sid: string, signal?: AbortSignal): Promise<CallReport | null>;
  /**
   * Final calls from these numbers (at most 5) created at or after `since`. Calls still queued, ringing or in
   * progress are NOT listed (Exotel's bulk list omits them): absence proves nothing while a call may be live.
   * Throws DialerUnavailableError.
   */
  finalCalls(phones: readonly string[], since: Date, signal?: AbortSignal): Promise<CallReport[]>;
  /**
   * Final calls among these sids (at most 100) created at or after `since`, in one request: how prices are fetched in
   * bulk. A sid left out is still live or not known to the provider. Throws DialerUnavailableError.
   */
  finalCallsBySid(sids: readonly string[], since: Date, signal?: AbortSignal): Promise<CallReport[]>;
  close(): Promise<void>;
}
