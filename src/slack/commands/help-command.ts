import { helpMessage } from '../blocks/help-blocks.js';
import type { CommandReply, Subcommand } from './subcommand.js';

export function helpCommand(all: () => readonly Subcommand[]): Subcommand {
  return {
    name: 'help',
    usage: 'help',
    summary: 'show these commands',
    async run(): Promise<CommandReply> {
      return { response_type: 'ephemeral', ...helpMessage(all()) };
    },
  };
}
