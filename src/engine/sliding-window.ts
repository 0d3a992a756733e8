/**
 * The start times of recent requests, for a strict sliding-window limit: no span of `windowMs` may contain more than
 * `limit` starts. Times are kept (not counted per fixed minute) because Exotel's window slides: a fixed-minute counter
 * allows 2 × limit across a minute boundary.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  // Ascending start times, none older than one window.
  readonly #starts: number[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records a start at `time` (callers pass non-decreasing times). */
  record(time: number): void {
    this.#starts.push(time);
  }

  /**
   * The earliest time ≥ `now` at which one more start keeps every window within `limit`. Computed from recorded
   * times rather than accumulated delays, so late timers never drift the pace.
   */
  nextStartAt(now: number, limit: number): number {
    this.#prune(now);
    const count = this.#starts.length;
    if (count < limit) {
      return now;
    }

    // Once the (count - limit)-th start leaves the window, exactly limit - 1 remain in it.
    return Math.max(now, this.#starts[count - limit]! + this.#windowMs);
  }

  #prune(now: number): void {
    while (this.#starts.length > 0 && this.#starts[0]! + this.#windowMs <= now) {
      this.#starts.shift();
    }
  }
}
