import { crc32, inflateSync } from 'node:zlib';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { hourlySeries, MAX_CHART_HOURS } from '../../src/slack/chart/hourly-series.js';
import { OUTCOME_COLORS } from '../../src/slack/chart/outcome-chart-config.js';
import { renderOutcomeChart, type HourlyOutcomes } from '../../src/slack/chart/outcome-chart.js';
import { ZonedHours } from '../../src/slack/chart/zoned-hours.js';

const HOUR = 3_600_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** 10:00 IST on 5 Nov 2026 (IST is UTC+05:30 all year). */
const TEN_IST = Date.parse('2026-11-05T04:30:00Z');

function hour(offset: number, counts: Partial<HourlyOutcomes> = {}): HourlyOutcomes {
  return { hour: new Date(TEN_IST + offset * HOUR), completed: 60, busy: 10, noAnswer: 22, failed: 4, canceled: 1, ...counts };
}

function hours(count: number): HourlyOutcomes[] {
  return Array.from({ length: count }, (_, i) => hour(i, { completed: 40 + (i % 7) * 5, answeredByPerson: 35 }));
}

const chart = (overrides: Partial<Parameters<typeof renderOutcomeChart>[0]> = {}) =>
  renderOutcomeChart({ title: 'EMI reminder — November', timeZone: 'Asia/Kolkata', hours: hours(7), ...overrides });

/** Walks the PNG's chunks, checking each CRC; returns IHDR's fields and the inflated image data. */
function readPng(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of chunk ${chunks.length}`).toBe(crc32(typeAndData));
    chunks.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: typeAndData.subarray(4) });
    at += 12 + length;
  }
  expect(chunks[0]?.type).toBe('IHDR');
  expect(chunks.at(-1)?.type).toBe('IEND');
  const ihdr = chunks[0]!.data;
  const idat = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  return { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), bitDepth: ihdr[8], colorType: ihdr[9], idat };
}

/** Decodes with the canvas library itself, to read pixels. */
async function pixels(png: Buffer) {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  const at = (x: number, y: number) => Array.from(data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));
  const countWhere = (test: (r: number, g: number, b: number) => boolean, box = { x: 0, y: 0, w: image.width, h: image.height }) => {
    let n = 0;
    for (let y = box.y; y < box.y + box.h; y++) {
      for (let x = box.x, i = (y * image.width + x) * 4; x < box.x + box.w; x++, i += 4)
        if (test(data[i]!, data[i + 1]!, data[i + 2]!)) n++;
    }
    return n;
  };
  /** Pixels of exactly the colour `hex` in the whole picture. */
  const count = (hex: string) => {
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return countWhere((r, g, b) => r === rgb[0] && g === rgb[1] && b === rgb[2]);
  };
  /** Pixels in the rectangle dark enough to be text. */
  const dark = (box: { x: number; y: number; w: number; h: number }) => countWhere((r, g, b) => r < 128 && g < 128 && b < 128, box);
  return { width: image.width, height: image.height, data, at, count, dark };
}

describe('renderOutcomeChart: the PNG', () => {
  it('is a PNG of the requested size whose chunks all check out', async () => {
    const png = readPng(await chart({ width: 900, height: 450 }));
    expect([png.width, png.height]).toEqual([900, 450]);
    expect(png.bitDepth).toBe(8);
    const bytesPerPixel = { 2: 3, 6: 4 }[png.colorType!];
    expect(bytesPerPixel, `colour type ${png.colorType}`).toBeDefined();
    expect(png.idat.length).toBe(450 * (1 + 900 * bytesPerPixel!)); // a filter byte, then the row
  });

  it('is 1200×600 unless told otherwise', async () => {
    const png = readPng(await chart());
    expect([png.width, png.height]).toEqual([1200, 600]);
  });

  it('decodes to an opaque white picture with a bar of every outcome and the rate line', async () => {
    const image = await pixels(await chart({ width: 800, height: 400 }));
    expect([image.width, image.height]).toEqual([800, 400]);
    expect(image.at(2, 2)).toEqual([255, 255, 255, 255]); // white, not transparent: readable in Slack's dark theme
    for (const color of [OUTCOME_COLORS.completed, OUTCOME_COLORS.busy, OUTCOME_COLORS.noAnswer, OUTCOME_COLORS.couldNotConnect]) {
      expect(image.count(color), color).toBeGreaterThan(500);
    }
    expect(image.count(OUTCOME_COLORS.answerRate)).toBeGreaterThan(100);
  });
});

describe('renderOutcomeChart: text', () => {
  it('draws the title: two titles differ in the title band and only there', async () => {
    const [a, b] = await Promise.all([chart({ title: 'EMI reminder — November' }), chart({ title: 'Loan renewal offer, batch 2' })]);
    const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
    const differing = (y0: number, y1: number) => {
      let n = 0;
      for (let i = y0 * 1200 * 4; i < y1 * 1200 * 4; i++) if (pa.data[i] !== pb.data[i]) n++;
      return n;
    };
    expect(differing(0, 55)).toBeGreaterThan(500);
    expect(differing(120, 600)).toBe(0);
    expect(pa.dark({ x: 300, y: 10, w: 600, h: 45 })).toBeGreaterThan(500);
  });

  it('draws hour labels under the plot and percent labels beside it', async () => {
    const image = await pixels(await chart());
    expect(image.dark({ x: 80, y: 530, w: 1040, h: 30 })).toBeGreaterThan(300); // "10:00" … "16:00"
    expect(image.dark({ x: 1110, y: 110, w: 60, h: 420 })).toBeGreaterThan(300); // "0%" … "100%"
  });
});

describe('renderOutcomeChart: campaigns of every length', () => {
  it('renders an empty campaign as "No calls yet", with no bars', async () => {
    const png = await chart({ hours: [] });
    const image = await pixels(png);
    expect(image.count(OUTCOME_COLORS.completed)).toBe(0);
    expect(image.dark({ x: 400, y: 250, w: 400, h: 100 })).toBeGreaterThan(500);
    expect(image.dark({ x: 300, y: 10, w: 600, h: 50 })).toBeGreaterThan(500);
  });

  it('draws hours that placed no call the same as no hours at all', async () => {
    const zero = { completed: 0, busy: 0, noAnswer: 0, failed: 0, canceled: 0 };
    const [none, zeros] = await Promise.all([chart({ hours: [] }), chart({ hours: [hour(0, zero), hour(3, zero)] })]);
    expect(zeros.equals(none)).toBe(true);
  });

  it('renders a 48-hour campaign and a week', async () => {
    for (const count of [48, 168]) {
      const png = await chart({ hours: hours(count), width: 1000, height: 500 });
      const image = await pixels(png);
      expect([image.width, image.height]).toEqual([1000, 500]);
      expect(image.count(OUTCOME_COLORS.completed), `${count} hours`).toBeGreaterThan(5000);
    }
  });

  it('renders a single hour', async () => {
    const image = await pixels(await chart({ hours: [hour(0)] }));
    expect(image.count(OUTCOME_COLORS.completed)).toBeGreaterThan(1000);
  });
});

describe('renderOutcomeChart: validation', () => {
  it('fails at once on a bad size, time zone, title or count', async () => {
    await expect(chart({ width: 100 })).rejects.toThrow('Expected `width` to be an integer from 320 to 4096, got `100`');
    await expect(chart({ height: 600.5 })).rejects.toThrow('Expected `height` to be an integer from 200 to 4096, got `600.5`');
    await expect(chart({ timeZone: 'Mars/Olympus' })).rejects.toThrow(
      'Expected `timeZone` to be an IANA time zone such as Asia/Kolkata, got `Mars/Olympus`',
    );
    await expect(chart({ title: undefined as unknown as string })).rejects.toThrow('Expected `title` to be a string, got `undefined`');
    await expect(chart({ hours: [hour(0), hour(1, { busy: -1 })] })).rejects.toThrow(
      'Expected `hours[1].busy` to be a non-negative integer, got `-1`',
    );
    await expect(chart({ hours: [hour(0, { hour: new Date(Number.NaN) })] })).rejects.toThrow(
      'Expected `hours[0].hour` to be a valid Date',
    );
  });

  it('refuses hours off the hourly grid, too many calls answered, and spans too long to draw', async () => {
    const offGrid = { hour: new Date(TEN_IST + HOUR + 60_000) };
    await expect(chart({ hours: [hour(0), hour(0, offGrid)] })).rejects.toThrow(
      'Expected `hours[1].hour` to be a whole number of hours after the first hour',
    );
    await expect(chart({ hours: [hour(0, { answeredByPerson: 98 })] })).rejects.toThrow(
      "Expected `hours[0].answeredByPerson` to be at most the hour's 97 calls, got 98",
    );
    await expect(chart({ hours: [hour(0), hour(MAX_CHART_HOURS)] })).rejects.toThrow(
      `Expected \`hours\` to span at most ${MAX_CHART_HOURS} hours, got ${MAX_CHART_HOURS + 1}`,
    );
  });
});

describe('hourlySeries', () => {
  it('fills missing hours with zeros and adds entries for the same hour', () => {
    const series = hourlySeries([hour(2, { completed: 5 }), hour(0), hour(2, { completed: 7 })]);
    expect(series.hours.map((h) => h.getTime())).toEqual([TEN_IST, TEN_IST + HOUR, TEN_IST + 2 * HOUR]);
    expect(series.completed).toEqual([60, 0, 12]);
    expect(series.busy).toEqual([10, 0, 20]);
    expect(series.couldNotConnect).toEqual([5, 0, 10]); // failed + canceled
    expect(series.totalCalls).toBe(97 + 0 + 2 * 37 + 12);
  });

  it('takes the answer rate from answeredByPerson when known, else from completed; none for an hour without calls', () => {
    const series = hourlySeries([
      hour(0, { completed: 50, busy: 20, noAnswer: 20, failed: 5, canceled: 5 }),
      hour(2, { completed: 50, busy: 20, noAnswer: 20, failed: 5, canceled: 5, answeredByPerson: 40 }),
    ]);
    expect(series.answerRate).toEqual([50, null, 40]);
    expect(series.totalAnswered).toBe(90);
  });

  it('is empty for no hours', () => {
    expect(hourlySeries([])).toMatchObject({ hours: [], answerRate: [], totalCalls: 0 });
  });
});

describe('ZonedHours', () => {
  const zoned = new ZonedHours('Asia/Kolkata');
  const series = (count: number, start = TEN_IST) => Array.from({ length: count }, (_, i) => new Date(start + i * HOUR));

  it('labels every hour of a short day on the zone’s own clock', () => {
    expect(zoned.ticks(series(7), 20)).toEqual([['10:00'], ['11:00'], ['12:00'], ['13:00'], ['14:00'], ['15:00'], ['16:00']]);
    expect(new ZonedHours('Europe/London').ticks(series(2), 20)).toEqual([['04:30'], ['05:30']]);
  });

  it('labels round hours only when there is no room for all, with the date where the day changes', () => {
    const midnight = Date.parse('2026-11-05T00:00:00+05:30');
    const ticks = zoned.ticks(series(168, midnight), 16);
    const labelled = ticks.flatMap((t, i) => (t ? [[i, ...t]] : []));
    expect(labelled.slice(0, 4)).toEqual([
      [0, '00:00', '5 Nov'],
      [12, '12:00'],
      [24, '00:00', '6 Nov'],
      [36, '12:00'],
    ]);
    expect(labelled).toHaveLength(14);
  });

  it('writes the date range in the zone, with its short name', () => {
    expect(zoned.range(new Date(TEN_IST), new Date(TEN_IST + 7 * HOUR))).toBe('5 Nov 2026, 10:00–17:00 IST');
    expect(zoned.range(new Date(TEN_IST), new Date(TEN_IST + 31 * HOUR))).toBe('5 Nov 10:00 – 6 Nov 2026 17:00 IST');
  });
});
