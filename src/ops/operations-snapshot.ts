import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import type { OperationsSnapshot } from './metrics.js';

/**
 * Reads the gauges of /metrics from the database: the account's held live-call lines (a small collection, one
 * document per line) and the campaign view of running campaigns (their counters, not their contacts).
 */
export function operationsSnapshot(store: Store, account: string): () => Promise<OperationsSnapshot> {
  return async () => {
    const [liveCalls, running] = await Promise.all([
      store.LiveLine.countDocuments({ account, holder: { $ne: null } }),
      store.Campaign.find({ status: 'running' }, { counts: 1 }).lean<Array<Pick<CampaignFields, 'counts'>>>(),
    ]);
    const queueDepth = running.reduce((n, c) => n + (c.counts?.pending ?? 0) + (c.counts?.retrying ?? 0), 0);
    return { liveCalls, queueDepth, runningCampaigns: running.length };
  };
}
