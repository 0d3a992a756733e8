// Entry point: config → logger → Slack token → database → Slack app → start. SIGTERM/SIGINT stop it cleanly within
// Docker's default 10 s grace. Nothing fails silently: a rejected promise nobody awaited is logged, and an uncaught
// exception is logged and stops the bot cleanly (exit 1).
import { resolve } from 'node:path';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createApp } from './app.js';
import { resolveDatabase, type ResolvedDatabase } from './store/local-database.js';
import { openStore, type Store } from './store/store.js';
import { verifySlackToken } from './slack/verify-slack-token.js';
import { createRuntime, type Runtime } from './runtime.js';
import { recordDatabaseAddress } from './ops/database-address.js';

/** `docker stop` sends SIGKILL 10 s after SIGTERM: every step of the shutdown is done before then, or cut short. */
const SHUTDOWN_LIMIT_MS = 9_000;
/**
 * The engine's share of it: requests in flight finish and are recorded. One Exotel has not answered by then stays
 * `dialing` and is checked with Exotel at the next start, exactly as after a crash (never dialled twice).
 */
const ENGINE_STOP_MS = 6_000;

/** Errors whose message is already the sentence a person needs; shown without a stack trace. */
const EXPLAINED = new Set([
  'ConfigError',
  'DatabaseUnreachableError',
  'NoLocalDatabaseError',
  'LocalDataEngineError',
  'DataEngineFileError',
  'DataDirInUseError',
  'SlackTokenError',
]);

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const log = createLogger({ level: config.logLevel });
  let database: ResolvedDatabase | undefined;
  let store: Store | undefined;
  let runtime: Runtime | undefined;
  let forgetAddress: (() => void) | undefined;
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      log.error(`could not stop within ${SHUTDOWN_LIMIT_MS / 1000} s; exiting now`);
      // A local database server is a child process: it must not outlive the bot and keep ./data open.
      if (database?.pid) process.kill(database.pid, 'SIGTERM');
      process.exit(code || 1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    // The engine first: requests in flight finish and are recorded while the database is still there.
    const engine = runtime?.close().catch((error: unknown) => log.warn({ err: error }, 'the engine did not stop cleanly'));
    if (engine && !(await within(engine, ENGINE_STOP_MS))) {
      log.warn(
        `the engine did not stop within ${ENGINE_STOP_MS / 1000} s; calls Exotel had not answered yet are checked with Exotel at the next start`,
      );
    }
    try {
      await app?.stop();
    } catch (error) {
      log.warn({ err: error }, 'the Slack app did not stop cleanly');
    }
    await store?.close().catch((error: unknown) => log.warn({ err: error }, 'closing the database failed'));
    forgetAddress?.();
    await database?.stop().catch((error: unknown) => log.warn({ err: error }, 'stopping the local database failed'));
    log.info('stopped');
    process.exit(code);
  };
  let app: ReturnType<typeof createApp> | undefined;
  process.once('SIGTERM', () => void shutdown(0));
  process.once('SIGINT', () => void shutdown(0));
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, `unhandled promise rejection: ${describeError(reason)}`);
  });
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, `uncaught exception: ${describeError(error)}; stopping`);
    void shutdown(1);
  });

  try {
    // Before the database: a wrong token then fails in seconds, not after a local database start (or its first build).
    const identity = await verifySlackToken(config.slack.botToken, config.slack.apiUrl, log);
    const dataDir = resolve('data');
    database = await resolveDatabase({ uri: config.mongodbUri, dataDir, say: (line) => log.info(line) });
    // The command line (npm run campaign) connects to this server instead of starting a second one on ./data.
    if (database.kind !== 'MONGODB_URI') forgetAddress = recordDatabaseAddress(dataDir, database.uri);
    store = await openStore(database.uri, { log });
    runtime = createRuntime(config, store, log);
    app = createApp({ config, log, store, identity, runtime });
    await app.start(config.port);
    runtime.start();
    log.info(
      { port: config.port, mode: config.slack.socketMode ? 'socket' : 'http', dryRun: config.exotel.dryRun },
      config.slack.socketMode ? 'campaign-bot is running in Socket Mode' : `campaign-bot is listening on port ${config.port}`,
    );
  } catch (error) {
    fail(log, error);
    await shutdown(1);
  }
}

/** True when `work` settled within `ms`, false when it was still running then (it is not cancelled). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([work.then(() => true), late]);
  clearTimeout(timer);
  return done;
}

/** `TypeError: x is not a function`, for the one line that names an error nobody handled. */
function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return `${typeof error} ${String(error).slice(0, 200)}`;
}

function fail(log: Logger, error: unknown): void {
  const name = error instanceof Error ? error.name : '';
  if (EXPLAINED.has(name)) {
    log.fatal((error as Error).message);
    log.debug({ err: error }, 'startup failure details');
  } else {
    log.fatal({ err: error }, 'campaign-bot failed to start');
  }
}

await main();
