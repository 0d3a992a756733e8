// A campaign's calling days and hours as the rules in calling-hours.ts read them.
import type { CampaignFields, CallingHoursFields } from '../store/campaign-model.js';
import { hoursStatus, parseTimeOfDay, type CallingHours, type HoursStatus, type Weekday } from './calling-hours.js';

export function hoursOf(fields: CallingHoursFields): CallingHours {
  return {
    days: new Set(fields.days as Weekday[]),
    startMinute: parseTimeOfDay(fields.start) ?? 0,
    endMinute: parseTimeOfDay(fields.end) ?? 24 * 60,
    timeZone: fields.tz,
    skipDates: new Set(fields.skip),
  };
}

export function fieldsOf(hours: CallingHours): CallingHoursFields {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return {
    days: [...hours.days].sort(),
    start: hhmm(hours.startMinute),
    end: hhmm(hours.endMinute),
    tz: hours.timeZone,
    skip: [...hours.skipDates].sort(),
  };
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The calling days and hours as people type them, and as parseDaysAndHours reads them: "Mon-Sat 09:00-20:00". */
export function formatDaysAndHours(fields: Pick<CallingHoursFields, 'days' | 'start' | 'end'>): string {
  const days = [...new Set(fields.days)].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const d of days) {
    const last = runs.at(-1);
    if (last && last.at(-1) === d - 1) last.push(d);
    else runs.push([d]);
  }
  const text =
    days.length === 7
      ? 'Mon-Sun'
      : runs.map((r) => (r.length >= 2 ? `${DAY_NAMES[r[0]! - 1]}-${DAY_NAMES[r.at(-1)! - 1]}` : DAY_NAMES[r[0]! - 1])).join(',');
  return `${text} ${fields.start}-${fields.end}`;
}

/** Whether the campaign may dial at `now`, and when that changes. */
export function campaignHoursStatus(campaign: Pick<CampaignFields, 'calling_hours'>, now: Date): HoursStatus {
  return hoursStatus(now, hoursOf(campaign.calling_hours));
}
