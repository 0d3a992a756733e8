import type { HourlyOutcomes } from './outcome-chart.js';

const HOUR_MS = 3_600_000;

/**
 * The longest span drawn, in hours (62 days). Bars are then ~1 px wide at the default size; a stray hour far from the
 * rest (a bad timestamp) would otherwise ask for hundreds of thousands of bars.
 */
export const MAX_CHART_HOURS = 24 * 62;

const OUTCOME_FIELDS = ['completed', 'busy', 'noAnswer', 'failed', 'canceled'] as const;

/** One bar per hour from the first hour given to the last, hours not given counted as zero. */
export interface HourlySeries {
  /** Start of each hour (UTC instant), one hour apart. */
  hours: Date[];
  completed: number[];
  busy: number[];
  noAnswer: number[];
  /** Failed + canceled: the call never reached the person's phone. */
  couldNotConnect: number[];
  /** Percent 0–100, or null for an hour without calls (the line has a gap there, not a fall to 0 %). */
  answerRate: (number | null)[];
  totalCalls: number;
  /** Answered calls (by a person when known, else completed), summed over the hours. */
  totalAnswered: number;
}

/**
 * Fills the gaps of a sparse list of hourly outcome counts and computes each hour's answer rate. Entries for the
 * same hour are added together. Throws TypeError / RangeError on counts that are not non-negative integers, on
 * invalid dates, on hours that are not a whole number of hours apart, and on spans longer than {@link MAX_CHART_HOURS}.
 */
export function hourlySeries(input: readonly HourlyOutcomes[]): HourlySeries {
  if (!Array.isArray(input)) throw new TypeError(`Expected \`hours\` to be an array, got \`${typeof input}\``);
  input.forEach(checkEntry);
  const series: HourlySeries = {
    hours: [],
    completed: [],
    busy: [],
    noAnswer: [],
    couldNotConnect: [],
    answerRate: [],
    totalCalls: 0,
    totalAnswered: 0,
  };
  if (input.length === 0) return series;

  const first = input.reduce((min, h) => Math.min(min, h.hour.getTime()), Infinity);
  const offsets = input.map((entry, i) => {
    const offset = (entry.hour.getTime() - first) / HOUR_MS;
    if (Number.isInteger(offset)) return offset;
    throw new RangeError(
      `Expected \`hours[${i}].hour\` to be a whole number of hours after the first hour (${new Date(first).toISOString()}), got ${entry.hour.toISOString()}`,
    );
  });
  const span = offsets.reduce((max, o) => Math.max(max, o), 0) + 1;
  const last = first + (span - 1) * HOUR_MS;
  if (span > MAX_CHART_HOURS) {
    throw new RangeError(
      `Expected \`hours\` to span at most ${MAX_CHART_HOURS} hours, got ${span} (from ${new Date(first).toISOString()} to ${new Date(last).toISOString()})`,
    );
  }
  const answered = new Array<number>(span).fill(0);
  for (let i = 0; i < span; i++) {
    series.hours.push(new Date(first + i * HOUR_MS));
    series.completed.push(0);
    series.busy.push(0);
    series.noAnswer.push(0);
    series.couldNotConnect.push(0);
  }
  input.forEach((entry, i) => {
    const offset = offsets[i]!;
    series.completed[offset]! += entry.completed;
    series.busy[offset]! += entry.busy;
    series.noAnswer[offset]! += entry.noAnswer;
    series.couldNotConnect[offset]! += entry.failed + entry.canceled;
    answered[offset]! += entry.answeredByPerson ?? entry.completed;
  });
  for (let i = 0; i < span; i++) {
    const calls = series.completed[i]! + series.busy[i]! + series.noAnswer[i]! + series.couldNotConnect[i]!;
    series.answerRate.push(calls === 0 ? null : (100 * answered[i]!) / calls);
    series.totalCalls += calls;
    series.totalAnswered += answered[i]!;
  }
  return series;
}

function checkEntry(entry: HourlyOutcomes, i: number): void {
  if (!(entry?.hour instanceof Date) || Number.isNaN(entry.hour.getTime())) {
    throw new TypeError(`Expected \`hours[${i}].hour\` to be a valid Date, got \`${String(entry?.hour)}\``);
  }
  for (const field of OUTCOME_FIELDS) checkCount(entry[field], `hours[${i}].${field}`);
  if (entry.answeredByPerson !== undefined) {
    checkCount(entry.answeredByPerson, `hours[${i}].answeredByPerson`);
    const calls = OUTCOME_FIELDS.reduce((sum, field) => sum + entry[field], 0);
    if (entry.answeredByPerson > calls) {
      throw new RangeError(
        `Expected \`hours[${i}].answeredByPerson\` to be at most the hour's ${calls} calls, got ${entry.answeredByPerson}`,
      );
    }
  }
}

function checkCount(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative integer, got \`${String(value)}\``);
  }
}
