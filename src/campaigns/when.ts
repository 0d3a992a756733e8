import { DateTime, IANAZone } from 'luxon';
import {
  CallingHoursError,
  describeMoment,
  isTimeZone,
  parseTimeOfDay,
  parseWeekday,
  zoneAbbreviation,
  type Parsed,
} from './calling-hours.js';

/*
 * Parsing what people type after /campaign schedule <name> <when>.
 *
 * A local time means the next time the zone's clock shows it (on the given day, if one is given). Around DST:
 * a local time the clock skips (02:30 on a spring-forward night) is a problem; a local time the clock shows twice
 * (01:30 on a fall-back night) is its earlier instant, or the later one when the earlier has already passed.
 */

export interface When {
  at: Date;
  /** The zone the time was read in: the trailing zone typed, else the default. */
  timeZone: string;
  /** `at` for people, relative to now: "today 10:30 IST", "tomorrow 10:30 IST", "Mon 09:00 IST". */
  description: string;
}

const SECOND = 1000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const EXAMPLES = '10:30, tomorrow 10:00, mon 09:00, 2026-12-01 09:30 or 2026-12-01T09:30:00+05:30';

const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/**
 * "10:30" (the next 10:30: today, or tomorrow if it has passed), "today 10:30", "tomorrow 10:00", "mon 09:00" (the next
 * Monday 09:00, today if it is Monday before 09:00), "2026-12-01 09:30", "2026-12-01T09:30", "2026-12-01T09:30:00+05:30"
 * (that instant), each with an optional trailing zone ("IST", "UTC", "Asia/Kolkata", or the default zone's own short
 * name such as "EDT"). Times with am/pm work ("10:30am"); a bare hour ("10") does not. A time in the past is a problem.
 */
export function parseWhen(text: string, now: Date, defaultZone: string): Parsed<When> {
  if (!isTimeZone(defaultZone)) {
    throw new CallingHoursError(`Expected \`defaultZone\` to be an IANA time zone such as Asia/Kolkata, got \`${defaultZone}\``);
  }
  const typed = text.trim();
  const tokens = typed.split(/\s+/).filter(Boolean);
  const typedZone = tokens.length > 1 ? zoneFromWord(tokens.at(-1) ?? '', defaultZone, now) : undefined;
  if (typedZone !== undefined) tokens.pop();
  const timeZone = typedZone ?? defaultZone;

  const found = tokens.length === 1 ? instantWithOffset(tokens[0] ?? '') : undefined;
  const at = found ?? localInstant(splitIsoLocal(tokens), typed, now, timeZone);
  if (at !== null && !(at instanceof Date)) return at;
  if (at === null || at.getTime() <= now.getTime()) {
    return fail(
      `"${typed}" is in the past (it is now ${describeMoment(now, timeZone, now).replace(/^today /, '')}); ` +
        `give a later time, e.g. tomorrow 09:00.`,
    );
  }
  return { ok: true, value: { at, timeZone, description: describeMoment(at, timeZone, now) } };
}

/** "IST", "UTC", "Asia/Kolkata", or the default zone's short name at `now` → a zone; anything else → undefined. */
function zoneFromWord(word: string, defaultZone: string, now: Date): string | undefined {
  const upper = word.toUpperCase();
  // The default zone's own names, summer and winter: "EDT" and "EST" both mean New York to a team there.
  const year = DateTime.fromJSDate(now, { zone: defaultZone }).year;
  const seasons = [now, new Date(Date.UTC(year, 0, 1)), new Date(Date.UTC(year, 6, 1))];
  if (seasons.some((at) => zoneAbbreviation(defaultZone, at).toUpperCase() === upper)) return defaultZone;
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z') return 'UTC';
  // This app's home: IST here means India, whatever else it can mean.
  if (upper === 'IST') return 'Asia/Kolkata';
  return word.includes('/') && isTimeZone(word) ? word : undefined;
}

/** An ISO date-time with its own offset ("…T09:30:00+05:30", "…Z") is that instant, whatever the zone. */
function instantWithOffset(token: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(token)) return undefined;
  const parsed = DateTime.fromISO(token, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}

/** "2026-12-01T09:30" → ["2026-12-01", "09:30"], so it reads like "2026-12-01 09:30". */
function splitIsoLocal(tokens: string[]): string[] {
  const only = tokens.length === 1 ? tokens[0] : undefined;
  const m = only === undefined ? null : /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)$/i.exec(only);
  return m ? [m[1] ?? '', m[2] ?? ''] : tokens;
}

/** A day word and a clock time, in either order, read in `timeZone`: its next instant, null when passed, or a problem. */
function localInstant(tokens: string[], typed: string, now: Date, timeZone: string): Date | null | { ok: false; problem: string } {
  const unreadable = fail(`Could not read "${typed}" as a time; write it like ${EXAMPLES}.`);
  if (tokens.length < 1 || tokens.length > 2) return unreadable;
  const timeIndex = tokens.findIndex((t) => clockSeconds(t) !== undefined);
  const second = timeIndex === -1 ? undefined : clockSeconds(tokens[timeIndex] ?? '');
  if (second === undefined) return unreadable;
  const dayWord = tokens.length === 2 ? (tokens[1 - timeIndex] ?? '').toLowerCase() : undefined;

  const zone = IANAZone.create(timeZone);
  const today = DateTime.fromJSDate(now, { zone: timeZone });
  const todayMs = Date.UTC(today.year, today.month - 1, today.day);
  const wallNow = today.toMillis() + today.offset * MINUTE;
  const days = candidateDays(dayWord, todayMs);
  if (days === undefined) return unreadable;
  for (const day of days) {
    const instants = instantsOnWall(day + second * SECOND, zone);
    const next = instants.find((t) => t > now.getTime());
    if (next !== undefined) return new Date(next);
    // A skipped-over time is a problem unless the clock is already past it ("02:30" typed after the jump: tomorrow).
    if (instants.length === 0 && day + second * SECOND > wallNow) {
      const date = new Date(day).toISOString().slice(0, 10);
      return fail(
        `${date} ${tokens[timeIndex]} does not exist in ${timeZone}: the clocks go forward over it; ` +
          `pick another time, e.g. an hour later.`,
      );
    }
  }
  return null;
}

/** "10:30", "10:30:15", "10:30am", "9pm" → seconds after midnight; a bare hour or 24:00 → undefined. */
function clockSeconds(token: string): number | undefined {
  const withSeconds = /^(\d{1,2}:\d{2}):([0-5]\d)$/.exec(token);
  const clock = withSeconds ? (withSeconds[1] ?? '') : token;
  if (!/[:.]\d{2}|am$|pm$/i.test(clock)) return undefined;
  const minutes = parseTimeOfDay(clock);
  if (minutes === undefined || minutes >= 24 * 60) return undefined;
  return minutes * 60 + (withSeconds ? Number(withSeconds[2]) : 0);
}

/** Local midnights (as UTC ms) to try, in order; undefined when the day word means nothing. */
function candidateDays(dayWord: string | undefined, todayMs: number): number[] | undefined {
  if (dayWord === undefined) return [todayMs, todayMs + DAY];
  if (dayWord === 'today') return [todayMs];
  if (dayWord === 'tomorrow' || dayWord === 'tmrw') return [todayMs + DAY];
  const weekday = parseWeekday(dayWord);
  if (weekday !== undefined) {
    const ahead = (weekday - (new Date(todayMs).getUTCDay() || 7) + 7) % 7;
    return [todayMs + ahead * DAY, todayMs + (ahead + 7) * DAY];
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dayWord);
  if (!date) return undefined;
  const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
  return new Date(ms).toISOString().slice(0, 10) === dayWord ? [ms] : undefined;
}

/** Every instant at which the zone's clock shows `wall` (UTC ms of the wall time): none in a gap, two in an overlap. */
function instantsOnWall(wall: number, zone: IANAZone): number[] {
  // The offsets in force a day either side cover every offset the clock can have at `wall`.
  const offsets = new Set([zone.offset(wall - DAY), zone.offset(wall), zone.offset(wall + DAY)]);
  return [...offsets]
    .map((offset) => wall - offset * MINUTE)
    .filter((t) => wall - zone.offset(t) * MINUTE === t)
    .sort((a, b) => a - b);
}
