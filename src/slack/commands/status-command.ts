import { describeHours } from '../../campaigns/calling-hours.js';
import { hoursOf } from '../../campaigns/campaign-hours.js';
import { describeRetry } from '../../campaigns/retry-policy.js';
import { slackDate } from '../blocks/format.js';
import { progressMessage } from '../blocks/progress-blocks.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign status <name>`: the progress message, from the campaign view (one read). */
export function statusCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'status',
    usage: 'status <name>',
    summary: 'progress and outcomes of one campaign',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'status');
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      const message = progressMessage(deps.progress.viewOf(campaign, new Date(), false));
      const rules = [`Calling hours: ${describeHours(hoursOf(campaign.calling_hours))}`, `Retries: ${describeRetry(campaign.retry)}`];
      if (campaign.call_until) rules.push(`Calls until ${slackDate(campaign.call_until)}`);
      message.blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: rules.join(' · ') }] });
      return { response_type: 'ephemeral', ...message };
    },
  };
}
