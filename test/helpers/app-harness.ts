import type { App } from '@slack/bolt';
import { createServer } from 'node:net';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/store.js';
import { FAKE_BOT, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { testEnv } from './test-env.js';

export interface TestApp {
  url: string;
  config: Config;
  app: App;
  slack: FakeSlack;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The real Bolt app on a free port, against the fake Slack and the given store. */
export async function startTestApp(store: Store, env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const slack = await startFakeSlack();
  const port = await freePort();
  const config = loadConfig(testEnv({ SLACK_API_URL: slack.apiUrl, PORT: String(port), ...env }));
  const log = createLogger({ level: config.logLevel, pretty: false });
  const app = createApp({ config, log, store, identity: { botId: FAKE_BOT.bot_id, botUserId: FAKE_BOT.user_id } });
  await app.start(port);
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    app,
    slack,
    async stop() {
      await app.stop();
      await slack.close();
    },
  };
}
