// When a finished call earns another attempt: outcomes the policy names, a delay per outcome (doubling when
// exponential), the attempt cap, and the campaign's end; and how a policy is described to people.
import { describe, expect, it } from 'vitest';
import { describeRetry, humanSeconds, nextAttemptAt } from '../../src/campaigns/retry-policy.js';
import type { RetryPolicy } from '../../src/store/campaign-model.js';

const now = new Date('2026-11-25T06:00:00Z');
const policy: RetryPolicy = {
  on: ['busy', 'no-answer'],
  max_attempts: 3,
  delays: { busy: 600, 'no-answer': 7200, failed: 1800 },
  exponential: false,
};
const plus = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('nextAttemptAt', () => {
  it('waits the delay of the outcome that ended the call', () => {
    expect(nextAttemptAt(policy, 'busy', 1, now)).toEqual(plus(600));
    expect(nextAttemptAt(policy, 'no-answer', 2, now)).toEqual(plus(7200));
    expect(nextAttemptAt({ ...policy, on: ['failed'] }, 'failed', 1, now)).toEqual(plus(1800));
  });

  it('stops once the attempts reach the cap (attempts count the one that just ended)', () => {
    expect(nextAttemptAt(policy, 'busy', 2, now)).toEqual(plus(600));
    expect(nextAttemptAt(policy, 'busy', 3, now)).toBeNull();
    expect(nextAttemptAt(policy, 'busy', 4, now)).toBeNull();
    expect(nextAttemptAt({ ...policy, max_attempts: 1 }, 'busy', 1, now)).toBeNull();
  });

  it('never retries a completed or canceled call, whatever the policy', () => {
    const everything = { ...policy, on: ['busy', 'no-answer', 'failed'] } as RetryPolicy;
    expect(nextAttemptAt(everything, 'completed', 1, now)).toBeNull();
    expect(nextAttemptAt(everything, 'canceled', 1, now)).toBeNull();
  });

  it('does not retry outcomes the policy leaves out', () => {
    expect(nextAttemptAt(policy, 'failed', 1, now)).toBeNull();
    expect(nextAttemptAt({ ...policy, on: [] }, 'busy', 1, now)).toBeNull();
  });

  it('a zero delay makes the retry due at once', () => {
    expect(nextAttemptAt({ ...policy, delays: { ...policy.delays, 'no-answer': 0 } }, 'no-answer', 1, now)).toEqual(now);
  });

  it('exponential: the delay doubles after every attempt', () => {
    const doubling = { ...policy, max_attempts: 5, exponential: true };
    expect([1, 2, 3, 4].map((attempts) => nextAttemptAt(doubling, 'busy', attempts, now))).toEqual([
      plus(600),
      plus(1200),
      plus(2400),
      plus(4800),
    ]);
    expect(nextAttemptAt(doubling, 'busy', 5, now)).toBeNull();
  });

  it('no retry that would fall at or after the campaign’s end', () => {
    expect(nextAttemptAt(policy, 'busy', 1, now, plus(601))).toEqual(plus(600));
    expect(nextAttemptAt(policy, 'busy', 1, now, plus(600))).toBeNull();
    expect(nextAttemptAt(policy, 'busy', 1, now, plus(60))).toBeNull();
    expect(nextAttemptAt(policy, 'busy', 1, now, null)).toEqual(plus(600));
  });
});

describe('describeRetry and humanSeconds', () => {
  it('says what is retried, how often and how far apart, in people’s words', () => {
    expect(describeRetry(policy)).toBe('retry busy, no answer up to 3 attempts (busy 10 min, no answer 2 h)');
    expect(describeRetry({ ...policy, on: ['failed'], exponential: true })).toBe(
      'retry could not connect up to 3 attempts (could not connect 30 min, doubling)',
    );
    expect(describeRetry({ ...policy, max_attempts: 1 })).toBe('no retries');
    expect(describeRetry({ ...policy, on: [] })).toBe('no retries');
  });

  it('shows seconds in the largest whole unit', () => {
    expect([7200, 3600, 5400, 600, 90, 45, 0].map(humanSeconds)).toEqual(['2 h', '1 h', '90 min', '10 min', '90 s', '45 s', '0 s']);
  });
});
