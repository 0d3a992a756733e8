import type { Button, HomeView, KnownBlock } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { STARTABLE_STATUSES } from '../../campaigns/vocabulary.js';
import { ActionId, COMMAND } from '../ids.js';
import { when } from './campaign-list-blocks.js';
import { progressLine } from './progress-blocks.js';
import { escapeText, slackDate, STATUS_EMOJI, STATUS_LABEL, truncate } from './format.js';

/** Campaigns shown on the Home tab (two blocks each, within the 100-block limit). */
export const HOME_LIMIT = 45;

/** The App Home tab: the original dashboard's table (title, status, progress, updated) with Start and View. */
export function homeView(campaigns: readonly CampaignFields[]): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Call campaigns' } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Type \`${COMMAND} help\` in any channel for every command. Newest changes first.` }],
    },
  ];
  if (campaigns.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No campaigns yet.' } });
  }
  for (const c of campaigns.slice(0, HOME_LIMIT)) {
    const id = String(c._id);
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeText(c.title)}*  \`${c.name}\`\n${STATUS_EMOJI[c.status] ?? ''} ${STATUS_LABEL[c.status] ?? c.status} · ` +
            `${progressLine(c.counts)}${when(c)} · updated ${slackDate(c.updated_at)}`,
          3000,
        ),
      },
    });
    const elements: Button[] = [];
    if (STARTABLE_STATUSES.includes(c.status)) {
      elements.push({
        type: 'button',
        action_id: ActionId.homeStart,
        text: { type: 'plain_text', text: 'Start' },
        style: 'primary',
        value: id,
      });
    }
    elements.push({ type: 'button', action_id: ActionId.homeView, text: { type: 'plain_text', text: 'View' }, value: id });
    blocks.push({ type: 'actions', block_id: `home_${id}`, elements });
  }
  if (campaigns.length > HOME_LIMIT) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${campaigns.length - HOME_LIMIT} older campaigns are not shown; \`${COMMAND} status &lt;name&gt;\` finds any of them.`,
        },
      ],
    });
  }
  return { type: 'home', blocks };
}
