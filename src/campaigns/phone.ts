import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Result of {@link normalizePhone}: the number as `91XXXXXXXXXX` (12 digits, no plus), or a sentence a user can act on.
 * Reasons never repeat the number itself, so they can be logged and shown in Slack without leaking it.
 */
export type NormalizedPhone = { ok: true; phone: string } | { ok: false; reason: string };

const INDIA_CALLING_CODE = '91';
const NATIONAL_LENGTH = 10;
const ALLOWED_PUNCTUATION = /^[\d\s\-.()+]*$/;

/**
 * Turns what people type or paste for an Indian mobile number into one canonical form.
 *
 * Accepted: `9876543210`, `09876543210`, `919876543210`, `+919876543210`, `0091 98765 43210`, with any spaces, dashes,
 * dots and brackets. The full metadata build of libphonenumber is used because only it knows which Indian ranges are
 * landlines (`080 2345 6789` has a mobile-looking leading 8 once the trunk 0 is dropped).
 */
export function normalizePhone(input: string): NormalizedPhone {
  const trimmed = input.trim();
  if (trimmed === '') return fail('The phone number is empty.');
  if (/\p{L}/u.test(trimmed)) return fail('The phone number contains letters; use digits only.');
  if (!ALLOWED_PUNCTUATION.test(trimmed)) {
    return fail('The phone number contains characters other than digits, spaces, dashes, dots and brackets.');
  }
  // `(+91) 98765 43210` is common, so a plus may follow opening brackets but nothing else.
  const plusAt = trimmed.replace(/^[\s(]+/, '');
  if (plusAt.lastIndexOf('+') > 0) return fail('The phone number has a plus sign that is not at the start.');

  const digits = trimmed.replace(/\D/g, '');
  if (digits === '') return fail('The phone number has no digits.');

  const international = plusAt.startsWith('+') ? digits : digits.startsWith('00') ? digits.slice(2) : undefined;
  let national: string;
  if (international !== undefined) {
    if (!international.startsWith(INDIA_CALLING_CODE)) return fail(notIndian(international));
    national = international.slice(INDIA_CALLING_CODE.length);
  } else if (digits.startsWith('0')) {
    national = digits.slice(1);
  } else if (digits.length === 12 && digits.startsWith(INDIA_CALLING_CODE)) {
    national = digits.slice(2);
  } else {
    national = digits;
  }

  if (national.length < NATIONAL_LENGTH) {
    return fail(`The phone number is too short: an Indian mobile number has 10 digits, this one has ${national.length}.`);
  }
  if (national.length > NATIONAL_LENGTH) {
    return fail(`The phone number is too long: an Indian mobile number has 10 digits, this one has ${national.length}.`);
  }
  if (!/^[6-9]/.test(national)) {
    return fail('The phone number is not a mobile number: Indian mobile numbers start with 6, 7, 8 or 9.');
  }

  const type = parsePhoneNumberFromString(`+${INDIA_CALLING_CODE}${national}`)?.getType();
  if (type === 'FIXED_LINE') return fail('The phone number is an Indian landline, not a mobile number.');
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') {
    return fail('The phone number is not a valid Indian mobile number: no mobile numbers are issued in its range.');
  }
  return { ok: true, phone: `${INDIA_CALLING_CODE}${national}` };
}

/** Hides all but the last 4 digits (`••••••••3210`) so a number can appear in logs and Slack without identifying anyone. */
export function maskPhone(phone: string): string {
  const visible = 4;
  if (phone.length <= visible) return '•'.repeat(phone.length);
  return '•'.repeat(phone.length - visible) + phone.slice(-visible);
}

/**
 * Reduces the forms Exotel echoes (`09876543210`, `+919876543210`, `919876543210`, `9876543210`) to `91XXXXXXXXXX`.
 * Unlike {@link normalizePhone} it does not judge the number (landlines and foreign numbers are compared as digits),
 * because it is used to match what Exotel reports against what was sent, not to validate input.
 */
export function comparablePhone(x: string): string {
  let digits = x.replace(/\D/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  else if (digits.length === 11 && digits.startsWith('0')) digits = digits.slice(1);
  if (digits.length === NATIONAL_LENGTH) return `${INDIA_CALLING_CODE}${digits}`;
  return digits;
}

/** True when both strings denote the same number in any of the forms {@link comparablePhone} understands. */
export function phonesEqual(a: string, b: string): boolean {
  const left = comparablePhone(a);
  return left !== '' && left === comparablePhone(b);
}

function fail(reason: string): NormalizedPhone {
  return { ok: false, reason };
}

function notIndian(internationalDigits: string): string {
  const parsed = parsePhoneNumberFromString(`+${internationalDigits}`);
  const code = parsed?.countryCallingCode;
  return code
    ? `The phone number is not an Indian number (its country code is +${code}); only Indian (+91) numbers can be called.`
    : 'The phone number is not an Indian number: only Indian (+91) numbers can be called.';
}
