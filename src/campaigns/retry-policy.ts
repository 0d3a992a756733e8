import type { RetryPolicy } from '../store/campaign-model.js';
import type { TerminalCallStatus } from '../store/contact-model.js';

/**
 * When a call ended with `outcome` after `attempts` attempts, the time its next attempt may start, or null when it
 * has had its last one. Exotel's own campaigns allow 0–3 retries on busy / no-answer / failed.
 */
export function nextAttemptAt(policy: RetryPolicy, outcome: TerminalCallStatus, attempts: number, now: Date): Date | null {
  if (outcome === 'completed' || outcome === 'canceled') return null;
  if (!policy.on.includes(outcome)) return null;
  if (attempts >= policy.max_attempts) return null;
  return new Date(now.getTime() + policy.delay_seconds * 1000);
}
