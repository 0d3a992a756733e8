import { startSummaryOf } from '../start-summary.js';
import { notice } from '../blocks/notice-blocks.js';
import { startSummaryMessage } from '../blocks/start-summary-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign start <name>`: the summary with Confirm / Cancel; nothing is dialled until Confirm. */
export function startCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'start',
    usage: 'start <name>',
    summary: 'check a summary, then confirm to start calling',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'start', { start: 'start' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      if (campaign.status === 'running' || campaign.status === 'paused') {
        return { response_type: 'ephemeral', ...notice(refusal('start', { ok: false, reason: 'wrong-status', campaign })) };
      }
      const summary = deps.service.summary(campaign);
      if (summary.toCall === 0) {
        return { response_type: 'ephemeral', ...notice(refusal('start', { ok: false, reason: 'nothing-to-call', campaign })) };
      }
      return { response_type: 'ephemeral', ...startSummaryMessage(startSummaryOf(deps, summary)) };
    },
  };
}
