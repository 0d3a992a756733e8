import { describe, expect, it } from 'vitest';
import {
  CallingHoursError,
  describeHours,
  describeMoment,
  hoursStatus,
  isTimeZone,
  parseDays,
  parseDaysAndHours,
  parseHours,
  parseSkipDates,
  type CallingHours,
  type Parsed,
  type Weekday,
} from '../../src/campaigns/calling-hours.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7] as const;
const MON_SAT = [1, 2, 3, 4, 5, 6] as const;
const MON_FRI = [1, 2, 3, 4, 5] as const;

function hours(timeZone: string, window: string, days: readonly Weekday[] = EVERY_DAY, skip: string[] = []): CallingHours {
  const parsed = parseHours(window);
  if (!parsed.ok) throw new Error(parsed.problem);
  return { ...parsed.value, days: new Set(days), timeZone, skipDates: new Set(skip) };
}

function status(now: string, calling: CallingHours): { open: boolean; changesAt: string | null } {
  const s = hoursStatus(new Date(now), calling);
  return { open: s.open, changesAt: s.changesAt?.toISOString() ?? null };
}

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected a value, got the problem: ${parsed.problem}`);
  return parsed.value;
}

/** One sentence, for a person: no line breaks, ends with a full stop, names an example that works. */
function problemOf<T>(parsed: Parsed<T>): string {
  if (parsed.ok) throw new Error(`expected a problem, got ${JSON.stringify(parsed.value)}`);
  expect(parsed.problem).not.toMatch(/\n/);
  expect(parsed.problem).toMatch(/\.$/);
  expect(parsed.problem).toMatch(/e\.g\.|like /);
  return parsed.problem;
}

const sorted = (set: ReadonlySet<number | string>) => [...set].sort();

describe('parseHours', () => {
  it.each([
    ['09:00-21:00', 540, 1260],
    ['9:00–20:30', 540, 1230],
    ['9-21', 540, 1260],
    [' 09:00 - 21:00 ', 540, 1260],
    ['9am to 8:30pm', 540, 1230],
    ['12am-12pm', 0, 720],
    ['00:00-24:00', 0, 1440],
  ])('reads %j', (text, startMinute, endMinute) => {
    expect(value(parseHours(text))).toEqual({ startMinute, endMinute });
  });

  it.each([
    ['', /No calling hours/],
    ['09:00', /"09:00" is not a range of hours/],
    ['9-21-22', /not a range of hours/],
    ['25:00-26:00', /"25:00" in "25:00-26:00" is not a time of day/],
    ['09:00-21:60', /"21:60" .* is not a time of day/],
    ['24:00-24:00', /"24:00" .* is not a time of day/],
    ['13pm-14pm', /"13pm" .* is not a time of day/],
    ['21:00-09:00', /must end later on the same day .*overnight windows are not supported/],
    ['09:00-09:00', /must end later on the same day/],
  ])('refuses %j in one sentence', (text, pattern) => {
    const problem = problemOf(parseHours(text));
    expect(problem).toMatch(pattern);
    expect(problem).toContain('09:00-21:00');
  });
});

describe('parseDays', () => {
  it.each([
    ['', EVERY_DAY],
    ['every day', EVERY_DAY],
    ['Every Day', EVERY_DAY],
    ['daily', EVERY_DAY],
    ['Mon-Sat', MON_SAT],
    ['mon - sat', MON_SAT],
    ['Monday to Saturday', MON_SAT],
    ['mon,wed,fri', [1, 3, 5]],
    ['Mon Wed Fri', [1, 3, 5]],
    ['weekdays', MON_FRI],
    ['weekends', [6, 7]],
    ['Mon-Fri,Sun', [1, 2, 3, 4, 5, 7]],
    ['THURSDAY, tues', [2, 4]],
    ['Fri-Mon', [1, 5, 6, 7]],
    ['sat and sun', [6, 7]],
  ])('reads %j', (text, days) => {
    expect(sorted(value(parseDays(text)))).toEqual([...days]);
  });

  it.each(['Mon-Funday', 'someday', 'Mon-Wed-Fri', 'mon-'])('refuses %j in one sentence', (text) => {
    const problem = problemOf(parseDays(text));
    expect(problem).toMatch(/is not a day or a range of days/);
    expect(problem).toContain('Mon-Sat');
  });
});

describe('parseDaysAndHours', () => {
  it('reads days then hours', () => {
    const parsed = value(parseDaysAndHours('Mon-Sat 09:00-20:00'));
    expect(sorted(parsed.days)).toEqual([...MON_SAT]);
    expect(parsed).toMatchObject({ startMinute: 540, endMinute: 1200 });
  });

  it('takes every day when no days are given, and accepts spaced and worded ranges', () => {
    expect(sorted(value(parseDaysAndHours('09:00-21:00')).days)).toEqual([...EVERY_DAY]);
    expect(value(parseDaysAndHours('weekdays 9am to 6pm'))).toMatchObject({ startMinute: 540, endMinute: 1080 });
    expect(sorted(value(parseDaysAndHours('Mon - Fri 9 - 18')).days)).toEqual([...MON_FRI]);
    expect(sorted(value(parseDaysAndHours('every day 9-21')).days)).toEqual([...EVERY_DAY]);
  });

  it('says what is wrong with the days or the hours', () => {
    expect(problemOf(parseDaysAndHours('Mon-Sat'))).toMatch(/"Mon-Sat" has no calling hours; .* Mon-Sat 09:00-20:00/);
    expect(problemOf(parseDaysAndHours('Moon 09:00-20:00'))).toMatch(/"moon" is not a day/);
    expect(problemOf(parseDaysAndHours('Mon-Sat 20:00-09:00'))).toMatch(/overnight/);
  });
});

describe('parseSkipDates', () => {
  const today = new Date('2026-06-01T00:00:00Z');

  it('reads ISO dates, day-month dates and ranges, as local dates', () => {
    const parsed = value(parseSkipDates('2026-12-25, 2027-01-26; 15 Aug\n2 Oct 2027', 'Asia/Kolkata', today));
    expect(sorted(parsed)).toEqual(['2026-08-15', '2026-12-25', '2027-01-26', '2027-10-02']);
    const ranges = value(parseSkipDates('2026-12-24..2026-12-26, 30 Dec to 2 Jan', 'Asia/Kolkata', today));
    expect(sorted(ranges)).toEqual(['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(sorted(value(parseSkipDates('Dec 25th – Dec 26th', 'Asia/Kolkata', today)))).toEqual(['2026-12-25', '2026-12-26']);
    expect(value(parseSkipDates('', 'Asia/Kolkata', today)).size).toBe(0);
  });

  it('takes a date without a year as its next occurrence on or after today in the zone', () => {
    // 2026-06-01T00:00Z is still 31 May in New York: 31 May is today there, but passed in Kolkata.
    expect(sorted(value(parseSkipDates('31 May', 'America/New_York', today)))).toEqual(['2026-05-31']);
    expect(sorted(value(parseSkipDates('31 May', 'Asia/Kolkata', today)))).toEqual(['2027-05-31']);
    expect(sorted(value(parseSkipDates('29 Feb', 'Asia/Kolkata', today)))).toEqual(['2028-02-29']);
  });

  it.each([
    ['2026-02-30', /"2026-02-30" is not a date/],
    ['25 Decembre', /"25 Decembre" is not a date/],
    ['tomorrow', /"tomorrow" is not a date/],
    ['2026-12-26..2026-12-24', /must run forwards/],
    ['2026-01-01..2027-06-01', /at most a year/],
  ])('refuses %j in one sentence', (text, pattern) => {
    expect(problemOf(parseSkipDates(text, 'Asia/Kolkata', today))).toMatch(pattern);
  });

  it('throws on a zone that is not one (a program error, not a typing error)', () => {
    expect(() => parseSkipDates('25 Dec', 'Mars/Olympus', today)).toThrow(CallingHoursError);
  });
});

describe('isTimeZone', () => {
  it.each(['Asia/Kolkata', 'Europe/London', 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'UTC', 'Etc/GMT+5'])(
    'accepts %j',
    (tz) => expect(isTimeZone(tz)).toBe(true),
  );
  it.each(['IST', 'PST', 'Mars/Olympus', '', 'Asia/Kolkata ', '+05:30'])('refuses %j', (tz) => expect(isTimeZone(tz)).toBe(false));
});

describe('hoursStatus', () => {
  describe('India (no DST)', () => {
    const india = hours('Asia/Kolkata', '09:00-21:00', MON_SAT);

    it('is open inside the window and says when it closes', () => {
      // Wed 2026-06-03 12:00 IST = 06:30Z; closes 21:00 IST = 15:30Z.
      expect(status('2026-06-03T06:30:00Z', india)).toEqual({ open: true, changesAt: '2026-06-03T15:30:00.000Z' });
    });

    it('opens at the start exactly and closes at the end exactly (start inclusive, end exclusive)', () => {
      expect(status('2026-06-03T03:29:59.999Z', india)).toEqual({ open: false, changesAt: '2026-06-03T03:30:00.000Z' });
      expect(status('2026-06-03T03:30:00.000Z', india)).toEqual({ open: true, changesAt: '2026-06-03T15:30:00.000Z' });
      expect(status('2026-06-03T15:29:59.999Z', india)).toEqual({ open: true, changesAt: '2026-06-03T15:30:00.000Z' });
      expect(status('2026-06-03T15:30:00.000Z', india)).toEqual({ open: false, changesAt: '2026-06-04T03:30:00.000Z' });
    });

    it('on a Saturday evening, next opens Monday 09:00', () => {
      // Sat 2026-06-06 21:30 IST.
      expect(status('2026-06-06T16:00:00Z', india)).toEqual({ open: false, changesAt: '2026-06-08T03:30:00.000Z' });
      // All of Sunday is closed too.
      expect(status('2026-06-07T06:30:00Z', india)).toEqual({ open: false, changesAt: '2026-06-08T03:30:00.000Z' });
    });

    it('skips a skipped Friday and opens on Monday', () => {
      const christmas = hours('Asia/Kolkata', '09:00-21:00', MON_FRI, ['2026-12-25']);
      // Thu 2026-12-24 21:00 IST: Friday is a holiday, the weekend is off.
      expect(status('2026-12-24T15:30:00Z', christmas)).toEqual({ open: false, changesAt: '2026-12-28T03:30:00.000Z' });
      // During the skipped Friday's would-be hours.
      expect(status('2026-12-25T06:30:00Z', christmas)).toEqual({ open: false, changesAt: '2026-12-28T03:30:00.000Z' });
    });

    it('reads skip dates as dates in the zone, not in UTC', () => {
      // 2026-12-25 00:30 IST is still 2026-12-24 in UTC; the window is the whole day.
      const allDay = hours('Asia/Kolkata', '00:00-24:00', EVERY_DAY, ['2026-12-25']);
      expect(status('2026-12-24T19:00:00Z', allDay)).toEqual({ open: false, changesAt: '2026-12-25T18:30:00.000Z' });
    });
  });

  describe('Europe/London across its DST switches', () => {
    const london = hours('Europe/London', '09:00-20:00', MON_SAT);

    it('from a Saturday evening before clocks go back, opens Monday 09:00 GMT', () => {
      // Sat 2026-10-24 20:30 BST = 19:30Z; clocks go back Sun 2026-10-25 02:00 BST → 01:00 GMT.
      expect(status('2026-10-24T19:30:00Z', london)).toEqual({ open: false, changesAt: '2026-10-26T09:00:00.000Z' });
    });

    it('from a Saturday evening before clocks go forward, opens Monday 09:00 BST', () => {
      // Sat 2026-03-28 20:30 GMT; clocks go forward Sun 2026-03-29 01:00 GMT → 02:00 BST.
      expect(status('2026-03-28T20:30:00Z', london)).toEqual({ open: false, changesAt: '2026-03-30T08:00:00.000Z' });
    });

    it('closes at 20:00 local on each side of the switch', () => {
      expect(status('2026-03-27T12:00:00Z', london)).toEqual({ open: true, changesAt: '2026-03-27T20:00:00.000Z' });
      expect(status('2026-03-30T12:00:00Z', london)).toEqual({ open: true, changesAt: '2026-03-30T19:00:00.000Z' });
    });

    it('a window starting in the skipped hour opens when the clock jumps past its start', () => {
      // 01:30 does not exist on 2026-03-29: the clock goes 00:59:59 GMT → 02:00:00 BST at 01:00:00Z.
      const early = hours('Europe/London', '01:30-05:00');
      expect(status('2026-03-29T00:30:00Z', early)).toEqual({ open: false, changesAt: '2026-03-29T01:00:00.000Z' });
      expect(status('2026-03-29T01:00:00Z', early)).toEqual({ open: true, changesAt: '2026-03-29T04:00:00.000Z' });
    });
  });

  describe('America/New_York across its DST switches', () => {
    const newYork = hours('America/New_York', '09:00-21:00');

    it('after a night when clocks go forward, opens at 09:00 EDT to the second', () => {
      // Sat 2026-03-07 22:00 EST = 03:00Z Sun; 02:00 EST → 03:00 EDT at 07:00Z; 09:00 EDT = 13:00Z.
      expect(status('2026-03-08T03:00:00Z', newYork)).toEqual({ open: false, changesAt: '2026-03-08T13:00:00.000Z' });
      expect(status('2026-03-08T12:59:59Z', newYork)).toEqual({ open: false, changesAt: '2026-03-08T13:00:00.000Z' });
      expect(status('2026-03-08T13:00:00Z', newYork)).toEqual({ open: true, changesAt: '2026-03-09T01:00:00.000Z' });
    });

    it('after a night when clocks go back, opens at 09:00 EST to the second', () => {
      // 02:00 EDT → 01:00 EST at 06:00Z on 2026-11-01; 09:00 EST = 14:00Z.
      expect(status('2026-11-01T03:00:00Z', newYork)).toEqual({ open: false, changesAt: '2026-11-01T14:00:00.000Z' });
      expect(status('2026-11-01T14:00:00Z', newYork)).toEqual({ open: true, changesAt: '2026-11-02T02:00:00.000Z' });
    });

    it('follows the wall clock through a repeated hour: a window ending at 01:30 is open again while 01:00–01:30 repeats', () => {
      const night = hours('America/New_York', '00:00-01:30');
      // 01:30 EDT = 05:30Z closes; the clock shows 01:00 again (EST) at 06:00Z, and 01:30 EST at 06:30Z.
      expect(status('2026-11-01T05:00:00Z', night)).toEqual({ open: true, changesAt: '2026-11-01T05:30:00.000Z' });
      expect(status('2026-11-01T05:45:00Z', night)).toEqual({ open: false, changesAt: '2026-11-01T06:00:00.000Z' });
      expect(status('2026-11-01T06:10:00Z', night)).toEqual({ open: true, changesAt: '2026-11-01T06:30:00.000Z' });
    });

    it('a window starting in the skipped hour opens at the jump', () => {
      const early = hours('America/New_York', '02:30-21:00');
      expect(status('2026-03-08T02:30:00Z', early)).toEqual({ open: false, changesAt: '2026-03-08T07:00:00.000Z' });
    });
  });

  describe('configs that never change', () => {
    it('gives changesAt null when no day is a calling day', () => {
      expect(status('2026-06-03T06:30:00Z', hours('Asia/Kolkata', '09:00-21:00', []))).toEqual({ open: false, changesAt: null });
    });

    it('gives changesAt null when every calling day of the coming year is skipped', () => {
      const mondays: string[] = [];
      for (let d = Date.UTC(2026, 5, 8); d < Date.UTC(2027, 6, 1); d += 7 * 86_400_000)
        mondays.push(new Date(d).toISOString().slice(0, 10));
      expect(status('2026-06-03T06:30:00Z', hours('Asia/Kolkata', '09:00-21:00', [1], mondays))).toEqual({ open: false, changesAt: null });
      // One Monday left, just within the year, is found.
      const lastLeft = mondays.filter((d) => d !== '2027-05-31');
      expect(status('2026-06-03T06:30:00Z', hours('Asia/Kolkata', '09:00-21:00', [1], lastLeft))).toEqual({
        open: false,
        changesAt: '2027-05-31T03:30:00.000Z',
      });
    });

    it('gives changesAt null when always open, and the closing time when only the days limit it', () => {
      expect(status('2026-06-03T06:30:00Z', hours('UTC', '00:00-24:00'))).toEqual({ open: true, changesAt: null });
      expect(status('2026-06-03T06:30:00Z', hours('UTC', '00:00-24:00', MON_FRI))).toEqual({
        open: true,
        changesAt: '2026-06-06T00:00:00.000Z',
      });
    });
  });

  it('throws a CallingHoursError on hours no parser would produce', () => {
    const good = hours('Asia/Kolkata', '09:00-21:00');
    const now = new Date('2026-06-03T06:30:00Z');
    expect(() => hoursStatus(now, { ...good, startMinute: 1260, endMinute: 540 })).toThrow(/Expected `endMinute`.*got `540`/);
    expect(() => hoursStatus(now, { ...good, startMinute: 9.5 })).toThrow(/Expected `startMinute`.*got `9.5`/);
    expect(() => hoursStatus(now, { ...good, timeZone: 'IST' })).toThrow(CallingHoursError);
    expect(() => hoursStatus(now, { ...good, days: new Set([0 as Weekday]) })).toThrow(/Expected `days`/);
    expect(() => hoursStatus(new Date(Number.NaN), good)).toThrow(/Expected `now`/);
  });
});

describe('describeHours', () => {
  const june = new Date('2026-06-01T00:00:00Z');
  const january = new Date('2026-01-15T12:00:00Z');

  it('says days, hours, the zone short name and future skip dates', () => {
    const india = hours('Asia/Kolkata', '09:00-20:00', MON_SAT, ['2026-12-25']);
    expect(describeHours(india, june)).toBe('Mon–Sat 09:00–20:00 IST, not on 25 Dec');
  });

  it('names the zone as it is at `now`, and falls back to the IANA name', () => {
    expect(describeHours(hours('Europe/London', '09:00-21:00'), june)).toBe('every day 09:00–21:00 BST');
    expect(describeHours(hours('Europe/London', '09:00-21:00'), january)).toBe('every day 09:00–21:00 GMT');
    expect(describeHours(hours('America/New_York', '09:00-21:00'), january)).toBe('every day 09:00–21:00 EST');
    expect(describeHours(hours('Asia/Tokyo', '09:00-21:00'), january)).toBe('every day 09:00–21:00 Asia/Tokyo');
    expect(describeHours(hours('UTC', '00:00-24:00'), january)).toBe('every day 00:00–24:00 UTC');
  });

  it.each([
    [[1, 3, 5], 'Mon, Wed, Fri'],
    [[6, 7], 'Sat, Sun'],
    [[1, 2, 3, 4, 5, 7], 'Sun–Fri'],
    [[5, 6, 7, 1], 'Fri–Mon'],
    [[1, 2, 3, 5, 6], 'Mon–Wed, Fri, Sat'],
    [[1, 3, 6, 7], 'Wed, Sat–Mon'],
    [[1, 7], 'Sun, Mon'],
    [[], 'no days'],
  ] as [Weekday[], string][])('writes days %j as %j', (days, text) => {
    expect(describeHours(hours('Asia/Kolkata', '09:00-21:00', days), june)).toBe(`${text} 09:00–21:00 IST`);
  });

  it('joins consecutive skip dates, leaves out past ones, gives the year when not this one, and stops after four', () => {
    const skips = ['2026-01-26', '2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01'];
    expect(describeHours(hours('Asia/Kolkata', '09:00-21:00', MON_FRI, skips), june)).toBe(
      'Mon–Fri 09:00–21:00 IST, not on 24–26 Dec, 31 Dec–1 Jan 2027',
    );
    const many = ['2026-07-01', '2026-07-03', '2026-07-05', '2026-07-07', '2026-07-09', '2026-07-11'];
    expect(describeHours(hours('Asia/Kolkata', '09:00-21:00', MON_FRI, many), june)).toBe(
      'Mon–Fri 09:00–21:00 IST, not on 1 Jul, 3 Jul, 5 Jul, 7 Jul and 2 more',
    );
  });
});

describe('describeMoment', () => {
  // Sat 2026-06-06 11:30 IST.
  const now = new Date('2026-06-06T06:00:00Z');

  it.each([
    ['2026-06-06T10:00:00Z', 'today 15:30 IST'],
    ['2026-06-06T18:29:00Z', 'today 23:59 IST'],
    ['2026-06-06T18:30:00Z', 'tomorrow 00:00 IST'],
    ['2026-06-08T03:30:00Z', 'Mon 09:00 IST'],
    ['2026-06-12T03:30:00Z', 'Fri 09:00 IST'],
    ['2026-06-13T03:30:00Z', 'Sat 13 Jun 09:00 IST'],
    ['2027-01-04T03:30:00Z', 'Mon 4 Jan 2027 09:00 IST'],
  ])('%s is %j', (at, text) => {
    expect(describeMoment(new Date(at), 'Asia/Kolkata', now)).toBe(text);
  });

  it('uses the zone name in force at that moment', () => {
    // Sat 2026-03-07 22:00 EST; Monday's 09:00 is after the switch.
    const saturday = new Date('2026-03-08T03:00:00Z');
    expect(describeMoment(new Date('2026-03-09T13:00:00Z'), 'America/New_York', saturday)).toBe('Mon 09:00 EDT');
    expect(describeMoment(new Date('2026-03-08T04:00:00Z'), 'America/New_York', saturday)).toBe('today 23:00 EST');
  });
});

// ── property: the answer agrees with reading the wall clock minute by minute ────────────────────────────────────────

/** A reading of the wall clock that shares no code with the module: Intl, formatted. */
function wallClock(timeZone: string): (t: number) => { date: string; weekday: Weekday; minute: number } {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return (t) => {
    const p = Object.fromEntries(format.formatToParts(t).map((x) => [x.type, x.value]));
    return {
      date: `${p.year}-${p.month}-${p.day}`,
      weekday: (weekdays.indexOf(p.weekday ?? '') + 1) as Weekday,
      minute: Number(p.hour) * 60 + Number(p.minute),
    };
  };
}

function bruteOpen(read: ReturnType<typeof wallClock>, calling: CallingHours, t: number): boolean {
  const w = read(t);
  return calling.days.has(w.weekday) && !calling.skipDates.has(w.date) && w.minute >= calling.startMinute && w.minute < calling.endMinute;
}

/** Days in 2026 on which the zone's UTC offset changes, found by reading the offset each noon UTC. */
function offsetChangeDays(timeZone: string): number[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const offset = (t: number) => format.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value;
  const days: number[] = [];
  for (let t = Date.UTC(2026, 0, 1, 12); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
    if (offset(t) !== offset(t + 86_400_000)) days.push(t);
  }
  return days;
}

describe('hoursStatus agrees with a minute-by-minute reading of the wall clock', () => {
  const MINUTE = 60_000;
  const SCAN = 9 * 24 * 60; // minutes; random configs open and close within a week and a skipped day or two
  // Lord Howe moves by 30 minutes; Santiago, Havana and Cairo change at midnight, so whole dates start late or repeat.
  const zones = [
    'Asia/Kolkata',
    'Europe/London',
    'America/New_York',
    'Australia/Lord_Howe',
    'America/Santiago',
    'America/Havana',
    'Africa/Cairo',
  ];

  it.each(zones)('%s', (timeZone) => {
    const seed = [...timeZone].reduce((s, c) => s * 31 + c.charCodeAt(0), 7) | 0;
    const random = mulberry32(seed);
    const read = wallClock(timeZone);
    const changes = offsetChangeDays(timeZone);
    const pick = (n: number) => Math.floor(random() * n);
    for (let i = 0; i < 40; i++) {
      // Half the instants fall within two days of an offset change, where mistakes live.
      const near = changes.length > 0 && i % 2 === 0 ? changes[pick(changes.length)] : undefined;
      const now = near !== undefined ? near + (random() * 4 - 2) * 86_400_000 : Date.UTC(2026, 0, 1) + random() * 365 * 86_400_000;
      // Boundaries often at night, on the half hour, where DST changes happen.
      const startMinute = random() < 0.5 ? pick(8) * 30 : pick(1440);
      const endMinute = startMinute + 1 + pick(1440 - startMinute);
      const days = new Set(([1, 2, 3, 4, 5, 6, 7] as Weekday[]).filter(() => random() < 0.7));
      if (days.size === 0) days.add((pick(7) + 1) as Weekday);
      const skipDates = new Set(Array.from({ length: pick(3) }, () => read(now + pick(5) * 86_400_000).date));
      const calling: CallingHours = { days, startMinute, endMinute, timeZone, skipDates };
      const context = JSON.stringify({
        seed,
        i,
        now: new Date(now).toISOString(),
        days: [...days],
        startMinute,
        endMinute,
        skipDates: [...skipDates],
      });

      const got = hoursStatus(new Date(now), calling);
      const open = bruteOpen(read, calling, now);
      expect(got.open, context).toBe(open);
      let flip: number | null = null;
      for (let m = Math.floor(now / MINUTE) + 1; m <= Math.floor(now / MINUTE) + SCAN; m++) {
        if (bruteOpen(read, calling, m * MINUTE) !== open) {
          flip = m * MINUTE;
          break;
        }
      }
      if (flip !== null) expect(got.changesAt?.toISOString(), context).toBe(new Date(flip).toISOString());
      else expect(got.changesAt === null || got.changesAt.getTime() > now + SCAN * MINUTE, context).toBe(true);
    }
  });
});
