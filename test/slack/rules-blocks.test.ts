// The rules part of the create and edit forms, by exact JSON (decided by reading the builders), and the way back:
// what a person leaves pre-filled reads back as the rules it was filled from.
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { createModal, editModal } from '../../src/slack/blocks/create-modal-blocks.js';
import { parseKeys } from '../../src/campaigns/keypresses.js';
import { rulesBlocks, skipDatesText, type RulesInitial } from '../../src/slack/blocks/rules-blocks.js';
import { readRules } from '../../src/slack/views/rules-values.js';

const ID = new Types.ObjectId('64b000000000000000000001');
const NOW = new Date('2026-11-25T04:30:00.000Z'); // Wed 25 Nov, 10:00 IST

const RULES: RulesInitial = {
  retry: { on: ['busy', 'no-answer'], max_attempts: 3, delays: { busy: 1800, 'no-answer': 7200, failed: 1800 }, exponential: false },
  calling_hours: { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', tz: 'Asia/Kolkata', skip: ['2026-12-25', '2027-01-26'] },
  calls_per_minute: 30,
};

const plain = (text: string) => ({ type: 'plain_text', text });
const option = (text: string, value: string) => ({ text: plain(text), value });
const BUSY = option('Busy', 'busy');
const NO_ANSWER = option('No answer', 'no-answer');
const COULD_NOT_CONNECT = option('Could not connect', 'failed');
const DOUBLE = option('Double the wait after every attempt', 'yes');
const ATTEMPTS = [option('1 (no retries)', '1'), option('2', '2'), option('3', '3'), option('4', '4'), option('5', '5')];

const minutesInput = (block_id: string, label: string, minutes: string) => ({
  type: 'input',
  block_id,
  label: plain(label),
  element: {
    type: 'number_input',
    action_id: 'value',
    is_decimal_allowed: false,
    min_value: '1',
    max_value: '10080',
    initial_value: minutes,
  },
});
const textInput = (block_id: string, label: string, hint: string, optional: boolean, max_length: number, initial?: string) => ({
  type: 'input',
  block_id,
  optional,
  label: plain(label),
  hint: plain(hint),
  element: { type: 'plain_text_input', action_id: 'value', max_length, ...(initial !== undefined ? { initial_value: initial } : {}) },
});

/** What rulesBlocks(RULES) shows, in order; `start` only in the create form. */
function expectedRules(o: { start: boolean; callUntil?: string; rules?: RulesInitial } = { start: true }) {
  const r = o.rules ?? RULES;
  return [
    { type: 'header', text: plain('Rules') },
    {
      type: 'input',
      block_id: 'rules_retry_on',
      optional: true,
      label: plain('Call again when the call was'),
      element: {
        type: 'checkboxes',
        action_id: 'value',
        options: [BUSY, NO_ANSWER, COULD_NOT_CONNECT],
        initial_options: [BUSY, NO_ANSWER],
      },
    },
    {
      type: 'input',
      block_id: 'rules_max_attempts',
      label: plain('Attempts per number, at most'),
      hint: plain('The first call and every retry, manual ones included.'),
      element: { type: 'static_select', action_id: 'value', options: ATTEMPTS, initial_option: ATTEMPTS[r.retry.max_attempts - 1] },
    },
    minutesInput('rules_delay_busy', 'Wait after busy (minutes)', '30'),
    minutesInput('rules_delay_no_answer', 'Wait after no answer (minutes)', '120'),
    minutesInput('rules_delay_failed', 'Wait after could not connect (minutes)', '30'),
    {
      type: 'input',
      block_id: 'rules_exponential',
      optional: true,
      label: plain('Backoff'),
      element: { type: 'checkboxes', action_id: 'value', options: [DOUBLE] },
    },
    textInput(
      'rules_hours',
      'Calling days and hours',
      'e.g. Mon-Sat 09:00-20:00. Indian rules allow commercial calls 09:00-21:00.',
      false,
      60,
      'Mon-Sat 09:00-20:00',
    ),
    textInput('rules_time_zone', 'Time zone', 'An IANA zone, e.g. Asia/Kolkata.', false, 60, 'Asia/Kolkata'),
    textInput(
      'rules_skip_dates',
      'Dates to skip',
      'Holidays, e.g. 2026-12-25, 2027-01-26 or 24 Dec..26 Dec.',
      true,
      3000,
      '2026-12-25, 2027-01-26',
    ),
    ...(o.start
      ? [
          textInput(
            'rules_start_at',
            'Start at',
            'Leave empty to start it yourself later. e.g. tomorrow 10:00, 2026-12-01 09:30.',
            true,
            60,
          ),
        ]
      : []),
    textInput(
      'rules_call_until',
      'Call until',
      'Optional end date: after it nobody is called, not even a retry. e.g. 2026-12-05 18:00.',
      true,
      60,
      o.callUntil,
    ),
    {
      type: 'input',
      block_id: 'campaign_pace',
      optional: true,
      label: plain('Calls per minute, at most'),
      hint: plain('Empty: the account’s pace. Running campaigns share the account’s limit in proportion to these.'),
      element: {
        type: 'number_input',
        action_id: 'value',
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '1000',
        initial_value: '30',
      },
    },
  ];
}

const CALLER_ID_HINT = plain('Leave empty to use the account’s EXOTEL_CALLER_ID.');
const TEMPLATE_HINT = plain(
  'Optional. {name}, {number} (last 4 digits) and your CSV columns, e.g. Namaste {name}, your EMI of Rs {amount} is due on {due_date}. Press 1 if you have paid.',
);
const KEYS_HINT = plain(
  'Optional. What each key means, e.g. 1=paid, 2=call me back, 9=do not call (adds the number to the do-not-call list).',
);

describe('rulesBlocks', () => {
  it('create form: every rule pre-filled, the start time empty', () => {
    expect(rulesBlocks(RULES, { withStart: true })).toEqual(expectedRules({ start: true }));
  });

  it('edit form: no start time; the end date as text; exponential ticked; no retries ticked; no pace', () => {
    const rules: RulesInitial = {
      retry: { on: [], max_attempts: 1, delays: { busy: 60, 'no-answer': 90, failed: 20 }, exponential: true },
      calling_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Europe/London', skip: [] },
      calls_per_minute: null,
      callUntilText: '2026-12-05 18:00',
    };
    const blocks = rulesBlocks(rules, { withStart: false });
    expect(blocks.map((b) => ('block_id' in b ? b.block_id : b.type))).toEqual([
      'header',
      'rules_retry_on',
      'rules_max_attempts',
      'rules_delay_busy',
      'rules_delay_no_answer',
      'rules_delay_failed',
      'rules_exponential',
      'rules_hours',
      'rules_time_zone',
      'rules_skip_dates',
      'rules_call_until',
      'campaign_pace',
    ]);
    const byId = Object.fromEntries(blocks.map((b) => ['block_id' in b ? b.block_id : b.type, b]));
    expect(byId.rules_retry_on).toEqual({
      type: 'input',
      block_id: 'rules_retry_on',
      optional: true,
      label: plain('Call again when the call was'),
      element: { type: 'checkboxes', action_id: 'value', options: [BUSY, NO_ANSWER, COULD_NOT_CONNECT] },
    });
    expect((byId.rules_max_attempts as { element: object }).element).toMatchObject({ initial_option: option('1 (no retries)', '1') });
    // Seconds are shown in whole minutes, never below one.
    expect((byId.rules_delay_busy as { element: object }).element).toMatchObject({ initial_value: '1' });
    expect((byId.rules_delay_no_answer as { element: object }).element).toMatchObject({ initial_value: '2' });
    expect((byId.rules_delay_failed as { element: object }).element).toMatchObject({ initial_value: '1' });
    expect((byId.rules_exponential as { element: object }).element).toEqual({
      type: 'checkboxes',
      action_id: 'value',
      options: [DOUBLE],
      initial_options: [DOUBLE],
    });
    expect(byId.rules_hours).toEqual(
      textInput(
        'rules_hours',
        'Calling days and hours',
        'e.g. Mon-Sat 09:00-20:00. Indian rules allow commercial calls 09:00-21:00.',
        false,
        60,
        'Mon-Sun 00:00-24:00',
      ),
    );
    expect(byId.rules_time_zone).toEqual(
      textInput('rules_time_zone', 'Time zone', 'An IANA zone, e.g. Asia/Kolkata.', false, 60, 'Europe/London'),
    );
    expect(byId.rules_skip_dates).toEqual(
      textInput('rules_skip_dates', 'Dates to skip', 'Holidays, e.g. 2026-12-25, 2027-01-26 or 24 Dec..26 Dec.', true, 3000),
    );
    expect(byId.rules_call_until).toEqual(
      textInput(
        'rules_call_until',
        'Call until',
        'Optional end date: after it nobody is called, not even a retry. e.g. 2026-12-05 18:00.',
        true,
        60,
        '2026-12-05 18:00',
      ),
    );
    expect((byId.campaign_pace as { element: object }).element).toEqual({
      type: 'number_input',
      action_id: 'value',
      is_decimal_allowed: false,
      min_value: '1',
      max_value: '1000',
    });
  });
});

describe('createModal', () => {
  it('name, title, description, contacts, the message and keys, caller id, then the rules', () => {
    expect(createModal({ channel: 'C0001' }, RULES, 'EMI-Reminder')).toEqual({
      type: 'modal',
      callback_id: 'campaign_create',
      title: plain('New campaign'),
      submit: plain('Create'),
      close: plain('Cancel'),
      private_metadata: '{"channel":"C0001"}',
      blocks: [
        {
          type: 'input',
          block_id: 'campaign_name',
          label: plain('Name'),
          hint: plain('What people type: /campaign start <name>. Lowercase letters, digits and dashes.'),
          element: {
            type: 'plain_text_input',
            action_id: 'value',
            max_length: 63,
            initial_value: 'EMI-Reminder',
            placeholder: plain('emi-reminder'),
          },
        },
        {
          type: 'input',
          block_id: 'campaign_title',
          label: plain('Title'),
          element: { type: 'plain_text_input', action_id: 'value', max_length: 150, placeholder: plain('EMI reminder — November') },
        },
        {
          type: 'input',
          block_id: 'campaign_description',
          optional: true,
          label: plain('Description'),
          element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 3000 },
        },
        {
          type: 'input',
          block_id: 'contacts_file',
          optional: true,
          label: plain('Contacts file (CSV)'),
          hint: plain('Columns number (or phone / mobile), name, description, in any order; up to 10 MB.'),
          element: { type: 'file_input', action_id: 'value', filetypes: ['csv', 'txt'], max_files: 1 },
        },
        {
          type: 'input',
          block_id: 'contacts_paste',
          optional: true,
          label: plain('Or paste numbers'),
          hint: plain('One contact per line: number, name, description.'),
          element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 3000 },
        },
        {
          type: 'input',
          block_id: 'campaign_template',
          optional: true,
          label: plain('Message read to each person'),
          hint: TEMPLATE_HINT,
          element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 1000 },
        },
        {
          type: 'input',
          block_id: 'campaign_keys',
          optional: true,
          label: plain('Keys'),
          hint: KEYS_HINT,
          element: { type: 'plain_text_input', action_id: 'value', max_length: 600 },
        },
        {
          type: 'input',
          block_id: 'campaign_caller_id',
          optional: true,
          label: plain('Caller id (ExoPhone)'),
          hint: CALLER_ID_HINT,
          element: { type: 'plain_text_input', action_id: 'value', max_length: 20 },
        },
        ...expectedRules({ start: true }),
      ],
    });
  });

  it('without a name typed: no initial name; no channel: null in the metadata', () => {
    const modal = createModal({ channel: null }, RULES);
    expect(modal.private_metadata).toBe('{"channel":null}');
    expect(modal.blocks[0]).toMatchObject({ element: { type: 'plain_text_input', placeholder: plain('emi-reminder') } });
    expect((modal.blocks[0] as { element: object }).element).not.toHaveProperty('initial_value');
  });
});

describe('editModal', () => {
  const campaign = {
    _id: ID,
    name: 'emi-reminder',
    title: 'EMI reminder',
    description: 'Nov batch',
    caller_id: '08047112345',
    message_template: 'Namaste {name}, pay Rs {amount}.',
    keys: { '1': 'paid', '9': 'do not call' },
    ...RULES,
    callUntilText: '2026-12-05T12:30Z',
  };

  it('pre-filled with the campaign: title, description, caller id, message, keys and rules; no name, no contacts, no start', () => {
    expect(editModal(campaign)).toEqual({
      type: 'modal',
      callback_id: 'campaign_edit',
      title: plain('Edit campaign'),
      submit: plain('Save'),
      close: plain('Cancel'),
      private_metadata: '{"id":"64b000000000000000000001"}',
      blocks: [
        { type: 'context', elements: [{ type: 'mrkdwn', text: '`emi-reminder`' }] },
        {
          type: 'input',
          block_id: 'campaign_title',
          label: plain('Title'),
          element: { type: 'plain_text_input', action_id: 'value', max_length: 150, initial_value: 'EMI reminder' },
        },
        {
          type: 'input',
          block_id: 'campaign_description',
          optional: true,
          label: plain('Description'),
          element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 3000, initial_value: 'Nov batch' },
        },
        {
          type: 'input',
          block_id: 'campaign_caller_id',
          optional: true,
          label: plain('Caller id (ExoPhone)'),
          hint: CALLER_ID_HINT,
          element: { type: 'plain_text_input', action_id: 'value', max_length: 20, initial_value: '08047112345' },
        },
        {
          type: 'input',
          block_id: 'campaign_template',
          optional: true,
          label: plain('Message read to each person'),
          hint: TEMPLATE_HINT,
          element: {
            type: 'plain_text_input',
            action_id: 'value',
            multiline: true,
            max_length: 1000,
            initial_value: 'Namaste {name}, pay Rs {amount}.',
          },
        },
        {
          type: 'input',
          block_id: 'campaign_keys',
          optional: true,
          label: plain('Keys'),
          hint: KEYS_HINT,
          element: { type: 'plain_text_input', action_id: 'value', max_length: 600, initial_value: '1=paid, 9=do not call' },
        },
        ...expectedRules({ start: false, callUntil: '2026-12-05T12:30Z' }),
      ],
    });
  });

  it('empty description, caller id, message and keys are left empty, not filled with ""', () => {
    const modal = editModal({ ...campaign, description: '', caller_id: null, message_template: null, keys: {}, callUntilText: '' });
    const elements = Object.fromEntries(
      modal.blocks
        .filter((b) => b.type === 'input')
        .map((b) => [b.block_id, (b as unknown as { element: Record<string, unknown> }).element]),
    );
    for (const id of ['campaign_description', 'campaign_caller_id', 'campaign_template', 'campaign_keys', 'rules_call_until']) {
      expect(elements[id], id).not.toHaveProperty('initial_value');
    }
  });
});

describe('what the edit form shows fits its fields, so the form can be saved as it opens', () => {
  it('skip dates: consecutive days as a range, pairs and single days as dates, in order, once each', () => {
    expect(skipDatesText([])).toBe('');
    expect(skipDatesText(['2027-01-26', '2026-12-25', '2026-12-24', '2026-12-26', '2026-12-31', '2027-01-01', '2026-12-25'])).toBe(
      '2026-12-24..2026-12-26, 2026-12-31, 2027-01-01, 2027-01-26',
    );
  });

  it('a six-week holiday and twelve keys with the longest meanings fit, and read back as they were', () => {
    const holiday = Array.from({ length: 43 }, (_, i) => new Date(Date.UTC(2026, 11, 20 + i)).toISOString().slice(0, 10));
    const keys = Object.fromEntries(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'].map((k) => [k, `${k} ${'m'.repeat(38)}`]));
    const rules = { ...RULES, calling_hours: { ...RULES.calling_hours, skip: [...holiday, '2027-03-01'] } };
    const modal = editModal({ _id: ID, name: 'x', title: 't', description: '', caller_id: null, message_template: null, keys, ...rules });
    for (const block of modal.blocks) {
      const element = (block as { element?: { initial_value?: string; max_length?: number } }).element;
      if (element?.initial_value !== undefined && element.max_length !== undefined) {
        expect(element.initial_value.length, (block as { block_id: string }).block_id).toBeLessThanOrEqual(element.max_length);
      }
    }
    const input = (id: string) =>
      (modal.blocks.find((b) => (b as { block_id?: string }).block_id === id) as unknown as { element: { initial_value: string } }).element
        .initial_value;
    expect(input('rules_skip_dates')).toBe('2026-12-20..2027-01-31, 2027-03-01');
    expect(parseKeys(input('campaign_keys'))).toEqual({ ok: true, keys });
    const read = readRules(valuesOf(rulesBlocks(rules, { withStart: false })) as never, NOW);
    expect(read.ok && read.rules.calling_hours.skip).toEqual(rules.calling_hours.skip);
  });
});

/** `view.state.values` as Slack sends them for a form left as pre-filled. */
function valuesOf(blocks: ReturnType<typeof rulesBlocks>) {
  const values: Record<string, Record<string, unknown>> = {};
  for (const b of blocks) {
    if (b.type !== 'input') continue;
    const e = b.element as { type: string; initial_value?: string; initial_options?: unknown[]; initial_option?: unknown };
    const value =
      e.type === 'checkboxes'
        ? { type: e.type, selected_options: e.initial_options ?? [] }
        : e.type === 'static_select'
          ? { type: e.type, selected_option: e.initial_option ?? null }
          : { type: e.type, value: e.initial_value ?? null };
    values[b.block_id!] = { value };
  }
  return values;
}

describe('the form read back (readRules)', () => {
  it('left as pre-filled, it reads back the rules it was filled from', () => {
    const read = readRules(valuesOf(rulesBlocks(RULES, { withStart: true })) as never, NOW);
    expect(read).toEqual({
      ok: true,
      rules: { retry: RULES.retry, calling_hours: RULES.calling_hours, call_until: null, calls_per_minute: 30, startAt: null },
    });
  });

  it('start and end times are read in the campaign zone; each bad value gets its sentence on its own field', () => {
    const values = valuesOf(rulesBlocks(RULES, { withStart: true }));
    values.rules_start_at = { value: { type: 'plain_text_input', value: '2026-12-01 09:30' } };
    values.rules_call_until = { value: { type: 'plain_text_input', value: '2026-12-05 18:00' } };
    const read = readRules(values as never, NOW);
    expect(read.ok && [read.rules.startAt?.toISOString(), read.rules.call_until?.toISOString()]).toEqual([
      '2026-12-01T04:00:00.000Z',
      '2026-12-05T12:30:00.000Z',
    ]);

    values.rules_hours = { value: { type: 'plain_text_input', value: 'Mon-Sat 20:00-09:00' } };
    values.rules_time_zone = { value: { type: 'plain_text_input', value: 'Mars/Olympus' } };
    values.rules_skip_dates = { value: { type: 'plain_text_input', value: '31 Feb' } };
    values.rules_max_attempts = { value: { type: 'static_select', selected_option: option('1 (no retries)', '1') } };
    values.rules_call_until = { value: { type: 'plain_text_input', value: '2026-11-30 09:00' } };
    values.rules_delay_busy = { value: { type: 'number_input', value: '0' } };
    values.campaign_pace = { value: { type: 'number_input', value: '5000' } };
    const bad = readRules(values as never, NOW);
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? {} : bad.errors;
    expect(Object.keys(errors).sort()).toEqual([
      'campaign_pace',
      'rules_call_until',
      'rules_delay_busy',
      'rules_hours',
      'rules_max_attempts',
      'rules_skip_dates',
      'rules_time_zone',
    ]);
    expect(errors).toMatchObject({
      rules_hours:
        'Calling hours "20:00-09:00" must end later on the same day than they start (overnight windows are not supported); write them like 09:00-21:00.',
      rules_time_zone: '"Mars/Olympus" is not a time zone I know. Use an IANA name such as Asia/Kolkata or Asia/Dubai.',
      rules_max_attempts: 'Retries need at least 2 attempts; choose 2 or more, or untick every outcome above.',
      rules_call_until: 'The end date must come after the start.',
      rules_delay_busy: 'Give a whole number of minutes from 1 to 10080 (a week).',
      campaign_pace: 'Use a whole number of calls per minute from 1 to 1000, or leave it empty.',
    });
    expect(errors.rules_skip_dates).toMatch(/^"31 Feb" is not a date/);
    // Every answer is one sentence a person can act on: no stack, no code.
    for (const sentence of Object.values(errors)) expect(sentence).toMatch(/^[^\n]{10,300}[.)]$/);
  });
});
