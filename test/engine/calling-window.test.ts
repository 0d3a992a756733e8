// The daily calling window: when calls may be placed, and when that changes, read in the window's own time zone.
import { describe, expect, it } from 'vitest';
import type { CallingWindow } from '../../src/config.js';
import { campaignWindow, parseClock, windowStatus } from '../../src/engine/calling-window.js';

const IST_9_TO_21: CallingWindow = { startMinute: 9 * 60, endMinute: 21 * 60, timeZone: 'Asia/Kolkata' };
const UTC_9_TO_21: CallingWindow = { ...IST_9_TO_21, timeZone: 'UTC' };

// IST is UTC+05:30 all year, so 09:00 IST is 03:30Z and 21:00 IST is 15:30Z.
const at = (iso: string) => new Date(iso);

describe('parseClock', () => {
  it('reads HH:MM as minutes after midnight', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('09:00')).toBe(540);
    expect(parseClock('9:05')).toBe(545);
    expect(parseClock('21:30')).toBe(1290);
    expect(parseClock(' 23:59 ')).toBe(1439);
  });

  it('allows 24:00 as the end of the day and nothing past it', () => {
    expect(parseClock('24:00')).toBe(1440);
    expect(parseClock('24:01')).toBeUndefined();
    expect(parseClock('25:00')).toBeUndefined();
  });

  it('rejects what is not a clock time', () => {
    for (const bad of ['', '9', '0900', '09:0', '09:60', '9am', '09:00:00', '-1:00', 'ab:cd']) {
      expect(parseClock(bad), bad).toBeUndefined();
    }
  });
});

describe('windowStatus', () => {
  it('is open inside the window and says when it closes', () => {
    expect(windowStatus(at('2026-11-25T06:00:00Z'), IST_9_TO_21)).toEqual({ open: true, changesAt: at('2026-11-25T15:30:00Z') });
  });

  it('opens exactly at the start minute', () => {
    expect(windowStatus(at('2026-11-25T03:30:00Z'), IST_9_TO_21)).toEqual({ open: true, changesAt: at('2026-11-25T15:30:00Z') });
  });

  it('is closed one second before the start, and opens one second later', () => {
    expect(windowStatus(at('2026-11-25T03:29:59Z'), IST_9_TO_21)).toEqual({ open: false, changesAt: at('2026-11-25T03:30:00Z') });
  });

  it('is open one second before the end, and closes one second later', () => {
    expect(windowStatus(at('2026-11-25T15:29:59Z'), IST_9_TO_21)).toEqual({ open: true, changesAt: at('2026-11-25T15:30:00Z') });
  });

  it('closes exactly at the end minute and reopens at the next day’s start', () => {
    expect(windowStatus(at('2026-11-25T15:30:00Z'), IST_9_TO_21)).toEqual({ open: false, changesAt: at('2026-11-26T03:30:00Z') });
  });

  it('after midnight local time, reopens the same local morning', () => {
    // 2026-11-25T20:00Z is 01:30 IST on the 26th.
    expect(windowStatus(at('2026-11-25T20:00:00Z'), IST_9_TO_21)).toEqual({ open: false, changesAt: at('2026-11-26T03:30:00Z') });
  });

  it('reads the window in its own time zone: one instant, IST open, UTC closed', () => {
    const instant = at('2026-11-25T04:00:00Z'); // 09:30 IST, 04:00 UTC
    expect(windowStatus(instant, IST_9_TO_21)).toEqual({ open: true, changesAt: at('2026-11-25T15:30:00Z') });
    expect(windowStatus(instant, UTC_9_TO_21)).toEqual({ open: false, changesAt: at('2026-11-25T09:00:00Z') });
  });

  it('one instant, IST closed, UTC open', () => {
    const instant = at('2026-11-25T16:00:00Z'); // 21:30 IST, 16:00 UTC
    expect(windowStatus(instant, IST_9_TO_21)).toEqual({ open: false, changesAt: at('2026-11-26T03:30:00Z') });
    expect(windowStatus(instant, UTC_9_TO_21)).toEqual({ open: true, changesAt: at('2026-11-25T21:00:00Z') });
  });

  it('a whole-day window is always open', () => {
    const allDay: CallingWindow = { startMinute: 0, endMinute: 24 * 60, timeZone: 'Asia/Kolkata' };
    for (const iso of ['2026-11-25T18:30:00Z', '2026-11-25T18:29:59Z', '2026-11-25T06:00:00Z']) {
      expect(windowStatus(at(iso), allDay).open, iso).toBe(true);
    }
  });
});

describe('campaignWindow', () => {
  it('uses the account window when the campaign has none', () => {
    expect(campaignWindow(null, IST_9_TO_21)).toBe(IST_9_TO_21);
    expect(campaignWindow(undefined, IST_9_TO_21)).toBe(IST_9_TO_21);
  });

  it('uses the campaign’s own window, in its own zone', () => {
    expect(campaignWindow({ start: '10:00', end: '18:30', tz: 'Europe/London' }, IST_9_TO_21)).toEqual({
      startMinute: 600,
      endMinute: 1110,
      timeZone: 'Europe/London',
    });
  });

  it('takes the account time zone when the campaign names none', () => {
    expect(campaignWindow({ start: '10:00', end: '18:00', tz: null }, UTC_9_TO_21)).toEqual({
      startMinute: 600,
      endMinute: 1080,
      timeZone: 'UTC',
    });
  });

  it('falls back to the account window when the campaign’s is unreadable or empty', () => {
    expect(campaignWindow({ start: '18:00', end: '10:00', tz: null }, IST_9_TO_21)).toBe(IST_9_TO_21);
    expect(campaignWindow({ start: '10:00', end: '10:00', tz: null }, IST_9_TO_21)).toBe(IST_9_TO_21);
    expect(campaignWindow({ start: '10:00', end: '25:00', tz: null }, IST_9_TO_21)).toBe(IST_9_TO_21);
    expect(campaignWindow({ start: 'soon', end: '18:00', tz: null }, IST_9_TO_21)).toBe(IST_9_TO_21);
  });

  it('a campaign window decides windowStatus', () => {
    const w = campaignWindow({ start: '10:00', end: '18:00', tz: null }, IST_9_TO_21);
    // 09:30 IST: open for the account, closed for this campaign until 10:00 IST (04:30Z).
    expect(windowStatus(at('2026-11-25T04:00:00Z'), w)).toEqual({ open: false, changesAt: at('2026-11-25T04:30:00Z') });
  });
});
