import { progressMessage } from '../blocks/progress-blocks.js';
import { campaignWindow, windowStatus } from '../../engine/calling-window.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

export function statusCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'status',
    usage: 'status <name>',
    summary: 'progress and outcomes of one campaign',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'status');
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      const { breakdown } = await deps.service.summary(campaign);
      const retrying = await deps.store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending', last_outcome: { $ne: null } });
      const now = new Date();
      const window = windowStatus(now, campaignWindow(campaign.calling_window, deps.config.callingWindow));
      return {
        response_type: 'ephemeral',
        ...progressMessage({
          campaign,
          breakdown,
          retrying,
          callsPerMinute: campaign.calls_per_minute ?? deps.config.exotel.callsPerMinute,
          now,
          waitingUntil: campaign.status === 'running' && !window.open ? window.changesAt : null,
          withActions: false,
        }),
      };
    },
  };
}
