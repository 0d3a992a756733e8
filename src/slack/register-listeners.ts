import type { App } from '@slack/bolt';
import { registerActions } from './actions/index.js';
import { registerCommands } from './commands/index.js';
import { registerViews } from './views/index.js';
import { appHomeOpened } from './events/app-home-opened.js';
import type { SlackDeps } from './slack-deps.js';

/** Every Slack surface registers here: commands, actions, views, events. */
export function registerListeners(app: App, deps: SlackDeps): void {
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  app.event('app_home_opened', appHomeOpened(deps));
}
