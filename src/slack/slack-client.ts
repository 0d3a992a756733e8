import { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { boltLogger } from './bolt-logger.js';

/**
 * The Web API client for work that must never wait on Slack (progress messages, thread replies): no SDK retries
 * and rate limits reported at once, so the caller holds and catches up instead of blocking for minutes.
 */
export function slackClient(config: Config, log: Logger): WebClient {
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    logger: boltLogger(log),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
}
