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

export function registerCommands(app: App, deps: SlackDeps): void {
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
  app.command(COMMAND, campaignCommand(subcommands, deps.log));
}
