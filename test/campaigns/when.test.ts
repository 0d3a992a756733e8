import { describe, expect, it } from 'vitest';
import { CallingHoursError, type Parsed } from '../../src/campaigns/calling-hours.js';
import { parseWhen, type When } from '../../src/campaigns/when.js';

// Sat 2026-06-06 11:30 IST.
const SATURDAY = new Date('2026-06-06T06:00:00Z');

function when(text: string, now = SATURDAY, zone = 'Asia/Kolkata'): { at: string; timeZone: string; description: string } {
  const parsed = parseWhen(text, now, zone);
  if (!parsed.ok) throw new Error(`expected a time, got the problem: ${parsed.problem}`);
  return { ...parsed.value, at: parsed.value.at.toISOString() };
}

/** One sentence for the person who typed it: no line breaks, ends with a full stop. */
function problem(text: string, now = SATURDAY, zone = 'Asia/Kolkata'): string {
  const parsed: Parsed<When> = parseWhen(text, now, zone);
  if (parsed.ok) throw new Error(`expected a problem, got ${parsed.value.at.toISOString()}`);
  expect(parsed.problem).not.toMatch(/\n/);
  expect(parsed.problem).toMatch(/\.$/);
  return parsed.problem;
}

describe('a time of day alone', () => {
  it('is today when it is still ahead, and says so', () => {
    expect(when('12:00')).toEqual({ at: '2026-06-06T06:30:00.000Z', timeZone: 'Asia/Kolkata', description: 'today 12:00 IST' });
  });

  it('is tomorrow when it has passed today, and says so', () => {
    expect(when('10:30')).toEqual({ at: '2026-06-07T05:00:00.000Z', timeZone: 'Asia/Kolkata', description: 'tomorrow 10:30 IST' });
    // The very minute now is has passed too.
    expect(when('11:30').description).toBe('tomorrow 11:30 IST');
  });

  it('accepts am/pm and seconds', () => {
    expect(when('3pm').at).toBe('2026-06-06T09:30:00.000Z');
    expect(when('10:30am').description).toBe('tomorrow 10:30 IST');
    expect(when('12:00:30').at).toBe('2026-06-06T06:30:30.000Z');
  });
});

describe('a day and a time', () => {
  it.each([
    ['tomorrow 10:00', '2026-06-07T04:30:00.000Z', 'tomorrow 10:00 IST'],
    ['Tomorrow 10:00', '2026-06-07T04:30:00.000Z', 'tomorrow 10:00 IST'],
    ['10:00 tomorrow', '2026-06-07T04:30:00.000Z', 'tomorrow 10:00 IST'],
    ['today 18:00', '2026-06-06T12:30:00.000Z', 'today 18:00 IST'],
    ['mon 09:00', '2026-06-08T03:30:00.000Z', 'Mon 09:00 IST'],
    ['Monday 9am', '2026-06-08T03:30:00.000Z', 'Mon 09:00 IST'],
    ['sat 12:00', '2026-06-06T06:30:00.000Z', 'today 12:00 IST'],
    ['sat 11:00', '2026-06-13T05:30:00.000Z', 'Sat 13 Jun 11:00 IST'],
    ['2026-12-01 09:30', '2026-12-01T04:00:00.000Z', 'Tue 1 Dec 09:30 IST'],
    ['2026-12-01T09:30', '2026-12-01T04:00:00.000Z', 'Tue 1 Dec 09:30 IST'],
    ['2027-01-04 09:30', '2027-01-04T04:00:00.000Z', 'Mon 4 Jan 2027 09:30 IST'],
  ])('%j is %s', (text, at, description) => {
    expect(when(text)).toEqual({ at, timeZone: 'Asia/Kolkata', description });
  });
});

describe('an ISO time with an offset', () => {
  it('is that instant, shown in the default zone', () => {
    expect(when('2026-12-01T09:30:00+05:30')).toMatchObject({ at: '2026-12-01T04:00:00.000Z', timeZone: 'Asia/Kolkata' });
    expect(when('2026-12-01T04:00Z', SATURDAY, 'Europe/London')).toEqual({
      at: '2026-12-01T04:00:00.000Z',
      timeZone: 'Europe/London',
      description: 'Tue 1 Dec 04:00 GMT',
    });
  });

  it('is shown in a trailing zone when one is typed', () => {
    expect(when('2026-12-01T09:30:00+05:30 UTC')).toMatchObject({ at: '2026-12-01T04:00:00.000Z', timeZone: 'UTC' });
  });
});

describe('a trailing zone', () => {
  it.each([
    ['10:30 IST', 'Europe/London', '2026-06-07T05:00:00.000Z', 'Asia/Kolkata'],
    ['10:30 Asia/Kolkata', 'Europe/London', '2026-06-07T05:00:00.000Z', 'Asia/Kolkata'],
    ['10:30 UTC', 'Asia/Kolkata', '2026-06-06T10:30:00.000Z', 'UTC'],
    ['10:30 utc', 'Asia/Kolkata', '2026-06-06T10:30:00.000Z', 'UTC'],
    ['tomorrow 10:30 America/New_York', 'Asia/Kolkata', '2026-06-07T14:30:00.000Z', 'America/New_York'],
    // The default zone's names in either season mean the default zone.
    ['10:30 EDT', 'America/New_York', '2026-06-06T14:30:00.000Z', 'America/New_York'],
    ['10:30 EST', 'America/New_York', '2026-06-06T14:30:00.000Z', 'America/New_York'],
    ['10:30 BST', 'Europe/London', '2026-06-06T09:30:00.000Z', 'Europe/London'],
  ])('%j (default %s) is %s in %s', (text, zone, at, timeZone) => {
    expect(when(text, SATURDAY, zone)).toMatchObject({ at, timeZone });
  });
});

describe('DST', () => {
  // New York: 2026-03-08 02:00 EST → 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT → 01:00 EST (06:00Z).
  const springNight = new Date('2026-03-08T05:00:00Z'); // 00:00 EST
  const fallNight = new Date('2026-11-01T04:00:00Z'); // 00:00 EDT

  it('refuses a local time the clocks skip', () => {
    expect(problem('02:30', springNight, 'America/New_York')).toBe(
      '2026-03-08 02:30 does not exist in America/New_York: the clocks go forward over it; pick another time, e.g. an hour later.',
    );
    expect(problem('2027-03-28 01:30', SATURDAY, 'Europe/London')).toMatch(/does not exist in Europe\/London/);
  });

  it('takes tomorrow for a skipped time of day typed after the jump', () => {
    // 10:00 EDT on the spring-forward day.
    expect(when('02:30', new Date('2026-03-08T14:00:00Z'), 'America/New_York')).toMatchObject({
      at: '2026-03-09T06:30:00.000Z',
      description: 'tomorrow 02:30 EDT',
    });
  });

  it('takes the earlier instant of a local time the clocks show twice', () => {
    expect(when('2026-11-01 01:30', fallNight, 'America/New_York')).toMatchObject({
      at: '2026-11-01T05:30:00.000Z',
      description: 'today 01:30 EDT',
    });
    expect(when('2026-10-25 01:30', SATURDAY, 'Europe/London').at).toBe('2026-10-25T00:30:00.000Z');
  });

  it('takes the later instant when the earlier has passed', () => {
    // 01:15 EST, the second time through.
    const secondPass = new Date('2026-11-01T06:15:00Z');
    expect(when('01:30', secondPass, 'America/New_York')).toMatchObject({ at: '2026-11-01T06:30:00.000Z', description: 'today 01:30 EST' });
  });

  it('reads a day after a switch with that day’s offset', () => {
    expect(when('mon 09:00', springNight, 'America/New_York').at).toBe('2026-03-09T13:00:00.000Z');
    expect(when('tomorrow 09:00', fallNight, 'America/New_York').at).toBe('2026-11-02T14:00:00.000Z');
  });
});

describe('problems', () => {
  const EXAMPLES = '10:30, tomorrow 10:00, mon 09:00, 2026-12-01 09:30 or 2026-12-01T09:30:00+05:30';

  it.each([
    '',
    'hello',
    '10',
    'tomorrow',
    '25:00',
    '24:00',
    '10:61',
    'mon tue 10:00',
    'next mon 10:00',
    '2026-02-30 10:00',
    '10:30 Mars/Base',
    '10:30 PST',
    'soon 10:30',
  ])('cannot read %j, and shows what works', (text) => {
    expect(problem(text)).toBe(`Could not read "${text}" as a time; write it like ${EXAMPLES}.`);
  });

  it.each([
    ['today 10:00', '"today 10:00" is in the past (it is now 11:30 IST); give a later time, e.g. tomorrow 09:00.'],
    ['2026-06-01 10:00', '"2026-06-01 10:00" is in the past (it is now 11:30 IST); give a later time, e.g. tomorrow 09:00.'],
    ['2026-06-06T05:59:59Z', '"2026-06-06T05:59:59Z" is in the past (it is now 11:30 IST); give a later time, e.g. tomorrow 09:00.'],
    ['2026-06-06T06:00:00Z', '"2026-06-06T06:00:00Z" is in the past (it is now 11:30 IST); give a later time, e.g. tomorrow 09:00.'],
  ])('refuses %j, which has passed', (text, sentence) => {
    expect(problem(text)).toBe(sentence);
  });

  it('accepts a time one second ahead', () => {
    expect(when('2026-06-06T06:00:01Z').at).toBe('2026-06-06T06:00:01.000Z');
  });

  it('throws on a default zone that is not one (a program error)', () => {
    expect(() => parseWhen('10:30', SATURDAY, 'IST')).toThrow(CallingHoursError);
  });
});
