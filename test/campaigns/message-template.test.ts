// Message templates: what a campaign's creator is told about a template, and what each person hears.
import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  MAX_SPOKEN_LENGTH,
  MAX_TEMPLATE_LENGTH,
  renderTemplate,
  type TemplateContact,
} from '../../src/campaigns/message-template.js';

const EMI = 'Namaste {name}, your EMI of Rs {amount} is due on {due_date}. Press 1 if you have paid.';
const asha: TemplateContact = {
  phone: '919876543210',
  name: 'Asha',
  description: 'Loan LN-42',
  fields: { amount: '4,500', due_date: '5 December', loan_id: 'LN42' },
};

describe('checkTemplate', () => {
  it('accepts built-in placeholders and the campaign’s columns, written as keys or as headers', () => {
    expect(checkTemplate(EMI, ['amount', 'due_date'])).toEqual({ ok: true });
    expect(checkTemplate('Hello {Name}, {Due Date} is the day. {description} {number}', ['due_date'])).toEqual({ ok: true });
    expect(checkTemplate('No placeholders at all.', [])).toEqual({ ok: true });
  });

  it('names every unknown placeholder once, and the columns that exist, in one sentence', () => {
    const result = checkTemplate('Hi {name}, pay {amnt} by {duedate} ({amnt}).', ['amount', 'due_date']);
    expect(result).toEqual({
      ok: false,
      problem:
        "In the message, {amnt} and {duedate} are not columns of this campaign's contact list; use {name}, {description}, {number} or one of its columns: {amount}, {due_date}.",
    });
    expect(checkTemplate('Pay {amount}.', [])).toEqual({
      ok: false,
      problem:
        "In the message, {amount} is not a column of this campaign's contact list; it has no other columns, so use {name}, {description} or {number}.",
    });
  });

  it('refuses unbalanced braces and empty placeholders, saying where', () => {
    expect(checkTemplate('Hello {name, your EMI is due.', [])).toMatchObject({
      ok: false,
      problem: expect.stringContaining('{ that is not closed'),
    });
    expect(checkTemplate('Hello {name} }', [])).toMatchObject({ ok: false, problem: expect.stringContaining('} with no {') });
    expect(checkTemplate('Hello {na{me}}', [])).toMatchObject({ ok: false, problem: expect.stringContaining('not closed') });
    expect(checkTemplate('Hello {  }', [])).toMatchObject({ ok: false, problem: expect.stringContaining('empty placeholder') });
    const problem = (checkTemplate('Your EMI of Rs {amount is due on {due_date}.', ['amount', 'due_date']) as { problem: string }).problem;
    expect(problem).toBe('The message has a { that is not closed with } (near “EMI of Rs {amount is due”).');
  });

  it('refuses an empty template and one over the length limit', () => {
    expect(checkTemplate('  \n', [])).toMatchObject({ ok: false, problem: expect.stringContaining('empty') });
    expect(checkTemplate('a'.repeat(MAX_TEMPLATE_LENGTH), [])).toEqual({ ok: true });
    expect(checkTemplate('a'.repeat(MAX_TEMPLATE_LENGTH + 1), [])).toEqual({
      ok: false,
      problem: `The message is ${MAX_TEMPLATE_LENGTH + 1} characters long; the limit is ${MAX_TEMPLATE_LENGTH}.`,
    });
  });
});

describe('renderTemplate', () => {
  it('fills the contact’s values', () => {
    expect(renderTemplate(EMI, asha)).toBe('Namaste Asha, your EMI of Rs 4,500 is due on 5 December. Press 1 if you have paid.');
    expect(renderTemplate('{description} ({loan_id}), {Due Date}', asha)).toBe('Loan LN-42 (LN42), 5 December');
  });

  it('reads only the last four digits of the number, one by one', () => {
    const text = renderTemplate('This call is for the number ending {number}.', asha);
    expect(text).toBe('This call is for the number ending 3 2 1 0.');
    expect(text).not.toContain('9876');
  });

  it('renders a missing value as nothing, tidily, and never as "undefined"', () => {
    const bare: TemplateContact = { phone: '919876543210', name: '', description: '', fields: {} };
    const text = renderTemplate(EMI, bare);
    expect(text).toBe('Namaste, your EMI of Rs is due on. Press 1 if you have paid.');
    expect(renderTemplate('{name}, hello {unknown_column}.', bare)).toBe('hello.');
    expect(renderTemplate('{amount}', { ...bare, fields: { amount: undefined as unknown as string } })).toBe('');
  });

  it('makes the text plain for text-to-speech', () => {
    const contact: TemplateContact = {
      phone: '919876543210',
      name: 'Asha <b>Rao</b> 🙂',
      description: 'see https://evil.example/a.mp3 now',
      fields: { amount: '₹4,500', note: 'line one\nline two\ttab\u0007bell', brace: '{name}' },
    };
    const text = renderTemplate('{name} & co: {amount}. {description}. {note} {brace}', contact);
    expect(text).toBe('Asha b Rao /b and co: Rs 4,500. see now. line one line two tab bell name');
    for (const bad of ['<', '>', '{', '}', '://', '🙂', '\n', '\u0007']) expect(text).not.toContain(bad);
  });

  it('never starts with a URL, so Exotel cannot take the text for an audio file', () => {
    expect(renderTemplate('{description}', { ...asha, description: 'http://example.com/x.wav' })).toBe('');
  });

  it('keeps Indic words whole (zero-width joiners removed without a space)', () => {
    expect(renderTemplate('नमस्ते {name}', { ...asha, name: 'क्\u200Dष' })).toBe('नमस्ते क्ष');
  });

  it('cuts a long text at a word, within the spoken limit', () => {
    const text = renderTemplate('{description}', { ...asha, description: 'word '.repeat(400) });
    expect(text.length).toBeLessThanOrEqual(MAX_SPOKEN_LENGTH);
    expect(text.length).toBeGreaterThan(MAX_SPOKEN_LENGTH - 10);
    expect(text.endsWith('word')).toBe(true);
  });

  it('still renders an unchecked template with unbalanced braces, dropping them', () => {
    expect(renderTemplate('Hello {name, bye', asha)).toBe('Hello name, bye');
    expect(renderTemplate('Hello} {name}', asha)).toBe('Hello name');
    // Balanced but unknown: nothing.
    expect(renderTemplate('Hello {name, bye}', asha)).toBe('Hello');
  });
});
