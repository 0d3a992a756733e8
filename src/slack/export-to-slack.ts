// Every contact of a campaign as CSV, uploaded into the thread of its progress message (or the person's DM when it
// has none): for `/campaign export` and the finish report's Export button.
import type { WebClient } from '@slack/web-api';
import type { CampaignFields } from '../store/campaign-model.js';
import type { SlackDeps } from './slack-deps.js';
import { uploadFile } from './upload-file.js';

/** Returns the sentence to show the person. */
export async function exportToSlack(
  deps: Pick<SlackDeps, 'contacts' | 'log'>,
  client: WebClient,
  campaign: CampaignFields,
  userId: string,
): Promise<string> {
  const file = await deps.contacts.export(campaign);
  try {
    let channel = campaign.progress_ts ? campaign.progress_channel : null;
    const threadTs = channel ? campaign.progress_ts : undefined;
    if (!channel) {
      const dm = await client.conversations.open({ users: userId });
      channel = dm.channel?.id ?? null;
    }
    if (!channel) throw new Error('no channel to upload to');
    await uploadFile(
      client,
      { path: file.path, bytes: file.bytes },
      {
        channel,
        ...(threadTs ? { threadTs } : {}),
        filename: `${campaign.name}-contacts.csv`,
        title: `${campaign.title} — contacts`,
        comment: `Export of \`${campaign.name}\`: ${file.rows} contacts, requested by <@${userId}>.`,
      },
    );
    const where = threadTs ? 'in the thread of its progress message' : 'in your direct messages with me';
    return `Exported ${file.rows} contacts of \`${campaign.name}\` ${where}.`;
  } catch (error) {
    deps.log.error({ err: error, campaign: String(campaign._id) }, 'export upload failed');
    return `The export of \`${campaign.name}\` could not be uploaded to Slack. Check that the app has the files:write scope and try again.`;
  } finally {
    await file.remove();
  }
}
