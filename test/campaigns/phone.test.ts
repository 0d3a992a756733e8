import { describe, it, expect } from 'vitest';
import { comparablePhone, maskPhone, normalizePhone, phonesEqual } from '../../src/campaigns/phone.js';

describe('normalizePhone accepts every Indian mobile form', () => {
  const accepted: Array<[string, string]> = [
    ['9876543210', '10 digits'],
    ['09876543210', 'trunk 0 prefix'],
    ['919876543210', '91 prefix without plus'],
    ['+919876543210', '+91'],
    ['+91 98765 43210', '+91 with spaces'],
    ['+91-98765-43210', '+91 with dashes'],
    ['98765.43210', 'dots'],
    ['(98765) 43210', 'brackets'],
    ['(+91) 98765-432.10', 'brackets, dashes and dots mixed'],
    ['0091 98765 43210', '00 international prefix'],
    ['  9876543210  ', 'surrounding whitespace'],
    ['098765 43210', '0 prefix with space'],
    ['91 98765 43210', '91 prefix with space'],
  ];
  it.each(accepted)('%s (%s)', (input) => {
    expect(normalizePhone(input)).toEqual({ ok: true, phone: '919876543210' });
  });

  it.each(['6912345678', '7000000000', '8123456789', '9000000001'])('mobile series starting %s', (input) => {
    expect(normalizePhone(input)).toEqual({ ok: true, phone: `91${input}` });
  });
});

describe('normalizePhone rejects with a reason', () => {
  const rejected: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['98765abcde', /contains letters/],
    ['call me', /contains letters/],
    ['98765#43210', /characters other than digits/],
    ['98765+43210', /plus sign/],
    ['---', /no digits/],
    ['98765', /too short.*has 5/],
    ['+91 98765', /too short/],
    ['0987654321', /too short/],
    ['98765432101', /too long.*has 11/],
    ['9876543210123', /too long/],
    ['+91 98765 432101', /too long/],
    ['+1 415 555 2671', /not an Indian number.*\+1\b/],
    ['+44 7911 123456', /not an Indian number.*\+44/],
    ['0044 7911 123456', /not an Indian number/],
    ['080 2345 6789', /landline/],
    ['+91 80 2345 6789', /landline/],
    ['5876543210', /not a mobile number.*6, 7, 8 or 9/],
    ['1800 123 456', /not a mobile number/],
  ];
  it.each(rejected)('%j', (input, reason) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.reason).toMatch(/^The phone number .*\.$/);
    }
  });

  it('never repeats the number in the reason', () => {
    const result = normalizePhone('+1 415 555 2671');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toContain('415');
  });
});

describe('maskPhone', () => {
  it('shows only the last 4 digits', () => {
    expect(maskPhone('919876543210')).toBe('••••••••3210');
  });
  it('hides short input entirely', () => {
    expect(maskPhone('3210')).toBe('••••');
    expect(maskPhone('')).toBe('');
  });
});

describe('comparablePhone and phonesEqual', () => {
  it.each(['09876543210', '+919876543210', '919876543210', '9876543210', '+91 98765-43210', '0091 9876543210'])(
    '%s compares as 919876543210',
    (form) => {
      expect(comparablePhone(form)).toBe('919876543210');
      expect(phonesEqual(form, '919876543210')).toBe(true);
    },
  );
  it('tells different numbers apart', () => {
    expect(phonesEqual('09876543210', '919876543211')).toBe(false);
  });
  it('never treats two empty values as equal', () => {
    expect(phonesEqual('', '')).toBe(false);
    expect(phonesEqual('n/a', '')).toBe(false);
  });
});
