/*
 * Why not p-throttle (strict) or p-queue: p-throttle reserves a future time for every call as soon as it is queued, so
 * a Retry-After hold cannot move those reservations, an aborted waiter's reservation is never given back, and it has
 * no in-flight cap; p-queue's interval limit uses fixed windows (2 × N across a boundary). Here a place in the window
 * is taken only at the moment a permit is granted, which makes hold, abort, live rate changes and the in-flight cap
 * one check at the head of a single FIFO queue.
 */
import { SlidingWindow } from './sliding-window.js';

export interface PacerOptions {
  /** Request starts allowed in any window of `windowMs` (Exotel counts per account per minute). Integer 1..200. */
  callsPerMinute: number;
  /** Permits held at once; a permit is held from start until the caller has Exotel's answer. Default 10. */
  maxInFlight?: number;
  /** Length of the sliding window in ms. Default 60_000; tests shrink it. */
  windowMs?: number;
  /**
   * Extra ms each start stays counted beyond `windowMs`, because Exotel counts arrivals, not our starts: network
   * jitter can bring two starts exactly one window apart closer together. Default windowMs / 200 (300 ms for a
   * minute, 0.5 % of the rate).
   */
  guardMs?: number;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
}

export interface PacerPermit {
  /** Frees the in-flight place; call it once Exotel answered or the request failed. Idempotent. */
  release(): void;
}

export interface PacerStats {
  inFlight: number;
  waiting: number;
  /** End of the current hold, or null when none is in effect. */
  heldUntil: number | null;
  /** Permits granted since construction. */
  started: number;
}

interface Waiter {
  resolve: (permit: PacerPermit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const maxCallsPerMinute = 200;
const firstBackoffMs = 1000;
const maxBackoffMs = 60_000;

export class Pacer {
  #callsPerMinute: number;
  readonly #maxInFlight: number;
  readonly #now: () => number;
  readonly #window: SlidingWindow;
  readonly #queue: Waiter[] = [];
  #inFlight = 0;
  #started = 0;
  #heldUntil = 0;
  #backoffStep = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #closed = false;

  constructor(options: PacerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
    }

    const {maxInFlight = 10, windowMs = 60_000, now = () => Date.now()} = options;
    assertCallsPerMinute(options.callsPerMinute);
    if (!(maxInFlight === Number.POSITIVE_INFINITY || (Number.isInteger(maxInFlight) && maxInFlight >= 1))) {
      throw new TypeError(`Expected \`maxInFlight\` to be an integer ≥ 1 or Infinity, got ${String(maxInFlight)}`);
    }

    if (!(Number.isFinite(windowMs) && windowMs > 0)) {
      throw new TypeError(`Expected \`windowMs\` to be a finite number > 0, got ${String(windowMs)}`);
    }

    const {guardMs = windowMs / 200} = options;
    if (!(Number.isFinite(guardMs) && guardMs >= 0)) {
      throw new TypeError(`Expected \`guardMs\` to be a finite number ≥ 0, got ${String(guardMs)}`);
    }

    if (typeof now !== 'function') {
      throw new TypeError(`Expected \`now\` to be a function, got ${typeof now}`);
    }

    this.#callsPerMinute = options.callsPerMinute;
    this.#maxInFlight = maxInFlight;
    this.#now = now;
    this.#window = new SlidingWindow(windowMs + guardMs);
  }

  get stats(): PacerStats {
    return {
      inFlight: this.#inFlight,
      waiting: this.#queue.length,
      heldUntil: this.#heldUntil > this.#now() ? this.#heldUntil : null,
      started: this.#started,
    };
  }

  /** Waits for a place in the window and an in-flight place, in FIFO order; rejects with `signal.reason` on abort. */
  async acquire(signal?: AbortSignal): Promise<PacerPermit> {
    if (this.#closed) {
      throw closedError();
    }

    signal?.throwIfAborted();
    return new Promise<PacerPermit>((resolve, reject) => {
      const waiter: Waiter = {resolve, reject, signal, onAbort: undefined};
      if (signal) {
        // Nothing is reserved before the grant, so leaving the queue is all an abort has to undo.
        waiter.onAbort = () => {
          this.#remove(waiter);
          reject(signal.reason);
          this.#pump();
        };
        signal.addEventListener('abort', waiter.onAbort, {once: true});
      }

      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /**
   * After a 429, holds every waiting and future acquire. With Exotel's Retry-After, holds that long; without it,
   * backs off 1 s, 2 s, 4 s … 60 s until `noteSuccess()`. A backoff during a hold does not escalate: the in-flight
   * requests of one burst all come back 429 together and are one signal, not several. Returns the hold in ms from now.
   */
  holdFor(retryAfterMs?: number): number {
    if (retryAfterMs !== undefined && !(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) {
      throw new TypeError(`Expected \`retryAfterMs\` to be a finite number ≥ 0, got ${String(retryAfterMs)}`);
    }

    const now = this.#now();
    let holdMs = retryAfterMs;
    if (holdMs === undefined) {
      if (this.#heldUntil > now) {
        return this.#heldUntil - now;
      }

      holdMs = Math.min(firstBackoffMs * 2 ** this.#backoffStep, maxBackoffMs);
      if (holdMs < maxBackoffMs) {
        this.#backoffStep++;
      }
    }

    this.#heldUntil = Math.max(this.#heldUntil, now + holdMs);
    this.#pump();
    return this.#heldUntil - now;
  }

  /** A request got through: the next 429 without Retry-After starts backing off from 1 s again. */
  noteSuccess(): void {
    this.#backoffStep = 0;
  }

  /** Changes the pace live; starts already recorded keep counting against the new limit. */
  setCallsPerMinute(callsPerMinute: number): void {
    assertCallsPerMinute(callsPerMinute);
    this.#callsPerMinute = callsPerMinute;
    this.#pump();
  }

  /** Rejects every waiter and every later acquire with an AbortError; permits already granted may still be released. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
    const error = closedError();
    for (const waiter of this.#queue.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort!);
      waiter.reject(error);
    }
  }

  // Grants from the head while it may start; otherwise arms the one timer for when it may. An in-flight wait needs
  // no timer: release() pumps.
  #pump(): void {
    while (!this.#closed && this.#queue.length > 0) {
      if (this.#inFlight >= this.#maxInFlight) {
        this.#clearTimer();
        return;
      }

      const now = this.#now();
      const startAt = Math.max(this.#heldUntil, this.#window.nextStartAt(now, this.#callsPerMinute));
      if (startAt > now) {
        this.#armTimer(startAt, now);
        return;
      }

      this.#grant(this.#queue.shift()!, now);
    }

    this.#clearTimer();
  }

  #grant(waiter: Waiter, now: number): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort!);
    this.#window.record(now);
    this.#started++;
    this.#inFlight++;
    let released = false;
    waiter.resolve({
      release: () => {
        if (released) {
          return;
        }

        released = true;
        this.#inFlight--;
        this.#pump();
      },
    });
  }

  #armTimer(at: number, now: number): void {
    if (this.#timer !== undefined && this.#timerAt === at) {
      return;
    }

    this.#clearTimer();
    this.#timerAt = at;
    // Timers may fire a little early or late; #pump re-reads the clock, so either only costs one more turn.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, at - now);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #remove(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index !== -1) {
      this.#queue.splice(index, 1);
    }
  }
}

function assertCallsPerMinute(value: unknown): asserts value is number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maxCallsPerMinute)) {
    throw new TypeError(`Expected \`callsPerMinute\` to be an integer from 1 to ${maxCallsPerMinute}, got ${String(value)}`);
  }
}

function closedError(): DOMException {
  return new DOMException('The pacer was closed', 'AbortError');
}
