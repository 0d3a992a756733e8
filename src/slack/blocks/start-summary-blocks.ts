import type { KnownBlock } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { aboutDuration, escapeText, truncate, windowText } from './format.js';

export interface StartSummary {
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'status'>;
  /** Pending plus failed contacts. */
  toCall: number;
  pending: number;
  failed: number;
  callerId: string;
  callsPerMinute: number;
  window: { startMinute: number; endMinute: number; timeZone: string };
  rehearsal: boolean;
}

/** What `/campaign start <name>` shows before anything is dialled: the summary and Confirm / Cancel. */
export function startSummaryMessage(s: StartSummary): { text: string; blocks: KnownBlock[] } {
  const id = String(s.campaign._id);
  const title = escapeText(s.campaign.title || s.campaign.name);
  const who = s.failed > 0 ? `${s.toCall} contacts (${s.pending} not yet called, ${s.failed} to call again)` : `${s.toCall} contacts`;
  const lines = [
    `*Start ${title}?*`,
    `• *Calls:* ${who}`,
    `• *Caller id:* ${escapeText(s.callerId)}`,
    `• *Pace:* ${s.callsPerMinute} calls a minute, shared with other running campaigns`,
    `• *Estimated duration:* ${aboutDuration((s.toCall / Math.max(1, s.callsPerMinute)) * 60_000)}`,
    `• *Calling window:* ${windowText(s.window.startMinute, s.window.endMinute, s.window.timeZone)}`,
  ];
  if (s.rehearsal) lines.push('• :test_tube: *Rehearsal mode:* nobody is really called; outcomes are simulated.');
  const text = truncate(lines.join('\n'), 3000);
  return {
    text: `Start ${s.campaign.title || s.campaign.name}? ${s.toCall} contacts to call.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: BlockId.startActions,
        elements: [
          { type: 'button', action_id: ActionId.startConfirm, text: { type: 'plain_text', text: 'Confirm' }, style: 'primary', value: id },
          { type: 'button', action_id: ActionId.startCancel, text: { type: 'plain_text', text: 'Cancel' }, value: id },
        ],
      },
    ],
  };
}
