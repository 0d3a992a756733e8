/** A tick label: one line ("10:00"), or two when the day changes on a chart that spans days ("00:00", "6 Nov"). */
export type HourTick = string[] | null;

/** Hours between labelled ticks, tried smallest first; past a day, ticks fall on local midnight every n days. */
const TICK_STEPS = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168] as const;

interface LocalHour {
  /** Local hour of day, 0–23. */
  hour: number;
  /** "10:00" (or "10:30" in a zone whose offset is not whole hours from the UTC hours given). */
  time: string;
  /** "5 Nov" */
  day: string;
  year: string;
  /** Short zone name at that instant: "IST", "GMT+1", "PST". */
  zone: string;
}

/**
 * Hours as read on the wall clock of one IANA time zone: the chart's hour labels and its date range. Labels are
 * computed with Intl (the ICU data in Node), not with the process's TZ, so the server's own zone never leaks in.
 */
export class ZonedHours {
  readonly #format: Intl.DateTimeFormat;

  /** Throws RangeError when `timeZone` is not a time zone Node knows. */
  constructor(readonly timeZone: string) {
    try {
      this.#format = new Intl.DateTimeFormat('en-IN', {
        timeZone,
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      });
    } catch {
      throw new RangeError(`Expected \`timeZone\` to be an IANA time zone such as Asia/Kolkata, got \`${timeZone}\``);
    }
  }

  /**
   * One label per hour, null for hours left unlabelled so that at most `maxTicks` labels are drawn, on round hours
   * (every 1, 2, 3, 4, 6 or 12 hours, or at midnight). Labels carry the date as a second line when the hours span
   * more than one local day, on the first label and wherever the date changes.
   */
  ticks(hours: readonly Date[], maxTicks: number): HourTick[] {
    const local = hours.map((h) => this.#local(h));
    const dayIndex = dayIndices(local);
    const shownAt = (step: number) => (i: number) =>
      step <= 24 ? local[i]!.hour % step === 0 : local[i]!.hour === 0 && dayIndex[i]! % (step / 24) === 0;
    const step = TICK_STEPS.find((s) => local.filter((_, i) => shownAt(s)(i)).length <= maxTicks) ?? TICK_STEPS.at(-1)!;
    const shown = shownAt(step);
    const multiDay = (dayIndex.at(-1) ?? 0) > 0;
    let lastDay = -1;
    return local.map((h, i) => {
      if (!shown(i)) return null;
      if (!multiDay || dayIndex[i] === lastDay) return [h.time];
      lastDay = dayIndex[i]!;
      return [h.time, h.day];
    });
  }

  /** "5 Nov 2026, 10:00–17:00 IST", or "5 Nov 10:00 – 11 Nov 2026 17:00 IST" across days; `end` is exclusive. */
  range(start: Date, end: Date): string {
    const a = this.#local(start);
    const b = this.#local(end);
    if (a.day === b.day && a.year === b.year) return `${a.day} ${a.year}, ${a.time}–${b.time} ${a.zone}`;
    const startDay = a.year === b.year ? a.day : `${a.day} ${a.year}`;
    return `${startDay} ${a.time} – ${b.day} ${b.year} ${b.time} ${b.zone}`;
  }

  #local(instant: Date): LocalHour {
    const parts: Record<string, string> = {};
    for (const part of this.#format.formatToParts(instant)) parts[part.type] = part.value;
    const hour = Number(parts['hour']) % 24; // some ICU versions write midnight as "24" under h23
    return {
      hour,
      time: `${String(hour).padStart(2, '0')}:${parts['minute']}`,
      day: `${parts['day']} ${parts['month']}`,
      year: parts['year'] ?? '',
      zone: parts['timeZoneName'] ?? this.timeZone,
    };
  }
}

/** 0 for hours on the first local date, 1 on the next date seen, and so on. */
function dayIndices(local: readonly LocalHour[]): number[] {
  let index = 0;
  return local.map((h, i) => {
    if (i > 0 && (h.day !== local[i - 1]!.day || h.year !== local[i - 1]!.year)) index++;
    return index;
  });
}
