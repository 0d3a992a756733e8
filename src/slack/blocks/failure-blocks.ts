import type { ContactFields } from '../../store/contact-model.js';
import { escapeText, formatPhone, truncate } from './format.js';

const REASON: Record<string, string> = {
  busy: 'busy',
  'no-answer': 'no answer',
  failed: 'failed',
  canceled: 'canceled',
  unknown: 'not known yet: Exotel could not be asked',
};

/** One line per number that did not connect: number, name, reason, attempt. */
export function failureLine(contact: Pick<ContactFields, 'phone' | 'name' | 'call_status' | 'call_error' | 'attempts'>): string {
  const reason = REASON[contact.call_status] ?? contact.call_status;
  const detail = contact.call_error && contact.call_status !== 'busy' && contact.call_status !== 'no-answer' ? ` — ${escapeText(truncate(contact.call_error, 200))}` : '';
  const name = contact.name ? ` · ${escapeText(truncate(contact.name, 60))}` : '';
  return `• ${formatPhone(contact.phone)}${name} · *${reason}*${detail} · attempt ${Math.max(contact.attempts, 1)}`;
}

/** A thread reply listing failures, within Slack's text limit; `count` says how many contacts it holds. */
export function failureReply(
  contacts: ReadonlyArray<Pick<ContactFields, 'phone' | 'name' | 'call_status' | 'call_error' | 'attempts'>>,
): { text: string; count: number } {
  const lines: string[] = [];
  let size = 0;
  for (const c of contacts) {
    const line = failureLine(c);
    if (size + line.length + 1 > 3900) break;
    lines.push(line);
    size += line.length + 1;
  }
  return { text: lines.join('\n'), count: lines.length };
}
