import { notice } from '../blocks/notice-blocks.js';
import { fieldsOf } from '../../campaigns/campaign-hours.js';
import { EDITABLE_STATUSES } from '../../campaigns/vocabulary.js';
import { addContactsModal, createModal, editModal } from '../blocks/create-modal-blocks.js';
import { actorOf } from '../actor.js';
import { notAllowed, refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { CommandContext, CommandReply, Subcommand } from './subcommand.js';

async function openModal(
  ctx: CommandContext,
  view: Parameters<CommandContext['slack']['client']['views']['open']>[0]['view'],
  what: string,
): Promise<CommandReply> {
  try {
    await ctx.slack.client.views.open({ trigger_id: ctx.triggerId, view });
    return { response_type: 'ephemeral', text: '' };
  } catch {
    return { response_type: 'ephemeral', ...notice(`Slack did not open the ${what} form in time. Run the command again.`) };
  }
}

/** `/campaign create [name]`: the form for a new campaign, its contacts and its rules (pre-filled with the defaults). */
export function createCommand(deps: SlackDeps): Subcommand {
  const defaults = { retry: deps.config.retry, calling_hours: fieldsOf(deps.config.callingHours), calls_per_minute: null };
  return {
    name: 'create',
    usage: 'create [name]',
    summary: 'a new campaign, with contacts from a CSV file or a pasted list, and its calling rules',
    async run(ctx) {
      const who = await actorOf(deps, ctx.userId);
      if ('refusal' in who) return { response_type: 'ephemeral', ...notice(who.refusal) };
      const refused = deps.service.createRefusal(who.actor);
      if (refused) return { response_type: 'ephemeral', ...notice(notAllowed(refused, 'create')) };
      return openModal(ctx, createModal({ channel: ctx.channelId }, defaults, (ctx.args[0] ?? '').toLowerCase()), 'new campaign');
    },
  };
}

/** `/campaign edit <name>`: the same rules, and title, description and caller id, for a campaign that is not running. */
export function editCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'edit',
    usage: 'edit <name>',
    summary: 'change the calling rules of a campaign that is not running',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'edit', { manage: 'edit' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      if (!EDITABLE_STATUSES.includes(campaign.status))
        return { response_type: 'ephemeral', ...notice(refusal('edit', { ok: false, reason: 'wrong-status', campaign })) };
      const callUntilText = campaign.call_until ? campaign.call_until.toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z') : '';
      return openModal(ctx, editModal({ ...campaign, callUntilText }), 'edit');
    },
  };
}

/** `/campaign add <name>`: the contacts part of the form, for a campaign that is not running. */
export function addCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'add',
    usage: 'add <name>',
    summary: 'more contacts for a campaign that is not running',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'add', { manage: 'add' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      if (campaign.status === 'running') {
        return {
          response_type: 'ephemeral',
          ...notice(`\`${campaign.name}\` is running. \`/campaign pause ${campaign.name}\` first, then add contacts.`),
        };
      }
      return openModal(ctx, addContactsModal({ channel: ctx.channelId }, campaign), 'add contacts');
    },
  };
}
