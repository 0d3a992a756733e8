// When a finished call earns another attempt (Exotel's campaigns: 0–3 retries on busy / no-answer / failed).
import { describe, expect, it } from 'vitest';
import { nextAttemptAt } from '../../src/campaigns/retry-policy.js';
import type { RetryPolicy } from '../../src/store/campaign-model.js';

const now = new Date('2026-11-25T06:00:00Z');
const policy: RetryPolicy = { max_attempts: 3, delay_seconds: 600, on: ['busy', 'no-answer'] };

describe('nextAttemptAt', () => {
  it('queues a retry after the delay for an outcome the policy names', () => {
    expect(nextAttemptAt(policy, 'busy', 1, now)).toEqual(new Date('2026-11-25T06:10:00Z'));
    expect(nextAttemptAt(policy, 'no-answer', 2, now)).toEqual(new Date('2026-11-25T06:10:00Z'));
  });

  it('stops once the attempts reach the cap (attempts count the one that just ended)', () => {
    expect(nextAttemptAt(policy, 'busy', 3, now)).toBeNull();
    expect(nextAttemptAt(policy, 'busy', 4, now)).toBeNull();
  });

  it('never retries a completed or canceled call, whatever the policy', () => {
    const everything: RetryPolicy = { max_attempts: 4, delay_seconds: 0, on: ['busy', 'no-answer', 'failed'] };
    expect(nextAttemptAt(everything, 'completed', 1, now)).toBeNull();
    expect(nextAttemptAt(everything, 'canceled', 1, now)).toBeNull();
  });

  it('does not retry outcomes the policy leaves out', () => {
    expect(nextAttemptAt(policy, 'failed', 1, now)).toBeNull();
    expect(nextAttemptAt({ ...policy, on: ['failed'] }, 'failed', 1, now)).toEqual(new Date('2026-11-25T06:10:00Z'));
    expect(nextAttemptAt({ ...policy, on: [] }, 'busy', 1, now)).toBeNull();
  });

  it('max_attempts 1 (the default) means no retry', () => {
    expect(nextAttemptAt({ ...policy, max_attempts: 1 }, 'busy', 1, now)).toBeNull();
  });

  it('a zero delay makes the retry due at once', () => {
    expect(nextAttemptAt({ ...policy, delay_seconds: 0 }, 'no-answer', 1, now)).toEqual(now);
  });
});
