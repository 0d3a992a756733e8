import type { KnownBlock } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { COMMAND } from '../ids.js';
import { progressLine } from './progress-blocks.js';
import { escapeText, slackDate, STATUS_EMOJI, STATUS_LABEL, truncate } from './format.js';

/** When a scheduled campaign starts. */
export function when(c: Pick<CampaignFields, 'status' | 'scheduled_at'>): string {
  return c.status === 'scheduled' && c.scheduled_at ? ` · starts ${slackDate(c.scheduled_at)}` : '';
}

/** How many campaigns one list message shows (Block Kit allows 50 blocks). */
export const LIST_LIMIT = 40;

export function campaignListMessage(campaigns: readonly CampaignFields[], more: boolean): { text: string; blocks: KnownBlock[] } {
  if (campaigns.length === 0) {
    const text = 'There are no campaigns in this workspace yet.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: '*Campaigns*, most recently changed first:' } }];
  for (const c of campaigns.slice(0, LIST_LIMIT)) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${STATUS_EMOJI[c.status] ?? ''} \`${c.name}\` — ${escapeText(c.title)} · ${STATUS_LABEL[c.status] ?? c.status} · ` +
            `${progressLine(c.counts)}${when(c)} · updated ${slackDate(c.updated_at, '{date_short_pretty}')}`,
          3000,
        ),
      },
    });
  }
  if (more || campaigns.length > LIST_LIMIT) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Older campaigns are not shown. \`${COMMAND} status &lt;name&gt;\` finds any campaign.` }],
    });
  }
  const shown = Math.min(campaigns.length, LIST_LIMIT);
  return { text: `${shown} ${shown === 1 ? 'campaign' : 'campaigns'}`, blocks };
}
