import { notice } from '../blocks/notice-blocks.js';
import { addContactsModal, createModal } from '../blocks/create-modal-blocks.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { CommandContext, CommandReply, Subcommand } from './subcommand.js';

async function openModal(ctx: CommandContext, view: Parameters<CommandContext['slack']['client']['views']['open']>[0]['view'], what: string): Promise<CommandReply> {
  try {
    await ctx.slack.client.views.open({ trigger_id: ctx.triggerId, view });
    return { response_type: 'ephemeral', text: '' };
  } catch {
    return { response_type: 'ephemeral', ...notice(`Slack did not open the ${what} form in time. Run the command again.`) };
  }
}

/** `/campaign create [name]`: the form for a new campaign and its contacts. */
export function createCommand(): Subcommand {
  return {
    name: 'create',
    usage: 'create [name]',
    summary: 'a new campaign, with contacts from a CSV file or a pasted list',
    run: (ctx) => openModal(ctx, createModal({ channel: ctx.channelId }, (ctx.args[0] ?? '').toLowerCase()), 'new campaign'),
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
        return { response_type: 'ephemeral', ...notice(`\`${campaign.name}\` is running. \`/campaign pause ${campaign.name}\` first, then add contacts.`) };
      }
      return openModal(ctx, addContactsModal({ channel: ctx.channelId }, campaign), 'add contacts');
    },
  };
}
