import { WebClient, ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackIdentity } from '../app.js';

export class SlackTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlackTokenError';
  }
}

/** Asks Slack who the bot token belongs to, once at startup; a bad token stops the bot with a sentence. */
export async function verifySlackToken(token: string, slackApiUrl: string, log: Logger): Promise<SlackIdentity> {
  const client = new WebClient(token, {
    slackApiUrl,
    logger: boltLogger(log),
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4_000 },
    timeout: 10_000,
  });
  try {
    const result = await client.auth.test();
    if (!result.bot_id || !result.user_id) {
      throw new SlackTokenError('SLACK_BOT_TOKEN is not a bot token: auth.test returned no bot id. Use the Bot User OAuth Token (xoxb-…).');
    }
    return { botId: result.bot_id, botUserId: result.user_id, teamId: result.team_id };
  } catch (error) {
    if (error instanceof SlackTokenError) throw error;
    if ((error as { code?: string }).code === ErrorCode.PlatformError) {
      const code = (error as WebAPIPlatformError).data.error;
      throw new SlackTokenError(
        `Slack rejected SLACK_BOT_TOKEN (${code}). Copy the Bot User OAuth Token again from the app's OAuth & Permissions page.`,
        { cause: error },
      );
    }
    throw new SlackTokenError(
      `Could not reach Slack at ${slackApiUrl} to check SLACK_BOT_TOKEN (${(error as Error).message}). Check the network or SLACK_API_URL.`,
      { cause: error },
    );
  }
}
