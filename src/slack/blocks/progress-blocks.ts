import type { KnownBlock } from '@slack/types';
import { describeMoment } from '../../campaigns/calling-hours.js';
import type { Counts } from '../../campaigns/vocabulary.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { aboutDuration, duration, escapeText, percent, progressBar, slackDate, STATUS_EMOJI, STATUS_LABEL, truncate } from './format.js';

/** What the progress message (and `/campaign status`) shows: the campaign view and the moment. */
export interface ProgressView {
  campaign: Pick<
    CampaignFields,
    | '_id'
    | 'name'
    | 'title'
    | 'status'
    | 'status_reason'
    | 'started_at'
    | 'started_by'
    | 'completed_at'
    | 'last_action'
    | 'counts'
    | 'total_contacts'
    | 'dial_wait'
    | 'scheduled_at'
    | 'mode'
    | 'calling_hours'
    | 'keys'
    | 'stats'
  >;
  /** Calls a minute this campaign gets now. */
  callsPerMinute: number;
  now: Date;
  /** The campaign's calling hours at `now` (null when closed for good). */
  hours: { open: boolean; changesAt: Date | null };
  /** Pause / Resume / Stop buttons. */
  withActions: boolean;
}

export interface ProgressNumbers {
  total: number;
  /** Calls Exotel reported completed. */
  completed: number;
  /** Contacts finally not reached: busy, no answer, failed or canceled after their last attempt. */
  failed: number;
  /** Completed, failed and skipped: nothing more will happen to them. */
  finished: number;
  live: number;
  waiting: number;
}

export function progressNumbers(c: Counts): ProgressNumbers {
  const total = Object.values(c).reduce((a, n) => a + n, 0);
  const failed = c.busy + c['no-answer'] + c.failed + c.canceled;
  return {
    total,
    completed: c.completed,
    failed,
    finished: c.completed + failed + c.skipped,
    live: c.dialing + c.initiated + c.unknown,
    waiting: c.pending + c.retrying,
  };
}

/** The original system's line: `45/100 (5 failed)` — calls completed of all contacts, and contacts finally not reached. */
export function progressLine(c: Counts): string {
  const n = progressNumbers(c);
  return `${n.completed}/${n.total} (${n.failed} failed)`;
}

/** Why nothing is being dialled now, when that is the case; null while it dials. */
export function waitingText(view: ProgressView): string | null {
  const { campaign: c, now } = view;
  const tz = c.calling_hours.tz;
  if (c.status === 'scheduled' && c.scheduled_at) return `Scheduled — starts ${describeMoment(c.scheduled_at, tz, now)}`;
  if (c.status !== 'running') return null;
  if (!view.hours.open) {
    return view.hours.changesAt
      ? `Waiting for calling hours — resumes ${describeMoment(view.hours.changesAt, tz, now)}`
      : 'Outside calling hours, with no calling day ahead: edit the calling days';
  }
  const wait = c.dial_wait;
  switch (wait?.reason) {
    case 'live-cap':
      return 'At the live-call limit — the next call goes out when one ends';
    case 'rate-held':
      return `Held by Exotel's rate limit${wait.until ? ` until ${describeMoment(wait.until, tz, now)}` : ''}`;
    case 'waiting-retries':
      return `Waiting for retries${wait.until ? ` — next at ${describeMoment(wait.until, tz, now)}` : ''}`;
    case 'waiting-outcomes':
      return 'Waiting for the last calls to end';
    default:
      return null;
  }
}

function who(action: { verb: string; by: string | null; at: Date } | null, verbs: Record<string, string>): string | null {
  if (!action || !verbs[action.verb] || !action.by) return null;
  return `${verbs[action.verb]} by <@${action.by}> at ${slackDate(action.at, '{time}')}`;
}

function field(label: string, value: number) {
  return { type: 'mrkdwn' as const, text: `*${label}*\n${value}` };
}

function facts(view: ProgressView, n: ProgressNumbers): string {
  const { campaign } = view;
  const running = campaign.status === 'running';
  const final = ['completed', 'stopped', 'expired'].includes(campaign.status);
  const parts = [`${STATUS_EMOJI[campaign.status] ?? ''} *${STATUS_LABEL[campaign.status] ?? campaign.status}*`.trim()];
  if (!final) parts.push(`pace ${Math.round(view.callsPerMinute)}/min`);
  if (campaign.started_at)
    parts.push(
      campaign.started_by
        ? `started by <@${campaign.started_by}> ${slackDate(campaign.started_at)}`
        : `started ${slackDate(campaign.started_at)}`,
    );
  const paused = who(campaign.last_action, { pause: 'paused', stop: 'stopped', resume: 'resumed' });
  if (paused && campaign.status !== 'running') parts.push(paused);
  const waiting = waitingText(view);
  if (running && !waiting && n.waiting > 0) parts.push(`${aboutDuration((n.waiting / Math.max(view.callsPerMinute, 1)) * 60_000)} left`);
  let text = parts.join(' · ');
  if (waiting) text += `\n:hourglass_flowing_sand: ${waiting}`;
  if (campaign.status_reason) text += `\n${escapeText(truncate(campaign.status_reason, 500))}`;
  if (campaign.mode === 'rehearsal')
    text += '\n:test_tube: *Rehearsal:* nobody is being called; the calls and their outcomes are simulated.';
  return truncate(text, 3000);
}

function actions(view: ProgressView): KnownBlock | null {
  const { campaign } = view;
  const running = campaign.status === 'running';
  if (!view.withActions || !(running || campaign.status === 'paused')) return null;
  const id = String(campaign._id);
  return {
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
          text: {
            type: 'mrkdwn',
            text: truncate(
              `Nobody else in *${escapeText(campaign.title || campaign.name)}* will be called. Calls already ringing finish. You can start it again later.`,
              300,
            ),
          },
          confirm: { type: 'plain_text', text: 'Stop campaign' },
          deny: { type: 'plain_text', text: 'Keep calling' },
          style: 'danger',
        },
      },
    ],
  };
}

/** The live progress message (and the `/campaign status` answer). */
export function progressMessage(view: ProgressView): { text: string; blocks: KnownBlock[] } {
  const { campaign } = view;
  const c = campaign.counts;
  const n = progressNumbers(c);
  const final = ['completed', 'stopped', 'expired'].includes(campaign.status);

  const fields = [
    field('Completed', c.completed),
    field('Busy', c.busy),
    field('No answer', c['no-answer']),
    field('Could not connect', c.failed + c.canceled),
    field('In progress', c.dialing + c.initiated),
    field('Waiting', c.pending),
    field('Retrying', c.retrying),
  ];
  if (c.unknown > 0) fields.push(field('Checking with Exotel', c.unknown));
  if (c.skipped > 0) fields.push(field('Skipped', c.skipped));
  for (const [key, presses] of Object.entries(campaign.stats?.keys ?? {})
    .sort()
    .slice(0, 10 - fields.length)) {
    const meaning = campaign.keys?.[key];
    fields.push(field(`Pressed ${key}${meaning ? ` · ${escapeText(truncate(meaning, 30))}` : ''}`, Number(presses)));
  }

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(campaign.title || campaign.name, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: facts(view, n) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${progressLine(c)}*\n\`${progressBar(n.finished, n.total)}\` ${percent(n.finished, n.total)} finished`,
      },
    },
    { type: 'section', fields },
  ];

  if (final) {
    const ended = campaign.completed_at ?? view.now;
    const took = campaign.started_at ? ` after ${duration(ended.getTime() - campaign.started_at.getTime())}` : '';
    const verb = campaign.status === 'completed' ? 'Finished' : campaign.status === 'expired' ? 'Ended (end date passed)' : 'Stopped';
    const notCalled = n.waiting + n.live;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*${verb}* ${slackDate(ended)}${took}: ${c.completed} completed, ${c.busy} busy, ${c['no-answer']} not answered, ` +
          `${c.failed + c.canceled} could not connect${c.skipped ? `, ${c.skipped} skipped` : ''}${notCalled ? `, ${notCalled} not called` : ''}.`,
      },
    });
  }
  const buttons = actions(view);
  if (buttons) blocks.push(buttons);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `\`${campaign.name}\` · numbers not reached are listed in the thread` }],
  });

  // The notification text is mrkdwn too: a title is shown, never run (a title "<!channel>" must not ping everyone).
  const text = `${escapeText(truncate(campaign.title || campaign.name, 150))}: ${STATUS_LABEL[campaign.status] ?? campaign.status}, ${progressLine(c)}`;
  return { text, blocks };
}
