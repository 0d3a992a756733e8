// /healthz and /readyz: the real app with its engine, an engine that stops ticking, a database that vanishes (a TCP
// proxy that is cut), and a shutdown.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoute, readyRoute, staleTickAfterMs, type HealthSource } from '../../src/http/health-route.js';
import { openStore, type Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, waitFor } from '../helpers/engine-fixtures.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let closed = false;

beforeAll(async () => {
  store = await testStore('health');
  fake = await startFakeExotel({ seed: 2 });
  app = await startTestApp(store, exotelEnv(fake, { EXOTEL_MAX_LIVE_CALLS: '5' }), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 600, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  if (!closed) await app?.stop();
  await fake?.close();
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/healthz', () => {
  it('is 200 while the engine ticks, and 503 once its last tick is older than a few tick periods', async () => {
    // Ten ticks of 200 ms, plus 15 requests' turns at 600 a minute for a reconciliation pass.
    expect(staleTickAfterMs({ tickMs: 200, accountRate: 600 }, 5)).toBe(3_500);
    const healthy = await waitFor(
      async () => {
        const r = await get(`${app.url}/healthz`);
        return r.status === 200 ? r : null;
      },
      10_000,
      'a healthy answer',
    );
    expect(healthy.body).toMatchObject({ ok: true, database: 'up', engine: { running: true, stalled: false, stale_after_ms: 3_500 } });
    expect((healthy.body.engine as { last_tick_age_ms: number }).last_tick_age_ms).toBeLessThan(3_500);

    // The engine stalls: no tick finishes any more.
    await app.runtime.engine.stop();
    const stalled = await waitFor(
      async () => {
        const r = await get(`${app.url}/healthz`);
        return r.status === 503 ? r : null;
      },
      30_000,
      '/healthz to report the stall',
    );
    expect(stalled.body).toMatchObject({ ok: false, database: 'up', engine: { running: true, stalled: true } });
    expect((stalled.body.engine as { last_tick_age_ms: number }).last_tick_age_ms).toBeGreaterThan(3_500);
    // Still able to take Slack's requests: ready.
    expect(await get(`${app.url}/readyz`)).toEqual({ status: 200, body: { ready: true } });
  }, 60_000);

  it('/readyz is 503 from the moment shutdown begins', async () => {
    const closing = app.runtime.close();
    expect(await get(`${app.url}/readyz`)).toEqual({ status: 503, body: { ready: false, reason: 'shutting down' } });
    await closing;
    closed = true;
    await app.app.stop();
    await app.slack.close();
  });
});

describe('a database that does not answer', () => {
  let proxy: TcpProxy;
  let viaProxy: Store;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const target = new URL(mongoUri());
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    viaProxy = await openStore(`mongodb://${proxy.host}/`, { dbName: store.connection.name, serverSelectionTimeoutMS: 500 });
    const source: HealthSource = { ping: () => viaProxy.ping(), lastTickAt: () => Date.now(), stopping: () => false };
    const routes = [healthRoute(source, { staleAfterMs: 10_000 }), readyRoute(source)];
    server = createServer((req, res) => {
      const route = routes.find((r) => r.path === req.url);
      if (!route) return void res.writeHead(404).end();
      void route.handler(req as IncomingMessage & { params: Record<string, string> }, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await viaProxy?.close().catch(() => {});
    await proxy?.close();
  });

  it('makes /healthz and /readyz answer 503 within their ping timeout, and 200 again when it is back', async () => {
    expect((await get(`${url}/healthz`)).status).toBe(200);
    proxy.cut();
    const started = Date.now();
    expect(await get(`${url}/healthz`)).toMatchObject({
      status: 503,
      body: { ok: false, database: 'unreachable', engine: { stalled: false } },
    });
    expect(await get(`${url}/readyz`)).toEqual({ status: 503, body: { ready: false, reason: 'database unreachable' } });
    // Each answer waits at most the 2 s ping timeout (a supervisor's probe must not hang).
    expect(Date.now() - started).toBeLessThan(15_000);
    proxy.restore();
    await waitFor(async () => (await get(`${url}/healthz`)).status === 200, 30_000, 'the database to be reachable again');
  }, 60_000);
});
