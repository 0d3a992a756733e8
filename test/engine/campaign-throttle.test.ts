import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CampaignThrottle } from '../../src/engine/campaign-throttle.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});

afterEach(() => {
  vi.useRealTimers();
});

/** Starts a wait and records when it settles, without awaiting it. */
function track(promise: Promise<void>) {
  const state: { at?: number; error?: unknown } = {};
  promise.then(
    () => {
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
  it('spaces turns evenly at the campaign rate, the first one at once', async () => {
    const throttle = new CampaignThrottle(60);
    const turns = Array.from({ length: 4 }, () => track(throttle.wait()));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(turns.map((t) => t.at)).toEqual([0, 1_000, 2_000, 3_000]);
  });

  it('spaces a loop that waits for each turn in turn', async () => {
    const throttle = new CampaignThrottle(120);
    const at: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 4; i++) {
        await throttle.wait();
        at.push(Date.now());
      }
    })();
    await vi.advanceTimersByTimeAsync(5_000);
    await loop;
    expect(at).toEqual([0, 500, 1_000, 1_500]);
  });

  it('owes no burst after an idle spell', async () => {
    const throttle = new CampaignThrottle(60);
    await throttle.wait();
    await vi.advanceTimersByTimeAsync(10_000);
    const turns = [track(throttle.wait()), track(throttle.wait()), track(throttle.wait())];
    await vi.advanceTimersByTimeAsync(5_000);
    expect(turns.map((t) => t.at)).toEqual([10_000, 11_000, 12_000]);
  });
});

describe('setRate', () => {
  it('a higher rate starts one new gap after the last turn, not at once', async () => {
    const throttle = new CampaignThrottle(60);
    await throttle.wait();
    throttle.setRate(120);
    expect(throttle.rate).toBe(120);
    const turns = Array.from({ length: 3 }, () => track(throttle.wait()));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(turns.map((t) => t.at)).toEqual([500, 1_000, 1_500]);
  });

  it('a lower rate waits behind turns already promised at the old rate', async () => {
    const throttle = new CampaignThrottle(60);
    const old = [track(throttle.wait()), track(throttle.wait())];
    throttle.setRate(30);
    const next = [track(throttle.wait()), track(throttle.wait())];
    await vi.advanceTimersByTimeAsync(10_000);
    expect(old.map((t) => t.at)).toEqual([0, 1_000]);
    expect(next.map((t) => t.at)).toEqual([3_000, 5_000]);
  });

  it('the same rate changes nothing', async () => {
    const throttle = new CampaignThrottle(60);
    await throttle.wait();
    throttle.setRate(60);
    const turn = track(throttle.wait());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(turn.at).toBe(1_000);
  });
});

describe('abort', () => {
  it('rejects waiting and later turns with the signal reason', async () => {
    const controller = new AbortController();
    const throttle = new CampaignThrottle(60, controller.signal);
    const turns = [track(throttle.wait()), track(throttle.wait())];
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error('paused'));
    await vi.advanceTimersByTimeAsync(0);
    expect(turns.map((t) => [t.at, t.error])).toEqual([
      [0, undefined],
      [100, new Error('paused')],
    ]);
    await expect(throttle.wait()).rejects.toThrow('paused');
  });

  it('rejects a turn waiting for a new rate to begin', async () => {
    const controller = new AbortController();
    const throttle = new CampaignThrottle(60, controller.signal);
    await throttle.wait();
    throttle.setRate(6);
    const turn = track(throttle.wait());
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort(new Error('stopped'));
    await vi.advanceTimersByTimeAsync(0);
    expect(turn).toEqual({ at: 1_000, error: new Error('stopped') });
    throttle.setRate(30);
    expect(throttle.rate).toBe(30);
    await expect(throttle.wait()).rejects.toThrow('stopped');
  });
});

describe('validation', () => {
  it('fails at once on a bad rate', () => {
    expect(() => new CampaignThrottle(0)).toThrow('Expected `callsPerMinute` to be a finite number > 0, got 0');
    expect(() => new CampaignThrottle(Number.NaN)).toThrow('got NaN');
    expect(() => new CampaignThrottle(60).setRate(-1)).toThrow('got -1');
    expect(() => new CampaignThrottle(60, {} as AbortSignal)).toThrow('Expected `signal` to be an AbortSignal');
  });

  it('accepts a fractional fair share', async () => {
    const throttle = new CampaignThrottle(66.66);
    const turns = [track(throttle.wait()), track(throttle.wait())];
    await vi.advanceTimersByTimeAsync(2_000);
    expect(turns[1]!.at).toBe(901);
  });
});
