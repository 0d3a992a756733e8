// Before anything is dialled (Confirm, the Home tab's Start, a schedule and the scheduled start itself, Resume), the
// bot makes sure it can post the campaign's progress where it was asked to: calls nobody can follow are never made.
// - a public channel it is not in: it joins (conversations.join, channels:join);
// - a private channel it is not in, an unknown or archived one: Slack hides or refuses it, so the person is told why,
//   with the exact `/invite` line to type;
// - a direct message: only the bot's own DM with that person (conversations.open tells which one that is).
// Slack's answers: conversations.info shows a private channel only to its members (`channel_not_found` otherwise);
// conversations.join refuses a private channel.
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';

/** The bot user's display name in manifest.yml (`features.bot_user.display_name`): what people type after /invite. */
export const BOT_DISPLAY_NAME = 'campaign-bot';

/** What people type in a channel to let the bot post there. */
export function inviteLine(botName = BOT_DISPLAY_NAME): string {
  return `/invite @${botName}`;
}

export type ChannelCheck =
  | { ok: true; channel: string; joined: boolean }
  /**
   * `refused`: Slack says no (private, archived, unknown, a scope missing); `unavailable`: Slack could not be asked
   * (network, 5xx, rate limit). `problem` is the sentence to show; `error` Slack's code, for logs.
   */
  | { ok: false; channel: string | null; kind: 'refused' | 'unavailable'; problem: string; error: string };

type Refused = Extract<ChannelCheck, { ok: false }>;

export class ChannelAccess {
  readonly #log: Logger;

  constructor(
    private readonly client: WebClient,
    log: Logger,
    /** The name /invite takes. Default BOT_DISPLAY_NAME. */
    private readonly botName = BOT_DISPLAY_NAME,
  ) {
    this.#log = log.child({ component: 'channel-access' });
  }

  /** Makes sure the bot can post in `channel` (joining a public one); `userId` is who asked, for a DM. */
  async ensure(channel: string | null | undefined, userId: string): Promise<ChannelCheck> {
    if (!channel) {
      return this.#refused(
        null,
        'no_channel',
        `I cannot tell which channel the progress should go to. Run the command in that channel (type \`${inviteLine(this.botName)}\` there first if it is private).`,
      );
    }
    if (channel.startsWith('D')) return this.#directMessage(channel, userId);
    let info: { is_member?: boolean; is_archived?: boolean; is_private?: boolean } | undefined;
    try {
      info = (await this.client.conversations.info({ channel })).channel;
    } catch (error) {
      return this.#failed(channel, error);
    }
    if (!info)
      return {
        ok: false,
        channel,
        kind: 'unavailable',
        problem: this.#unavailable(channel, 'no channel in the answer'),
        error: 'no_channel',
      };
    if (info.is_archived) return this.#refusal(channel, 'is_archived');
    if (info.is_member) return { ok: true, channel, joined: false };
    if (info.is_private) return this.#refusal(channel, 'channel_not_found');
    try {
      await this.client.conversations.join({ channel });
    } catch (error) {
      return this.#failed(channel, error);
    }
    this.#log.info({ channel }, 'joined a public channel to post campaign progress there');
    return { ok: true, channel, joined: true };
  }

  /** The bot can post in its own DM with the person; not in a DM between other people. */
  async #directMessage(channel: string, userId: string): Promise<ChannelCheck> {
    try {
      const own = (await this.client.conversations.open({ users: userId })).channel?.id;
      if (own === channel) return { ok: true, channel, joined: false };
    } catch (error) {
      return this.#failed(channel, error);
    }
    return this.#refused(
      channel,
      'not_our_dm',
      `I cannot post in this direct message: I am not part of it. Run the command in a channel (type \`${inviteLine(this.botName)}\` there first if it is private), or in your direct messages with me.`,
    );
  }

  #failed(channel: string, error: unknown): ChannelCheck {
    const e = error as { code?: string; data?: { error?: string; needed?: string }; message?: string };
    if (e.code !== ErrorCode.PlatformError) {
      this.#log.warn({ err: error, channel }, 'could not ask Slack about a channel');
      return {
        ok: false,
        channel,
        kind: 'unavailable',
        problem: this.#unavailable(channel, e.code === ErrorCode.RateLimitedError ? 'rate limited' : (e.message ?? String(error))),
        error: e.code ?? 'unknown',
      };
    }
    return this.#refusal(channel, e.data?.error ?? 'unknown', e.data?.needed);
  }

  /** The sentence for Slack's refusal `code` about `channel`. */
  #refusal(channel: string, code: string, needed?: string): Refused {
    const invite = `type \`${inviteLine(this.botName)}\` in <#${channel}>`;
    switch (code) {
      case 'channel_not_found':
      case 'method_not_supported_for_channel_type':
        return this.#refused(
          channel,
          code,
          `I cannot post in <#${channel}>: it is a private channel I am not in (or it no longer exists). To use it, ${invite}, then try again.`,
        );
      case 'is_archived':
        return this.#refused(
          channel,
          code,
          `<#${channel}> is archived, so I cannot post there. Choose another channel (if it is private, ${invite.replace(`<#${channel}>`, 'it')} first).`,
        );
      case 'missing_scope':
        return this.#refused(
          channel,
          code,
          `I may not check or join <#${channel}>: the app lacks the ${needed ?? 'needed'} scope (reinstall it from manifest.yml). Meanwhile ${invite}, then try again.`,
        );
      default:
        return this.#refused(
          channel,
          code,
          `I cannot post in <#${channel}> (Slack said ${code}). If I am not in it, ${invite}, then try again.`,
        );
    }
  }

  #refused(channel: string | null, error: string, problem: string): Refused {
    this.#log.info({ channel, error }, 'cannot post campaign progress in this channel');
    return { ok: false, channel, kind: 'refused', problem, error };
  }

  #unavailable(channel: string, why: string): string {
    return `I could not check with Slack that I can post in <#${channel}> (${why}). Try again in a minute.`;
  }
}
