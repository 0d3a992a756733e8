// Several "processes" of the bot inside one test: each is a whole runtime (engine, clockwork, progress reporter) with
// its own runner id on the same database, against the fake Slack. Closing one and opening another is a restart; two
// open at once are two processes sharing the database. Without a PUBLIC_URL the engine learns outcomes from call
// details, so no HTTP server is needed and a restart loses nothing but the process.
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/runtime.js';
import type { Store } from '../../src/store/store.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { testEnv } from './test-env.js';

export interface BotProcessesOptions {
  /** Environment of every process (e.g. exotelEnv(fake)); LOG_LEVEL picks the log level (silent by default). */
  env: Record<string, string>;
  /** Overrides given to every runtime (timings, pacing, the injected clock); `open()` can add to them. */
  overrides?: RuntimeOverrides;
}

export class BotProcesses {
  readonly config: Config;
  readonly #store: Store;
  readonly #slack: FakeSlack;
  readonly #log: Logger;
  readonly #overrides: RuntimeOverrides;
  readonly #open = new Set<Runtime>();
  #count = 0;

  private constructor(store: Store, slack: FakeSlack, options: BotProcessesOptions) {
    this.#store = store;
    this.#slack = slack;
    this.config = loadConfig(testEnv({ SLACK_API_URL: slack.apiUrl, ...options.env }));
    this.#log = createLogger({ level: this.config.logLevel, pretty: false });
    this.#overrides = options.overrides ?? {};
  }

  static async create(store: Store, options: BotProcessesOptions): Promise<BotProcesses> {
    return new BotProcesses(store, await startFakeSlack(), options);
  }

  /**
   * Starts a new process: a new runtime with a new runner id (`proc-1`, `proc-2`, …), started.
   * @param beforeStart runs on the runtime before it starts (to watch a service it is about to use).
   */
  open(overrides: RuntimeOverrides = {}, beforeStart?: (runtime: Runtime) => void): Runtime {
    this.#count += 1;
    const runtime = createRuntime(this.config, this.#store, this.#log, {
      runnerId: `proc-${this.#count}`,
      ...this.#overrides,
      ...overrides,
    });
    beforeStart?.(runtime);
    runtime.start();
    this.#open.add(runtime);
    return runtime;
  }

  /** Stops a process the way a shutdown does: runs stop, requests in flight are recorded, leases are given back. */
  async close(runtime: Runtime): Promise<void> {
    this.#open.delete(runtime);
    await runtime.close();
  }

  /** Closes every open process and the fake Slack. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((r) => this.close(r)));
    await this.#slack.close();
  }
}
