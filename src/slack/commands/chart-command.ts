import { notice } from '../blocks/notice-blocks.js';
import { campaignChart } from '../progress/finish-report.js';
import type { SlackDeps } from '../slack-deps.js';
import { uploadFile } from '../upload-file.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign chart <name>`: calls per hour by outcome, as a PNG, in the campaign's thread (or the person's DM). */
export function chartCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'chart',
    usage: 'chart <name>',
    summary: 'a chart of calls per hour by outcome',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'chart', { export: 'chart' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      if (campaign.stats.placed === 0)
        return { response_type: 'ephemeral', ...notice(`\`${campaign.name}\` has placed no calls yet, so there is nothing to chart.`) };
      let channel = campaign.progress_ts ? campaign.progress_channel : null;
      const threadTs = channel ? campaign.progress_ts! : undefined;
      if (!channel) channel = (await ctx.slack.client.conversations.open({ users: ctx.userId })).channel?.id ?? null;
      if (!channel) return { response_type: 'ephemeral', ...notice('I could not find where to post the chart. Try again in a minute.') };
      await uploadFile(
        ctx.slack.client,
        { data: await campaignChart(campaign) },
        {
          channel,
          ...(threadTs ? { threadTs } : {}),
          filename: `${campaign.name}-calls-per-hour.png`,
          title: `${campaign.title || campaign.name} — calls per hour`,
          comment: `Calls per hour by outcome, requested by <@${ctx.userId}>.`,
        },
      );
      const where = threadTs ? 'in the thread of its progress message' : 'in your direct messages with me';
      return { response_type: 'ephemeral', ...notice(`Posted the chart of \`${campaign.name}\` ${where}.`) };
    },
  };
}
