import type { App } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { registerCommands } from './commands/index.js';

export interface ListenerDeps {
  log: Logger;
}

/** Every Slack surface registers here: commands, actions, views, events. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerCommands(app, deps);
}
