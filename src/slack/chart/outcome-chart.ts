import { createCanvas } from '@napi-rs/canvas';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  SubTitle,
  Title,
  type ChartItem,
} from 'chart.js';
import { chartFont } from './chart-font.js';
import { hourlySeries } from './hourly-series.js';
import { emptyChartConfig, outcomeChartConfig } from './outcome-chart-config.js';
import { ZonedHours } from './zoned-hours.js';

export interface HourlyOutcomes {
  /** Start of the hour (UTC instant). Bucket by the campaign's local hour so labels read "10:00", not "09:30". */
  hour: Date;
  completed: number;
  busy: number;
  noAnswer: number;
  failed: number;
  canceled: number;
  /** Answered by a person (Exotel's AnsweredBy=human) when known; else undefined → the rate uses completed. */
  answeredByPerson?: number;
}

export interface OutcomeChartInput {
  /** Drawn as the chart's title, e.g. "EMI reminder — November". */
  title: string;
  /** IANA, e.g. Asia/Kolkata; hour labels and the date range are in this zone. */
  timeZone: string;
  /** May be sparse (missing hours count as zero) or empty ("No calls yet"). Entries for the same hour are added. */
  hours: HourlyOutcomes[];
  /** Pixels, 320–4096. Default 1200: Slack previews it at about 800 wide, still readable. */
  width?: number;
  /** Pixels, 200–4096. Default 600. */
  height?: number;
}

const DEFAULT_WIDTH = 1200;
const DEFAULT_HEIGHT = 600;
const MAX_SIDE = 4096;

// Only what this chart draws; the tooltip and animations have no place on a server.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Title, SubTitle);

/**
 * Renders calls per hour by outcome (stacked bars: Completed, Busy, No answer, Could not connect = failed +
 * canceled) with the answer rate per hour, (answeredByPerson ?? completed) ÷ calls, as a line on a percent axis.
 * In-process (Chart.js on @napi-rs/canvas, a prebuilt Skia) with a font shipped in node_modules: no browser and no
 * system package or font. Throws TypeError / RangeError on bad input, before drawing anything.
 */
export async function renderOutcomeChart(input: OutcomeChartInput): Promise<Buffer> {
  if (typeof input?.title !== 'string') throw new TypeError(`Expected \`title\` to be a string, got \`${typeof input?.title}\``);
  const width = checkSide('width', input.width ?? DEFAULT_WIDTH, 320);
  const height = checkSide('height', input.height ?? DEFAULT_HEIGHT, 200);
  const zoned = new ZonedHours(input.timeZone);
  const series = hourlySeries(input.hours);

  const frame = { title: input.title, width, height, fontFamily: chartFont() };
  const config = series.totalCalls === 0 ? emptyChartConfig(zoned, frame) : outcomeChartConfig(series, zoned, frame);
  const canvas = createCanvas(width, height);
  // Chart.js takes any object with getContext('2d'); its types name only the DOM canvas.
  const chart = new Chart(canvas as unknown as ChartItem, config);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy(); // clears the canvas, so only after encoding
  }
}

function checkSide(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_SIDE) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} to ${MAX_SIDE}, got \`${String(value)}\``);
  }
  return value;
}
