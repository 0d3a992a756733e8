import type { CustomRoute } from '@slack/bolt';
import type { Metrics, MetricsSources } from '../ops/metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics`: the bot's counters and gauges in Prometheus text format. Like /healthz it carries no secret, no
 * phone number and no campaign name; put it behind the same network rules as the rest of the port.
 */
export function metricsRoute(metrics: Metrics, sources: MetricsSources): CustomRoute {
  return {
    path: METRICS_PATH,
    method: ['GET'],
    handler: async (_req, res) => {
      const body = await metrics.render(sources);
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}
