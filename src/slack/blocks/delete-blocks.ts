import type { KnownBlock } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { escapeText, truncate } from './format.js';

/** The question `/campaign delete <name>` asks before anything is removed. */
export function deleteConfirmMessage(campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'total_contacts'>): {
  text: string;
  blocks: KnownBlock[];
} {
  const id = String(campaign._id);
  const text = `Delete *${escapeText(campaign.title)}* \`${campaign.name}\` and its ${campaign.total_contacts} contacts? This cannot be undone; \`/campaign export ${campaign.name}\` first if you need the results.`;
  return {
    text: `Delete ${campaign.name}?`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } },
      {
        type: 'actions',
        block_id: BlockId.deleteActions,
        elements: [
          {
            type: 'button',
            action_id: ActionId.deleteConfirm,
            style: 'danger',
            text: { type: 'plain_text', text: 'Delete' },
            value: id,
            confirm: {
              title: { type: 'plain_text', text: 'Delete this campaign?' },
              text: { type: 'plain_text', text: truncate(`${campaign.name} and all its contacts will be removed for good.`, 300) },
              confirm: { type: 'plain_text', text: 'Delete' },
              deny: { type: 'plain_text', text: 'Keep it' },
              style: 'danger',
            },
          },
          { type: 'button', action_id: ActionId.deleteCancel, text: { type: 'plain_text', text: 'Cancel' }, value: id },
        ],
      },
    ],
  };
}
