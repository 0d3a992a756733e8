// "Stop everything" for one workspace, shared by `/campaign stop-all` (admins) and `npm run campaign -- stop-all`:
// the emergency brake when a campaign calls the wrong people. Each campaign is stopped by its own atomic status
// change, so running engines stop dialling it at their next check; calls already ringing finish.
import type { CampaignFields } from '../store/campaign-model.js';
import type { CampaignStatus } from '../campaigns/vocabulary.js';

/** What stop-all stops: everything that is dialling, may dial again on resume, or will start by itself. */
export const STOP_ALL_STATUSES: readonly CampaignStatus[] = ['running', 'paused', 'scheduled'];

export interface StopAllResult {
  /** Names of the campaigns stopped. */
  stopped: string[];
  /** Names of campaigns that ended or changed meanwhile (someone else stopped or completed them). */
  missed: string[];
}

/** Stops each campaign in `STOP_ALL_STATUSES` through `stop`, one after the other. */
export async function stopAll(
  campaigns: readonly Pick<CampaignFields, '_id' | 'name' | 'status'>[],
  stop: (campaign: Pick<CampaignFields, '_id' | 'name'>) => Promise<{ ok: boolean }>,
): Promise<StopAllResult> {
  const result: StopAllResult = { stopped: [], missed: [] };
  for (const campaign of campaigns.filter((c) => STOP_ALL_STATUSES.includes(c.status))) {
    const done = await stop(campaign);
    (done.ok ? result.stopped : result.missed).push(campaign.name);
  }
  return result;
}

/** The answer, in one or two sentences; `quote` marks a name (backticks in Slack, nothing on a terminal). */
export function stopAllSentence(result: StopAllResult, quote: (name: string) => string = (n) => n): string {
  const list = (names: string[]) => names.map(quote).join(', ');
  if (result.stopped.length === 0 && result.missed.length === 0) {
    return 'No campaign is running, paused or scheduled; nothing was stopped.';
  }
  const parts: string[] = [];
  if (result.stopped.length > 0) {
    const n = result.stopped.length;
    parts.push(
      `Stopped ${n === 1 ? 'one campaign' : `${n} campaigns`}: ${list(result.stopped)}. Nobody else will be called; calls already ringing finish.`,
    );
  } else {
    parts.push('Nothing was stopped.');
  }
  if (result.missed.length > 0) parts.push(`Already ended or changed meanwhile: ${list(result.missed)}.`);
  return parts.join(' ');
}
