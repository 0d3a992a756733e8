import type { CampaignSummary } from '../campaigns/campaign-service.js';
import { campaignWindow } from '../engine/calling-window.js';
import type { StartSummary } from './blocks/start-summary-blocks.js';
import type { SlackDeps } from './slack-deps.js';

/** What a start would do, for the summary shown before Confirm (command and Home tab alike). */
export function startSummaryOf(deps: Pick<SlackDeps, 'config'>, summary: CampaignSummary): StartSummary {
  const { campaign, breakdown, toCall } = summary;
  return {
    campaign,
    toCall,
    pending: breakdown.pending,
    failed: toCall - breakdown.pending,
    callerId: campaign.caller_id ?? (deps.config.exotel.callerId || 'the rehearsal caller id'),
    callsPerMinute: campaign.calls_per_minute ?? deps.config.exotel.callsPerMinute,
    window: campaignWindow(campaign.calling_window, deps.config.callingWindow),
    rehearsal: deps.config.exotel.dryRun,
  };
}
