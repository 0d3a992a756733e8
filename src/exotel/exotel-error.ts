/**
 * What a failed Exotel request means for the call it tried to place:
 * - `definite`: Exotel answered with a rejection (4xx other than 429); no call was placed, retrying will not help.
 * - `retryable`: the request never reached Exotel (refused, DNS, connect timeout) or Exotel asked us to come back
 *   (429; and a 5xx, 408 or 499 on a read); no call was placed, the same request may be sent again later.
 * - `ambiguous`: the request may have reached Exotel and we never learned the answer (response timeout, socket reset,
 *   unreadable success body, a 5xx, 408 or 499 on place-call); a call may exist and must be reconciled before the
 *   number is dialled again.
 */
export type ExotelErrorKind = 'definite' | 'retryable' | 'ambiguous';

export interface ExotelErrorOptions {
  kind: ExotelErrorKind;
  /** HTTP status, when Exotel answered. */
  status?: number;
  /** `RestException.Code`, when Exotel sent one. */
  code?: string;
  /** `RestException.Message`, already stripped of credentials. */
  exotelMessage?: string;
  /** From the `Retry-After` of a 429 (or 503), seconds or HTTP date, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Every failure of the Exotel client. Messages and fields never contain the API key, token or Authorization header:
 * the client redacts them before constructing this error, so it is safe to log and to show.
 */
export class ExotelError extends Error {
  override readonly name = 'ExotelError';
  readonly kind: ExotelErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly exotelMessage?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, options: ExotelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    if (options.status !== undefined) this.status = options.status;
    if (options.code !== undefined) this.code = options.code;
    if (options.exotelMessage !== undefined) this.exotelMessage = options.exotelMessage;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** Shorthand for the engine: no call was placed and sending again later is allowed. */
  get retryable(): boolean {
    return this.kind === 'retryable';
  }
}

export function isExotelError(e: unknown): e is ExotelError {
  return e instanceof ExotelError;
}
