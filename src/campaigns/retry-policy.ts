import type { RetryPolicy } from '../store/campaign-model.js';
import type { Outcome } from './vocabulary.js';

/**
 * When a call ended with `outcome` after `attempts` attempts, the time its next attempt may start, or null when it has
 * had its last one: the outcome is not one the policy retries, the attempt cap is reached, or the retry would fall
 * after the campaign's end (`callUntil`). With `exponential`, the wait doubles after every attempt.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  outcome: Outcome,
  attempts: number,
  now: Date,
  callUntil: Date | null = null,
): Date | null {
  if (outcome === 'completed' || outcome === 'canceled') return null;
  if (!policy.on.includes(outcome)) return null;
  if (attempts >= policy.max_attempts) return null;
  const base = policy.delays[outcome] ?? 0;
  const seconds = policy.exponential ? base * 2 ** Math.max(0, attempts - 1) : base;
  const at = new Date(now.getTime() + seconds * 1000);
  if (callUntil && at.getTime() >= callUntil.getTime()) return null;
  return at;
}

/** "busy and no answer, up to 3 attempts, 30 min / 2 h apart" */
export function describeRetry(policy: RetryPolicy): string {
  if (policy.max_attempts <= 1 || policy.on.length === 0) return 'no retries';
  const words: Record<string, string> = { busy: 'busy', 'no-answer': 'no answer', failed: 'could not connect' };
  const on = policy.on.map((o) => words[o] ?? o).join(', ');
  const delays = policy.on.map((o) => `${words[o]} ${humanSeconds(policy.delays[o] ?? 0)}`).join(', ');
  return `retry ${on} up to ${policy.max_attempts} attempts (${delays}${policy.exponential ? ', doubling' : ''})`;
}

export function humanSeconds(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}
