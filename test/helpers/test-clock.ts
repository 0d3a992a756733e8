// A business clock for tests of time rules (calling hours, retries, schedules, end dates) that must not wait for real
// hours to pass. It runs at the speed of real time from wherever it was set — calls still take their real seconds,
// leases and timers stay on real time — and jumps forward when a test says so. Every jump is remembered, so a real
// instant (when the fake Exotel received a request) maps back to the business time the engine read at that instant.
import { DateTime } from 'luxon';

/** Business time in `zone` written as people write it: `wallTime('2026-03-02 09:00')` is 09:00 IST that day. */
export function wallTime(text: string, zone = 'Asia/Kolkata'): Date {
  const at = DateTime.fromISO(text.replace(' ', 'T'), { zone });
  if (!at.isValid) throw new TypeError(`Expected \`text\` to be a local date and time such as 2026-03-02 09:00, got \`${text}\``);
  return at.toJSDate();
}

export class TestClock {
  /** From real instant `fromReal` on, business time = real time + `offset` (ms). */
  readonly #segments: Array<{ fromReal: number; offset: number }> = [];

  constructor(start: Date) {
    const real = Date.now();
    this.#segments.push({ fromReal: real, offset: start.getTime() - real });
  }

  /** The business time now; pass it as `now` to createRuntime. */
  readonly now = (): Date => new Date(Date.now() + this.#segments.at(-1)!.offset);

  /** Jumps to `at`, which must not be earlier than the clock's time (business time never goes back). */
  set(at: Date): void {
    const real = Date.now();
    const current = real + this.#segments.at(-1)!.offset;
    if (at.getTime() < current) {
      throw new RangeError(`Expected \`at\` to be no earlier than the clock's ${new Date(current).toISOString()}, got ${at.toISOString()}`);
    }
    this.#segments.push({ fromReal: real, offset: at.getTime() - real });
  }

  /** Jumps forward by `ms`. */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`Expected \`ms\` to be a finite number ≥ 0, got ${ms}`);
    this.set(new Date(this.now().getTime() + ms));
  }

  /** The business time the clock showed at real instant `real` (a request's arrival, say). */
  at(real: Date | number): Date {
    const t = typeof real === 'number' ? real : real.getTime();
    let offset = this.#segments[0]!.offset;
    for (const segment of this.#segments) if (segment.fromReal <= t) offset = segment.offset;
    return new Date(t + offset);
  }

  /** Real instants at which the clock jumped (after the first setting). */
  get jumps(): number[] {
    return this.#segments.slice(1).map((s) => s.fromReal);
  }
}
