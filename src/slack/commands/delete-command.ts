import { DELETABLE_STATUSES as DELETABLE } from '../../campaigns/vocabulary.js';
import { deleteConfirmMessage } from '../blocks/delete-blocks.js';
import { notice } from '../blocks/notice-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign delete <name>`: asks first; only drafts and finished campaigns, by their owner or an admin. */
export function deleteCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'delete',
    usage: 'delete <name>',
    summary: 'remove a draft or finished campaign and its contacts',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'delete', { manage: 'delete' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      if (!(DELETABLE as readonly string[]).includes(campaign.status)) {
        return { response_type: 'ephemeral', ...notice(refusal('delete', { ok: false, reason: 'wrong-status', campaign })) };
      }
      return { response_type: 'ephemeral', ...deleteConfirmMessage(campaign) };
    },
  };
}
