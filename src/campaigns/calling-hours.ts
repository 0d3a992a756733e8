import { DateTime, IANAZone } from 'luxon';

/*
 * Calling hours: the weekdays, local times and holidays when a campaign may place calls, in one time zone.
 *
 * The rule is stated on the wall clock: calls may be placed at an instant exactly when the zone's clock shows an
 * allowed weekday, a date not skipped, and a time in [start, end). Everything else follows from that, including the
 * rare DST edges: a window starting inside a skipped-over hour opens when the clock jumps past it, and a window
 * ending inside a repeated hour is open again while the hour repeats (the clock shows an open time again).
 */

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7; // ISO: Mon=1 … Sun=7

export interface CallingHours {
  /** Weekdays calls may be placed on. */
  days: ReadonlySet<Weekday>;
  /** Minutes after local midnight, start inclusive (0–1439), end exclusive (1–1440); start < end, no overnight windows. */
  startMinute: number;
  endMinute: number;
  /** IANA zone, e.g. Asia/Kolkata. */
  timeZone: string;
  /** Local dates (YYYY-MM-DD) with no calls at all (holidays). */
  skipDates: ReadonlySet<string>;
}

/** `problem` is one sentence saying what is wrong and an example of what works, fit to show the person who typed it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface HoursStatus {
  open: boolean;
  /** When it next closes (open) or next opens (closed); null when that does not happen within 366 days. */
  changesAt: Date | null;
}

/** A program passed calling hours that no parser here would produce (a bug, not something a person typed). */
export class CallingHoursError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallingHoursError';
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far hoursStatus looks ahead before it says "never". */
const HORIZON = 366 * DAY;
const EVERY_DAY: ReadonlySet<Weekday> = new Set<Weekday>([1, 2, 3, 4, 5, 6, 7]);
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const DAY_WORDS: Readonly<Record<string, Weekday>> = {
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  weds: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
  sun: 7,
  sunday: 7,
};
const MONTH_WORDS: Readonly<Record<string, number>> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

// ── parsing ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** "9", "09:30", "9am", "9:30 pm", "24:00" → minutes after midnight (0–1440), else undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (minute > 59) return undefined;
  if (m[3] !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (m[3] === 'pm' ? 12 : 0);
  }
  const total = hour * 60 + minute;
  return total <= 24 * 60 ? total : undefined;
}

/** "mon", "Monday", "thurs" → ISO weekday, else undefined. */
export function parseWeekday(text: string): Weekday | undefined {
  return DAY_WORDS[text.trim().toLowerCase().replace(/\.$/, '')];
}

/** "09:00-21:00", "9:00–20:30", "9-21", "9am to 8pm" → minutes. */
export function parseHours(text: string): Parsed<{ startMinute: number; endMinute: number }> {
  const trimmed = text.trim();
  const example = 'write them like 09:00-21:00';
  if (trimmed === '') return fail(`No calling hours were given; ${example}.`);
  const parts = trimmed.split(/\s*(?:-|–|—|\bto\b)\s*/i);
  if (parts.length !== 2) return fail(`"${trimmed}" is not a range of hours; ${example}.`);
  const [startText = '', endText = ''] = parts;
  const startMinute = parseTimeOfDay(startText);
  const endMinute = parseTimeOfDay(endText);
  if (startMinute === undefined || startMinute === 24 * 60) {
    return fail(`"${startText}" in "${trimmed}" is not a time of day; ${example}.`);
  }
  if (endMinute === undefined) return fail(`"${endText}" in "${trimmed}" is not a time of day; ${example}.`);
  if (startMinute >= endMinute) {
    return fail(
      `Calling hours "${trimmed}" must end later on the same day than they start (overnight windows are not ` + `supported); ${example}.`,
    );
  }
  return ok({ startMinute, endMinute });
}

/** "every day", "Mon-Sat", "mon,wed,fri", "weekdays", "Mon-Fri,Sun", "Fri-Mon", "" (= every day) → days. */
export function parseDays(text: string): Parsed<ReadonlySet<Weekday>> {
  const normal = text
    .trim()
    .toLowerCase()
    .replace(/\s*(?:-|–|—|\.\.|\bto\b)\s*/g, '-');
  if (/^(?:|every-?\s*day|everyday|daily|all(?: days)?)$/.test(normal)) return ok(EVERY_DAY);
  const days = new Set<Weekday>();
  for (const item of normal.split(/[\s,;&/]+|\band\b/).filter(Boolean)) {
    if (item === 'weekdays') for (const d of [1, 2, 3, 4, 5] as Weekday[]) days.add(d);
    else if (item === 'weekends' || item === 'weekend') for (const d of [6, 7] as Weekday[]) days.add(d);
    else {
      const ends = item.split('-').map(parseWeekday);
      const [from, to] = ends;
      if (from === undefined || ends.length > 2 || (ends.length === 2 && to === undefined)) {
        return fail(`"${item}" is not a day or a range of days; write days like Mon-Sat, mon,wed,fri or weekdays.`);
      }
      // A range may wrap past Sunday: Fri-Mon is Fri, Sat, Sun, Mon.
      for (let d = from; ; d = ((d % 7) + 1) as Weekday) {
        days.add(d);
        if (d === (to ?? from)) break;
      }
    }
  }
  return ok(days);
}

/** "Mon-Sat 09:00-20:00", "weekdays 9-18", "09:00-21:00" (days optional: every day) → days + hours. */
export function parseDaysAndHours(text: string): Parsed<{ days: ReadonlySet<Weekday>; startMinute: number; endMinute: number }> {
  const tokens = text
    .trim()
    .replace(/\s*([-–—])\s*/g, '$1')
    .split(/\s+/)
    .filter(Boolean);
  // Day names never hold a digit and hours always start with one, so the first digit splits the two.
  const split = tokens.findIndex((t) => /\d/.test(t));
  if (split === -1) {
    return fail(`"${text.trim()}" has no calling hours; write them after the days, like Mon-Sat 09:00-20:00.`);
  }
  const days = parseDays(tokens.slice(0, split).join(' '));
  if (!days.ok) return days;
  const hours = parseHours(tokens.slice(split).join(' '));
  if (!hours.ok) return hours;
  return ok({ days: days.value, ...hours.value });
}

/**
 * "2026-12-25, 2027-01-26", "25 Dec", "Dec 25 2026", "2026-12-24..2026-12-26", "24 Dec to 26 Dec" → local dates.
 * A date without a year is its next occurrence on or after today in `timeZone`. Past dates are kept (harmless), so a
 * form saved again after a holiday still saves; describeHours leaves them out.
 */
export function parseSkipDates(text: string, timeZone: string, today: Date = new Date()): Parsed<ReadonlySet<string>> {
  assertTimeZone(timeZone);
  const todayIso = DateTime.fromJSDate(today, { zone: timeZone }).toISODate() ?? '';
  const dates = new Set<string>();
  for (const item of text
    .split(/[,;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const ends = item.split(/\s*(?:\.\.|–|—)\s*|\s+(?:-|to)\s+/i);
    const from = ends[0] === undefined ? undefined : parseLocalDate(ends[0], todayIso);
    const to = ends.length === 2 && from !== undefined ? parseLocalDate(ends[1] ?? '', from) : from;
    if (from === undefined || to === undefined || ends.length > 2) {
      return fail(`"${item}" is not a date or a range of dates; write dates like 2026-12-25, 25 Dec or 2026-12-24..2026-12-26.`);
    }
    const span = (Date.parse(to) - Date.parse(from)) / DAY;
    if (span < 0 || span > 366) {
      return fail(`The range "${item}" must run forwards and cover at most a year; write it like 2026-12-24..2026-12-26.`);
    }
    for (let i = 0; i <= span; i++) dates.add(new Date(Date.parse(from) + i * DAY).toISOString().slice(0, 10));
  }
  return ok(dates);
}

/** "2026-12-25", "25 Dec", "December 25th 2026" → YYYY-MM-DD; without a year, the first such date on or after `notBefore`. */
function parseLocalDate(text: string, notBefore: string): string | undefined {
  const t = text.trim().toLowerCase().replace(/,/g, ' ').replace(/\s+/g, ' ');
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const dayFirst = /^(\d{1,2})(?:st|nd|rd|th)? ?([a-z]+)\.?(?: (\d{4}))?$/.exec(t);
  const monthFirst = /^([a-z]+)\.? ?(\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?$/.exec(t);
  const [dayText, monthText, yearText] = dayFirst
    ? [dayFirst[1], dayFirst[2], dayFirst[3]]
    : monthFirst
      ? [monthFirst[2], monthFirst[1], monthFirst[3]]
      : [];
  const month = MONTH_WORDS[monthText ?? ''];
  if (month === undefined) return undefined;
  if (yearText !== undefined) return isoDate(Number(yearText), month, Number(dayText));
  // 29 Feb waits for a leap year; any other date is this year's or next year's.
  for (let year = Number(notBefore.slice(0, 4)); year <= Number(notBefore.slice(0, 4)) + 8; year++) {
    const date = isoDate(year, month, Number(dayText));
    if (date !== undefined && date >= notBefore) return date;
  }
  return undefined;
}

function isoDate(year: number, month: number, day: number): string | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return d.toISOString().slice(0, 10);
}

/**
 * An IANA zone this runtime knows ("Asia/Kolkata", "UTC"). Abbreviations such as IST or PST are refused although
 * ICU accepts some: IST is India, Ireland and Israel, and ICU's pick is not what everyone means.
 */
export function isTimeZone(tz: string): boolean {
  if (knownZones.has(tz)) return true;
  if (typeof tz !== 'string' || !/^(?:UTC|GMT|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)$/i.test(tz)) return false;
  if (!IANAZone.isValidZone(tz)) return false;
  knownZones.add(tz);
  return true;
}

// Checking a zone builds an Intl formatter (~0.1 ms); hoursStatus checks its zone on every call. Only valid names are
// kept, and there are a few hundred of those.
const knownZones = new Set<string>();

function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) {
    throw new CallingHoursError(`Expected \`timeZone\` to be an IANA time zone such as Asia/Kolkata, got \`${timeZone}\``);
  }
}

function assertHours(hours: CallingHours): void {
  const { startMinute: start, endMinute: end } = hours;
  if (!Number.isInteger(start) || start < 0 || start > 1439) {
    throw new CallingHoursError(`Expected \`startMinute\` to be a whole number from 0 to 1439, got \`${start}\``);
  }
  if (!Number.isInteger(end) || end <= start || end > 1440) {
    throw new CallingHoursError(`Expected \`endMinute\` to be a whole number after startMinute, up to 1440, got \`${end}\``);
  }
  for (const day of hours.days) {
    if (!Number.isInteger(day) || day < 1 || day > 7) {
      throw new CallingHoursError(`Expected \`days\` to hold ISO weekdays 1 (Mon) to 7 (Sun), got \`${day}\``);
    }
  }
  assertTimeZone(hours.timeZone);
}

// ── status ──────────────────────────────────────────────────────────────────────────────────────────────────────────

/** Whether calls may be placed at `now`, and until/from when — exact to the millisecond, across DST changes. */
export function hoursStatus(now: Date, hours: CallingHours): HoursStatus {
  assertHours(hours);
  const from = now.getTime();
  if (!Number.isFinite(from)) throw new CallingHoursError(`Expected \`now\` to be a valid Date, got \`${String(now)}\``);
  const zone = IANAZone.create(hours.timeZone);
  const open = isOpenOnWall(from + zone.offset(from) * MINUTE, hours);
  const changesAt = nextChange(from, open, zone, hours);
  return { open, changesAt: changesAt === null ? null : new Date(changesAt) };
}

/** The rule itself, on a wall-clock time written as if it were UTC milliseconds. */
function isOpenOnWall(wall: number, hours: CallingHours): boolean {
  const date = new Date(wall);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  return (
    minute >= hours.startMinute &&
    minute < hours.endMinute &&
    hours.days.has((date.getUTCDay() || 7) as Weekday) &&
    !hours.skipDates.has(date.toISOString().slice(0, 10))
  );
}

/**
 * Walks forward through the instants where the answer can change: where the wall clock reaches midnight, the start
 * or the end (within one UTC offset the clock runs evenly), and where the offset itself changes (the clock jumps).
 * Assumes a zone changes its offset at most once between two such instants (under a day apart), as all do today.
 */
function nextChange(from: number, open: boolean, zone: IANAZone, hours: CallingHours): number | null {
  let t = from;
  let offset = zone.offset(t);
  for (;;) {
    const boundary = nextBoundaryOnWall(t + offset * MINUTE, hours) - offset * MINUTE;
    const jump = zone.offset(boundary) === offset ? null : offsetChangeBetween(t, boundary, offset, zone);
    const next = jump ?? boundary;
    if (next - from > HORIZON) return null;
    if (jump !== null) offset = zone.offset(jump);
    if (isOpenOnWall(next + offset * MINUTE, hours) !== open) return next;
    t = next;
  }
}

/** The next wall time after `wall` at which the rule could give another answer. */
function nextBoundaryOnWall(wall: number, hours: CallingHours): number {
  const midnight = Math.floor(wall / DAY) * DAY;
  const date = new Date(midnight);
  const callingDay = hours.days.has((date.getUTCDay() || 7) as Weekday) && !hours.skipDates.has(date.toISOString().slice(0, 10));
  // On a day without calls only the next midnight matters.
  const marks = callingDay ? [hours.startMinute * MINUTE, hours.endMinute * MINUTE, DAY] : [DAY];
  const mark = marks.find((m) => midnight + m > wall) ?? DAY;
  return midnight + mark;
}

/** The first millisecond in (after, before] whose UTC offset is not `offset`; `before` must already differ. */
function offsetChangeBetween(after: number, before: number, offset: number, zone: IANAZone): number {
  let lo = after;
  let hi = before;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}

// ── words for people ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * One line for people: "Mon–Sat 09:00–20:00 IST, not on 25 Dec". The zone's short name is the one in use at `now`
 * (BST in summer, GMT in winter); skip dates before today are left out.
 */
export function describeHours(hours: CallingHours, now: Date = new Date()): string {
  assertHours(hours);
  const window = `${clock(hours.startMinute)}–${clock(hours.endMinute)}`;
  const today = DateTime.fromJSDate(now, { zone: hours.timeZone });
  const skips = describeSkipDates(hours.skipDates, today.toISODate() ?? '', today.year);
  return `${describeDays(hours.days)} ${window} ${zoneAbbreviation(hours.timeZone, now)}${skips ? `, not on ${skips}` : ''}`;
}

/** "every day", "Mon–Sat", "Mon, Wed, Fri", "Mon–Wed, Fri, Sat", "Fri–Mon", "no days". */
function describeDays(days: ReadonlySet<Weekday>): string {
  if (days.size === 7) return 'every day';
  if (days.size === 0) return 'no days';
  const runs: Weekday[][] = [];
  for (const day of [1, 2, 3, 4, 5, 6, 7] as Weekday[]) {
    if (!days.has(day)) continue;
    const last = runs.at(-1);
    if (last && last.at(-1) === day - 1) last.push(day);
    else runs.push([day]);
  }
  // A run through Sunday carries on into Monday's: Fri–Mon rather than Mon, Fri–Sun.
  const first = runs[0];
  const last = runs.at(-1);
  if (runs.length > 1 && first?.[0] === 1 && last?.at(-1) === 7) last.push(...(runs.shift() ?? []));
  return runs.flatMap((run) => (run.length >= 3 ? [`${dayName(run[0])}–${dayName(run.at(-1))}`] : run.map(dayName))).join(', ');
}

/** Future skip dates, consecutive ones joined: "25 Dec", "24–26 Dec", "30 Dec–1 Jan 2027", "… and 3 more". */
function describeSkipDates(skipDates: ReadonlySet<string>, todayIso: string, thisYear: number): string {
  const dates = [...skipDates].filter((d) => d >= todayIso).sort();
  const runs: [string, string][] = [];
  for (const date of dates) {
    const last = runs.at(-1);
    if (last && Date.parse(date) - Date.parse(last[1]) === DAY) last[1] = date;
    else runs.push([date, date]);
  }
  const shown = runs.slice(0, 4).map(([a, b]) => {
    if (a === b) return dayMonth(a, thisYear);
    const sameMonth = a.slice(0, 7) === b.slice(0, 7);
    return `${sameMonth ? Number(a.slice(8)) : dayMonth(a, thisYear)}–${dayMonth(b, thisYear)}`;
  });
  return runs.length > 4 ? `${shown.join(', ')} and ${runs.length - 4} more` : shown.join(', ');
}

/**
 * "Mon 09:00 IST", "today 09:00 IST", "tomorrow 09:00 IST", "Tue 5 Jan 09:00 IST" (a week or more away), with the
 * year when it differs from now's — for "resumes Mon 09:00 IST".
 */
export function describeMoment(at: Date, timeZone: string, now: Date): string {
  assertTimeZone(timeZone);
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  const today = DateTime.fromJSDate(now, { zone: timeZone });
  const days = Math.round((Date.UTC(local.year, local.month - 1, local.day) - Date.UTC(today.year, today.month - 1, today.day)) / DAY);
  const weekday = dayName(local.weekday as Weekday);
  const label =
    days === 0
      ? 'today'
      : days === 1
        ? 'tomorrow'
        : days > 1 && days < 7
          ? weekday
          : `${weekday} ${dayMonth(local.toISODate() ?? '', today.year)}`;
  return `${label} ${clock(local.hour * 60 + local.minute)} ${zoneAbbreviation(timeZone, at)}`;
}

// Locales whose short names cover the zones this app meets: en-US (EST, PST, GMT), en-GB (BST, CET), en-IN (IST),
// en-AU (AEST), en-SG (SGT). A name like "GMT+5:30" is only an offset, not a name.
const NAME_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU', 'en-SG'] as const;
const nameFormats = new Map<string, Intl.DateTimeFormat[]>();

/** The zone's short name at `at` ("IST", "BST", "EST"), or its IANA name when it has none ("Asia/Tokyo"). */
export function zoneAbbreviation(timeZone: string, at: Date): string {
  let formats = nameFormats.get(timeZone);
  if (!formats) {
    formats = NAME_LOCALES.map((locale) => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }));
    nameFormats.set(timeZone, formats);
  }
  for (const format of formats) {
    const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
    if (name && !/^(?:GMT|UTC)[+\-−]/.test(name)) return name;
  }
  return timeZone;
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function dayName(day: Weekday | undefined): string {
  return DAY_NAMES[(day ?? 1) - 1] ?? '';
}

/** "2026-12-25" → "25 Dec", or "25 Dec 2027" outside `thisYear`. */
function dayMonth(iso: string, thisYear: number): string {
  const [year, month, day] = iso.split('-').map(Number);
  return `${day} ${MONTH_NAMES[(month ?? 1) - 1]}${year === thisYear ? '' : ` ${year}`}`;
}
