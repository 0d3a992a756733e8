import type { HourlyOutcomes } from '../src/slack/chart/outcome-chart.js';

/**
 * A plausible day of an EMI reminder campaign in India: `calls` spread over the hours `from`–`to` IST (busier
 * mid-morning, a lunch dip), about 60 % completed and a tenth of those answered by voicemail, not a person.
 * Deterministic, so the committed sample re-renders identically.
 */
export function sampleDay(day: string, calls: number, from = 10, to = 17): HourlyOutcomes[] {
  const shape = [0.8, 1.15, 1.2, 0.75, 0.9, 1.1, 1.05, 0.95, 0.9, 0.85, 0.8, 0.8, 0.75, 0.7];
  const weights = Array.from({ length: to - from }, (_, i) => shape[i % shape.length]!);
  const sum = weights.reduce((a, b) => a + b, 0);
  let left = calls;
  return weights.map((w, i) => {
    const n = i === weights.length - 1 ? left : Math.round((calls * w) / sum);
    left -= n;
    const lunch = from + i === 13 ? 0.82 : 1; // fewer people pick up over lunch
    const wobble = 1 + 0.06 * Math.sin(i * 2.3 + day.length);
    const completed = Math.round(n * 0.6 * lunch * wobble);
    const busy = Math.round(n * 0.1);
    const failed = Math.round(n * 0.035);
    const canceled = Math.round(n * 0.01);
    const noAnswer = n - completed - busy - failed - canceled;
    // Asia/Kolkata is UTC+05:30 all year: 10:00 IST is 04:30 UTC.
    const hour = new Date(Date.parse(`${day}T00:00:00+05:30`) + (from + i) * 3_600_000);
    return { hour, completed, busy, noAnswer, failed, canceled, answeredByPerson: Math.round(completed * 0.9) };
  });
}
