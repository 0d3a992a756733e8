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

/** Whether the campaign may dial at `now`, and when that changes. */
export function campaignHoursStatus(campaign: Pick<CampaignFields, 'calling_hours'>, now: Date): HoursStatus {
  return hoursStatus(now, hoursOf(campaign.calling_hours));
}
