import { describeHours } from '../campaigns/calling-hours.js';
import { hoursOf } from '../campaigns/campaign-hours.js';
import type { CampaignSummary } from '../campaigns/campaign-service.js';
import { describeRetry } from '../campaigns/retry-policy.js';
import type { StartSummary } from './blocks/start-summary-blocks.js';
import type { SlackDeps } from './slack-deps.js';

/** What a start would do, for the summary shown before Confirm (command and Home tab alike). */
export function startSummaryOf(deps: Pick<SlackDeps, 'config'>, summary: CampaignSummary, startsAt?: Date): StartSummary {
  const { campaign, counts, toCall } = summary;
  return {
    campaign,
    toCall,
    pending: counts.pending + counts.retrying,
    failed: toCall - counts.pending - counts.retrying,
    callerId: campaign.caller_id ?? (deps.config.exotel.callerId || 'the rehearsal caller id'),
    callsPerMinute: campaign.calls_per_minute ?? deps.config.exotel.callsPerMinute,
    hours: describeHours(hoursOf(campaign.calling_hours)),
    retry: describeRetry(campaign.retry),
    callUntil: campaign.call_until,
    ...(startsAt ? { startsAt } : {}),
    rehearsal: deps.config.exotel.dryRun,
  };
}
