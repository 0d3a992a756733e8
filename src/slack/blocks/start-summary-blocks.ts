import type { KnownBlock } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { aboutDuration, escapeText, slackDate, truncate } from './format.js';

export interface StartSummary {
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'status'>;
  /** Pending plus failed contacts. */
  toCall: number;
  pending: number;
  failed: number;
  callerId: string;
  callsPerMinute: number;
  /** The calling days and hours in one line ("Mon–Sat 09:00–20:00 IST"). */
  hours: string;
  /** The retry rules in one line. */
  retry: string;
  /** The end date, if any. */
  callUntil: Date | null;
  /** Set when the summary is for `/campaign schedule`: when it will start. */
  startsAt?: Date;
  rehearsal: boolean;
}

/** What `/campaign start <name>` shows before anything is dialled: the summary and Confirm / Cancel. */
export function startSummaryMessage(s: StartSummary): { text: string; blocks: KnownBlock[] } {
  const id = String(s.campaign._id);
  const title = escapeText(s.campaign.title || s.campaign.name);
  const who = s.failed > 0 ? `${s.toCall} contacts (${s.pending} not yet called, ${s.failed} to call again)` : `${s.toCall} contacts`;
  const lines = [
    s.startsAt ? `*Schedule ${title}?*` : `*Start ${title}?*`,
    `• *Calls:* ${who}`,
    `• *Caller id:* ${escapeText(s.callerId)}`,
    `• *Pace:* ${s.callsPerMinute} calls a minute, shared with other running campaigns`,
    `• *Estimated duration:* ${aboutDuration((s.toCall / Math.max(1, s.callsPerMinute)) * 60_000)}`,
    `• *Calling hours:* ${escapeText(s.hours)}`,
    `• *Retries:* ${escapeText(s.retry)}`,
  ];
  if (s.callUntil) lines.push(`• *Calls until:* ${slackDate(s.callUntil)}`);
  if (s.startsAt) lines.splice(1, 0, `• *Starts:* ${slackDate(s.startsAt)} (nothing is dialled before)`);
  if (s.rehearsal) lines.push('• :test_tube: *Rehearsal mode:* nobody is really called; outcomes are simulated.');
  const text = truncate(lines.join('\n'), 3000);
  return {
    // Escaped like the blocks: the notification text is mrkdwn, and a title must not ping anyone.
    text: truncate(`${s.startsAt ? 'Schedule' : 'Start'} ${title}? ${s.toCall} contacts to call.`, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      s.startsAt
        ? {
            type: 'actions',
            block_id: BlockId.scheduleActions,
            elements: [
              {
                type: 'button',
                action_id: ActionId.scheduleConfirm,
                text: { type: 'plain_text', text: 'Schedule' },
                style: 'primary',
                value: JSON.stringify({ id, at: s.startsAt.toISOString() }),
              },
              { type: 'button', action_id: ActionId.scheduleCancel, text: { type: 'plain_text', text: 'Cancel' }, value: id },
            ],
          }
        : {
            type: 'actions',
            block_id: BlockId.startActions,
            elements: [
              {
                type: 'button',
                action_id: ActionId.startConfirm,
                text: { type: 'plain_text', text: 'Confirm' },
                style: 'primary',
                value: id,
              },
              { type: 'button', action_id: ActionId.startCancel, text: { type: 'plain_text', text: 'Cancel' }, value: id },
            ],
          },
    ],
  };
}
