// The composition root shared by main.ts and the tests: builds the long-lived parts — campaign services, the dialer
// (Exotel or rehearsal), the account's pacer and live-call lines, the engine and the progress reporter — from the
// config, and starts and stops them.
import type { CustomRoute } from '@slack/bolt';
import { CampaignEvents } from './campaigns/campaign-events.js';
import { campaignHoursStatus } from './campaigns/campaign-hours.js';
import { CampaignService } from './campaigns/campaign-service.js';
import { CampaignTransitions } from './campaigns/campaign-transitions.js';
import { ContactState } from './campaigns/contact-state.js';
import { ContactsService } from './campaigns/contacts-service.js';
import { DncService } from './campaigns/dnc-service.js';
import { ProgressMarks } from './campaigns/progress-marks.js';
import type { Config } from './config.js';
import { AccountPacer } from './engine/account-pacer.js';
import { Clockwork } from './engine/clockwork.js';
import { cronLogger } from './engine/cron-logger.js';
import { JobLeases } from './engine/job-lease.js';
import type { Dialer } from './engine/dialer.js';
import { DEFAULT_ENGINE_TIMING, Engine, type EngineSettings } from './engine/engine.js';
import { LiveLines } from './engine/live-lines.js';
import type { ReconcilerSettings } from './engine/reconciler.js';
import type { RequestPacer } from './engine/request-pacer.js';
import { ExotelClient } from './exotel/exotel-client.js';
import { exotelDialer } from './exotel/exotel-dialer.js';
import { rehearsalDialer } from './exotel/rehearsal-dialer.js';
import { exotelStatusRoute, statusCallbackUrl } from './http/exotel-status-route.js';
import { exotelGreetingRoute } from './http/exotel-greeting-route.js';
import { exotelPassthruRoute } from './http/exotel-passthru-route.js';
import { healthRoute, readyRoute, staleTickAfterMs } from './http/health-route.js';
import { metricsRoute } from './http/metrics-route.js';
import { Metrics } from './ops/metrics.js';
import { operationsSnapshot } from './ops/operations-snapshot.js';
import { Keypresses } from './campaigns/keypresses.js';
import type { Logger } from './logger.js';
import type { Store } from './store/store.js';
import cron, { type ScheduledTask } from 'node-cron';
import { channelPhone } from './slack/blocks/format.js';
import { FinishReport } from './slack/progress/finish-report.js';
import { DEFAULT_PROGRESS_SETTINGS, ProgressReporter, type ProgressSettings } from './slack/progress/progress-reporter.js';
import { ChannelAccess } from './slack/channel-access.js';
import { pauseOnRefusal } from './slack/progress/progress-refusal.js';
import { scheduledStartGate } from './slack/scheduled-start-gate.js';
import { slackClient } from './slack/slack-client.js';

export interface Runtime {
  events: CampaignEvents;
  state: ContactState;
  transitions: CampaignTransitions;
  service: CampaignService;
  contacts: ContactsService;
  dnc: DncService;
  progress: ProgressReporter;
  /** Checks (and joins) the channel a campaign reports to before anything is dialled. */
  channels: ChannelAccess;
  dialer: Dialer;
  pacer: RequestPacer;
  lines: LiveLines;
  engine: Engine;
  clockwork: Clockwork;
  /** This runtime's Prometheus counters and gauges (served at /metrics). */
  metrics: Metrics;
  /** HTTP routes served beside Slack's: /healthz, /readyz, /metrics, and Exotel's when a webhook secret is set. */
  routes: CustomRoute[];
  /** Starts the engine and the progress reporter. */
  start(): void;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  dialer?: Dialer;
  /** Replaces the account's pacer. */
  pacer?: RequestPacer;
  /** Tunes the account's pacer (tests and benches: a shorter window, another rate). */
  pacing?: { callsPerMinute?: number; windowMs?: number };
  settings?: Partial<Omit<EngineSettings, 'reconciler'>> & { reconciler?: Partial<ReconcilerSettings> };
  progress?: Partial<ProgressSettings>;
  runnerId?: string;
  /** The engine's clock (tests with an injected clock). */
  now?: () => Date;
}

/** The account the pacer and the live-call lines belong to. */
export function accountOf(config: Config): string {
  return config.exotel.dryRun ? 'rehearsal' : config.exotel.accountSid;
}

function engineSettings(
  config: Config,
  overrides: RuntimeOverrides['settings'] = {},
  pacing: RuntimeOverrides['pacing'] = {},
): EngineSettings {
  const { exotel } = config;
  const callbacks = config.publicUrl !== undefined && exotel.webhookSecret !== undefined;
  const reconciler: ReconcilerSettings = {
    ringSeconds: exotel.ringSeconds,
    maxCallSeconds: exotel.maxCallSeconds,
    settleMs: exotel.settleSeconds * 1000,
    pollEveryMs: 30_000,
    unreachableRetryMs: 30_000,
    staleDialingMs: 60_000,
    clockSkewMs: 60_000,
    priceEveryMs: 120_000,
    priceTries: 15,
    ...overrides.reconciler,
  };
  return {
    ...DEFAULT_ENGINE_TIMING,
    callerId: exotel.dryRun ? exotel.callerId || 'rehearsal' : exotel.callerId,
    flowUrl: exotel.dryRun ? exotel.flowUrl || 'http://rehearsal.invalid/flow' : exotel.flowUrl,
    statusCallbackUrl: callbacks ? statusCallbackUrl(config.publicUrl!, exotel.webhookSecret!) : undefined,
    ringSeconds: exotel.ringSeconds,
    maxCallSeconds: exotel.maxCallSeconds,
    // A shortened pacing window (tests, benches) is the same limit run faster: campaigns share it per minute.
    accountRate: ((pacing.callsPerMinute ?? exotel.callsPerMinute) * 60_000) / (pacing.windowMs ?? 60_000),
    // Without callbacks every outcome comes from call details: ask soon after a typical call ends.
    pollAfterMs: callbacks ? DEFAULT_ENGINE_TIMING.pollAfterMs : exotel.dryRun ? 5_000 : 45_000,
    ...overrides,
    reconciler,
  };
}

/** Exotel behind the engine's port (or the rehearsal dialer): every request takes a turn of the account's pacer. */
function buildDialer(config: Config, pacer: AccountPacer | RequestPacer, metrics: Metrics): Dialer {
  if (config.exotel.dryRun) return rehearsalDialer();
  const client = new ExotelClient({
    baseUrl: config.exotel.baseUrl,
    accountSid: config.exotel.accountSid,
    apiKey: config.exotel.apiKey,
    apiToken: config.exotel.apiToken,
    // List pages and details take a turn too; placing a call takes its turn in the run, before the dial gate.
    beforeRequest: (_operation, signal) => pacer.take(signal),
    onResponse: (operation, status) => metrics.exotelResponse(operation, status),
  });
  return exotelDialer(client, pacer);
}

/** Exotel's status callback, and the Greeting and Passthru applets of the call flow (per-person text, keypresses). */
function callFlowRoutes(config: Config, store: Store, state: ContactState, dnc: DncService, log: Logger): CustomRoute[] {
  const secret = config.exotel.webhookSecret;
  if (!secret) return [];
  return [
    exotelStatusRoute(secret, state, log),
    exotelGreetingRoute(secret, store, log),
    exotelPassthruRoute(secret, new Keypresses(store, dnc, log), log),
  ];
}

interface Core {
  events: CampaignEvents;
  state: ContactState;
  transitions: CampaignTransitions;
  service: CampaignService;
  engine: Engine;
  metrics: Metrics;
}

/** What talks to Slack on its own: the progress reporter, the finish report, the channel check. */
function buildSlackSide(config: Config, store: Store, log: Logger, core: Core, overrides: RuntimeOverrides) {
  const { events, engine, metrics, transitions } = core;
  const marks = new ProgressMarks(store);
  const slack = slackClient(config, log, (method, error) => metrics.slackError(method, error));
  const finish = new FinishReport(slack, marks, log, channelPhone(config.showFullNumbers));
  const settings = {
    ...DEFAULT_PROGRESS_SETTINGS,
    callsPerMinute: config.exotel.callsPerMinute,
    showFullNumbers: config.showFullNumbers,
    ...overrides.progress,
  };
  const progress = new ProgressReporter(
    marks,
    slack,
    events,
    log,
    settings,
    () => engine.runnerId,
    (c) => engine.rateOf(c),
  );
  progress.whenFinished((campaign) => finish.post(campaign));
  progress.whenRefused(pauseOnRefusal({ transitions, client: slack, log }));
  return { slack, finish, progress, channels: new ChannelAccess(slack, log) };
}

export function createRuntime(config: Config, store: Store, log: Logger, overrides: RuntimeOverrides = {}): Runtime {
  const events = new CampaignEvents();
  const metrics = new Metrics();
  metrics.countCalls(events);
  const clock = overrides.now ?? (() => new Date());
  const settings = engineSettings(config, overrides.settings, overrides.pacing);
  const state = new ContactState(store, events, log, clock, settings.reconciler.priceEveryMs);
  const transitions = new CampaignTransitions(store, events, clock);
  const account = accountOf(config);
  const pacer =
    overrides.pacer ??
    new AccountPacer(store.PacerState, { account, callsPerMinute: config.exotel.callsPerMinute, log, ...overrides.pacing });
  const dialer = overrides.dialer ?? buildDialer(config, pacer, metrics);
  const lines = new LiveLines(store, account, config.exotel.maxLiveCalls);
  const engine = new Engine({
    store,
    state,
    transitions,
    events,
    dialer,
    pacer,
    lines,
    log,
    settings,
    hours: campaignHoursStatus,
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.runnerId ? { runnerId: overrides.runnerId } : {}),
    onTakeover: () => metrics.leaseTakeover(),
  });
  const dnc = new DncService(store, state);
  const service = new CampaignService(store, state, transitions, {
    admins: config.admins,
    channels: config.channels,
    mode: engine.mode,
    defaults: config,
    now: clock,
  });
  const { slack, finish, progress, channels } = buildSlackSide(
    config,
    store,
    log,
    { events, state, transitions, service, engine, metrics },
    overrides,
  );
  const clockwork = new Clockwork({
    store,
    service,
    events,
    log,
    now: clock,
    jobs: new JobLeases(store, engine.runnerId),
    running: () => engine.running,
    nudge: (id) => engine.nudge(id),
    mayStart: scheduledStartGate({ channels, service, transitions, client: slack, log }),
  });
  const lifecycle = runtimeLifecycle({ config, log, engine, clockwork, progress, finish, pacer, dialer });
  const routes = [
    ...callFlowRoutes(config, store, state, dnc, log),
    healthRoute(lifecycle.health(store), { staleAfterMs: staleTickAfterMs(settings, config.exotel.maxLiveCalls) }),
    readyRoute(lifecycle.health(store)),
    metricsRoute(metrics, { snapshot: operationsSnapshot(store, account), lastTickAt: lifecycle.lastTickAt }),
  ];
  return {
    events,
    state,
    transitions,
    service,
    contacts: new ContactsService(store),
    dnc,
    progress,
    channels,
    dialer,
    pacer,
    lines,
    engine,
    clockwork,
    metrics,
    routes,
    start: lifecycle.start,
    close: lifecycle.close,
  };
}

interface LifecycleParts {
  config: Config;
  log: Logger;
  engine: Engine;
  clockwork: Clockwork;
  progress: ProgressReporter;
  finish: FinishReport;
  pacer: RequestPacer;
  dialer: Dialer;
}

/** Starting and stopping the long-lived parts in order, and what /healthz and /readyz read of them. */
function runtimeLifecycle({ config, log, engine, clockwork, progress, finish, pacer, dialer }: LifecycleParts) {
  let costs: ScheduledTask | undefined;
  let startedAt: number | null = null;
  let stopping = false;
  const lastTickAt = () => (startedAt === null ? null : engine.lastTickAt || startedAt);
  return {
    lastTickAt,
    health: (store: Store) => ({ ping: () => store.ping(), lastTickAt, stopping: () => stopping }),
    start() {
      startedAt = Date.now();
      for (const warning of config.warnings) log.warn(warning);
      engine.start();
      clockwork.start();
      progress.start();
      // Prices come minutes after calls end: reports posted before the last one are completed then.
      const completeCosts = () =>
        finish.completeCosts().catch((error: unknown) => log.warn({ err: error }, 'could not complete the reports’ costs; will try again'));
      costs = cron.schedule('*/30 * * * * *', completeCosts, { name: 'report-costs', noOverlap: true, logger: cronLogger(log) });
    },
    async close() {
      stopping = true;
      await costs?.destroy();
      if (startedAt !== null) await progress.stop();
      await clockwork.stop();
      await engine.stop();
      pacer.close();
      await dialer.close();
    },
  };
}
