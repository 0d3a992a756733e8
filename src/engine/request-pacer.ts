/**
 * What the engine needs from the account's pacer (AccountPacer implements it): one start per call of `take`, spaced
 * so that every process sharing the database together stays within Exotel's per-account limit.
 */
export interface RequestPacer {
  /** Resolves when one request may start; rejects with `signal.reason` on abort, taking nothing. */
  take(signal?: AbortSignal): Promise<void>;
  /**
   * Whether dialling is using the account's turns now: a request waits for a turn in this process, a turn is
   * reserved ahead (by any process), or a 429 hold is in force. Work that can wait (price lookups) waits while it is.
   */
  busy(): Promise<boolean>;
  /** Exotel answered 429: holds every process; returns the hold in ms from now. */
  hold(retryAfterMs?: number): Promise<number>;
  /** A request got through (resets the backoff of holds without Retry-After). */
  noteSuccess(): void;
  close(): void;
}
