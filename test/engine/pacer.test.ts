import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pacer, type PacerPermit } from '../../src/engine/pacer.js';

const minute = 60_000;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

async function sleep(ms: number): Promise<void> {
  return new Promise(resolve => {
    setTimeout(resolve, ms);
  });
}

/** One request as a campaign run makes it: wait for the pacer, note the start, hold the permit while "Exotel" answers. */
async function request(pacer: Pacer, starts: number[], latencyMs: number, signal?: AbortSignal): Promise<void> {
  const permit = await pacer.acquire(signal);
  starts.push(Date.now());
  try {
    await sleep(latencyMs);
  } finally {
    permit.release();
  }
}

/** The most starts any window of `windowMs` holds; `closed` also counts a start exactly `windowMs` after another. */
function maxStartsInAnyWindow(starts: readonly number[], windowMs: number, closed = false): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j < sorted.length && (closed ? sorted[j]! - sorted[i]! <= windowMs : sorted[j]! - sorted[i]! < windowMs)) {
      j++;
    }

    max = Math.max(max, j - i);
  }

  return max;
}

/** Starts an acquire and records when it settles, without awaiting it. */
function track(promise: Promise<PacerPermit>) {
  const state: {permit?: PacerPermit; error?: unknown; at?: number} = {};
  promise.then(
    permit => {
      state.permit = permit;
      state.at = Date.now();
    },
    (error: unknown) => {
      state.error = error;
      state.at = Date.now();
    },
  );
  return state;
}

describe('rate-limit', () => {
  it('runs 200 requests at 60/min with the window full and never over', async () => {
    const pacer = new Pacer({callsPerMinute: 60, guardMs: 0});
    vi.setSystemTime(0);
    const starts: number[] = [];
    const all = Promise.all(Array.from({length: 200}, async () => request(pacer, starts, 200)));
    await vi.advanceTimersByTimeAsync(4 * minute);
    await all;

    expect(starts).toHaveLength(200);
    expect(maxStartsInAnyWindow(starts, minute)).toBe(60);
    // Full pace: each start comes exactly one window after the start 60 places before it, no slack, no drift.
    for (let i = 60; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 60]!).toBe(minute);
    }

    // 60 per window: the last batch begins three windows in (the in-flight cap spreads each batch over ~1 s).
    expect(starts.at(-1)!).toBeGreaterThanOrEqual(3 * minute);
    expect(starts.at(-1)!).toBeLessThan(3 * minute + 1000);
    expect(pacer.stats).toEqual({inFlight: 0, waiting: 0, heldUntil: null, started: 200});
  });

  it('keeps at least 0.98 of the rate with the default guard, and no closed window over the limit', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    const starts: number[] = [];
    const all = Promise.all(Array.from({length: 300}, async () => request(pacer, starts, 200)));
    await vi.advanceTimersByTimeAsync(6 * minute);
    await all;

    expect(maxStartsInAnyWindow(starts, minute, true)).toBe(60);
    for (let i = 60; i < starts.length; i++) {
      const gap = starts[i]! - starts[i - 60]!;
      expect(gap).toBeGreaterThan(minute);
      expect(60 / gap).toBeGreaterThanOrEqual(0.98 * (60 / minute));
    }
  });

  it('sustains 200/min with ten requests in flight', async () => {
    const pacer = new Pacer({callsPerMinute: 200, guardMs: 0});
    vi.setSystemTime(0);
    const starts: number[] = [];
    const all = Promise.all(Array.from({length: 1000}, async () => request(pacer, starts, 100)));
    await vi.advanceTimersByTimeAsync(6 * minute);
    await all;

    expect(maxStartsInAnyWindow(starts, minute)).toBe(200);
    expect(starts.at(-1)!).toBeLessThan(4 * minute + 2000);
  });

  it('keeps one timer at most, however many wait', async () => {
    const pacer = new Pacer({callsPerMinute: 5, windowMs: 1000, guardMs: 0, maxInFlight: Number.POSITIVE_INFINITY});
    const waiters = Array.from({length: 50}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(0);
    expect(waiters.filter(w => w.permit)).toHaveLength(5);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiters.filter(w => w.permit)).toHaveLength(50);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('strict window', () => {
  it('counts starts over the last windowMs, not per fixed minute', async () => {
    const pacer = new Pacer({callsPerMinute: 5, windowMs: 1000, guardMs: 0, maxInFlight: 100});
    vi.setSystemTime(0);
    const early = Array.from({length: 3}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(900);
    const late = Array.from({length: 5}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(0);
    // Two places were left at 900; a fixed-window counter would have allowed five more at 1000.
    expect([...early, ...late].map(w => w.at)).toEqual([0, 0, 0, 900, 900, undefined, undefined, undefined]);
    await vi.advanceTimersByTimeAsync(99);
    expect(late[2]!.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(late.map(w => w.at)).toEqual([900, 900, 1000, 1000, 1000]);
  });

  it('does not start early when a timer fires before the clock reaches the slot', async () => {
    let lag = 0;
    const pacer = new Pacer({callsPerMinute: 1, windowMs: 1000, guardMs: 0, now: () => Date.now() - lag});
    vi.setSystemTime(0);
    (await pacer.acquire()).release();
    const next = track(pacer.acquire());
    lag = 5; // The pacer's clock now runs 5 ms behind the timers.
    await vi.advanceTimersByTimeAsync(1000);
    expect(next.permit).toBeUndefined();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(next.at).toBe(1005);
  });

  it('applies a lower rate live, counting starts already made', async () => {
    const pacer = new Pacer({callsPerMinute: 10, windowMs: 1000, guardMs: 0, maxInFlight: 100});
    vi.setSystemTime(0);
    const first = Array.from({length: 8}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(0);
    expect(first.every(w => w.permit)).toBe(true);
    pacer.setCallsPerMinute(4);
    const next = Array.from({length: 4}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(999);
    expect(next.some(w => w.permit)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.map(w => w.at)).toEqual([1000, 1000, 1000, 1000]);
  });

  it('applies a higher rate live to those already waiting', async () => {
    const pacer = new Pacer({callsPerMinute: 2, windowMs: 1000, guardMs: 0});
    vi.setSystemTime(0);
    const waiters = Array.from({length: 4}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(100);
    expect(waiters.filter(w => w.permit)).toHaveLength(2);
    pacer.setCallsPerMinute(4);
    await vi.advanceTimersByTimeAsync(0);
    expect(waiters.map(w => w.at)).toEqual([0, 0, 100, 100]);
  });

  it('keeps each start counted for windowMs + guardMs', async () => {
    const pacer = new Pacer({callsPerMinute: 1, windowMs: 1000, guardMs: 50});
    vi.setSystemTime(0);
    (await pacer.acquire()).release();
    const next = track(pacer.acquire());
    await vi.advanceTimersByTimeAsync(1049);
    expect(next.permit).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(1050);
  });
});

describe('in-flight cap', () => {
  it('grants no more than maxInFlight permits at once', async () => {
    const pacer = new Pacer({callsPerMinute: 200, maxInFlight: 3});
    const waiters = Array.from({length: 6}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiters.filter(w => w.permit)).toHaveLength(3);
    expect(pacer.stats).toMatchObject({inFlight: 3, waiting: 3});
    // Waiting on the cap needs no timer: release() wakes the queue.
    expect(vi.getTimerCount()).toBe(0);

    waiters[0]!.permit!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(waiters.filter(w => w.permit)).toHaveLength(4);
    expect(waiters[3]!.permit).toBeDefined();
  });

  it('frees one place per permit however often release is called', async () => {
    const pacer = new Pacer({callsPerMinute: 200, maxInFlight: 2});
    const waiters = Array.from({length: 4}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(0);
    const permit = waiters[0]!.permit!;
    permit.release();
    permit.release();
    permit.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(waiters.filter(w => w.permit)).toHaveLength(3);
    expect(pacer.stats.inFlight).toBe(2);
  });

  it('never has more than maxInFlight requests running under load', async () => {
    const pacer = new Pacer({callsPerMinute: 200, maxInFlight: 4});
    let running = 0;
    let peak = 0;
    const all = Promise.all(
      Array.from({length: 100}, async (_, i) => {
        const permit = await pacer.acquire();
        running++;
        peak = Math.max(peak, running);
        await sleep(50 + (i % 7) * 30);
        running--;
        permit.release();
      }),
    );
    await vi.advanceTimersByTimeAsync(minute);
    await all;
    expect(peak).toBe(4);
  });
});

describe('hold', () => {
  it('delays every waiting and future acquire until a 5 s hold ends', async () => {
    const pacer = new Pacer({callsPerMinute: 200, maxInFlight: 100});
    vi.setSystemTime(0);
    const first = track(pacer.acquire());
    await vi.advanceTimersByTimeAsync(0);
    expect(first.permit).toBeDefined();

    expect(pacer.holdFor(5000)).toBe(5000);
    expect(pacer.stats.heldUntil).toBe(5000);
    const campaignA = [track(pacer.acquire()), track(pacer.acquire())];
    await vi.advanceTimersByTimeAsync(2000);
    const campaignB = [track(pacer.acquire())];
    await vi.advanceTimersByTimeAsync(2999);
    expect([...campaignA, ...campaignB].some(w => w.permit)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect([...campaignA, ...campaignB].map(w => w.at)).toEqual([5000, 5000, 5000]);
    expect(pacer.stats.heldUntil).toBeNull();
  });

  it('backs off 1, 2, 4 … 60 s without Retry-After, and starts again from 1 s after a success', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    const holds: number[] = [];
    for (let i = 0; i < 9; i++) {
      holds.push(pacer.holdFor());
      await vi.advanceTimersByTimeAsync(holds.at(-1)!);
    }

    expect(holds).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    pacer.noteSuccess();
    expect(pacer.holdFor()).toBe(1000);
  });

  it('counts the 429s of one burst as one backoff step', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    vi.setSystemTime(0);
    expect(pacer.holdFor()).toBe(1000);
    await vi.advanceTimersByTimeAsync(100);
    expect(pacer.holdFor()).toBe(900);
    expect(pacer.holdFor()).toBe(900);
    await vi.advanceTimersByTimeAsync(900);
    expect(pacer.holdFor()).toBe(2000);
  });

  it('lets a longer Retry-After extend a hold and never lets a shorter one cut it', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    vi.setSystemTime(0);
    expect(pacer.holdFor(3000)).toBe(3000);
    expect(pacer.holdFor(1000)).toBe(3000);
    expect(pacer.holdFor(10_000)).toBe(10_000);
    expect(pacer.stats.heldUntil).toBe(10_000);
  });

  it('still respects the window when a hold ends', async () => {
    const pacer = new Pacer({callsPerMinute: 2, windowMs: 10_000, guardMs: 0});
    vi.setSystemTime(0);
    pacer.holdFor(1000);
    const waiters = Array.from({length: 3}, () => track(pacer.acquire()));
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiters.map(w => w.at)).toEqual([1000, 1000, undefined]);
    waiters[0]!.permit!.release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiters[2]!.at).toBe(11_000);
  });
});

describe('abort', () => {
  it('rejects a waiter with the signal reason and gives its turn to the next', async () => {
    const pacer = new Pacer({callsPerMinute: 200, maxInFlight: 1});
    const holder = track(pacer.acquire());
    const controller = new AbortController();
    const aborted = track(pacer.acquire(controller.signal));
    const next = track(pacer.acquire());
    await vi.advanceTimersByTimeAsync(0);
    expect(pacer.stats.waiting).toBe(2);

    const reason = new Error('campaign paused');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(aborted.error).toBe(reason);
    expect(pacer.stats.waiting).toBe(1);

    holder.permit!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(next.permit).toBeDefined();
    expect(pacer.stats).toMatchObject({inFlight: 1, waiting: 0, started: 2});
  });

  it('does not spend a place in the window for an aborted waiter', async () => {
    const pacer = new Pacer({callsPerMinute: 2, windowMs: 1000, guardMs: 0});
    vi.setSystemTime(0);
    const first = [track(pacer.acquire()), track(pacer.acquire())];
    const controller = new AbortController();
    const aborted = track(pacer.acquire(controller.signal));
    const later = [track(pacer.acquire()), track(pacer.acquire())];
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect((aborted.error as Error).name).toBe('AbortError');
    for (const w of first) {
      w.permit!.release();
    }

    await vi.advanceTimersByTimeAsync(500);
    expect(later.map(w => w.at)).toEqual([1000, 1000]);
  });

  it('rejects at once with the reason of a signal already aborted, taking nothing', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    const reason = new Error('stopped');
    await expect(pacer.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(pacer.stats).toMatchObject({inFlight: 0, waiting: 0, started: 0});
  });

  it('ignores an abort after the permit was granted', async () => {
    const pacer = new Pacer({callsPerMinute: 60});
    const controller = new AbortController();
    const permit = await pacer.acquire(controller.signal);
    controller.abort();
    expect(pacer.stats).toMatchObject({inFlight: 1, started: 1});
    permit.release();
    expect(pacer.stats.inFlight).toBe(0);
  });

  it('rejects every waiter and later acquire with an AbortError on close', async () => {
    const pacer = new Pacer({callsPerMinute: 1});
    const granted = track(pacer.acquire());
    const waiters = [track(pacer.acquire()), track(pacer.acquire())];
    await vi.advanceTimersByTimeAsync(0);
    pacer.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.permit).toBeDefined();
    for (const w of waiters) {
      expect(w.error).toBeInstanceOf(DOMException);
      expect((w.error as DOMException).name).toBe('AbortError');
    }

    expect(vi.getTimerCount()).toBe(0);
    await expect(pacer.acquire()).rejects.toMatchObject({name: 'AbortError'});
    granted.permit!.release();
    expect(pacer.stats).toMatchObject({inFlight: 0, waiting: 0});
  });
});

describe('fairness', () => {
  it('grants in arrival order across campaigns', async () => {
    const pacer = new Pacer({callsPerMinute: 3, windowMs: 1000, guardMs: 0});
    const order: string[] = [];
    const take = async (name: string) => {
      const permit = await pacer.acquire();
      order.push(name);
      permit.release();
    };

    const all = [
      ...Array.from({length: 6}, async (_, i) => take(`A${i}`)),
      take('B0'),
      take('A6'),
      take('B1'),
    ];
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    expect(order).toEqual(['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'B0', 'A6', 'B1']);
  });

  it('does not let a campaign with many workers starve one with a single worker', async () => {
    const pacer = new Pacer({callsPerMinute: 20, windowMs: 1000, guardMs: 0, maxInFlight: 4});
    const order: string[] = [];
    const controller = new AbortController();
    const worker = async (name: string) => {
      while (!controller.signal.aborted) {
        let permit: PacerPermit;
        try {
          permit = await pacer.acquire(controller.signal);
        } catch {
          return;
        }

        order.push(name);
        await sleep(30);
        permit.release();
      }
    };

    const workers = [...Array.from({length: 8}, async () => worker('A')), worker('B')];
    await vi.advanceTimersByTimeAsync(10_000);
    controller.abort();
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(workers);

    // B is back in the queue after each start and only the nine workers ahead of it can go first.
    const bAt = order.flatMap((name, index) => (name === 'B' ? [index] : []));
    expect(bAt[0]).toBeLessThan(9);
    for (let i = 1; i < bAt.length; i++) {
      expect(bAt[i]! - bAt[i - 1]!).toBeLessThanOrEqual(9);
    }

    expect(bAt.length).toBeGreaterThanOrEqual(order.length / 9 - 1);
  });
});

describe('validation', () => {
  it.each([0, 201, 1.5, Number.NaN, -1, '60', undefined])('rejects callsPerMinute %s', value => {
    expect(() => new Pacer({callsPerMinute: value as number})).toThrow(
      new TypeError(`Expected \`callsPerMinute\` to be an integer from 1 to 200, got ${String(value)}`),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxInFlight %s', value => {
    expect(() => new Pacer({callsPerMinute: 60, maxInFlight: value})).toThrow(/^Expected `maxInFlight` to be/);
  });

  it.each([0, -1, Number.POSITIVE_INFINITY, Number.NaN])('rejects windowMs %s', value => {
    expect(() => new Pacer({callsPerMinute: 60, windowMs: value})).toThrow(/^Expected `windowMs` to be/);
  });

  it('rejects a bad guardMs, clock or options', () => {
    expect(() => new Pacer({callsPerMinute: 60, guardMs: -1})).toThrow(/^Expected `guardMs` to be/);
    expect(() => new Pacer({callsPerMinute: 60, now: 5 as unknown as () => number})).toThrow(
      'Expected `now` to be a function, got number',
    );
    expect(() => new Pacer(undefined as unknown as {callsPerMinute: number})).toThrow(TypeError);
  });

  it('accepts the bounds', () => {
    expect(() => new Pacer({callsPerMinute: 1})).not.toThrow();
    expect(() => new Pacer({callsPerMinute: 200, maxInFlight: Number.POSITIVE_INFINITY, guardMs: 0})).not.toThrow();
  });

  it('rejects a bad live rate and keeps the old one', async () => {
    const pacer = new Pacer({callsPerMinute: 1, windowMs: 1000, guardMs: 0});
    expect(() => {
      pacer.setCallsPerMinute(500);
    }).toThrow('Expected `callsPerMinute` to be an integer from 1 to 200, got 500');
    vi.setSystemTime(0);
    (await pacer.acquire()).release();
    const next = track(pacer.acquire());
    await vi.advanceTimersByTimeAsync(999);
    expect(next.permit).toBeUndefined();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects retryAfterMs %s', value => {
    const pacer = new Pacer({callsPerMinute: 60});
    expect(() => pacer.holdFor(value)).toThrow(/^Expected `retryAfterMs` to be a finite number ≥ 0, got/);
    expect(pacer.stats.heldUntil).toBeNull();
  });
});
