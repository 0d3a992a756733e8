import type { CustomRoute } from '@slack/bolt';

export const HEALTH_PATH = '/healthz';

/** `GET /healthz`: 200 when the database answers a ping, 503 otherwise (Docker's HEALTHCHECK reads it). */
export function healthRoute(pingDatabase: () => Promise<boolean>): CustomRoute {
  return {
    path: HEALTH_PATH,
    method: ['GET', 'HEAD'],
    handler: async (_req, res) => {
      const up = await Promise.race([
        pingDatabase(),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
      ]);
      const body = JSON.stringify({ ok: up, database: up ? 'up' : 'unreachable' });
      res.writeHead(up ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}
