import type { AllMiddlewareArgs, RespondArguments, SlackCommandMiddlewareArgs } from '@slack/bolt';

/** What a subcommand answers: Block Kit or text, ephemeral unless meant for the channel. */
export type CommandReply = RespondArguments & { text: string };

export interface CommandContext {
  /** Arguments after the subcommand, already split on white space. */
  args: string[];
  /** The whole text after the subcommand. */
  rest: string;
  userId: string;
  teamId: string;
  channelId: string;
  triggerId: string;
  slack: AllMiddlewareArgs & SlackCommandMiddlewareArgs;
}

export interface Subcommand {
  name: string;
  /** Shown in the help text: `/campaign <usage>` — summary. */
  usage: string;
  summary: string;
  run(ctx: CommandContext): Promise<CommandReply>;
}
