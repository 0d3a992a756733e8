import type { CallingWindow } from '../config.js';

/** Parses "HH:MM" into minutes after midnight (24:00 allowed as the end of the day). */
export function parseClock(text: string): number | undefined {
  const m = /^([01]?\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes <= 24 * 60 ? minutes : undefined;
}

function localMinute(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .formatToParts(now)
    .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
  return (parts.hour ?? 0) * 60 + (parts.minute ?? 0) + (parts.second ?? 0) / 60;
}

export interface WindowStatus {
  open: boolean;
  /** When it next opens (if closed) or closes (if open). */
  changesAt: Date;
}

/** Whether calls may be placed now, and until when. */
export function windowStatus(now: Date, window: CallingWindow): WindowStatus {
  const minute = localMinute(now, window.timeZone);
  const open = minute >= window.startMinute && minute < window.endMinute;
  const target = open ? window.endMinute : window.startMinute;
  const minutesAhead = (target - minute + 24 * 60) % (24 * 60);
  return { open, changesAt: new Date(now.getTime() + Math.round(minutesAhead * 60_000)) };
}

/** A campaign's own window, if it has one, else the account's. */
export function campaignWindow(
  override: { start: string; end: string; tz: string | null } | null | undefined,
  fallback: CallingWindow,
): CallingWindow {
  if (!override) return fallback;
  const startMinute = parseClock(override.start);
  const endMinute = parseClock(override.end);
  if (startMinute === undefined || endMinute === undefined || startMinute >= endMinute) return fallback;
  return { startMinute, endMinute, timeZone: override.tz ?? fallback.timeZone };
}
