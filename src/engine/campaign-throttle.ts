/*
 * One campaign's own pace, in this process: its turns come evenly spaced at its share of the account's rate, so
 * campaigns sharing an account interleave instead of the first one taking every turn of the account pacer.
 *
 * The spacing is p-throttle's (strict mode, limit 1 per 60 s / rate). p-throttle fixes its rate when it is created,
 * so a new rate makes a new throttle; its first call would be immediate, so the first turn at the new rate waits
 * behind every turn already promised at the old rate and then one new gap after the last of them.
 */
import pThrottle from 'p-throttle';
import { sleep } from '../store/persist.js';

const noop = () => {};

export class CampaignThrottle {
  readonly #signal: AbortSignal | undefined;
  #rate: number;
  /** Waits of the current rate start after this: the old rate's last turn plus one gap at the new rate. */
  #gate: Promise<void> = Promise.resolve();
  /** The turn promised last, at any rate. */
  #tail: Promise<void> = Promise.resolve();
  #turn: () => Promise<void>;
  #lastTurnAt: number | undefined;

  /**
   * @param callsPerMinute this campaign's pace: a finite number > 0 (fair shares need not be whole).
   * @param signal aborting it rejects every waiting and later `wait()` with `signal.reason`.
   */
  constructor(callsPerMinute: number, signal?: AbortSignal) {
    assertRate(callsPerMinute);
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${String(signal)}`);
    }
    this.#signal = signal;
    this.#rate = callsPerMinute;
    this.#turn = this.#throttle(callsPerMinute);
  }

  get rate(): number {
    return this.#rate;
  }

  /** Waits for this campaign's next turn (even spacing at its own rate); rejects on abort. */
  wait(): Promise<void> {
    if (this.#signal?.aborted) return Promise.reject(this.#signal.reason);
    const turn = this.#turn;
    const promised = this.#gate
      .then(() => turn())
      .then(() => {
        this.#lastTurnAt = Date.now();
      });
    this.#tail = promised;
    return promised;
  }

  /** Changes the rate from the next turn on (e.g. when fair shares change). */
  setRate(callsPerMinute: number): void {
    assertRate(callsPerMinute);
    if (callsPerMinute === this.#rate) return;
    this.#rate = callsPerMinute;
    // p-throttle refuses an aborted signal, and every wait() rejects from now on anyway.
    if (this.#signal?.aborted) return;
    const gapMs = gapFor(callsPerMinute);
    const previous = this.#tail;
    this.#gate = previous.catch(noop).then(async () => {
      const waitMs = this.#lastTurnAt === undefined ? 0 : this.#lastTurnAt + gapMs - Date.now();
      if (waitMs > 0) await sleep(waitMs, this.#signal);
      else this.#signal?.throwIfAborted();
    });
    // Rejects only on abort, which every wait() reports; nobody may be waiting to hear it.
    this.#gate.catch(noop);
    this.#tail = this.#gate;
    this.#turn = this.#throttle(callsPerMinute);
  }

  #throttle(callsPerMinute: number): () => Promise<void> {
    const throttle = pThrottle({
      limit: 1,
      interval: gapFor(callsPerMinute),
      strict: true,
      ...(this.#signal ? { signal: this.#signal } : {}),
    });
    return throttle(async () => {});
  }
}

/** Whole milliseconds, rounded up: timers count whole milliseconds, and a turn must never come early. */
function gapFor(callsPerMinute: number): number {
  return Math.ceil(60_000 / callsPerMinute);
}

function assertRate(value: unknown): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`Expected \`callsPerMinute\` to be a finite number > 0, got ${String(value)}`);
  }
}
