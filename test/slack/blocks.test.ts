// The Block Kit builders are pure functions: each is checked here by its exact JSON for fixed inputs and fixed
// dates, then against Slack's published limits with inputs far larger than any real campaign.
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import type { StatusBreakdown } from '../../src/campaigns/campaign-counters.js';
import { campaignListMessage, LIST_LIMIT } from '../../src/slack/blocks/campaign-list-blocks.js';
import { contactsModal, CONTACTS_PAGE_SIZE } from '../../src/slack/blocks/contacts-modal-blocks.js';
import { failureLine, failureReply } from '../../src/slack/blocks/failure-blocks.js';
import { helpMessage } from '../../src/slack/blocks/help-blocks.js';
import { HOME_LIMIT, homeView } from '../../src/slack/blocks/home-blocks.js';
import { notice } from '../../src/slack/blocks/notice-blocks.js';
import { progressMessage, type ProgressView } from '../../src/slack/blocks/progress-blocks.js';
import { messageModal, startModal } from '../../src/slack/blocks/start-modal-blocks.js';
import { startSummaryMessage, type StartSummary } from '../../src/slack/blocks/start-summary-blocks.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';

const ID = new Types.ObjectId('64b000000000000000000001');
const ID2 = new Types.ObjectId('64b000000000000000000002');
const T0 = new Date('2026-11-25T04:30:00.000Z');
const T1 = new Date('2026-11-25T05:45:00.000Z');
const STARTED = '<!date^1795581000^{date_short_pretty} {time}|2026-11-25T04:30:00Z>';
const ENDED = '<!date^1795585500^{date_short_pretty} {time}|2026-11-25T05:45:00Z>';

const BREAKDOWN: StatusBreakdown = { pending: 40, dialing: 2, initiated: 3, unknown: 1, completed: 30, busy: 5, 'no-answer': 10, failed: 4, canceled: 1, skipped: 4 };
const FINISHED: StatusBreakdown = { ...BREAKDOWN, pending: 0, dialing: 0, initiated: 0, unknown: 0, skipped: 0 };
const CAMPAIGN: ProgressView['campaign'] = {
  _id: ID,
  name: 'diwali-offer',
  title: 'Diwali <offer> & more',
  status: 'running',
  status_reason: null,
  started_at: T0,
  completed_at: null,
};

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
    total_contacts: 0,
    calls_completed: 0,
    calls_failed: 0,
    calls_busy: 0,
    calls_no_answer: 0,
    calls_canceled: 0,
    contacts_skipped: 0,
    started_at: null,
    completed_at: null,
    calls_per_minute: null,
    caller_id: null,
    retry: { max_attempts: 1, delay_seconds: 1800, on: ['busy', 'no-answer'] },
    calling_window: null,
    scheduled_at: null,
    progress_channel: null,
    progress_ts: null,
    progress_final: false,
    runner_id: null,
    lease_expires_at: null,
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
  calls_completed: 30,
  calls_busy: 5,
  calls_no_answer: 10,
  calls_failed: 4,
  calls_canceled: 1,
  contacts_skipped: 4,
});
const DRAFT_ROW = campaignRow({ _id: ID2, name: 'renewals', title: 'Renewals', status: 'draft', total_contacts: 12 });

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
const FOOTER = { type: 'context', elements: [{ type: 'mrkdwn', text: '`diwali-offer` · numbers that did not connect are listed in the thread' }] };

describe('progressMessage', () => {
  it('running, with Pause and Stop', () => {
    const message = progressMessage({ campaign: CAMPAIGN, breakdown: BREAKDOWN, retrying: 6, callsPerMinute: 20, now: T1, waitingUntil: null, withActions: true });
    expect(message).toEqual({
      text: 'Diwali <offer> & more: Running, 54/100 (20 failed)',
      blocks: [
        HEADER,
        { type: 'section', text: { type: 'mrkdwn', text: `:arrow_forward: *Running* · pace 20/min · started ${STARTED} · about 2 min left` } },
        { type: 'section', text: { type: 'mrkdwn', text: '`███████████░░░░░░░░░` 54%\n*54/100 (20 failed)*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Answered*\n30' },
            { type: 'mrkdwn', text: '*Busy*\n5' },
            { type: 'mrkdwn', text: '*No answer*\n10' },
            { type: 'mrkdwn', text: '*Failed*\n5' },
            { type: 'mrkdwn', text: '*In progress*\n6' },
            { type: 'mrkdwn', text: '*Pending*\n34' },
            { type: 'mrkdwn', text: '*Retrying*\n6' },
            { type: 'mrkdwn', text: '*Skipped*\n4' },
            { type: 'mrkdwn', text: '*Checking with Exotel*\n1' },
          ],
        },
        {
          type: 'actions',
          block_id: 'progress_actions',
          elements: [
            { type: 'button', action_id: 'campaign_pause', text: { type: 'plain_text', text: 'Pause' }, value: '64b000000000000000000001' },
            STOP_BUTTON,
          ],
        },
        FOOTER,
      ],
    });
  });

  it('paused, with its reason escaped, Resume and Stop', () => {
    const message = progressMessage({
      campaign: { ...CAMPAIGN, status: 'paused', status_reason: 'Paused by <@U0OWNER>' },
      breakdown: BREAKDOWN,
      retrying: 0,
      callsPerMinute: 20,
      now: T1,
      waitingUntil: null,
      withActions: true,
    });
    expect(message).toEqual({
      text: 'Diwali <offer> & more: Paused, 54/100 (20 failed)',
      blocks: [
        HEADER,
        { type: 'section', text: { type: 'mrkdwn', text: `:double_vertical_bar: *Paused* · pace 20/min · started ${STARTED}\nPaused by &lt;@U0OWNER&gt;` } },
        { type: 'section', text: { type: 'mrkdwn', text: '`███████████░░░░░░░░░` 54%\n*54/100 (20 failed)*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Answered*\n30' },
            { type: 'mrkdwn', text: '*Busy*\n5' },
            { type: 'mrkdwn', text: '*No answer*\n10' },
            { type: 'mrkdwn', text: '*Failed*\n5' },
            { type: 'mrkdwn', text: '*In progress*\n6' },
            { type: 'mrkdwn', text: '*Pending*\n40' },
            { type: 'mrkdwn', text: '*Retrying*\n0' },
            { type: 'mrkdwn', text: '*Skipped*\n4' },
            { type: 'mrkdwn', text: '*Checking with Exotel*\n1' },
          ],
        },
        {
          type: 'actions',
          block_id: 'progress_actions',
          elements: [
            { type: 'button', action_id: 'campaign_resume', text: { type: 'plain_text', text: 'Resume' }, style: 'primary', value: '64b000000000000000000001' },
            STOP_BUTTON,
          ],
        },
        FOOTER,
      ],
    });
  });

  it('completed: the final summary, no buttons even when asked for', () => {
    const message = progressMessage({
      campaign: { ...CAMPAIGN, status: 'completed', completed_at: T1 },
      breakdown: FINISHED,
      retrying: 0,
      callsPerMinute: 20,
      now: new Date('2027-01-01T00:00:00Z'),
      waitingUntil: null,
      withActions: true,
    });
    expect(message).toEqual({
      text: 'Diwali <offer> & more: Completed, 50/50 (20 failed)',
      blocks: [
        HEADER,
        { type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: *Completed* · started ${STARTED}` } },
        { type: 'section', text: { type: 'mrkdwn', text: '`████████████████████` 100%\n*50/50 (20 failed)*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Answered*\n30' },
            { type: 'mrkdwn', text: '*Busy*\n5' },
            { type: 'mrkdwn', text: '*No answer*\n10' },
            { type: 'mrkdwn', text: '*Failed*\n5' },
            { type: 'mrkdwn', text: '*In progress*\n0' },
            { type: 'mrkdwn', text: '*Pending*\n0' },
            { type: 'mrkdwn', text: '*Retrying*\n0' },
          ],
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*Finished* ${ENDED} after 1 h 15 min: 30 answered, 5 busy, 10 not answered, 5 failed.` },
        },
        FOOTER,
      ],
    });
  });

  it('stopped early: says how many were not called', () => {
    const message = progressMessage({
      campaign: { ...CAMPAIGN, status: 'stopped', completed_at: T1 },
      breakdown: { ...FINISHED, pending: 7, skipped: 2 },
      retrying: 0,
      callsPerMinute: 20,
      now: T1,
      waitingUntil: null,
      withActions: true,
    });
    expect(message.blocks.at(-2)).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Stopped* ${ENDED} after 1 h 15 min: 30 answered, 5 busy, 10 not answered, 5 failed, 2 skipped, 7 not called.` },
    });
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('running but outside the calling window: says until when, no time-left estimate', () => {
    const message = progressMessage({
      campaign: { ...CAMPAIGN, started_at: null },
      breakdown: { ...FINISHED, pending: 10 },
      retrying: 0,
      callsPerMinute: 20,
      now: T1,
      waitingUntil: new Date('2026-11-26T03:30:00Z'),
      withActions: false,
    });
    expect(message).toEqual({
      text: 'Diwali <offer> & more: Running, 50/60 (20 failed)',
      blocks: [
        HEADER,
        {
          type: 'section',
          text: { type: 'mrkdwn', text: ':arrow_forward: *Running* · outside the calling window until <!date^1795663800^{time}|2026-11-26T03:30:00Z> · pace 20/min' },
        },
        { type: 'section', text: { type: 'mrkdwn', text: '`█████████████████░░░` 83%\n*50/60 (20 failed)*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Answered*\n30' },
            { type: 'mrkdwn', text: '*Busy*\n5' },
            { type: 'mrkdwn', text: '*No answer*\n10' },
            { type: 'mrkdwn', text: '*Failed*\n5' },
            { type: 'mrkdwn', text: '*In progress*\n0' },
            { type: 'mrkdwn', text: '*Pending*\n10' },
            { type: 'mrkdwn', text: '*Retrying*\n0' },
          ],
        },
        FOOTER,
      ],
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
  window: { startMinute: 540, endMinute: 1260, timeZone: 'Asia/Kolkata' },
  rehearsal: true,
};

describe('startSummaryMessage and startModal', () => {
  it('the summary with Confirm / Cancel', () => {
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
              '• *Calling window:* 09:00–21:00 Asia/Kolkata\n' +
              '• :test_tube: *Rehearsal mode:* nobody is really called; outcomes are simulated.',
          },
        },
        {
          type: 'actions',
          block_id: 'start_actions',
          elements: [
            { type: 'button', action_id: 'campaign_start_confirm', text: { type: 'plain_text', text: 'Confirm' }, style: 'primary', value: '64b000000000000000000001' },
            { type: 'button', action_id: 'campaign_start_cancel', text: { type: 'plain_text', text: 'Cancel' }, value: '64b000000000000000000001' },
          ],
        },
      ],
    });
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
              '• *Calling window:* 09:00–21:00 Asia/Kolkata',
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

describe('campaignListMessage', () => {
  it('empty', () => {
    expect(campaignListMessage([], false)).toEqual({
      text: 'There are no campaigns in this workspace yet.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'There are no campaigns in this workspace yet.' } }],
    });
  });

  it('with campaigns', () => {
    expect(campaignListMessage([RUNNING_ROW, DRAFT_ROW], false)).toEqual({
      text: '2 campaigns',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Campaigns*, most recently changed first:' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':arrow_forward: `diwali-offer` — Diwali &lt;offer&gt; · Running · 54/100 (20 failed) · updated <!date^1795585500^{date_short_pretty}|2026-11-25T05:45:00Z>',
          },
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: ':memo: `renewals` — Renewals · Draft · 0/12 (0 failed) · updated <!date^1795585500^{date_short_pretty}|2026-11-25T05:45:00Z>' },
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
  const contact = (c: Partial<ContactFields>) => ({ phone: '919876543210', name: null, call_status: 'failed', call_error: null, attempts: 1, ...c }) as ContactFields;

  it('one line per number: number, name, reason, Exotel words (escaped) except for busy / no answer, attempt', () => {
    expect(
      failureReply([
        contact({ name: 'Asha', call_status: 'busy', call_error: 'line busy' }),
        contact({ phone: '919812345678', call_status: 'failed', call_error: 'Number <is> invalid & unreachable', attempts: 2 }),
        contact({ phone: '14155550100', name: 'Bob', call_status: 'no-answer', attempts: 0 }),
        contact({ phone: '919800000001', name: 'Ravi', call_status: 'unknown' }),
      ]),
    ).toEqual({
      text:
        '• +91 98765 43210 · Asha · *busy* · attempt 1\n' +
        '• +91 98123 45678 · *failed* — Number &lt;is&gt; invalid &amp; unreachable · attempt 2\n' +
        '• 14155550100 · Bob · *no answer* · attempt 1\n' +
        '• +91 98000 00001 · Ravi · *not known yet: Exotel could not be asked* · attempt 1',
      count: 4,
    });
  });

  it('stops before Slack’s text limit and says how many contacts it holds', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      contact({ phone: `9198${String(i).padStart(8, '0')}`, name: 'N'.repeat(100), call_error: 'E'.repeat(500) }),
    );
    const line = failureLine(many[0]!);
    // 60-char name and 200-char error cuts
    expect(line).toBe(`• +91 98000 00000 · ${'N'.repeat(59)}… · *failed* — ${'E'.repeat(199)}… · attempt 1`);
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
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Type `/campaign help` in any channel for every command. Newest changes first.' }] },
        { type: 'section', text: { type: 'mrkdwn', text: 'No campaigns yet.' } },
      ],
    });
  });

  it('the table: a row per campaign, Start only where a start is possible, View always', () => {
    expect(homeView([RUNNING_ROW, DRAFT_ROW])).toEqual({
      type: 'home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Call campaigns' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Type `/campaign help` in any channel for every command. Newest changes first.' }] },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*Diwali &lt;offer&gt;*  \`diwali-offer\`\n:arrow_forward: Running · 54/100 (20 failed) · updated ${ENDED}` },
        },
        {
          type: 'actions',
          block_id: 'home_64b000000000000000000001',
          elements: [{ type: 'button', action_id: 'home_campaign_view', text: { type: 'plain_text', text: 'View' }, value: '64b000000000000000000001' }],
        },
        { type: 'section', text: { type: 'mrkdwn', text: `*Renewals*  \`renewals\`\n:memo: Draft · 0/12 (0 failed) · updated ${ENDED}` } },
        {
          type: 'actions',
          block_id: 'home_64b000000000000000000002',
          elements: [
            { type: 'button', action_id: 'home_campaign_start', text: { type: 'plain_text', text: 'Start' }, style: 'primary', value: '64b000000000000000000002' },
            { type: 'button', action_id: 'home_campaign_view', text: { type: 'plain_text', text: 'View' }, value: '64b000000000000000000002' },
          ],
        },
      ],
    });
  });
});

describe('contactsModal', () => {
  const campaign = { _id: ID, name: 'diwali-offer', title: 'Diwali', total_contacts: 53 };
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
  const shell = { type: 'modal', callback_id: 'campaign_contacts', title: { type: 'plain_text', text: 'Contacts' }, close: { type: 'plain_text', text: 'Close' } };
  const prev = (page: number) => ({ type: 'button', action_id: 'contacts_page_prev', text: { type: 'plain_text', text: 'Previous' }, value: `{"id":"64b000000000000000000001","page":${page}}` });
  const next = (page: number) => ({ type: 'button', action_id: 'contacts_page_next', text: { type: 'plain_text', text: 'Next' }, value: `{"id":"64b000000000000000000001","page":${page}}` });

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

describe('notice and helpMessage', () => {
  it('notice: one section, cut to 3000 characters', () => {
    expect(notice('Stopped `x`.')).toEqual({ text: 'Stopped `x`.', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Stopped `x`.' } }] });
    const long = notice('y'.repeat(5000));
    expect(long).toEqual({ text: `${'y'.repeat(2999)}…`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${'y'.repeat(2999)}…` } }] });
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
        { type: 'section', text: { type: 'mrkdwn', text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress' } },
      ],
    });
    expect(helpMessage(entries)).toEqual({
      text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*/campaign* commands:\n`/campaign help` — show these commands\n`/campaign status &lt;name&gt;` — progress' } }],
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Slack's limits (api.slack.com/reference/block-kit): checked on every object of a surface, whatever its nesting.

type Json = Record<string, unknown>;

function limitProblems(surface: { blocks: readonly unknown[]; private_metadata?: string; title?: { text: string } }, maxBlocks: number): string[] {
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
        const confirm = e.confirm as { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string } } | undefined;
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

describe("Slack's limits on big inputs", () => {
  const huge = `<!channel> ${'Ω'.repeat(6000)} & <@U123>`;

  it('progress message: a 6000-character title and reason, every state', () => {
    for (const status of ['running', 'paused', 'completed', 'stopped'] as const) {
      const message = progressMessage({
        campaign: { ...CAMPAIGN, title: huge, status, status_reason: huge, completed_at: status === 'running' ? null : T1 },
        breakdown: { ...BREAKDOWN, pending: 9_000_000, completed: 1_000_000 },
        retrying: 12_345,
        callsPerMinute: 200,
        now: T1,
        waitingUntil: status === 'running' ? T1 : null,
        withActions: true,
      });
      expect(limitProblems(message, 50), status).toEqual([]);
      // The message text is the notification; Slack cuts it at 40,000 characters, keep it sane.
      expect(message.text.length).toBeLessThan(40_000);
    }
  });

  it('start summary and start modal: huge title and caller id', () => {
    const s = { ...SUMMARY, campaign: { ...SUMMARY.campaign, title: huge }, callerId: huge, toCall: 10_000_000 };
    expect(limitProblems(startSummaryMessage(s), 50)).toEqual([]);
    expect(limitProblems(startModal(s, 'C0001'), 100)).toEqual([]);
  });

  it('campaign list: 500 campaigns with long titles', () => {
    const many = Array.from({ length: 500 }, (_, i) => campaignRow({ _id: new Types.ObjectId(), name: `c-${i}`, title: huge, status: 'running' }));
    const message = campaignListMessage(many, true);
    expect(limitProblems(message, 50)).toEqual([]);
  });

  it('home tab: 500 campaigns with long titles', () => {
    const many = Array.from({ length: 500 }, (_, i) => campaignRow({ _id: new Types.ObjectId(), name: `c-${i}`, title: huge, status: i % 2 ? 'draft' : 'running' }));
    const view = homeView(many);
    expect(limitProblems(view, 100)).toEqual([]);
    expect(view.blocks.filter((b) => b.type === 'actions')).toHaveLength(HOME_LIMIT);
    expect(view.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${500 - HOME_LIMIT} older campaigns are not shown; \`/campaign status &lt;name&gt;\` finds any of them.` }],
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
    })) as ContactFields[];
    for (const page of [0, 7, 399_999]) {
      const view = contactsModal({ campaign: { _id: ID, name: 'x', title: huge, total_contacts: 10_000_000 }, contacts, page, total: 10_000_000 });
      expect(limitProblems(view, 100), `page ${page}`).toEqual([]);
    }
  });

  it('notice and help: long input', () => {
    expect(limitProblems(notice(huge), 50)).toEqual([]);
    expect(limitProblems(helpMessage(Array.from({ length: 8 }, () => ({ usage: 'x <name>', summary: 'y'.repeat(100) })), 'n'.repeat(200)), 50)).toEqual([]);
  });
});
