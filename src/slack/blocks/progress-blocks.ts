import type { KnownBlock } from '@slack/types';
import type { StatusBreakdown } from '../../campaigns/campaign-counters.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { aboutDuration, duration, escapeText, percent, progressBar, slackDate, STATUS_EMOJI, STATUS_LABEL, truncate } from './format.js';

export interface ProgressView {
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'status' | 'status_reason' | 'started_at' | 'completed_at'>;
  breakdown: StatusBreakdown;
  /** Pending contacts that already had an attempt and wait for a retry. */
  retrying: number;
  /** Calls a minute this campaign can get now. */
  callsPerMinute: number;
  now: Date;
  /** Set while a running campaign waits for its calling window. */
  waitingUntil?: Date | null;
  /** Pause / Resume / Stop buttons. */
  withActions: boolean;
}

export interface ProgressNumbers {
  total: number;
  finished: number;
  answered: number;
  unsuccessful: number;
  inProgress: number;
  remaining: number;
}

export function progressNumbers(b: StatusBreakdown): ProgressNumbers {
  const total = Object.values(b).reduce((a, n) => a + n, 0);
  const unsuccessful = b.busy + b['no-answer'] + b.failed + b.canceled;
  const finished = b.completed + unsuccessful + b.skipped;
  const inProgress = b.dialing + b.initiated + b.unknown;
  return { total, finished, answered: b.completed, unsuccessful, inProgress, remaining: b.pending + inProgress };
}

/** The original system's line: `45/100 (5 failed)`. */
export function progressLine(b: StatusBreakdown): string {
  const n = progressNumbers(b);
  return `${n.finished}/${n.total} (${n.unsuccessful} failed)`;
}

function field(label: string, value: number) {
  return { type: 'mrkdwn' as const, text: `*${label}*\n${value}` };
}

/** The live progress message (and the `/campaign status` answer). */
export function progressMessage(view: ProgressView): { text: string; blocks: KnownBlock[] } {
  const { campaign, breakdown: b } = view;
  const n = progressNumbers(b);
  const running = campaign.status === 'running';
  const final = campaign.status === 'completed' || campaign.status === 'stopped';

  const facts = [`${STATUS_EMOJI[campaign.status] ?? ''} *${STATUS_LABEL[campaign.status] ?? campaign.status}*`.trim()];
  if (running && view.waitingUntil) facts.push(`outside the calling window until ${slackDate(view.waitingUntil, '{time}')}`);
  if (!final) facts.push(`pace ${view.callsPerMinute}/min`);
  if (campaign.started_at) facts.push(`started ${slackDate(campaign.started_at)}`);
  if (running && !view.waitingUntil && n.remaining > 0) {
    facts.push(`${aboutDuration((b.pending / Math.max(view.callsPerMinute, 1)) * 60_000)} left`);
  }
  const reason = campaign.status_reason ? `\n${escapeText(truncate(campaign.status_reason, 500))}` : '';

  const fields = [
    field('Answered', b.completed),
    field('Busy', b.busy),
    field('No answer', b['no-answer']),
    field('Failed', b.failed + b.canceled),
    field('In progress', n.inProgress),
    field('Pending', b.pending - view.retrying),
    field('Retrying', view.retrying),
  ];
  if (b.skipped > 0) fields.push(field('Skipped', b.skipped));
  if (b.unknown > 0) fields.push(field('Checking with Exotel', b.unknown));

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(campaign.title || campaign.name, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(facts.join(' · ') + reason, 3000) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `\`${progressBar(n.finished, n.total)}\` ${percent(n.finished, n.total)}\n*${progressLine(b)}*` },
    },
    { type: 'section', fields },
  ];

  if (final) {
    const ended = campaign.completed_at ?? view.now;
    const took = campaign.started_at ? ` after ${duration(ended.getTime() - campaign.started_at.getTime())}` : '';
    const verb = campaign.status === 'completed' ? 'Finished' : 'Stopped';
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*${verb}* ${slackDate(ended)}${took}: ${b.completed} answered, ${b.busy} busy, ${b['no-answer']} not answered, ` +
          `${b.failed + b.canceled} failed${b.skipped ? `, ${b.skipped} skipped` : ''}${n.remaining ? `, ${n.remaining} not called` : ''}.`,
      },
    });
  }

  if (view.withActions && (running || campaign.status === 'paused')) {
    const id = String(campaign._id);
    blocks.push({
      type: 'actions',
      block_id: BlockId.progressActions,
      elements: [
        running
          ? { type: 'button', action_id: ActionId.pause, text: { type: 'plain_text', text: 'Pause' }, value: id }
          : { type: 'button', action_id: ActionId.resume, text: { type: 'plain_text', text: 'Resume' }, style: 'primary', value: id },
        {
          type: 'button',
          action_id: ActionId.stop,
          text: { type: 'plain_text', text: 'Stop' },
          style: 'danger',
          value: id,
          confirm: {
            title: { type: 'plain_text', text: 'Stop this campaign?' },
            text: { type: 'mrkdwn', text: truncate(`Nobody else in *${escapeText(campaign.title || campaign.name)}* will be called. Calls already ringing finish. You can start it again later.`, 300) },
            confirm: { type: 'plain_text', text: 'Stop campaign' },
            deny: { type: 'plain_text', text: 'Keep calling' },
            style: 'danger',
          },
        },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `\`${campaign.name}\` · numbers that did not connect are listed in the thread` }],
  });

  const text = `${campaign.title || campaign.name}: ${STATUS_LABEL[campaign.status] ?? campaign.status}, ${progressLine(b)}`;
  return { text, blocks };
}
