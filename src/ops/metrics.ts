// The bot's Prometheus metrics (served at /metrics by src/http/metrics-route.ts). One Metrics object per runtime, with
// its own registry, is passed to the places where things happen (the Exotel client's response hook, the Slack client,
// the engine's adoptions, the contact events), so two runtimes in one process (tests) never add to each other's
// counts. Counters are this process's, since it started: with several processes, sum them. Gauges are read from the
// database on each scrape and describe the whole account, so every process reports the same values: take one (max),
// do not sum them.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CampaignEvents, ContactChange } from '../campaigns/campaign-events.js';
import { OUTCOMES, type CallStatus } from '../campaigns/vocabulary.js';

/** Exotel API operations, as the Exotel client names them. */
export const EXOTEL_OPERATIONS = ['place-call', 'call-details', 'call-list'] as const;

/** What the gauges show, read from the database when Prometheus scrapes. */
export interface OperationsSnapshot {
  /** Live-call lines held by an attempt (calls live at Exotel, or not yet known to be over) for this account. */
  liveCalls: number;
  /** Contacts of running campaigns waiting for a call: pending plus retrying. */
  queueDepth: number;
  runningCampaigns: number;
}

/** Where a scrape reads the gauges from; each part is optional (a process without an engine has no tick). */
export interface MetricsSources {
  snapshot?: () => Promise<OperationsSnapshot>;
  /** When the engine's last tick finished (ms since the epoch), or null when the engine is not running. */
  lastTickAt?: () => number | null;
}

const LIVE: readonly CallStatus[] = ['dialing', 'initiated', 'unknown'];

export class Metrics {
  readonly registry = new Registry();
  readonly #placed: Counter;
  readonly #outcomes: Counter<'status'>;
  readonly #exotelRequests: Counter<'operation'>;
  readonly #exotelRateLimited: Counter<'operation'>;
  readonly #slackErrors: Counter<'method' | 'error'>;
  readonly #takeovers: Counter;
  readonly #liveCalls: Gauge;
  readonly #queueDepth: Gauge;
  readonly #running: Gauge;
  readonly #databaseUp: Gauge;
  readonly #tickAge: Gauge;

  constructor() {
    const registers = [this.registry];
    this.#placed = new Counter({
      name: 'campaign_bot_calls_placed_total',
      help: 'Calls Exotel placed (accepted, or found placed afterwards)',
      registers,
    });
    this.#outcomes = new Counter({
      name: 'campaign_bot_call_outcomes_total',
      help: 'Calls ended, by how Exotel says they ended',
      labelNames: ['status'],
      registers,
    });
    this.#exotelRequests = new Counter({
      name: 'campaign_bot_exotel_requests_total',
      help: 'HTTP requests sent to Exotel, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.#exotelRateLimited = new Counter({
      name: 'campaign_bot_exotel_rate_limited_total',
      help: 'Exotel answers 429 (over the rate limit), by operation',
      labelNames: ['operation'],
      registers,
    });
    this.#slackErrors = new Counter({
      name: 'campaign_bot_slack_errors_total',
      help: 'Slack Web API calls that failed, by method and Slack error',
      labelNames: ['method', 'error'],
      registers,
    });
    this.#takeovers = new Counter({
      name: 'campaign_bot_lease_takeovers_total',
      help: 'Campaigns this process adopted while another runner held their lease',
      registers,
    });
    this.#liveCalls = new Gauge({
      name: 'campaign_bot_live_calls',
      help: 'Live-call lines held for the account (calls live or being checked)',
      registers,
    });
    this.#queueDepth = new Gauge({
      name: 'campaign_bot_queue_depth',
      help: 'Contacts of running campaigns waiting for a call (pending + retrying)',
      registers,
    });
    this.#running = new Gauge({ name: 'campaign_bot_running_campaigns', help: 'Campaigns whose status is running', registers });
    this.#databaseUp = new Gauge({
      name: 'campaign_bot_database_up',
      help: '1 when the gauges could be read from the database at this scrape',
      registers,
    });
    this.#tickAge = new Gauge({
      name: 'campaign_bot_engine_tick_age_seconds',
      help: 'Seconds since the engine last finished a tick',
      registers,
    });
    // Every series exists from the start, so rate() and alerts see 0 instead of nothing.
    for (const status of OUTCOMES) this.#outcomes.inc({ status }, 0);
    for (const operation of EXOTEL_OPERATIONS) {
      this.#exotelRequests.inc({ operation }, 0);
      this.#exotelRateLimited.inc({ operation }, 0);
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'campaign_bot_' });
  }

  callPlaced(): void {
    this.#placed.inc();
  }

  callOutcome(status: string): void {
    this.#outcomes.inc({ status });
  }

  /** One request to Exotel that ended with this HTTP status, or with no answer (null). */
  exotelResponse(operation: string, status: number | null): void {
    this.#exotelRequests.inc({ operation });
    if (status === 429) this.#exotelRateLimited.inc({ operation });
  }

  slackError(method: string, error: string): void {
    this.#slackErrors.inc({ method, error });
  }

  leaseTakeover(): void {
    this.#takeovers.inc();
  }

  /**
   * Counts placed calls and outcomes from the contact changes ContactState announces. A call was placed when its
   * attempt became `initiated`, or got an outcome straight from `dialing` or `unknown` (an ambiguous answer whose
   * call then reported its end): it never passed through `initiated`. An outcome is an attempt that left a live state
   * with a call sid (a refused request or a call never placed has none). Returns the unsubscribe function.
   */
  countCalls(events: CampaignEvents): () => void {
    const listener = ({ from, contact }: ContactChange) => {
      if (!from || !contact || !LIVE.includes(from)) return;
      if (contact.call_status === 'initiated') {
        if (from !== 'initiated') this.callPlaced();
        return;
      }
      if (LIVE.includes(contact.call_status) || !contact.call_sid || !contact.last_outcome) return;
      if (from !== 'initiated') this.callPlaced();
      this.callOutcome(contact.last_outcome);
    };
    events.on('contact', listener);
    return () => events.off('contact', listener);
  }

  /** The Prometheus text exposition, with the gauges read now. */
  async render(sources: MetricsSources = {}): Promise<string> {
    if (sources.snapshot) {
      try {
        const snapshot = await sources.snapshot();
        this.#liveCalls.set(snapshot.liveCalls);
        this.#queueDepth.set(snapshot.queueDepth);
        this.#running.set(snapshot.runningCampaigns);
        this.#databaseUp.set(1);
      } catch {
        // The counters are still worth serving; the gauges keep their last values and this says they are stale.
        this.#databaseUp.set(0);
      }
    }
    const tick = sources.lastTickAt?.();
    if (tick) this.#tickAge.set((Date.now() - tick) / 1000);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
