import { ErrorCode, WebClient, type WebAPICallResult } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { boltLogger } from './bolt-logger.js';

/** Told of every Web API call that failed: the method and Slack's error (`not_in_channel`, `ratelimited`, …). */
export type SlackErrorHook = (method: string, error: string) => void;

/**
 * The Web API client for work that must never wait on Slack (progress messages, thread replies): no SDK retries
 * and rate limits reported at once, so the caller holds and catches up instead of blocking for minutes.
 */
export function slackClient(config: Config, log: Logger, onError?: SlackErrorHook): WebClient {
  const options = {
    slackApiUrl: config.slack.apiUrl,
    logger: boltLogger(log),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
  return onError ? new ObservedWebClient(config.slack.botToken, options, onError) : new WebClient(config.slack.botToken, options);
}

/** Every method (uploads too) goes through apiCall, so one override sees every failure. */
class ObservedWebClient extends WebClient {
  constructor(
    token: string,
    options: ConstructorParameters<typeof WebClient>[1],
    private readonly onError: SlackErrorHook,
  ) {
    super(token, options);
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      this.onError(method, slackErrorName(error));
      throw error;
    }
  }
}

function slackErrorName(error: unknown): string {
  const { code, data } = error as { code?: string; data?: { error?: unknown } };
  if (code === ErrorCode.PlatformError && typeof data?.error === 'string') return data.error;
  if (code === ErrorCode.RateLimitedError) return 'ratelimited';
  if (code === ErrorCode.HTTPError) return 'http_error';
  return 'request_error';
}
