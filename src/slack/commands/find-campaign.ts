import type { CampaignFields } from '../../store/campaign-model.js';
import { notice } from '../blocks/notice-blocks.js';
import { noSuchCampaign, refusal, whichCampaign } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import type { CommandContext, CommandReply } from './subcommand.js';

/**
 * The campaign named in the command, or the reply that says why there is none. With `manage`, also the reply when
 * the user is neither its owner nor an admin.
 */
export async function findCampaign(
  deps: SlackDeps,
  ctx: CommandContext,
  subcommand: string,
  options: { manage?: 'start' | 'add' | 'delete' } = {},
): Promise<{ campaign: CampaignFields } | { reply: CommandReply }> {
  const typed = ctx.args[0];
  if (!typed) return { reply: { response_type: 'ephemeral', ...notice(whichCampaign(subcommand)) } };
  const campaign = await deps.service.findByName(ctx.teamId, typed);
  if (campaign && options.manage && !deps.service.canManage(campaign, { userId: ctx.userId })) {
    return { reply: { response_type: 'ephemeral', ...notice(refusal(options.manage, { ok: false, reason: 'forbidden', campaign })) } };
  }
  if (campaign) return { campaign };
  const closest = await deps.service.closestNames(ctx.teamId, typed);
  return { reply: { response_type: 'ephemeral', ...notice(noSuchCampaign(typed, closest)) } };
}
