// What the progress reporter may still ask of Slack: a workspace-wide budget of chat.update calls (Tier 3, about 50
// a minute), and per-method holds after Slack said "later" (429: its Retry-After; 5xx or network: a few seconds).
import { ErrorCode } from '@slack/web-api';
import { SlidingWindow } from '../../engine/sliding-window.js';
import type { Logger } from '../../logger.js';

/** Slack's answers that no retry will change for this message. */
const GIVE_UP = [
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'message_not_found',
  'cant_update_message',
  'invalid_auth',
  'account_inactive',
  'missing_scope',
  'not_allowed_token_type',
];

export type SlackVerdict = { kind: 'retry' } | { kind: 'give-up'; error: string };

export class SlackBudget {
  readonly #blockedUntil = new Map<string, number>();
  readonly #updates = new SlidingWindow(60_000);

  constructor(
    private readonly updatesPerMinute: number,
    private readonly log: Logger,
  ) {}

  blocked(method: string, now: number): boolean {
    return (this.#blockedUntil.get(method) ?? 0) > now;
  }

  /** True when one more chat.update fits the workspace budget now. */
  canUpdate(now: number): boolean {
    return !this.blocked('chat.update', now) && this.#updates.nextStartAt(now, this.updatesPerMinute) <= now;
  }

  recordUpdate(now: number): void {
    this.#updates.record(now);
  }

  /** Slack said no: hold the method, and say whether trying again can help. */
  failed(method: string, error: unknown): SlackVerdict {
    const e = error as { code?: string; retryAfter?: number; data?: { error?: string } };
    const now = Date.now();
    if (e.code === ErrorCode.RateLimitedError) {
      this.#blockedUntil.set(method, now + Math.max(1, e.retryAfter ?? 1) * 1000);
      this.log.warn({ method, retry_after_s: e.retryAfter }, 'Slack rate limit; holding this method');
      return { kind: 'retry' };
    }
    if (e.code === ErrorCode.PlatformError && GIVE_UP.includes(e.data?.error ?? '')) {
      this.log.warn({ method, error: e.data?.error }, 'Slack refused the progress message');
      return { kind: 'give-up', error: e.data!.error! };
    }
    this.#blockedUntil.set(method, now + 5_000);
    this.log.warn({ err: error, method }, 'Slack call failed; will try again');
    return { kind: 'retry' };
  }
}
