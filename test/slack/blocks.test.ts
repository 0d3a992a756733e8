// The Block Kit builders are pure functions: each is checked here by its exact JSON for fixed inputs and fixed
// dates, then against Slack's published limits with inputs far larger than any real campaign.
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import type { CampaignReport } from '../../src/campaigns/campaign-report.js';
import { emptyCounts, type Counts } from '../../src/campaigns/vocabulary.js';
import type { Config } from '../../src/config.js';
import { campaignListMessage, LIST_LIMIT } from '../../src/slack/blocks/campaign-list-blocks.js';
import { contactLine, contactsModal, CONTACTS_PAGE_SIZE } from '../../src/slack/blocks/contacts-modal-blocks.js';
import { costText, finishReportMessage, rupees, type FinishReportView } from '../../src/slack/blocks/finish-report-blocks.js';
import { failureLine, failureReply, type FailureItem } from '../../src/slack/blocks/failure-blocks.js';
import { helpMessage } from '../../src/slack/blocks/help-blocks.js';
import { HOME_LIMIT, homeView } from '../../src/slack/blocks/home-blocks.js';
import { notice } from '../../src/slack/blocks/notice-blocks.js';
import { progressLine, progressMessage, progressNumbers, waitingText, type ProgressView } from '../../src/slack/blocks/progress-blocks.js';
import { messageModal, startModal } from '../../src/slack/blocks/start-modal-blocks.js';
import { startSummaryMessage, type StartSummary } from '../../src/slack/blocks/start-summary-blocks.js';
import { startSummaryOf } from '../../src/slack/start-summary.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';

const ID = new Types.ObjectId('64b000000000000000000001');
const ID2 = new Types.ObjectId('64b000000000000000000002');
const ID3 = new Types.ObjectId('64b000000000000000000003');
const T0 = new Date('2026-11-25T04:30:00.000Z'); // Wed 25 Nov, 10:00 IST
const T1 = new Date('2026-11-25T05:45:00.000Z'); // 11:15 IST
/** "started by <@U> <date>": the day and time it started, in each reader's zone. */
const STARTED = 'started by <@U0OWNER> <!date^1795581000^{date_short_pretty} {time}|2026-11-25T04:30:00Z>';
const ENDED = '<!date^1795585500^{date_short_pretty} {time}|2026-11-25T05:45:00Z>';

/** 100 contacts in every bucket: 30 completed, 20 finally not reached (5 + 10 + 4 + 1), 4 skipped, 46 still to go. */
const COUNTS: Counts = {
  pending: 34,
  retrying: 6,
  dialing: 2,
  initiated: 3,
  unknown: 1,
  completed: 30,
  busy: 5,
  'no-answer': 10,
  failed: 4,
  canceled: 1,
  skipped: 4,
};
/** 50 contacts, all final. */
const FINISHED: Counts = { ...COUNTS, pending: 0, retrying: 0, dialing: 0, initiated: 0, unknown: 0, skipped: 0 };
const HOURS = { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '21:00', tz: 'Asia/Kolkata', skip: [] };

const CAMPAIGN: ProgressView['campaign'] = {
  _id: ID,
  name: 'diwali-offer',
  title: 'Diwali <offer> & more',
  status: 'running',
  status_reason: null,
  mode: 'live',
  counts: COUNTS,
  total_contacts: 100,
  started_at: T0,
  started_by: 'U0OWNER',
  completed_at: null,
  last_action: { verb: 'start', by: 'U0OWNER', at: T0 },
  dial_wait: { reason: null, until: null },
  scheduled_at: null,
  calling_hours: HOURS,
  keys: {},
  stats: {
    placed: 0,
    talk_seconds: 0,
    cost: 0,
    cost_pending: 0,
    cost_missing: 0,
    answered_human: 0,
    answered_machine: 0,
    keys: {},
    hours: {},
  },
};

function view(campaign: Partial<ProgressView['campaign']> = {}, rest: Partial<Omit<ProgressView, 'campaign'>> = {}): ProgressView {
  return {
    campaign: { ...CAMPAIGN, ...campaign },
    callsPerMinute: 20,
    now: T1,
    hours: { open: true, changesAt: new Date('2026-11-25T15:30:00Z') },
    withActions: true,
    ...rest,
  };
}

function campaignRow(fields: Partial<CampaignFields>): CampaignFields {
  return {
    _id: ID,
    team_id: 'T0001',
    name: 'diwali-offer',
    title: 'Diwali',
    description: '',
    owner: 'U0OWNER',
    channel: 'C0001',
    status: 'draft',
    status_reason: null,
    mode: null,
    total_contacts: 0,
    calls_completed: 0,
    calls_failed: 0,
    counts: emptyCounts(),
    view_version: 0,
    stats: {
      placed: 0,
      talk_seconds: 0,
      cost: 0,
      cost_pending: 0,
      cost_missing: 0,
      answered_human: 0,
      answered_machine: 0,
      keys: {},
      hours: {},
    },
    started_at: null,
    started_by: null,
    completed_at: null,
    last_action: null,
    calls_per_minute: null,
    caller_id: null,
    retry: { on: ['busy', 'no-answer'], max_attempts: 3, delays: { busy: 1800, 'no-answer': 7200, failed: 1800 }, exponential: false },
    calling_hours: HOURS,
    scheduled_at: null,
    call_until: null,
    message_template: null,
    keys: {},
    columns: [],
    contacts_seq: 0,
    queue_seq: 1,
    retry_cursor: 0,
    requeue_until: null,
    dial_wait: { reason: null, until: null },
    progress_channel: null,
    progress_ts: null,
    progress_final: false,
    report_ts: null,
    report_cost_final: false,
    chart_posted: false,
    runner_id: null,
    lease_expires_at: null,
    lease_epoch: 0,
    created_at: T0,
    updated_at: T1,
    ...fields,
  };
}

const RUNNING_ROW = campaignRow({
  name: 'diwali-offer',
  title: 'Diwali <offer>',
  status: 'running',
  total_contacts: 100,
  counts: COUNTS,
  calls_completed: 30,
  calls_failed: 20,
});
const DRAFT_ROW = campaignRow({
  _id: ID2,
  name: 'renewals',
  title: 'Renewals',
  status: 'draft',
  total_contacts: 12,
  counts: { ...emptyCounts(), pending: 12 },
});
const SCHEDULED_AT = new Date('2026-11-27T04:30:00.000Z'); // Fri 27 Nov, 10:00 IST
const SCHEDULED_ROW = campaignRow({
  _id: ID3,
  name: 'promo',
  title: 'Promo',
  status: 'scheduled',
  scheduled_at: SCHEDULED_AT,
  total_contacts: 5,
  counts: { ...emptyCounts(), pending: 5 },
});

const PAUSE_BUTTON = {
  type: 'button',
  action_id: 'campaign_pause',
  text: { type: 'plain_text', text: 'Pause' },
  value: '64b000000000000000000001',
};
const RESUME_BUTTON = {
  type: 'button',
  action_id: 'campaign_resume',
  text: { type: 'plain_text', text: 'Resume' },
  style: 'primary',
  value: '64b000000000000000000001',
};
const STOP_BUTTON = {
  type: 'button',
  action_id: 'campaign_stop',
  text: { type: 'plain_text', text: 'Stop' },
  style: 'danger',
  value: '64b000000000000000000001',
  confirm: {
    title: { type: 'plain_text', text: 'Stop this campaign?' },
    text: {
      type: 'mrkdwn',
      text: 'Nobody else in *Diwali &lt;offer&gt; &amp; more* will be called. Calls already ringing finish. You can start it again later.',
    },
    confirm: { type: 'plain_text', text: 'Stop campaign' },
    deny: { type: 'plain_text', text: 'Keep calling' },
    style: 'danger',
  },
};
const HEADER = { type: 'header', text: { type: 'plain_text', text: 'Diwali <offer> & more', emoji: true } };
const FOOTER = { type: 'context', elements: [{ type: 'mrkdwn', text: '`diwali-offer` · numbers not reached are listed in the thread' }] };
const field = (label: string, n: number) => ({ type: 'mrkdwn', text: `*${label}*\n${n}` });
/** The breakdown of COUNTS: every label, Checking with Exotel and Skipped because they are not zero. */
const COUNTS_FIELDS = {
  type: 'section',
  fields: [
    field('Completed', 30),
    field('Busy', 5),
    field('No answer', 10),
    field('Could not connect', 5),
    field('In progress', 5),
    field('Waiting', 34),
    field('Retrying', 6),
    field('Checking with Exotel', 1),
    field('Skipped', 4),
  ],
};
const COUNTS_LINE = { type: 'section', text: { type: 'mrkdwn', text: '*30/100 (20 failed)*\n`███████████░░░░░░░░░` 54% finished' } };
const FINISHED_FIELDS = {
  type: 'section',
  fields: [
    field('Completed', 30),
    field('Busy', 5),
    field('No answer', 10),
    field('Could not connect', 5),
    field('In progress', 0),
    field('Waiting', 0),
    field('Retrying', 0),
  ],
};

describe('progressNumbers and progressLine', () => {
  it('completed are calls Exotel reported completed; failed are contacts finally not reached; the rest are not either', () => {
    expect(progressNumbers(COUNTS)).toEqual({ total: 100, completed: 30, failed: 20, finished: 54, live: 6, waiting: 40 });
    expect(progressLine(COUNTS)).toBe('30/100 (20 failed)');
    // A contact waiting for a retry, or being checked with Exotel, is neither completed nor failed yet.
    expect(progressLine({ ...emptyCounts(), retrying: 3, unknown: 2, busy: 1 })).toBe('0/6 (1 failed)');
    // Skipped contacts count in the total and as finished, never as completed or failed.
    expect(progressNumbers({ ...emptyCounts(), skipped: 4, completed: 1 })).toMatchObject({
      total: 5,
      completed: 1,
      failed: 0,
      finished: 5,
    });
    expect(progressLine(emptyCounts())).toBe('0/0 (0 failed)');
  });
});

describe('progressMessage', () => {
  it('running: who started it and when, the pace, time left, the breakdown, Pause and Stop', () => {
    expect(progressMessage(view())).toEqual({
      text: 'Diwali &lt;offer&gt; &amp; more: Running, 30/100 (20 failed)',
      blocks: [
        HEADER,
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `:arrow_forward: *Running* · pace 20/min · ${STARTED} · about 2 min left` },
        },
        COUNTS_LINE,
        COUNTS_FIELDS,
        { type: 'actions', block_id: 'progress_actions', elements: [PAUSE_BUTTON, STOP_BUTTON] },
        FOOTER,
      ],
    });
  });

  it('paused: who paused it and when, its reason escaped, no time left, Resume and Stop', () => {
    const message = progressMessage(
      view({
        status: 'paused',
        status_reason: 'Exotel answered <401> & refused the account',
        last_action: { verb: 'pause', by: 'U0ADMIN', at: T1 },
      }),
    );
    expect(message).toEqual({
      text: 'Diwali &lt;offer&gt; &amp; more: Paused, 30/100 (20 failed)',
      blocks: [
        HEADER,
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              `:double_vertical_bar: *Paused* · pace 20/min · ${STARTED} · ` +
              'paused by <@U0ADMIN> at <!date^1795585500^{time}|2026-11-25T05:45:00Z>\nExotel answered &lt;401&gt; &amp; refused the account',
          },
        },
        COUNTS_LINE,
        COUNTS_FIELDS,
        { type: 'actions', block_id: 'progress_actions', elements: [RESUME_BUTTON, STOP_BUTTON] },
        FOOTER,
      ],
    });
  });

  it('completed: the final summary, no pace, no buttons even when asked for', () => {
    const message = progressMessage(
      view({ status: 'completed', completed_at: T1, counts: FINISHED, total_contacts: 50 }, { now: new Date('2027-01-01T00:00:00Z') }),
    );
    expect(message).toEqual({
      text: 'Diwali &lt;offer&gt; &amp; more: Completed, 30/50 (20 failed)',
      blocks: [
        HEADER,
        { type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: *Completed* · ${STARTED}` } },
        { type: 'section', text: { type: 'mrkdwn', text: '*30/50 (20 failed)*\n`████████████████████` 100% finished' } },
        FINISHED_FIELDS,
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*Finished* ${ENDED} after 1 h 15 min: 30 completed, 5 busy, 10 not answered, 5 could not connect.`,
          },
        },
        FOOTER,
      ],
    });
  });

  it('stopped early: who stopped it, and how many were skipped and not called', () => {
    const message = progressMessage(
      view({
        status: 'stopped',
        completed_at: T1,
        counts: { ...FINISHED, pending: 7, skipped: 2 },
        last_action: { verb: 'stop', by: 'U0ADMIN', at: T1 },
      }),
    );
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:black_square_for_stop: *Stopped* · ${STARTED} · stopped by <@U0ADMIN> at <!date^1795585500^{time}|2026-11-25T05:45:00Z>`,
      },
    });
    expect(message.blocks.at(-2)).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Stopped* ${ENDED} after 1 h 15 min: 30 completed, 5 busy, 10 not answered, 5 could not connect, 2 skipped, 7 not called.`,
      },
    });
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(message.text).toBe('Diwali &lt;offer&gt; &amp; more: Stopped, 30/59 (20 failed)');
  });

  it("running outside the calling hours: says when it resumes, in the campaign's zone, and no time-left estimate", () => {
    const message = progressMessage(
      view(
        { started_at: null, started_by: null, counts: { ...FINISHED, pending: 10 } },
        { hours: { open: false, changesAt: new Date('2026-11-26T03:30:00Z') }, withActions: false },
      ),
    );
    expect(message).toEqual({
      text: 'Diwali &lt;offer&gt; &amp; more: Running, 30/60 (20 failed)',
      blocks: [
        HEADER,
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':arrow_forward: *Running* · pace 20/min\n:hourglass_flowing_sand: Waiting for calling hours — resumes tomorrow 09:00 IST',
          },
        },
        { type: 'section', text: { type: 'mrkdwn', text: '*30/60 (20 failed)*\n`█████████████████░░░` 83% finished' } },
        { ...FINISHED_FIELDS, fields: [...FINISHED_FIELDS.fields.slice(0, 5), field('Waiting', 10), field('Retrying', 0)] },
        FOOTER,
      ],
    });
  });

  it("keys pressed join the breakdown with their meaning, within Slack's 10 fields", () => {
    const stats = { ...CAMPAIGN.stats, keys: { '2': 3, '1': 12, '9': 1 } };
    const keys = { '1': 'paid', '9': `do not call ${'x'.repeat(40)}` };
    const few = progressMessage(view({ status: 'completed', completed_at: T1, counts: FINISHED, keys, stats }));
    expect(few.blocks[3]).toEqual({
      type: 'section',
      fields: [
        ...FINISHED_FIELDS.fields,
        field('Pressed 1 · paid', 12),
        field('Pressed 2', 3),
        field(`Pressed 9 · do not call ${'x'.repeat(17)}…`, 1),
      ],
    });
    // Nine outcome fields leave room for one key.
    const many = progressMessage(view({ keys, stats }));
    expect(many.blocks[3]).toEqual({ type: 'section', fields: [...COUNTS_FIELDS.fields, field('Pressed 1 · paid', 12)] });
  });

  it('a rehearsal says so under the facts', () => {
    const message = progressMessage(view({ mode: 'rehearsal' }));
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `:arrow_forward: *Running* · pace 20/min · ${STARTED} · about 2 min left\n` +
          ':test_tube: *Rehearsal:* nobody is being called; the calls and their outcomes are simulated.',
      },
    });
  });

  it('a scheduled campaign says when it starts', () => {
    const message = progressMessage(
      view({
        status: 'scheduled',
        started_at: null,
        started_by: null,
        last_action: null,
        scheduled_at: SCHEDULED_AT,
        counts: { ...emptyCounts(), pending: 5 },
      }),
    );
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':calendar: *Scheduled* · pace 20/min\n:hourglass_flowing_sand: Scheduled — starts Fri 10:00 IST' },
    });
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });
});

describe('waitingText: why a campaign is not dialling now', () => {
  const running = (dial_wait: ProgressView['campaign']['dial_wait'], rest: Partial<Omit<ProgressView, 'campaign'>> = {}) =>
    waitingText(view({ dial_wait }, rest));

  it('null while it dials', () => {
    expect(running({ reason: null, until: null })).toBeNull();
  });

  it('calling hours come first: closed now, or closed for good', () => {
    expect(running({ reason: 'live-cap', until: null }, { hours: { open: false, changesAt: new Date('2026-11-26T03:30:00Z') } })).toBe(
      'Waiting for calling hours — resumes tomorrow 09:00 IST',
    );
    // A week or more away: the date too.
    expect(running({ reason: null, until: null }, { hours: { open: false, changesAt: new Date('2026-12-07T03:30:00Z') } })).toBe(
      'Waiting for calling hours — resumes Mon 7 Dec 09:00 IST',
    );
    expect(running({ reason: null, until: null }, { hours: { open: false, changesAt: null } })).toBe(
      'Outside calling hours, with no calling day ahead: edit the calling days',
    );
  });

  it("the run's own reason: live-call cap, rate limit, retries, last calls", () => {
    expect(running({ reason: 'live-cap', until: null })).toBe('At the live-call limit — the next call goes out when one ends');
    expect(running({ reason: 'rate-held', until: new Date('2026-11-25T05:46:00Z') })).toBe(
      "Held by Exotel's rate limit until today 11:16 IST",
    );
    expect(running({ reason: 'rate-held', until: null })).toBe("Held by Exotel's rate limit");
    expect(running({ reason: 'waiting-retries', until: new Date('2026-11-25T06:15:00Z') })).toBe(
      'Waiting for retries — next at today 11:45 IST',
    );
    expect(running({ reason: 'waiting-retries', until: null })).toBe('Waiting for retries');
    expect(running({ reason: 'waiting-outcomes', until: null })).toBe('Waiting for the last calls to end');
  });

  it('only a running or scheduled campaign waits', () => {
    const closed = { hours: { open: false, changesAt: null } };
    for (const status of ['draft', 'paused', 'completed', 'stopped', 'expired'] as const) {
      expect(waitingText(view({ status, dial_wait: { reason: 'live-cap', until: null } }, closed)), status).toBeNull();
    }
  });

  it('shows the wait in the message, instead of the time left', () => {
    const message = progressMessage(view({ dial_wait: { reason: 'waiting-retries', until: new Date('2026-11-25T06:15:00Z') } }));
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:arrow_forward: *Running* · pace 20/min · ${STARTED}\n:hourglass_flowing_sand: Waiting for retries — next at today 11:45 IST`,
      },
    });
  });
});

const SUMMARY: StartSummary = {
  campaign: { _id: ID, name: 'diwali-offer', title: 'Diwali', status: 'draft' },
  toCall: 130,
  pending: 100,
  failed: 30,
  callerId: '08047112345',
  callsPerMinute: 40,
  hours: 'Mon–Sat 09:00–20:00 IST',
  retry: 'retry busy, no answer up to 3 attempts (busy 30 min, no answer 2 h)',
  callUntil: null,
  rehearsal: true,
};
const START_BUTTONS = {
  type: 'actions',
  block_id: 'start_actions',
  elements: [
    {
      type: 'button',
      action_id: 'campaign_start_confirm',
      text: { type: 'plain_text', text: 'Confirm' },
      style: 'primary',
      value: '64b000000000000000000001',
    },
    { type: 'button', action_id: 'campaign_start_cancel', text: { type: 'plain_text', text: 'Cancel' }, value: '64b000000000000000000001' },
  ],
};

describe('startSummaryMessage and startModal', () => {
  it('the summary with calling hours and retry rules in one line each, and Confirm / Cancel', () => {
    expect(startSummaryMessage(SUMMARY)).toEqual({
      text: 'Start Diwali? 130 contacts to call.',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Start Diwali?*\n' +
              '• *Calls:* 130 contacts (100 not yet called, 30 to call again)\n' +
              '• *Caller id:* 08047112345\n' +
              '• *Pace:* 40 calls a minute, shared with other running campaigns\n' +
              '• *Estimated duration:* about 3 min\n' +
              '• *Calling hours:* Mon–Sat 09:00–20:00 IST\n' +
              '• *Retries:* retry busy, no answer up to 3 attempts (busy 30 min, no answer 2 h)\n' +
              '• :test_tube: *Rehearsal mode:* nobody is really called; outcomes are simulated.',
          },
        },
        START_BUTTONS,
      ],
    });
  });

  it('a schedule: when it starts, second, the end date, and Schedule / Cancel', () => {
    const message = startSummaryMessage({
      ...SUMMARY,
      rehearsal: false,
      startsAt: SCHEDULED_AT,
      callUntil: new Date('2026-11-30T15:30:00Z'),
    });
    expect(message).toEqual({
      text: 'Schedule Diwali? 130 contacts to call.',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Schedule Diwali?*\n' +
              '• *Starts:* <!date^1795753800^{date_short_pretty} {time}|2026-11-27T04:30:00Z> (nothing is dialled before)\n' +
              '• *Calls:* 130 contacts (100 not yet called, 30 to call again)\n' +
              '• *Caller id:* 08047112345\n' +
              '• *Pace:* 40 calls a minute, shared with other running campaigns\n' +
              '• *Estimated duration:* about 3 min\n' +
              '• *Calling hours:* Mon–Sat 09:00–20:00 IST\n' +
              '• *Retries:* retry busy, no answer up to 3 attempts (busy 30 min, no answer 2 h)\n' +
              '• *Calls until:* <!date^1796052600^{date_short_pretty} {time}|2026-11-30T15:30:00Z>',
          },
        },
        // Schedule carries the time shown, so the click schedules exactly what the person read.
        {
          type: 'actions',
          block_id: 'schedule_actions',
          elements: [
            {
              type: 'button',
              action_id: 'campaign_schedule_confirm',
              text: { type: 'plain_text', text: 'Schedule' },
              style: 'primary',
              value: '{"id":"64b000000000000000000001","at":"2026-11-27T04:30:00.000Z"}',
            },
            {
              type: 'button',
              action_id: 'campaign_schedule_cancel',
              text: { type: 'plain_text', text: 'Cancel' },
              value: '64b000000000000000000001',
            },
          ],
        },
      ],
    });
  });

  it('escapes the title, caller id, hours and rules everywhere they are shown', () => {
    const message = startSummaryMessage({
      ...SUMMARY,
      campaign: { ...SUMMARY.campaign, title: '<!channel> & co' },
      callerId: '<@U1>',
      hours: 'a<b',
      retry: 'c>d',
    });
    const text = (message.blocks[0] as { text: { text: string } }).text.text;
    expect(text).toContain('*Start &lt;!channel&gt; &amp; co?*');
    expect(text).toContain('• *Caller id:* &lt;@U1&gt;');
    expect(text).toContain('• *Calling hours:* a&lt;b');
    expect(text).toContain('• *Retries:* c&gt;d');
    expect(message.text).toBe('Start &lt;!channel&gt; &amp; co? 130 contacts to call.');
  });

  it('the Home tab start modal: the summary and a channel picker', () => {
    expect(startModal({ ...SUMMARY, rehearsal: false, failed: 0, toCall: 100 }, 'C0PROGRESS')).toEqual({
      type: 'modal',
      callback_id: 'campaign_start_modal',
      title: { type: 'plain_text', text: 'Start campaign' },
      submit: { type: 'plain_text', text: 'Start' },
      close: { type: 'plain_text', text: 'Cancel' },
      private_metadata: '{"id":"64b000000000000000000001"}',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Start Diwali?*\n• *Calls:* 100 contacts\n• *Caller id:* 08047112345\n' +
              '• *Pace:* 40 calls a minute, shared with other running campaigns\n• *Estimated duration:* about 3 min\n' +
              '• *Calling hours:* Mon–Sat 09:00–20:00 IST\n' +
              '• *Retries:* retry busy, no answer up to 3 attempts (busy 30 min, no answer 2 h)',
          },
        },
        {
          type: 'input',
          block_id: 'start_channel',
          label: { type: 'plain_text', text: 'Post progress in' },
          element: {
            type: 'conversations_select',
            action_id: 'channel',
            initial_conversation: 'C0PROGRESS',
            filter: { include: ['public', 'private'], exclude_bot_users: true },
          },
        },
      ],
    });
    const noChannel = startModal(SUMMARY, null);
    expect(noChannel.blocks[1]).toEqual({
      type: 'input',
      block_id: 'start_channel',
      label: { type: 'plain_text', text: 'Post progress in' },
      element: { type: 'conversations_select', action_id: 'channel', filter: { include: ['public', 'private'], exclude_bot_users: true } },
    });
  });

  it('messageModal cuts its title to 24 characters', () => {
    expect(messageModal('A very long modal title that is cut', 'Nope.')).toEqual({
      type: 'modal',
      title: { type: 'plain_text', text: 'A very long modal title ' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Nope.' } }],
    });
  });
});

describe('startSummaryOf: the summary from the campaign view and the config', () => {
  const config = (dryRun: boolean, callerId: string) => ({ exotel: { dryRun, callerId, callsPerMinute: 60 } }) as unknown as Config;

  it('counts waiting and retrying contacts as not yet called, the not reached as to call again; hours and rules in words', () => {
    const campaign = campaignRow({
      counts: { ...emptyCounts(), pending: 90, retrying: 10, busy: 20, failed: 10, completed: 50 },
      calling_hours: { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', tz: 'Asia/Kolkata', skip: [] },
      retry: { on: ['busy', 'no-answer'], max_attempts: 3, delays: { busy: 1800, 'no-answer': 7200, failed: 1800 }, exponential: true },
      calls_per_minute: 40,
      caller_id: '08047112345',
    });
    const summary = startSummaryOf({ config: config(false, '08099999999') }, { campaign, counts: campaign.counts, toCall: 130 });
    expect(summary).toEqual({
      campaign,
      toCall: 130,
      pending: 100,
      failed: 30,
      callerId: '08047112345',
      callsPerMinute: 40,
      hours: 'Mon–Sat 09:00–20:00 IST',
      retry: 'retry busy, no answer up to 3 attempts (busy 30 min, no answer 2 h, doubling)',
      callUntil: null,
      rehearsal: false,
    });
  });

  it("falls back to the account's caller id and pace; no retries in words; a schedule keeps its start", () => {
    const campaign = campaignRow({
      counts: { ...emptyCounts(), pending: 3 },
      retry: { on: [], max_attempts: 1, delays: { busy: 60, 'no-answer': 60, failed: 60 }, exponential: false },
    });
    const summary = startSummaryOf({ config: config(true, '') }, { campaign, counts: campaign.counts, toCall: 3 }, SCHEDULED_AT);
    expect(summary).toMatchObject({
      callerId: 'the rehearsal caller id',
      callsPerMinute: 60,
      retry: 'no retries',
      hours: 'every day 09:00–21:00 IST',
      startsAt: SCHEDULED_AT,
      rehearsal: true,
      pending: 3,
      failed: 0,
    });
  });
});

describe('campaignListMessage', () => {
  it('empty', () => {
    expect(campaignListMessage([], false)).toEqual({
      text: 'There are no campaigns in this workspace yet.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'There are no campaigns in this workspace yet.' } }],
    });
  });

  it("with campaigns: the progress line from each one's counts, and when a scheduled one starts", () => {
    expect(campaignListMessage([RUNNING_ROW, DRAFT_ROW, SCHEDULED_ROW], false)).toEqual({
      text: '3 campaigns',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Campaigns*, most recently changed first:' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':arrow_forward: `diwali-offer` — Diwali &lt;offer&gt; · Running · 30/100 (20 failed) · updated <!date^1795585500^{date_short_pretty}|2026-11-25T05:45:00Z>',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':memo: `renewals` — Renewals · Draft · 0/12 (0 failed) · updated <!date^1795585500^{date_short_pretty}|2026-11-25T05:45:00Z>',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              ':calendar: `promo` — Promo · Scheduled · 0/5 (0 failed) · starts <!date^1795753800^{date_short_pretty} {time}|2026-11-27T04:30:00Z> · ' +
              'updated <!date^1795585500^{date_short_pretty}|2026-11-25T05:45:00Z>',
          },
        },
      ],
    });
  });

  it('over the limit: 40 rows and a note that older ones are not shown', () => {
    const many = Array.from({ length: LIST_LIMIT + 5 }, (_, i) => campaignRow({ name: `c-${i}`, title: `C ${i}` }));
    const message = campaignListMessage(many, true);
    expect(message.blocks).toHaveLength(1 + LIST_LIMIT + 1);
    expect(message.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Older campaigns are not shown. `/campaign status &lt;name&gt;` finds any campaign.' }],
    });
    // `more` alone (exactly LIST_LIMIT fetched, one more exists) adds the note too.
    expect(campaignListMessage(many.slice(0, 2), true).blocks).toHaveLength(4);
  });
});

describe('failureReply', () => {
  const failure = (f: Partial<FailureItem>): FailureItem => ({
    phone: '919876543210',
    name: '',
    outcome: 'failed',
    reason: null,
    try: 1,
    ...f,
  });

  it('one line per number: number, name, reason, Exotel words (escaped) except for busy / no answer, attempt', () => {
    expect(
      failureReply([
        failure({ name: 'Asha', outcome: 'busy', reason: 'line busy' }),
        failure({ phone: '919812345678', outcome: 'failed', reason: 'Number <is> invalid & unreachable', try: 2 }),
        failure({ phone: '14155550100', name: 'Bob', outcome: 'no-answer', reason: 'no answer after 30 s', try: 0 }),
        failure({ phone: '919800000001', name: 'Ravi <boss>', outcome: 'canceled', reason: 'Canceled by Exotel', try: 3 }),
        failure({ phone: '919800000002', name: 'Meena', outcome: 'failed', reason: null, try: 1 }),
      ]),
    ).toEqual({
      text:
        '• +91 98765 43210 · Asha · *busy* · attempt 1\n' +
        '• +91 98123 45678 · *could not connect* — Number &lt;is&gt; invalid &amp; unreachable · attempt 2\n' +
        '• 14155550100 · Bob · *no answer* · attempt 1\n' +
        '• +91 98000 00001 · Ravi &lt;boss&gt; · *canceled* — Canceled by Exotel · attempt 3\n' +
        '• +91 98000 00002 · Meena · *could not connect* · attempt 1',
      count: 5,
    });
  });

  it('stops before Slack’s text limit and says how many failures it holds', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      failure({ phone: `9198${String(i).padStart(8, '0')}`, name: 'N'.repeat(100), reason: 'E'.repeat(500) }),
    );
    const line = failureLine(many[0]!);
    // 60-character name and 200-character reason cuts
    expect(line).toBe(`• +91 98000 00000 · ${'N'.repeat(59)}… · *could not connect* — ${'E'.repeat(199)}… · attempt 1`);
    const reply = failureReply(many);
    const fits = Math.floor(3900 / (line.length + 1));
    expect(reply.count).toBe(fits);
    expect(reply.text.split('\n')).toHaveLength(fits);
    expect(reply.text.length).toBeLessThanOrEqual(3900);
    expect(reply.text.split('\n').at(-1)).toBe(failureLine(many[fits - 1]!));
    expect(failureReply([])).toEqual({ text: '', count: 0 });
  });
});

describe('homeView', () => {
  it('empty', () => {
    expect(homeView([])).toEqual({
      type: 'home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Call campaigns' } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'Type `/campaign help` in any channel for every command. Newest changes first.' }],
        },
        { type: 'section', text: { type: 'mrkdwn', text: 'No campaigns yet.' } },
      ],
    });
  });

  it('the table: a row per campaign with its progress line, Start only where a start is possible, View always', () => {
    expect(homeView([RUNNING_ROW, DRAFT_ROW, SCHEDULED_ROW])).toEqual({
      type: 'home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Call campaigns' } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'Type `/campaign help` in any channel for every command. Newest changes first.' }],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*Diwali &lt;offer&gt;*  \`diwali-offer\`\n:arrow_forward: Running · 30/100 (20 failed) · updated ${ENDED}`,
          },
        },
        {
          type: 'actions',
          block_id: 'home_64b000000000000000000001',
          elements: [
            {
              type: 'button',
              action_id: 'home_campaign_view',
              text: { type: 'plain_text', text: 'View' },
              value: '64b000000000000000000001',
            },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: `*Renewals*  \`renewals\`\n:memo: Draft · 0/12 (0 failed) · updated ${ENDED}` } },
        {
          type: 'actions',
          block_id: 'home_64b000000000000000000002',
          elements: [
            {
              type: 'button',
              action_id: 'home_campaign_start',
              text: { type: 'plain_text', text: 'Start' },
              style: 'primary',
              value: '64b000000000000000000002',
            },
            {
              type: 'button',
              action_id: 'home_campaign_view',
              text: { type: 'plain_text', text: 'View' },
              value: '64b000000000000000000002',
            },
          ],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*Promo*  \`promo\`\n:calendar: Scheduled · 0/5 (0 failed) · starts <!date^1795753800^{date_short_pretty} {time}|2026-11-27T04:30:00Z> · updated ${ENDED}`,
          },
        },
        {
          type: 'actions',
          block_id: 'home_64b000000000000000000003',
          elements: [
            {
              type: 'button',
              action_id: 'home_campaign_start',
              text: { type: 'plain_text', text: 'Start' },
              style: 'primary',
              value: '64b000000000000000000003',
            },
            {
              type: 'button',
              action_id: 'home_campaign_view',
              text: { type: 'plain_text', text: 'View' },
              value: '64b000000000000000000003',
            },
          ],
        },
      ],
    });
  });
});

describe('contactsModal', () => {
  const campaign = { _id: ID, name: 'diwali-offer', title: 'Diwali', total_contacts: 53, keys: {}, calling_hours: HOURS };
  const people = [
    { phone: '919800000000', name: 'Person 0', call_status: 'completed', call_error: null, attempts: 1, skip_reason: null },
    { phone: '919800000001', name: null, call_status: 'failed', call_error: 'Exotel: <bad> number', attempts: 1, skip_reason: null },
    { phone: '919800000002', name: 'Person 2', call_status: 'skipped', call_error: null, attempts: 0, skip_reason: 'duplicate' },
  ] as ContactFields[];
  const row = (i: number) =>
    [
      { type: 'section', text: { type: 'mrkdwn', text: '+91 98000 00000 · Person 0\n:white_check_mark: Completed · attempt 1' } },
      { type: 'section', text: { type: 'mrkdwn', text: '+91 98000 00001\n:x: Failed · attempt 1\n_Exotel: &lt;bad&gt; number_' } },
      { type: 'section', text: { type: 'mrkdwn', text: '+91 98000 00002 · Person 2\n:fast_forward: Skipped\n_skipped: duplicate_' } },
    ][i];
  const shell = {
    type: 'modal',
    callback_id: 'campaign_contacts',
    title: { type: 'plain_text', text: 'Contacts' },
    close: { type: 'plain_text', text: 'Close' },
  };
  const prev = (page: number) => ({
    type: 'button',
    action_id: 'contacts_page_prev',
    text: { type: 'plain_text', text: 'Previous' },
    value: `{"id":"64b000000000000000000001","page":${page}}`,
  });
  const next = (page: number) => ({
    type: 'button',
    action_id: 'contacts_page_next',
    text: { type: 'plain_text', text: 'Next' },
    value: `{"id":"64b000000000000000000001","page":${page}}`,
  });

  it('first page: Next only', () => {
    expect(contactsModal({ campaign, contacts: people.slice(0, 1), page: 0, total: 53 })).toEqual({
      ...shell,
      private_metadata: '{"id":"64b000000000000000000001","page":0}',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Diwali* `diwali-offer`\nContacts 1–1 of 53' } },
        { type: 'divider' },
        row(0),
        { type: 'actions', block_id: 'contacts_nav', elements: [next(1)] },
      ],
    });
  });

  it('middle page: Previous and Next', () => {
    expect(contactsModal({ campaign, contacts: people.slice(1, 2), page: 1, total: 53 })).toEqual({
      ...shell,
      private_metadata: '{"id":"64b000000000000000000001","page":1}',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Diwali* `diwali-offer`\nContacts 26–26 of 53' } },
        { type: 'divider' },
        row(1),
        { type: 'actions', block_id: 'contacts_nav', elements: [prev(0), next(2)] },
      ],
    });
  });

  it('last page: Previous only', () => {
    expect(contactsModal({ campaign, contacts: people, page: 2, total: 53 })).toEqual({
      ...shell,
      private_metadata: '{"id":"64b000000000000000000001","page":2}',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Diwali* `diwali-offer`\nContacts 51–53 of 53' } },
        { type: 'divider' },
        row(0),
        row(1),
        row(2),
        { type: 'actions', block_id: 'contacts_nav', elements: [prev(1)] },
      ],
    });
  });

  it('no contacts: no navigation', () => {
    expect(contactsModal({ campaign, contacts: [], page: 0, total: 0 })).toEqual({
      ...shell,
      private_metadata: '{"id":"64b000000000000000000001","page":0}',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Diwali* `diwali-offer`\nNo contacts yet.' } }, { type: 'divider' }],
    });
  });
});

describe('contactLine: one contact in View', () => {
  const campaign = {
    _id: ID,
    name: 'emi',
    title: 'EMI',
    total_contacts: 9,
    keys: { '1': 'paid', '9': 'do not call' },
    calling_hours: HOURS,
  };
  const contact = (c: Partial<ContactFields>) =>
    ({
      phone: '919800000003',
      name: 'Meena',
      call_status: 'completed',
      call_error: null,
      attempts: 1,
      skip_reason: null,
      last_outcome: null,
      next_attempt_at: T0,
      digits: null,
      answered_by: null,
      fields: {},
      ...c,
    }) as ContactFields;

  it("a number waiting for a retry: when it is called again (in the reader's zone) and how the last call ended", () => {
    const line = contactLine(
      contact({ call_status: 'pending', last_outcome: 'no-answer', next_attempt_at: new Date('2026-11-25T09:00:00Z') }),
      campaign,
    );
    expect(line).toBe(
      '+91 98000 00003 · Meena\n:repeat: Retrying at <!date^1795597200^{time}|2026-11-25T09:00:00Z> (last: no answer) · attempt 1',
    );
    expect(contactLine(contact({ call_status: 'pending', last_outcome: 'failed', attempts: 2 }), campaign)).toBe(
      '+91 98000 00003 · Meena\n:repeat: Retrying at <!date^1795581000^{time}|2026-11-25T04:30:00Z> (last: could not connect) · attempt 2',
    );
    // Never called yet: a plain Pending badge, no attempt.
    expect(contactLine(contact({ call_status: 'pending', attempts: 0 }), campaign)).toBe(
      '+91 98000 00003 · Meena\n:hourglass_flowing_sand: Pending',
    );
  });

  it('who answered, the key pressed with its meaning, then the extra columns, escaped', () => {
    expect(contactLine(contact({ answered_by: 'human', digits: '1', fields: { amount: '1,200', due_date: '5 Dec' } }), campaign)).toBe(
      '+91 98000 00003 · Meena\n:white_check_mark: Completed · attempt 1 · answered by a person · pressed *1* (paid)\namount: 1,200 · due_date: 5 Dec',
    );
    // A machine; a key without a meaning; Exotel's "NA" says nothing about who answered.
    expect(contactLine(contact({ answered_by: 'Machine', digits: '7' }), campaign)).toBe(
      '+91 98000 00003 · Meena\n:white_check_mark: Completed · attempt 1 · answered by a machine · pressed *7*',
    );
    expect(contactLine(contact({ answered_by: 'NA' }), campaign)).toBe('+91 98000 00003 · Meena\n:white_check_mark: Completed · attempt 1');
    expect(contactLine(contact({ fields: { 'a<b': '<!channel> & co', long: 'x'.repeat(100) } }), campaign)).toBe(
      `+91 98000 00003 · Meena\n:white_check_mark: Completed · attempt 1\na&lt;b: &lt;!channel&gt; &amp; co · long: ${'x'.repeat(59)}…`,
    );
  });

  it('why it failed comes last, under the columns', () => {
    expect(
      contactLine(contact({ name: '', call_status: 'failed', call_error: 'Invalid <number>', fields: { loan_id: 'L-1' } }), campaign),
    ).toBe('+91 98000 00003\n:x: Failed · attempt 1\nloan_id: L-1\n_Invalid &lt;number&gt;_');
  });
});

const REPORT: CampaignReport = {
  completed: 30,
  busy: 5,
  noAnswer: 10,
  couldNotConnect: 5,
  notReached: 20,
  neverCalled: 0,
  skipped: 0,
  placed: 50,
  answerRate: 0.5,
  answerRateByPerson: true,
  talkSeconds: 3723,
  ranMs: 4_500_000,
  cost: { amount: 12.5, pending: 3, missing: 0 },
  keys: [
    { key: '1', meaning: 'paid', presses: 12 },
    { key: '2', meaning: 'call <me> back', presses: 3 },
    { key: '9', meaning: null, presses: 1 },
  ],
  hours: [],
};
const REPORT_CAMPAIGN: FinishReportView['campaign'] = {
  _id: ID,
  name: 'diwali-offer',
  title: 'Diwali <offer> & more',
  status: 'completed',
  started_by: 'U0STARTER',
  owner: 'U0OWNER',
  total_contacts: 50,
};
const textField = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });
const EXPORT_ACTIONS = {
  type: 'actions',
  block_id: 'report_actions',
  elements: [
    {
      type: 'button',
      action_id: 'campaign_report_export',
      text: { type: 'plain_text', text: 'Export' },
      value: '64b000000000000000000001',
    },
  ],
};

describe('finishReportMessage: the report in the thread when a campaign ends', () => {
  it('rupees and the cost: Indian grouping; "not reported yet" while prices are to come; calls never priced', () => {
    expect(rupees(123456.5)).toBe('Rs 1,23,456.50');
    expect(rupees(0)).toBe('Rs 0.00');
    expect(costText({ amount: 12.5, pending: 3, missing: 0 })).toBe(
      'cost not reported yet (Exotel reports prices a few minutes after each call; 3 to come)',
    );
    expect(costText({ amount: 12.5, pending: 0, missing: 0 })).toBe('Rs 12.50');
    expect(costText({ amount: 12.5, pending: 0, missing: 2 })).toBe('Rs 12.50 (2 calls without a reported price)');
  });

  it('completed: mentions whoever started it, the figures, keys pressed, and Export', () => {
    expect(finishReportMessage({ campaign: REPORT_CAMPAIGN, report: REPORT })).toEqual({
      text: 'Diwali &lt;offer&gt; &amp; more finished: 30 of 50 calls completed, 20 not reached, cost not reported yet (Exotel reports prices a few minutes after each call; 3 to come).',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '<@U0STARTER> *Diwali &lt;offer&gt; &amp; more* finished: 30 of 50 calls completed, 20 not reached.',
          },
        },
        {
          type: 'section',
          fields: [
            textField('Completed', '30'),
            textField('Busy', '5'),
            textField('No answer', '10'),
            textField('Could not connect', '5'),
            textField('Answer rate', '50% of 50 calls answered by a person'),
            textField('Talk time', '1 h 2 min'),
            textField('Ran for', '1 h 15 min'),
            textField('Cost', 'cost not reported yet (Exotel reports prices a few minutes after each call; 3 to come)'),
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: 'Keys pressed: *1* paid: 12 · *2* call &lt;me&gt; back: 3 · *9*: 1' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Numbers not reached are listed above in this thread.' }] },
        EXPORT_ACTIONS,
      ],
    });
  });

  it('stopped early: the owner when nobody started it, never called and skipped counted, nothing placed, the final cost', () => {
    const report: CampaignReport = {
      ...REPORT,
      completed: 0,
      busy: 0,
      noAnswer: 0,
      couldNotConnect: 0,
      notReached: 0,
      neverCalled: 7,
      skipped: 2,
      placed: 0,
      answerRate: null,
      answerRateByPerson: false,
      talkSeconds: 0,
      ranMs: null,
      cost: { amount: 0, pending: 0, missing: 0 },
      keys: [],
    };
    const message = finishReportMessage({
      campaign: { ...REPORT_CAMPAIGN, title: '', status: 'stopped', started_by: null, total_contacts: 9 },
      report,
    });
    expect(message).toEqual({
      text: 'diwali-offer was stopped: 0 of 9 calls completed, 0 not reached, Rs 0.00.',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '<@U0OWNER> *diwali-offer* was stopped: 0 of 9 calls completed, 0 not reached.' },
        },
        {
          type: 'section',
          fields: [
            textField('Completed', '0'),
            textField('Busy', '0'),
            textField('No answer', '0'),
            textField('Could not connect', '0'),
            textField('Answer rate', 'no calls placed'),
            textField('Talk time', 'none'),
            textField('Ran for', 'unknown'),
            textField('Cost', 'Rs 0.00'),
            textField('Never called', '7'),
            textField('Skipped', '2'),
          ],
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'Every number called was reached. Numbers never called are listed just above this report.' }],
        },
        EXPORT_ACTIONS,
      ],
    });
  });

  it('expired, answer rate from completed calls when Exotel did not say who answered', () => {
    const message = finishReportMessage({
      campaign: { ...REPORT_CAMPAIGN, status: 'expired' },
      report: { ...REPORT, answerRate: 0.6, answerRateByPerson: false, keys: [] },
    });
    expect((message.blocks[0] as { text: { text: string } }).text.text).toBe(
      '<@U0STARTER> *Diwali &lt;offer&gt; &amp; more* ended at its end date: 30 of 50 calls completed, 20 not reached.',
    );
    expect((message.blocks[1] as { fields: unknown[] }).fields[4]).toEqual(textField('Answer rate', '60% of 50 calls answered'));
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context', 'actions']);
  });
});

describe('notice and helpMessage', () => {
  it('notice: one section, cut to 3000 characters', () => {
    expect(notice('Stopped `x`.')).toEqual({
      text: 'Stopped `x`.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Stopped `x`.' } }],
    });
    const long = notice('y'.repeat(5000));
    expect(long).toEqual({
      text: `${'y'.repeat(2999)}…`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${'y'.repeat(2999)}…` } }],
    });
  });

  it('helpMessage: the notice, then one line per subcommand, with <placeholders> escaped', () => {
    const entries = [
      { usage: 'help', summary: 'show these commands' },
      { usage: 'status <name>', summary: 'progress' },
    ];
    expect(helpMessage(entries, 'Oops.')).toEqual({
      text: 'Oops.\n*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Oops.' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress',
          },
        },
      ],
    });
    expect(helpMessage(entries)).toEqual({
      text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress',
          },
        },
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Slack's limits (api.slack.com/reference/block-kit): checked on every object of a surface, whatever its nesting.

type Json = Record<string, unknown>;

function limitProblems(
  surface: { blocks: readonly unknown[]; private_metadata?: string; title?: { text: string } },
  maxBlocks: number,
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(surface.blocks.length <= maxBlocks, `${surface.blocks.length} blocks > ${maxBlocks}`);
  if (surface.private_metadata !== undefined) check(surface.private_metadata.length <= 3000, 'private_metadata > 3000');
  if (surface.title) check(surface.title.text.length <= 24, `modal title "${surface.title.text}" > 24`);
  const blockIds = new Set<string>();
  for (const raw of surface.blocks) {
    const block = raw as Json;
    if (typeof block.block_id === 'string') {
      check(!blockIds.has(block.block_id), `duplicate block_id ${block.block_id}`);
      check(block.block_id.length <= 255, 'block_id > 255');
      blockIds.add(block.block_id);
    }
    const text = block.text as { text: string } | undefined;
    if (block.type === 'section') {
      if (text) check(text.text.length <= 3000, `section text ${text.text.length} > 3000`);
      const fields = (block.fields ?? []) as Array<{ text: string }>;
      check(fields.length <= 10, 'more than 10 fields');
      for (const f of fields) check(f.text.length <= 2000, 'field > 2000');
    }
    if (block.type === 'header' && text) check(text.text.length <= 150, `header ${text.text.length} > 150`);
    if (block.type === 'context') {
      const elements = block.elements as Array<{ text: string }>;
      check(elements.length <= 10, 'context > 10 elements');
      for (const e of elements) check(e.text.length <= 3000, 'context text > 3000');
    }
    if (block.type === 'actions') {
      const elements = block.elements as Json[];
      check(elements.length <= 25, 'actions > 25 elements');
      const ids = elements.map((e) => e.action_id as string);
      check(new Set(ids).size === ids.length, `duplicate action_id in ${JSON.stringify(ids)}`);
      for (const e of elements) {
        check((e.action_id as string).length <= 255, 'action_id > 255');
        if (e.type === 'button') {
          check((e.text as { text: string }).text.length <= 75, 'button text > 75');
          if (e.value !== undefined) check((e.value as string).length <= 2000, 'button value > 2000');
        }
        const confirm = e.confirm as
          | { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string } }
          | undefined;
        if (confirm) {
          check(confirm.title.text.length <= 100, `confirm title ${confirm.title.text.length} > 100`);
          check(confirm.text.text.length <= 300, `confirm text ${confirm.text.text.length} > 300`);
          check(confirm.confirm.text.length <= 30 && confirm.deny.text.length <= 30, 'confirm button > 30');
        }
      }
    }
  }
  return problems;
}

/** Every mrkdwn text of a surface, whatever its nesting (plain_text is never parsed for mentions). */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== 'object' || value === null) return [];
  const o = value as Json;
  const own = o.type === 'mrkdwn' && typeof o.text === 'string' ? [o.text] : [];
  return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
}

describe("Slack's limits on big inputs", () => {
  const huge = `<!channel> ${'Ω'.repeat(6000)} & <@U123>`;

  it('progress message: a 6000-character title and reason, every state and every wait', () => {
    const waits: Array<Partial<Omit<ProgressView, 'campaign'>>> = [
      {},
      { hours: { open: false, changesAt: T1 } },
      { hours: { open: false, changesAt: null } },
    ];
    for (const status of ['running', 'paused', 'completed', 'stopped', 'expired', 'scheduled', 'draft'] as const) {
      for (const wait of waits) {
        const message = progressMessage(
          view(
            {
              title: huge,
              status,
              status_reason: huge,
              mode: 'rehearsal',
              scheduled_at: T1,
              completed_at: status === 'running' ? null : T1,
              counts: { ...COUNTS, pending: 9_000_000, completed: 1_000_000, retrying: 12_345 },
              dial_wait: { reason: 'waiting-retries', until: T1 },
              last_action: { verb: 'pause', by: 'U0OWNER', at: T1 },
              // A key's meaning is typed in the form: shown, never run either.
              keys: { '1': huge, '2': '<!here>' },
              stats: { ...CAMPAIGN.stats, keys: { '1': 4, '2': 1 } },
            },
            { callsPerMinute: 1000, ...wait },
          ),
        );
        expect(limitProblems(message, 50), status).toEqual([]);
        // The message text is the notification; Slack cuts it at 40,000 characters, keep it sane.
        expect(message.text.length).toBeLessThan(40_000);
        // A title is shown, never run: no mention from a campaign's name in any mrkdwn, nor in the notification.
        expect([message.text, ...mrkdwnTexts(message.blocks)].filter((t) => /<!channel>|<!here>|<@U123>/.test(t))).toEqual([]);
      }
    }
  });

  it('start summary and start modal: huge title and caller id', () => {
    const s = {
      ...SUMMARY,
      campaign: { ...SUMMARY.campaign, title: huge },
      callerId: huge,
      hours: huge,
      retry: huge,
      toCall: 10_000_000,
      startsAt: T1,
      callUntil: T1,
    };
    const message = startSummaryMessage(s);
    expect(limitProblems(message, 50)).toEqual([]);
    expect([message.text, ...mrkdwnTexts(message.blocks)].filter((t) => /<!channel>|<@U123>/.test(t))).toEqual([]);
    expect(limitProblems(startModal(s, 'C0001'), 100)).toEqual([]);
  });

  it('campaign list: 500 campaigns with long titles', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      campaignRow({ _id: new Types.ObjectId(), name: `c-${i}`, title: huge, status: 'running', counts: { ...COUNTS, pending: 9_000_000 } }),
    );
    const message = campaignListMessage(many, true);
    expect(limitProblems(message, 50)).toEqual([]);
  });

  it('home tab: 500 campaigns with long titles', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      campaignRow({ _id: new Types.ObjectId(), name: `c-${i}`, title: huge, status: i % 2 ? 'draft' : 'running' }),
    );
    const view = homeView(many);
    expect(limitProblems(view, 100)).toEqual([]);
    expect(view.blocks.filter((b) => b.type === 'actions')).toHaveLength(HOME_LIMIT);
    expect(view.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `${500 - HOME_LIMIT} older campaigns are not shown; \`/campaign status &lt;name&gt;\` finds any of them.` },
      ],
    });
  });

  it('contacts modal: a full page with long names and errors, on a huge campaign', () => {
    const contacts = Array.from({ length: CONTACTS_PAGE_SIZE }, (_, i) => ({
      phone: `9198${String(i).padStart(8, '0')}`,
      name: huge,
      call_status: 'failed',
      call_error: huge,
      attempts: 4,
      skip_reason: null,
      digits: '1',
      answered_by: 'human',
      fields: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`column_${k}`, huge])),
    })) as ContactFields[];
    for (const page of [0, 7, 399_999]) {
      const view = contactsModal({
        campaign: { _id: ID, name: 'x', title: huge, total_contacts: 10_000_000, keys: { '1': huge }, calling_hours: HOURS },
        contacts,
        page,
        total: 10_000_000,
      });
      expect(limitProblems(view, 100), `page ${page}`).toEqual([]);
    }
  });

  it('finish report: huge title and key meanings, every end, every field; it mentions only the starter', () => {
    for (const status of ['completed', 'stopped', 'expired'] as const) {
      const report: CampaignReport = {
        ...REPORT,
        neverCalled: 9_000_000,
        skipped: 1_000_000,
        talkSeconds: 9e9,
        ranMs: 9e12,
        cost: { amount: 9e12, pending: 0, missing: 5 },
        keys: Array.from({ length: 12 }, (_, i) => ({ key: String(i), meaning: huge, presses: 1e9 })),
      };
      const message = finishReportMessage({ campaign: { ...REPORT_CAMPAIGN, title: huge, status }, report });
      expect(limitProblems(message, 50), status).toEqual([]);
      expect(message.text.length).toBeLessThan(40_000);
      expect([message.text, ...mrkdwnTexts(message.blocks)].filter((t) => /<!channel>|<@U123>/.test(t))).toEqual([]);
      expect(
        mrkdwnTexts(message.blocks)
          .join('\n')
          .match(/<@\w+>/g),
      ).toEqual(['<@U0STARTER>']);
    }
  });

  it('notice and help: long input', () => {
    expect(limitProblems(notice(huge), 50)).toEqual([]);
    expect(
      limitProblems(
        helpMessage(
          Array.from({ length: 8 }, () => ({ usage: 'x <name>', summary: 'y'.repeat(100) })),
          'n'.repeat(200),
        ),
        50,
      ),
    ).toEqual([]);
  });
});
