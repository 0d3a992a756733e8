import { notice } from '../blocks/notice-blocks.js';
import { uploadFile } from '../upload-file.js';
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
      const found = await findCampaign(deps, ctx, 'export');
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      const file = await deps.contacts.export(campaign._id);
      try {
        let channel = campaign.progress_ts ? campaign.progress_channel : null;
        const threadTs = channel ? campaign.progress_ts : undefined;
        if (!channel) {
          const dm = await ctx.slack.client.conversations.open({ users: ctx.userId });
          channel = dm.channel?.id ?? null;
        }
        if (!channel) throw new Error('no channel to upload to');
        await uploadFile(ctx.slack.client, { path: file.path, bytes: file.bytes }, {
          channel,
          ...(threadTs ? { threadTs } : {}),
          filename: `${campaign.name}-contacts.csv`,
          title: `${campaign.title} — contacts`,
          comment: `Export of \`${campaign.name}\`: ${file.rows} contacts, requested by <@${ctx.userId}>.`,
        });
        const where = threadTs ? 'in the thread of its progress message' : 'in your direct messages with me';
        return { response_type: 'ephemeral', ...notice(`Exported ${file.rows} contacts of \`${campaign.name}\` ${where}.`) };
      } catch (error) {
        deps.log.error({ err: error, campaign: String(campaign._id) }, 'export upload failed');
        return { response_type: 'ephemeral', ...notice(`The export of \`${campaign.name}\` could not be uploaded to Slack. Check that the app has the files:write scope and try again.`) };
      } finally {
        await file.remove();
      }
    },
  };
}
