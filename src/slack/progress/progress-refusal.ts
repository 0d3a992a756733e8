// When Slack keeps refusing a running campaign's progress message (the bot was removed from the channel, the channel
// was archived or deleted, a scope is gone), nobody can follow its calls: the campaign is paused, with the reason
// on it, and whoever started it is told in a DM what happened and what to do.
import type { CampaignTransitions } from '../../campaigns/campaign-transitions.js';
import type { Logger } from '../../logger.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { inviteLine } from '../channel-access.js';
import { directMessage } from '../direct-message.js';
import { COMMAND } from '../ids.js';
import type { WebClient } from '@slack/web-api';

export interface ProgressRefusalDeps {
  transitions: CampaignTransitions;
  client: WebClient;
  log: Logger;
}

/** What the person can do about Slack's `error` for `channel`. */
function remedy(error: string, channel: string, name: string): string {
  const resume = `\`${COMMAND} resume ${name}\``;
  switch (error) {
    case 'not_in_channel':
    case 'channel_not_found':
      return `Type \`${inviteLine()}\` in <#${channel}>, then ${resume}.`;
    case 'is_archived':
      return `Unarchive <#${channel}> and ${resume}, or \`${COMMAND} stop ${name}\`.`;
    default:
      return `Ask whoever manages the app to look at it (\`${error}\`), then ${resume}.`;
  }
}

/** Pauses the campaign (when it is running) and DMs its starter; used as the progress reporter's `whenRefused`. */
export function pauseOnRefusal({ transitions, client, log }: ProgressRefusalDeps) {
  return async (campaign: CampaignFields, error: string): Promise<void> => {
    const channel = campaign.progress_channel ?? campaign.channel ?? '';
    const reason = `Paused: Slack refuses the progress message in <#${channel}> (${error}), so nobody could follow the calls.`;
    const paused = await transitions.apply(campaign._id, 'pause', { reason });
    log.warn({ campaign: String(campaign._id), channel, error, paused: paused.ok }, 'Slack refuses the progress message; campaign paused');
    const who = campaign.started_by ?? campaign.owner;
    const what = paused.ok
      ? `I paused \`${campaign.name}\``
      : `\`${campaign.name}\` is ${paused.campaign?.status ?? 'gone'}, and I could not show its progress`;
    await directMessage(
      client,
      who,
      `${what}: Slack refuses its progress message in <#${channel}> (${error}), and calls nobody can follow are not made. ${remedy(error, channel, campaign.name)}`,
      log,
    );
  };
}
