// Builds the long-lived parts shared by the Slack app, the HTTP routes and the engine, from the config.
import type { CustomRoute } from '@slack/bolt';
import { CounterBuffer } from './campaigns/campaign-counters.js';
import { CampaignEvents } from './campaigns/campaign-events.js';
import { CampaignTransitions } from './campaigns/campaign-transitions.js';
import { ContactState } from './campaigns/contact-state.js';
import type { Config } from './config.js';
import { exotelDialer, type Dialer } from './engine/dialer.js';
import { DEFAULT_ENGINE_TIMING, Engine, type EngineSettings } from './engine/engine.js';
import { Pacer } from './engine/pacer.js';
import { SharedPacer, SharedWindow, type CallPacer } from './engine/shared-pacer.js';
import { rehearsalDialer } from './engine/rehearsal-dialer.js';
import { ExotelClient } from './exotel/exotel-client.js';
import { exotelStatusRoute, statusCallbackUrl } from './http/exotel-status-route.js';
import type { Logger } from './logger.js';
import type { Store } from './store/store.js';
import { CampaignService } from './campaigns/campaign-service.js';
import { DncService } from './campaigns/dnc-service.js';
import { DEFAULT_PROGRESS_SETTINGS, ProgressReporter, type ProgressSettings } from './slack/progress/progress-reporter.js';
import { slackClient } from './slack/slack-client.js';

export interface Runtime {
  events: CampaignEvents;
  counters: CounterBuffer;
  state: ContactState;
  transitions: CampaignTransitions;
  service: CampaignService;
  dnc: DncService;
  progress: ProgressReporter;
  dialer: Dialer;
  pacer: CallPacer;
  engine: Engine;
  /** HTTP routes served beside Slack's (the Exotel status callback when PUBLIC_URL is set). */
  routes: CustomRoute[];
  /** Starts the engine and the progress reporter. */
  start(): void;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  dialer?: Dialer;
  /** Replaces the account's pacer (tests: a faster window; or a SharedPacer of their own). */
  pacer?: CallPacer;
  settings?: Partial<EngineSettings>;
  progress?: Partial<ProgressSettings>;
  runnerId?: string;
}

export function createRuntime(config: Config, store: Store, log: Logger, overrides: RuntimeOverrides = {}): Runtime {
  const events = new CampaignEvents();
  const counters = new CounterBuffer();
  const state = new ContactState(store, counters, events);
  const transitions = new CampaignTransitions(store, events);
  const dialer =
    overrides.dialer ??
    (config.exotel.dryRun
      ? rehearsalDialer()
      : exotelDialer(
          new ExotelClient({
            baseUrl: config.exotel.baseUrl,
            accountSid: config.exotel.accountSid,
            apiKey: config.exotel.apiKey,
            apiToken: config.exotel.apiToken,
          }),
        ));
  const pacer =
    overrides.pacer ??
    new SharedPacer(
      new Pacer({ callsPerMinute: config.exotel.callsPerMinute }),
      new SharedWindow(store, {
        account: config.exotel.dryRun ? 'rehearsal' : config.exotel.accountSid,
        limit: config.exotel.callsPerMinute,
      }),
      log,
    );
  const callbacks = config.publicUrl !== undefined && config.exotel.webhookSecret !== undefined;
  const settings: EngineSettings = {
    ...DEFAULT_ENGINE_TIMING,
    callerId: config.exotel.dryRun ? config.exotel.callerId || 'rehearsal' : config.exotel.callerId,
    flowUrl: config.exotel.dryRun ? config.exotel.flowUrl || 'http://rehearsal.invalid/flow' : config.exotel.flowUrl,
    statusCallbackUrl: callbacks ? statusCallbackUrl(config.publicUrl!, config.exotel.webhookSecret!) : undefined,
    callingWindow: config.callingWindow,
    // Without callbacks every outcome comes from call details: ask soon after a typical call ends.
    pollAfterMs: callbacks ? DEFAULT_ENGINE_TIMING.pollAfterMs : config.exotel.dryRun ? 5_000 : 45_000,
    ...overrides.settings,
  };
  const engine = new Engine({ store, state, transitions, counters, events, dialer, pacer, log, settings, runnerId: overrides.runnerId });
  const routes = config.exotel.webhookSecret ? [exotelStatusRoute(config.exotel.webhookSecret, state, log)] : [];
  const service = new CampaignService(store, transitions);
  const progress = new ProgressReporter(
    store,
    slackClient(config, log),
    events,
    log,
    {
      ...DEFAULT_PROGRESS_SETTINGS,
      callsPerMinute: config.exotel.callsPerMinute,
      callingWindow: config.callingWindow,
      ...overrides.progress,
    },
    () => engine.runnerId,
  );
  let started = false;
  return {
    events,
    counters,
    state,
    transitions,
    service,
    dnc: new DncService(store),
    progress,
    dialer,
    pacer,
    engine,
    routes,
    start() {
      started = true;
      engine.start();
      progress.start();
    },
    async close() {
      if (started) await progress.stop();
      await engine.stop();
      pacer.close();
      await dialer.close();
    },
  };
}
