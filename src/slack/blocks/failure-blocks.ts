import type { Outcome } from '../../campaigns/vocabulary.js';
import { escapeText, formatPhone, truncate, type ShowPhone } from './format.js';

/** A number finally not reached, as the thread shows it. */
export interface FailureItem {
  phone: string;
  name: string;
  outcome: Outcome;
  reason: string | null;
  /** The attempt it ended on. */
  try: number;
}

const REASON: Record<string, string> = {
  busy: 'busy',
  'no-answer': 'no answer',
  failed: 'could not connect',
  canceled: 'canceled',
};

/** One line per number not reached: number, name, reason, attempt. */
export function failureLine(f: FailureItem, show: ShowPhone = formatPhone): string {
  const reason = REASON[f.outcome] ?? f.outcome;
  const detail = f.reason && f.outcome !== 'busy' && f.outcome !== 'no-answer' ? ` — ${escapeText(truncate(f.reason, 200))}` : '';
  const name = f.name ? ` · ${escapeText(truncate(f.name, 60))}` : '';
  return `• ${show(f.phone)}${name} · *${reason}*${detail} · attempt ${Math.max(f.try, 1)}`;
}

/** A thread reply listing numbers not reached, within Slack's text limit; `count` says how many it holds. */
export function failureReply(failures: readonly FailureItem[], show: ShowPhone = formatPhone): { text: string; count: number } {
  const lines: string[] = [];
  let size = 0;
  for (const f of failures) {
    const line = failureLine(f, show);
    if (size + line.length + 1 > 3900) break;
    lines.push(line);
    size += line.length + 1;
  }
  return { text: lines.join('\n'), count: lines.length };
}
