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
      return { response_type: 'ephemeral', ...progressMessage(deps.progress.viewOf(found.campaign, new Date(), false)) };
    },
  };
}
