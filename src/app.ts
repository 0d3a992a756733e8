import { App, type CustomRoute } from '@slack/bolt';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { boltLogger } from './slack/bolt-logger.js';
import { People } from './slack/people.js';
import { registerListeners } from './slack/register-listeners.js';
import type { Store } from './store/store.js';
import type { Runtime } from './runtime.js';

export interface SlackIdentity {
  botId: string;
  botUserId: string;
  teamId?: string;
}

export interface AppDeps {
  config: Config;
  log: Logger;
  store: Store;
  /** From auth.test at startup, so Bolt does not call it again. */
  identity: SlackIdentity;
  /** The services listeners call, and extra HTTP routes (Exotel callbacks). */
  runtime: Pick<Runtime, 'service' | 'contacts' | 'dnc' | 'progress' | 'channels' | 'routes'>;
}

/** The Bolt app: HTTP receiver on PORT, or Socket Mode when SLACK_APP_TOKEN is set. */
export function createApp({ config, log, identity, runtime }: AppDeps): App {
  // /healthz, /readyz, /metrics and Exotel's routes all come from the runtime, which knows the engine and the database.
  const customRoutes: CustomRoute[] = [...runtime.routes];
  const common = {
    token: config.slack.botToken,
    botId: identity.botId,
    botUserId: identity.botUserId,
    logger: boltLogger(log),
    customRoutes,
    clientOptions: { slackApiUrl: config.slack.apiUrl },
  };
  const app = config.slack.socketMode
    ? new App({
        ...common,
        socketMode: true,
        appToken: config.slack.appToken,
        // With custom routes, Socket Mode serves them on its own HTTP server on this port. The Socket Mode client opens
        // its connection (apps.connections.open) with its own Web API client, which only sees SLACK_API_URL from here.
        installerOptions: { port: config.port, clientOptions: { slackApiUrl: config.slack.apiUrl } },
      })
    : new App({
        ...common,
        signingSecret: config.slack.signingSecret,
        port: config.port,
        processBeforeResponse: false,
      });

  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });
  const people = new People(app.client, config.operators, log);
  registerListeners(app, {
    config,
    log,
    service: runtime.service,
    contacts: runtime.contacts,
    dnc: runtime.dnc,
    progress: runtime.progress,
    channels: runtime.channels,
    people,
  });
  return app;
}
