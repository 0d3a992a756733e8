import { randomUUID } from 'node:crypto';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { escapeText } from '../blocks/format.js';
import { helpMessage } from '../blocks/help-blocks.js';
import { COMMAND } from '../ids.js';
import type { CommandReply, Subcommand } from './subcommand.js';

/** A reply computed within this budget goes back in the ack itself; a slower one follows through respond(). */
const ACK_BUDGET_MS = 2_000;

export function splitCommandText(text: string): { name: string; args: string[]; rest: string } {
  const trimmed = text.trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return { name: '', args: [], rest: '' };
  const rest = match[2]!.trim();
  return { name: match[1]!.toLowerCase(), args: rest ? rest.split(/\s+/) : [], rest };
}

function failureReply(subcommand: string, reference: string): CommandReply {
  return {
    response_type: 'ephemeral',
    text:
      `Something went wrong while running \`${COMMAND} ${subcommand}\`. Nothing was changed by the failed step; ` +
      `please try again in a minute. If it keeps happening, give the bot's admins this reference: ${reference}.`,
  };
}

/** The `/campaign` listener: acks within Slack's 3 seconds, whatever the subcommand does. */
export function campaignCommand(subcommands: readonly Subcommand[], log: Logger) {
  const byName = new Map(subcommands.map((s) => [s.name, s]));

  return async function handleCampaignCommand(args: AllMiddlewareArgs & SlackCommandMiddlewareArgs): Promise<void> {
    const { command, ack, respond } = args;
    const { name, args: words, rest } = splitCommandText(command.text ?? '');
    const subcommand = byName.get(name || 'help');

    if (!subcommand) {
      const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
      const notice = `\`${COMMAND} ${escapeText(shown.replace(/`/g, "'"))}\` is not a command I know. Here is what I can do:`;
      await ack({ response_type: 'ephemeral', ...helpMessage(subcommands, notice) });
      return;
    }

    const reference = randomUUID().slice(0, 8);
    const work = subcommand
      .run({
        args: words,
        rest,
        userId: command.user_id,
        teamId: command.team_id,
        channelId: command.channel_id,
        triggerId: command.trigger_id,
        slack: args,
      })
      .catch((error: unknown): CommandReply => {
        log.error({ err: error, subcommand: subcommand.name, reference }, 'slash command failed');
        return failureReply(subcommand.name, reference);
      });

    let timer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ACK_BUDGET_MS);
      }),
    ]);
    clearTimeout(timer);
    if (early) {
      // An empty reply (a modal was opened instead) acks with no message.
      await ack(early.text ? early : undefined);
      return;
    }
    await ack();
    const reply = await work;
    if (!reply.text) return;
    try {
      await respond({ ...reply, replace_original: false });
    } catch (error) {
      log.error({ err: error, subcommand: subcommand.name }, 'could not deliver a slash command reply');
    }
  };
}
