import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';

/**
 * Tells one person something in the app's direct messages: chat.postMessage with their user id as the channel (Slack
 * answers `messages_tab_disabled` unless the manifest turns the Messages tab on). Returns false when it could not;
 * the failure is logged, never thrown, as a DM is always about something that already happened.
 */
export async function directMessage(client: WebClient, userId: string, text: string, log: Logger): Promise<boolean> {
  try {
    await client.chat.postMessage({ channel: userId, text });
    return true;
  } catch (error) {
    log.error({ err: error, user: userId }, 'could not send a direct message');
    return false;
  }
}
