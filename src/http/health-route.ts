// `/healthz` (is this process working: Docker's HEALTHCHECK, a supervisor's liveness probe) and `/readyz` (should a
// load balancer send it requests). Both answer JSON and never wait more than PING_TIMEOUT_MS for the database.
import type { CustomRoute } from '@slack/bolt';
import type { ServerResponse } from 'node:http';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/** A database that does not answer a ping within this long counts as unreachable. */
const PING_TIMEOUT_MS = 2_000;

export interface HealthSource {
  /** True when the database answers a ping. */
  ping(): Promise<boolean>;
  /**
   * When the engine last finished a tick (ms since the epoch; its start time before the first tick), or null when no
   * engine runs in this process (then only the database is checked).
   */
  lastTickAt(): number | null;
  /** True from the moment shutdown begins. */
  stopping(): boolean;
}

export interface HealthOptions {
  /** A last tick older than this makes /healthz answer 503. Use {@link staleTickAfterMs}. */
  staleAfterMs: number;
}

/**
 * How old the engine's last tick may be before it counts as stalled: a few tick periods, plus the time one tick may
 * legitimately spend in the reconciler, whose requests to Exotel (one per live call, and up to ten price requests) each
 * wait for a turn of the account's pace.
 */
export function staleTickAfterMs(timing: { tickMs: number; accountRate: number }, maxLiveCalls: number): number {
  const reconcileMs = ((maxLiveCalls + 10) * 60_000) / Math.max(timing.accountRate, 1);
  return Math.round(10 * timing.tickMs + reconcileMs);
}

/**
 * `GET /healthz`: 200 when the database answers and the engine ticked recently, 503 otherwise, with what was found:
 * `{ok, database: 'up'|'unreachable', engine: {running, last_tick_age_ms, stale_after_ms}}`.
 */
export function healthRoute(source: HealthSource, options: HealthOptions): CustomRoute {
  if (!Number.isFinite(options.staleAfterMs) || options.staleAfterMs <= 0) {
    throw new TypeError(`Expected \`staleAfterMs\` to be a positive number, got ${String(options.staleAfterMs)}`);
  }
  return {
    path: HEALTH_PATH,
    method: ['GET', 'HEAD'],
    handler: async (_req, res) => {
      const up = await pingWithin(source);
      const tick = source.lastTickAt();
      const age = tick === null ? null : Math.max(0, Date.now() - tick);
      const stalled = age !== null && age > options.staleAfterMs;
      const engine = { running: tick !== null, last_tick_age_ms: age, stale_after_ms: options.staleAfterMs, stalled };
      answer(res, up && !stalled, { ok: up && !stalled, database: up ? 'up' : 'unreachable', engine });
    },
  };
}

/** `GET /readyz`: 200 once the app listens and the database answers; 503 while shutting down or without a database. */
export function readyRoute(source: HealthSource): CustomRoute {
  return {
    path: READY_PATH,
    method: ['GET', 'HEAD'],
    handler: async (_req, res) => {
      if (source.stopping()) {
        answer(res, false, { ready: false, reason: 'shutting down' });
        return;
      }
      const up = await pingWithin(source);
      answer(res, up, up ? { ready: true } : { ready: false, reason: 'database unreachable' });
    },
  };
}

function pingWithin(source: HealthSource): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    source.ping().catch(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function answer(res: ServerResponse, ok: boolean, body: unknown): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
