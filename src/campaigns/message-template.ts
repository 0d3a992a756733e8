// A campaign's per-person message: a template such as `Namaste {name}, your EMI of Rs {amount} is due on {due_date}.`
// read out to each contact by Exotel's Greeting applet (text-to-speech). Placeholders are `{name}`, `{description}`,
// `{number}` and the keys of the extra CSV columns the campaign's contacts carry. Decisions:
// - A placeholder is written as the column's header or its key: `{Due Date}` and `{due_date}` are the same column
//   (both go through `columnKey()`, as the CSV headers did). The built-in names win over a column of the same key.
// - `{number}` is the last four digits only, spaced so they are read one by one ("3 2 1 0"): a full number is never
//   read out, in case the wrong person picked up.
// - A missing value renders as nothing, and the text is tidied around the gap ("Namaste , your" → "Namaste, your"):
//   text-to-speech never reads "undefined" nor a stand-in word that might be mistaken for the value.
// - What is read is plain text: markup characters, braces, control characters, emoji and URLs (a body that looks like
//   a URL would make Exotel play it as audio) are removed; `&` becomes "and"; `₹` becomes "Rs". It is cut, at a word,
//   to MAX_SPOKEN_LENGTH characters.
import type { ContactFields } from '../store/contact-model.js';
import { columnKey } from './contacts-import.js';

/** Longest template a campaign may have (the campaign model's limit too). */
export const MAX_TEMPLATE_LENGTH = 1000;
/** Longest text handed to Exotel for one call: long values (a 500-character description) must not run on for minutes. */
export const MAX_SPOKEN_LENGTH = 1000;
/** Placeholders every contact has, whatever its list's columns. */
export const BUILT_IN_PLACEHOLDERS = ['name', 'description', 'number'] as const;

export type TemplateCheck = { ok: true } | { ok: false; problem: string };

/** What a template is rendered from: a contact's own fields. */
export type TemplateContact = Pick<ContactFields, 'phone' | 'name' | 'description' | 'fields'>;

type Piece = { text: string } | { placeholder: string; typed: string };

/** Splits a template into text and placeholders, or says where its braces do not pair up. */
function parse(template: string): Piece[] | { problem: string } {
  const pieces: Piece[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{', at);
    const close = template.indexOf('}', at);
    if (close !== -1 && (open === -1 || close < open)) {
      return { problem: `The message has a } with no { before it (near “${near(template, close)}”).` };
    }
    if (open === -1) {
      pieces.push({ text: template.slice(at) });
      break;
    }
    const nextOpen = template.indexOf('{', open + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      return { problem: `The message has a { that is not closed with } (near “${near(template, open)}”).` };
    }
    if (open > at) pieces.push({ text: template.slice(at, open) });
    const typed = template.slice(open + 1, close);
    if (columnKey(typed) === '')
      return {
        problem: `The message has an empty placeholder (near “${near(template, open)}”); write a name inside the braces, like {name}.`,
      };
    pieces.push({ placeholder: columnKey(typed), typed });
    at = close + 1;
  }
  return pieces;
}

function near(template: string, index: number): string {
  return template
    .slice(Math.max(0, index - 10), index + 15)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Checks a template against the extra columns of the campaign's contacts (their keys, as `campaign.columns` lists
 * them). The problem is one sentence a person can act on: the unknown placeholders and the ones that exist.
 */
export function checkTemplate(template: string, columns: readonly string[]): TemplateCheck {
  if (template.trim() === '')
    return { ok: false, problem: 'The message is empty; write what the call should say, or leave the message out.' };
  if (template.length > MAX_TEMPLATE_LENGTH) {
    return { ok: false, problem: `The message is ${template.length} characters long; the limit is ${MAX_TEMPLATE_LENGTH}.` };
  }
  const pieces = parse(template);
  if (!Array.isArray(pieces)) return { ok: false, problem: pieces.problem };
  const known = new Set<string>([...BUILT_IN_PLACEHOLDERS, ...columns]);
  const unknown = [...new Set(pieces.flatMap((p) => ('placeholder' in p && !known.has(p.placeholder) ? [`{${p.typed.trim()}}`] : [])))];
  if (unknown.length === 0) return { ok: true };
  const builtIn = BUILT_IN_PLACEHOLDERS.map((p) => `{${p}}`);
  const these = unknown.length === 1 ? `${unknown[0]} is not a column` : `${joinAnd(unknown)} are not columns`;
  const choices =
    columns.length > 0
      ? `use ${builtIn.join(', ')} or one of its columns: ${columns.map((c) => `{${c}}`).join(', ')}`
      : `it has no other columns, so use ${joinOr(builtIn)}`;
  return { ok: false, problem: `In the message, ${these} of this campaign's contact list; ${choices}.` };
}

function joinAnd(items: readonly string[], word = 'and'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`;
}

function joinOr(items: readonly string[]): string {
  return joinAnd(items, 'or');
}

/** The last four digits of a number, spaced so text-to-speech reads them one by one. */
function lastFour(phone: string): string {
  return phone.replace(/\D/g, '').slice(-4).split('').join(' ');
}

function placeholderValue(placeholder: string, contact: TemplateContact): string {
  if (placeholder === 'name') return contact.name ?? '';
  if (placeholder === 'description') return contact.description ?? '';
  if (placeholder === 'number') return lastFour(contact.phone ?? '');
  const value = contact.fields?.[placeholder];
  return typeof value === 'string' ? value : '';
}

/**
 * The text Exotel reads to this contact: placeholders replaced by the contact's values, made plain (see the top of
 * this file). A template that fails {@link checkTemplate} still renders: unpaired braces are dropped, unknown
 * placeholders render as nothing. Returns '' when nothing readable is left.
 */
export function renderTemplate(template: string, contact: TemplateContact): string {
  const pieces = parse(template);
  if (!Array.isArray(pieces)) return spoken(template);
  return spoken(pieces.map((p) => ('text' in p ? p.text : placeholderValue(p.placeholder, contact))).join(''));
}

// Characters text-to-speech should never see: controls, private and unassigned code points, markup and template
// syntax, and pictographs (emoji). Invisible formatting (zero-width joiners inside Indic words, soft hyphens) is
// removed without a space so words stay whole.
const DROPPED = /[\p{Cc}\p{Co}\p{Cn}<>{}[\]\\|^~`_\p{Extended_Pictographic}]/gu;
const INVISIBLE = /\p{Cf}/gu;

/** Text made plain, before spaces and punctuation are tidied. */
function plain(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S*/gi, ' ')
    .replace(/₹/g, ' Rs ')
    .replace(/&/g, ' and ')
    .replace(INVISIBLE, '')
    .replace(/[\t\n\r\f\v\u2028\u2029]/g, ' ')
    .replace(DROPPED, ' ');
}

function spoken(text: string): string {
  const tidy = plain(text)
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:!?])/g, '$1')
    .replace(/([,;:])(\s*[,;:])+/g, '$1')
    .replace(/^[\s,.;:!?]+/, '')
    .trim();
  if (tidy.length <= MAX_SPOKEN_LENGTH) return tidy;
  const cut = tidy.slice(0, MAX_SPOKEN_LENGTH + 1);
  const space = cut.lastIndexOf(' ');
  return (space > MAX_SPOKEN_LENGTH / 2 ? cut.slice(0, space) : cut.slice(0, MAX_SPOKEN_LENGTH)).trim();
}
