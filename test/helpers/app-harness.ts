import type { App } from '@slack/bolt';
import { createServer } from 'node:net';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/store.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/runtime.js';
import { FAKE_BOT, startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../fakes/fake-slack.js';
import { testEnv } from './test-env.js';

export interface TestApp {
  url: string;
  config: Config;
  app: App;
  slack: FakeSlack;
  /** The engine and its services; the engine and progress reporter run only when started with `runtime`. */
  runtime: Runtime;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** Start the engine too, with these overrides (fast timings, a test pacer). */
  runtime?: RuntimeOverrides;
  /** The fake Slack's workspace (channels, scopes, guests). Default: what manifest.yml grants, C0001 with the bot in it. */
  slack?: FakeSlackOptions;
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
export async function startTestApp(
  store: Store,
  env: Record<string, string | undefined> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const slack = await startFakeSlack(options.slack);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    testEnv({ SLACK_API_URL: slack.apiUrl, PORT: String(port), ...env, ...(env.PUBLIC_URL === 'self' ? { PUBLIC_URL: url } : {}) }),
  );
  const log = createLogger({ level: config.logLevel, pretty: false });
  const runtime = createRuntime(config, store, log, options.runtime ?? {});
  const app = createApp({
    config,
    log,
    store,
    identity: { botId: FAKE_BOT.bot_id, botUserId: FAKE_BOT.user_id },
    runtime,
  });
  await app.start(port);
  if (options.runtime) runtime.start();
  return {
    url,
    config,
    app,
    slack,
    runtime,
    async stop() {
      await runtime.close();
      await app.stop();
      await slack.close();
    },
  };
}
