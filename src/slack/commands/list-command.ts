import { campaignListMessage, LIST_LIMIT } from '../blocks/campaign-list-blocks.js';
import type { SlackDeps } from '../slack-deps.js';
import type { Subcommand } from './subcommand.js';

export function listCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'list',
    usage: 'list',
    summary: 'the campaigns of this workspace, newest changes first',
    async run(ctx) {
      const campaigns = await deps.service.list(ctx.teamId, LIST_LIMIT + 1);
      return { response_type: 'ephemeral', ...campaignListMessage(campaigns.slice(0, LIST_LIMIT), campaigns.length > LIST_LIMIT) };
    },
  };
}
