import { notice } from '../blocks/notice-blocks.js';
import { exportToSlack } from '../export-to-slack.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign export <name>`: every contact as CSV, in the campaign's thread (or to the user when it has none). */
export function exportCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'export',
    usage: 'export <name>',
    summary: 'every contact and its outcome as a CSV file',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'export', { export: 'export' });
      if ('reply' in found) return found.reply;
      return { response_type: 'ephemeral', ...notice(await exportToSlack(deps, ctx.slack.client, found.campaign, ctx.userId)) };
    },
  };
}
