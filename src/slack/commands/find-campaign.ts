import type { CampaignFields } from '../../store/campaign-model.js';
import { notice } from '../blocks/notice-blocks.js';
import { noSuchCampaign, whichCampaign } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import type { CommandContext, CommandReply } from './subcommand.js';

/** The campaign named in the command, or the reply that says why there is none. */
export async function findCampaign(
  deps: SlackDeps,
  ctx: CommandContext,
  subcommand: string,
): Promise<{ campaign: CampaignFields } | { reply: CommandReply }> {
  const typed = ctx.args[0];
  if (!typed) return { reply: { response_type: 'ephemeral', ...notice(whichCampaign(subcommand)) } };
  const campaign = await deps.service.findByName(ctx.teamId, typed);
  if (campaign) return { campaign };
  const closest = await deps.service.closestNames(ctx.teamId, typed);
  return { reply: { response_type: 'ephemeral', ...notice(noSuchCampaign(typed, closest)) } };
}
