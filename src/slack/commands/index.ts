import type { App } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { COMMAND } from '../ids.js';
import { campaignCommand } from './campaign-command.js';
import { helpCommand } from './help-command.js';
import type { Subcommand } from './subcommand.js';

export interface CommandDeps {
  log: Logger;
}

export function registerCommands(app: App, deps: CommandDeps): void {
  const subcommands: Subcommand[] = [];
  subcommands.push(helpCommand(() => subcommands));
  app.command(COMMAND, campaignCommand(subcommands, deps.log));
}
