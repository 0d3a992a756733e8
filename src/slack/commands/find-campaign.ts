import type { CampaignFields } from '../../store/campaign-model.js';
import { notice } from '../blocks/notice-blocks.js';
import { noSuchCampaign, refusal, whichCampaign } from '../campaign-sentences.js';
import type { Actor } from '../../campaigns/campaign-service.js';
import { actorOf } from '../actor.js';
import type { SlackDeps } from '../slack-deps.js';
import type { CommandContext, CommandReply } from './subcommand.js';

/** What the command needs the person to be allowed: manage (owner or admin), start, or export (and View). */
export type Need = { manage: 'add' | 'delete' | 'edit' | 'unschedule' } | { start: 'start' | 'schedule' } | { export: 'export' | 'chart' };

/**
 * The campaign named in the command, or the reply that says why there is none — or why this person may not do
 * what the command does with it (the campaign service's rules; guests and operators are asked of Slack).
 */
export async function findCampaign(
  deps: SlackDeps,
  ctx: CommandContext,
  subcommand: string,
  need?: Need,
): Promise<{ campaign: CampaignFields; actor: Actor } | { reply: CommandReply }> {
  const reply = (text: string) => ({ reply: { response_type: 'ephemeral' as const, ...notice(text) } });
  const typed = ctx.args[0];
  if (!typed) return reply(whichCampaign(subcommand));
  const campaign = await deps.service.findByName(ctx.teamId, typed);
  if (!campaign) return reply(noSuchCampaign(typed, await deps.service.closestNames(ctx.teamId, typed)));
  if (!need) return { campaign, actor: { userId: ctx.userId } };
  if ('manage' in need) {
    const actor = { userId: ctx.userId };
    return deps.service.canManage(campaign, actor)
      ? { campaign, actor }
      : reply(refusal(need.manage, { ok: false, reason: 'forbidden', campaign }));
  }
  const who = await actorOf(deps, ctx.userId);
  if ('refusal' in who) return reply(who.refusal);
  const refused = 'start' in need ? deps.service.startRefusal(campaign, who.actor) : deps.service.exportRefusal(campaign, who.actor);
  const verb = 'start' in need ? need.start : need.export;
  return refused ? reply(refusal(verb, { ok: false, reason: refused, campaign })) : { campaign, actor: who.actor };
}
