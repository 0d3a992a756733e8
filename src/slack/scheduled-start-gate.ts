// A scheduled start is checked twice: when it is scheduled (the Schedule button) and again when its time comes, since
// the channel may have changed in between (the bot removed, the channel archived). Refused then, the campaign goes
// back to a draft with the reason on it, nothing is dialled, and whoever scheduled it is told in a DM.
import type { Types } from 'mongoose';
import type { CampaignService } from '../campaigns/campaign-service.js';
import type { CampaignTransitions } from '../campaigns/campaign-transitions.js';
import type { Logger } from '../logger.js';
import { slackDate } from './blocks/format.js';
import type { ChannelAccess } from './channel-access.js';
import { directMessage } from './direct-message.js';
import { COMMAND } from './ids.js';
import type { WebClient } from '@slack/web-api';

export interface ScheduledStartGateDeps {
  channels: ChannelAccess;
  service: Pick<CampaignService, 'findById'>;
  transitions: CampaignTransitions;
  client: WebClient;
  log: Logger;
}

/**
 * Asked by the clock right before it starts a scheduled campaign: true lets the start go ahead. False means the bot
 * cannot post in the campaign's channel: the campaign was unscheduled and its scheduler told. When Slack cannot be
 * asked at all, the start goes ahead (it is due now), and the progress reporter pauses it if Slack then refuses.
 */
export function scheduledStartGate({ channels, service, transitions, client, log }: ScheduledStartGateDeps) {
  return async (id: Types.ObjectId, at: Date): Promise<boolean> => {
    const campaign = await service.findById(id);
    // Unscheduled or moved meanwhile: the start itself finds nothing to do.
    if (campaign?.status !== 'scheduled' || campaign.scheduled_at?.getTime() !== at.getTime()) return true;
    const who = campaign.started_by ?? campaign.owner;
    const check = await channels.ensure(campaign.progress_channel ?? campaign.channel, who);
    if (check.ok) return true;
    if (check.kind === 'unavailable') {
      log.warn({ campaign: String(id), error: check.error }, 'could not check the channel of a scheduled start; starting anyway');
      return true;
    }
    const reason = `Did not start as scheduled: ${check.problem}`;
    const held = await transitions.apply(id, 'unschedule', { where: { scheduled_at: at }, reason, set: { scheduled_at: null } });
    if (!held.ok) return true;
    log.warn({ campaign: String(id), error: check.error }, 'scheduled start refused: the bot cannot post in its channel');
    await directMessage(
      client,
      who,
      `\`${campaign.name}\` did not start ${slackDate(at)} as scheduled, and nobody was called: ${check.problem} \`${COMMAND} start ${campaign.name}\` or \`${COMMAND} schedule\` it again once that is done.`,
      log,
    );
    return false;
  };
}
