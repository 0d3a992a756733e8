import type { App } from '@slack/bolt';
import { COMMAND } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignCommand } from './campaign-command.js';
import { controlCommands } from './control-commands.js';
import { helpCommand } from './help-command.js';
import { listCommand } from './list-command.js';
import { startCommand } from './start-command.js';
import { statusCommand } from './status-command.js';
import type { Subcommand } from './subcommand.js';
import { addCommand, createCommand, editCommand } from './create-command.js';
import { deleteCommand } from './delete-command.js';
import { dncCommand } from './dnc-command.js';
import { exportCommand } from './export-command.js';
import { chartCommand } from './chart-command.js';
import { scheduleCommand, unscheduleCommand } from './schedule-command.js';
import { stopAllCommand } from './stop-all-command.js';

/** Every /campaign subcommand, in the order help lists them. */
export function campaignSubcommands(deps: SlackDeps): Subcommand[] {
  const subcommands: Subcommand[] = [];
  subcommands.push(
    helpCommand(() => subcommands),
    listCommand(deps),
    statusCommand(deps),
    startCommand(deps),
    scheduleCommand(deps),
    unscheduleCommand(deps),
    ...controlCommands(deps),
    stopAllCommand(deps),
    createCommand(deps),
    editCommand(deps),
    addCommand(deps),
    exportCommand(deps),
    chartCommand(deps),
    deleteCommand(deps),
    dncCommand(deps),
  );
  return subcommands;
}

/** The slash command's usage_hint: every subcommand's usage (test/slack/scopes.test.ts holds manifest.yml to it). */
export function usageHint(subcommands: readonly Subcommand[]): string {
  return subcommands.map((s) => s.usage).join(' | ');
}

export function registerCommands(app: App, deps: SlackDeps): void {
  app.command(COMMAND, campaignCommand(campaignSubcommands(deps), deps.log));
}
