// The rules part of the create and edit forms: retries, calling days and hours, skip dates, start and end, pace.
// Pre-filled with the campaign's rules (or the defaults for a new one); what people typed is read back by
// views/rules-values.ts, which answers every bad value inline on its field.
import type { KnownBlock, Option, PlainTextOption } from '@slack/types';
import { formatDaysAndHours } from '../../campaigns/campaign-hours.js';
import { MAX_ATTEMPTS_MAX, MAX_ATTEMPTS_MIN, PACE_MAX, PACE_MIN } from '../../campaigns/vocabulary.js';
import type { CallingHoursFields, RetryPolicy } from '../../store/campaign-model.js';
import { BlockId, InputId } from '../ids.js';

export interface RulesInitial {
  retry: RetryPolicy;
  calling_hours: CallingHoursFields;
  calls_per_minute: number | null;
  /** For the edit form: the end date as text, e.g. "2026-12-05 18:00". */
  callUntilText?: string;
}

const RETRY_OPTIONS: PlainTextOption[] = [
  { text: { type: 'plain_text', text: 'Busy' }, value: 'busy' },
  { text: { type: 'plain_text', text: 'No answer' }, value: 'no-answer' },
  { text: { type: 'plain_text', text: 'Could not connect' }, value: 'failed' },
];
const EXPONENTIAL: PlainTextOption = { text: { type: 'plain_text', text: 'Double the wait after every attempt' }, value: 'yes' };

const DAY_MS = 86_400_000;

/**
 * Skip dates as people type them, consecutive ones as a range ("2026-12-24..2026-12-31"): a long holiday is stored
 * day by day, and written out one date at a time it would not fit the field, so the edit form could not be saved.
 */
export function skipDatesText(skip: readonly string[]): string {
  const runs: Array<[string, string]> = [];
  for (const date of [...new Set(skip)].sort()) {
    const last = runs.at(-1);
    if (last && Date.parse(date) - Date.parse(last[1]) === DAY_MS) last[1] = date;
    else runs.push([date, date]);
  }
  return runs
    .map(([from, to]) => (from === to ? from : Date.parse(to) - Date.parse(from) === DAY_MS ? `${from}, ${to}` : `${from}..${to}`))
    .join(', ');
}

function text(blockId: string, label: string, initial: string, hint: string, optional = true, maxLength = 200): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: InputId.value, max_length: maxLength, ...(initial ? { initial_value: initial } : {}) },
  };
}

function minutes(blockId: string, label: string, seconds: number): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'number_input',
      action_id: InputId.value,
      is_decimal_allowed: false,
      min_value: '1',
      max_value: String(7 * 24 * 60),
      initial_value: String(Math.max(1, Math.round(seconds / 60))),
    },
  };
}

/** The rules blocks; `withStart` adds the optional start time (the create form). */
export function rulesBlocks(rules: RulesInitial, options: { withStart: boolean }): KnownBlock[] {
  const attempts: PlainTextOption[] = Array.from({ length: MAX_ATTEMPTS_MAX - MAX_ATTEMPTS_MIN + 1 }, (_, i) => {
    const n = MAX_ATTEMPTS_MIN + i;
    return { text: { type: 'plain_text', text: n === 1 ? '1 (no retries)' : String(n) }, value: String(n) };
  });
  const retryOn = RETRY_OPTIONS.filter((o) => rules.retry.on.includes(o.value as RetryPolicy['on'][number]));
  const h = rules.calling_hours;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Rules' } },
    {
      type: 'input',
      block_id: BlockId.retryOn,
      optional: true,
      label: { type: 'plain_text', text: 'Call again when the call was' },
      element: {
        type: 'checkboxes',
        action_id: InputId.value,
        options: RETRY_OPTIONS,
        ...(retryOn.length > 0 ? { initial_options: retryOn as Option[] } : {}),
      },
    },
    {
      type: 'input',
      block_id: BlockId.maxAttempts,
      label: { type: 'plain_text', text: 'Attempts per number, at most' },
      hint: { type: 'plain_text', text: 'The first call and every retry, manual ones included.' },
      element: {
        type: 'static_select',
        action_id: InputId.value,
        options: attempts,
        initial_option: attempts[Math.max(0, rules.retry.max_attempts - MAX_ATTEMPTS_MIN)]!,
      },
    },
    minutes(BlockId.delayBusy, 'Wait after busy (minutes)', rules.retry.delays.busy),
    minutes(BlockId.delayNoAnswer, 'Wait after no answer (minutes)', rules.retry.delays['no-answer']),
    minutes(BlockId.delayFailed, 'Wait after could not connect (minutes)', rules.retry.delays.failed),
    {
      type: 'input',
      block_id: BlockId.exponential,
      optional: true,
      label: { type: 'plain_text', text: 'Backoff' },
      element: {
        type: 'checkboxes',
        action_id: InputId.value,
        options: [EXPONENTIAL],
        ...(rules.retry.exponential ? { initial_options: [EXPONENTIAL] as Option[] } : {}),
      },
    },
    text(
      BlockId.hours,
      'Calling days and hours',
      formatDaysAndHours(h),
      'e.g. Mon-Sat 09:00-20:00. Indian rules allow commercial calls 09:00-21:00.',
      false,
      60,
    ),
    text(BlockId.timeZone, 'Time zone', h.tz, 'An IANA zone, e.g. Asia/Kolkata.', false, 60),
    text(BlockId.skipDates, 'Dates to skip', skipDatesText(h.skip), 'Holidays, e.g. 2026-12-25, 2027-01-26 or 24 Dec..26 Dec.', true, 3000),
  ];
  if (options.withStart) {
    blocks.push(
      text(BlockId.startAt, 'Start at', '', 'Leave empty to start it yourself later. e.g. tomorrow 10:00, 2026-12-01 09:30.', true, 60),
    );
  }
  blocks.push(
    text(
      BlockId.callUntil,
      'Call until',
      rules.callUntilText ?? '',
      'Optional end date: after it nobody is called, not even a retry. e.g. 2026-12-05 18:00.',
      true,
      60,
    ),
    {
      type: 'input',
      block_id: BlockId.pace,
      optional: true,
      label: { type: 'plain_text', text: 'Calls per minute, at most' },
      hint: { type: 'plain_text', text: 'Empty: the account’s pace. Running campaigns share the account’s limit in proportion to these.' },
      element: {
        type: 'number_input',
        action_id: InputId.value,
        is_decimal_allowed: false,
        min_value: String(PACE_MIN),
        max_value: String(PACE_MAX),
        ...(rules.calls_per_minute ? { initial_value: String(rules.calls_per_minute) } : {}),
      },
    },
  );
  return blocks;
}
