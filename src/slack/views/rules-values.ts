// Reads the rules part of the create and edit forms (blocks/rules-blocks.ts) back into campaign rules, with one
// sentence per bad field for Slack to show inline (`response_action: errors`).
import type { ViewSubmitAction } from '@slack/bolt';
import { isTimeZone, parseDaysAndHours, parseSkipDates } from '../../campaigns/calling-hours.js';
import { fieldsOf } from '../../campaigns/campaign-hours.js';
import { RETRY_OUTCOMES, type RetryOutcome } from '../../campaigns/vocabulary.js';
import { parseWhen } from '../../campaigns/when.js';
import type { CallingHoursFields, RetryPolicy } from '../../store/campaign-model.js';
import { BlockId, InputId } from '../ids.js';

type Values = ViewSubmitAction['view']['state']['values'];

export interface RulesInput {
  retry: RetryPolicy;
  calling_hours: CallingHoursFields;
  call_until: Date | null;
  calls_per_minute: number | null;
  /** The start time asked for (create form), or null. */
  startAt: Date | null;
}

export type RulesResult = { ok: true; rules: RulesInput } | { ok: false; errors: Record<string, string> };

function value(values: Values, block: string): string {
  return (values[block]?.[InputId.value]?.value ?? '').trim();
}

function selected(values: Values, block: string): string[] {
  const input = values[block]?.[InputId.value] as
    | { selected_options?: Array<{ value: string }>; selected_option?: { value: string } }
    | undefined;
  if (input?.selected_options) return input.selected_options.map((o) => o.value);
  return input?.selected_option ? [input.selected_option.value] : [];
}

function wholeMinutes(values: Values, block: string, errors: Record<string, string>): number {
  const raw = value(values, block);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 7 * 24 * 60) {
    errors[block] = 'Give a whole number of minutes from 1 to 10080 (a week).';
    return 1;
  }
  return n;
}

/** The rules as typed; `now` reads start and end times, which must lie ahead. */
export function readRules(values: Values, now: Date): RulesResult {
  const errors: Record<string, string> = {};
  const on = selected(values, BlockId.retryOn).filter((o): o is RetryOutcome => (RETRY_OUTCOMES as readonly string[]).includes(o));
  const maxAttempts = Number(selected(values, BlockId.maxAttempts)[0] ?? 1);
  const retry: RetryPolicy = {
    on,
    max_attempts: Number.isInteger(maxAttempts) && maxAttempts >= 1 ? maxAttempts : 1,
    delays: {
      busy: wholeMinutes(values, BlockId.delayBusy, errors) * 60,
      'no-answer': wholeMinutes(values, BlockId.delayNoAnswer, errors) * 60,
      failed: wholeMinutes(values, BlockId.delayFailed, errors) * 60,
    },
    exponential: selected(values, BlockId.exponential).includes('yes'),
  };
  if (on.length > 0 && retry.max_attempts === 1)
    errors[BlockId.maxAttempts] = 'Retries need at least 2 attempts; choose 2 or more, or untick every outcome above.';

  const zone = value(values, BlockId.timeZone) || 'Asia/Kolkata';
  if (!isTimeZone(zone))
    errors[BlockId.timeZone] = `"${zone.slice(0, 40)}" is not a time zone I know. Use an IANA name such as Asia/Kolkata or Asia/Dubai.`;
  const daysAndHours = parseDaysAndHours(value(values, BlockId.hours));
  if (!daysAndHours.ok) errors[BlockId.hours] = daysAndHours.problem;
  else if (daysAndHours.value.days.size === 0) errors[BlockId.hours] = 'Choose at least one calling day, e.g. Mon-Sat 09:00-20:00.';
  const skip = parseSkipDates(value(values, BlockId.skipDates), isTimeZone(zone) ? zone : 'Asia/Kolkata', now);
  if (!skip.ok) errors[BlockId.skipDates] = skip.problem;

  const when = (block: string, what: string): Date | null => {
    const text = value(values, block);
    if (!text) return null;
    const parsed = parseWhen(text, now, isTimeZone(zone) ? zone : 'Asia/Kolkata');
    if (!parsed.ok) {
      errors[block] = `${what}: ${parsed.problem}`;
      return null;
    }
    return parsed.value.at;
  };
  const startAt = when(BlockId.startAt, 'Start at');
  const callUntil = when(BlockId.callUntil, 'Call until');
  if (startAt && callUntil && callUntil <= startAt) errors[BlockId.callUntil] = 'The end date must come after the start.';

  const paceText = value(values, BlockId.pace);
  const pace = paceText ? Number(paceText) : null;
  if (pace !== null && (!Number.isInteger(pace) || pace < 1 || pace > 1000))
    errors[BlockId.pace] = 'Use a whole number of calls per minute from 1 to 1000, or leave it empty.';

  if (Object.keys(errors).length > 0 || !daysAndHours.ok || !skip.ok) return { ok: false, errors };
  const hours = fieldsOf({ ...daysAndHours.value, timeZone: zone, skipDates: skip.value });
  return { ok: true, rules: { retry, calling_hours: hours, call_until: callUntil, calls_per_minute: pace, startAt } };
}
