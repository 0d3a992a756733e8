import { Chart, type ChartConfiguration, type ChartDataset, type FontSpec, type LegendItem, type Plugin } from 'chart.js';
import type { HourlySeries } from './hourly-series.js';
import type { ZonedHours } from './zoned-hours.js';

/** The Okabe–Ito palette (distinct under the common colour-vision deficiencies), and a near-black rate line. */
export const OUTCOME_COLORS = {
  completed: '#009E73',
  busy: '#E69F00',
  noAnswer: '#56B4E9',
  couldNotConnect: '#D55E00',
  answerRate: '#1A1A1A',
  text: '#1F2328',
  mutedText: '#57606A',
  grid: '#E5E7EB',
  background: '#FFFFFF',
} as const;

/** What the chart's layout depends on besides the data. */
export interface ChartFrame {
  title: string;
  width: number;
  height: number;
  fontFamily: string;
}

type OutcomeChartConfiguration = ChartConfiguration<'bar' | 'line', (number | null)[], string>;

/**
 * Chart.js configuration for calls per hour by outcome (stacked bars, counts on the left axis) with the answer rate
 * as a line on a 0–100 % right axis. Sizes are set for a 1000×500 image and scaled with the frame, so the text
 * stays the same share of the picture Slack shrinks into its preview.
 */
export function outcomeChartConfig(series: HourlySeries, zoned: ZonedHours, frame: ChartFrame): OutcomeChartConfiguration {
  const font = fonts(frame);
  const plotWidth = frame.width - 160 * scaleOf(frame);
  const ticks = zoned.ticks(series.hours, Math.max(2, Math.floor(plotWidth / (font.tick.size * 4.5))));
  return {
    type: 'bar',
    data: { labels: ticks.map((t, i) => t?.[0] ?? String(i)), datasets: datasets(series, scaleOf(frame)) },
    options: {
      ...staticOptions(frame),
      plugins: {
        ...headings(frame, summary(series, zoned)),
        legend: {
          display: true,
          position: 'top',
          labels: {
            color: OUTCOME_COLORS.text,
            font: font.legend,
            usePointStyle: true,
            boxHeight: font.legend.size * 0.8,
            generateLabels: lineAsLine,
          },
        },
      },
      scales: {
        x: {
          stacked: true,
          grid: { color: OUTCOME_COLORS.grid, offset: false },
          title: { display: true, text: `Hour (${zoned.timeZone})`, color: OUTCOME_COLORS.mutedText, font: font.axis },
          ticks: {
            autoSkip: false,
            maxRotation: 0,
            color: OUTCOME_COLORS.text,
            font: font.tick,
            callback: (_value, index) => ticks[index] ?? null,
          },
        },
        calls: {
          type: 'linear',
          position: 'left',
          stacked: true,
          beginAtZero: true,
          grid: { color: OUTCOME_COLORS.grid },
          title: { display: true, text: 'Calls', color: OUTCOME_COLORS.mutedText, font: font.axis },
          ticks: { precision: 0, color: OUTCOME_COLORS.text, font: font.tick },
        },
        rate: {
          type: 'linear',
          position: 'right',
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'Answer rate', color: OUTCOME_COLORS.mutedText, font: font.axis },
          ticks: { stepSize: 20, color: OUTCOME_COLORS.text, font: font.tick, callback: (value) => `${value}%` },
        },
      },
    },
    plugins: [whiteBackground],
  };
}

/** The chart for a campaign that has placed no call: the same title, and "No calls yet" where the bars would be. */
export function emptyChartConfig(zoned: ZonedHours, frame: ChartFrame): OutcomeChartConfiguration {
  return {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: {
      ...staticOptions(frame),
      plugins: { ...headings(frame, `Calls per hour by outcome (${zoned.timeZone})`), legend: { display: false } },
      scales: { x: { display: false }, y: { display: false } },
    },
    plugins: [whiteBackground, noCallsMessage(fonts(frame).message)],
  };
}

/** Bars stacked bottom-up in legend order; the rate line drawn over them (lower `order` draws later). */
function datasets(series: HourlySeries, s: number): OutcomeChartConfiguration['data']['datasets'] {
  const dense = series.hours.length > 48; // thin bars: no gaps between them and no points on the line
  const bar = (label: string, data: number[], color: string): ChartDataset<'bar', number[]> => ({
    type: 'bar',
    label,
    data,
    backgroundColor: color,
    stack: 'calls',
    yAxisID: 'calls',
    order: 1,
    barPercentage: dense ? 1 : 0.9,
    categoryPercentage: dense ? 0.85 : 0.8,
    pointStyle: 'rect',
  });
  const rateLine: ChartDataset<'line', (number | null)[]> = {
    type: 'line',
    label: 'Answer rate',
    data: series.answerRate,
    yAxisID: 'rate',
    order: 0,
    spanGaps: false,
    borderColor: OUTCOME_COLORS.answerRate,
    backgroundColor: OUTCOME_COLORS.answerRate,
    borderWidth: 2.5 * s,
    pointRadius: dense ? 0 : 3.5 * s,
    pointBorderColor: OUTCOME_COLORS.background,
    pointBorderWidth: 1.5 * s,
    pointStyle: 'circle',
    tension: 0,
  };
  return [
    bar('Completed', series.completed, OUTCOME_COLORS.completed),
    bar('Busy', series.busy, OUTCOME_COLORS.busy),
    bar('No answer', series.noAnswer, OUTCOME_COLORS.noAnswer),
    bar('Could not connect', series.couldNotConnect, OUTCOME_COLORS.couldNotConnect),
    rateLine,
  ] as OutcomeChartConfiguration['data']['datasets'];
}

/** A title too wide for the image is squeezed by Chart.js to fit; past ~100 characters that is unreadable, so cut. */
const MAX_TITLE_CHARACTERS = 100;

function headings(frame: ChartFrame, subtitle: string) {
  const font = fonts(frame);
  const s = scaleOf(frame);
  const characters = Array.from(frame.title.trim());
  const title =
    characters.length > MAX_TITLE_CHARACTERS
      ? `${characters
          .slice(0, MAX_TITLE_CHARACTERS - 1)
          .join('')
          .trimEnd()}…`
      : characters.join('');
  return {
    title: { display: true, text: title, color: OUTCOME_COLORS.text, font: font.title, padding: { top: 4 * s, bottom: 2 * s } },
    subtitle: { display: true, text: subtitle, color: OUTCOME_COLORS.mutedText, font: font.subtitle, padding: { bottom: 8 * s } },
  };
}

function staticOptions(frame: ChartFrame) {
  // A server draws one frame: no animation (it would draw the first, empty frame), no resize observers, 1 px per px.
  return { responsive: false, animation: false, devicePixelRatio: 1, locale: 'en-IN', layout: { padding: 12 * scaleOf(frame) } } as const;
}

function scaleOf(frame: { width: number; height: number }): number {
  return Math.min(frame.width / 1000, frame.height / 500);
}

function fonts(frame: ChartFrame) {
  const s = scaleOf(frame);
  const font = (px: number, weight: FontSpec['weight'] = 'normal'): FontSpec => ({
    family: frame.fontFamily,
    size: Math.max(10, Math.round(px * s)),
    weight,
    style: 'normal',
    lineHeight: 1.2,
  });
  return { title: font(22, 600), subtitle: font(14), legend: font(14), tick: font(13), axis: font(13), message: font(28, 600) };
}

/** "5 Nov 2026, 10:00–17:00 IST · 1,200 calls · 58% answered" */
function summary(series: HourlySeries, zoned: ZonedHours): string {
  const end = new Date(series.hours.at(-1)!.getTime() + 3_600_000);
  const rate = Math.round((100 * series.totalAnswered) / series.totalCalls);
  const calls = series.totalCalls.toLocaleString('en-IN');
  return `${zoned.range(series.hours[0]!, end)} · ${calls} call${series.totalCalls === 1 ? '' : 's'} · ${rate}% answered`;
}

/**
 * Legend entries as the marks look and in the order the bars stack: squares for the bars, then a line for the answer
 * rate. By default Chart.js sorts by draw order (the line first) and styles the line's entry like its white-rimmed
 * points, which draws nothing visible.
 */
function lineAsLine(chart: Chart): LegendItem[] {
  return Chart.defaults.plugins.legend.labels
    .generateLabels(chart)
    .sort((a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0))
    .map((item) => {
      const dataset = item.datasetIndex === undefined ? undefined : chart.data.datasets[item.datasetIndex];
      if (dataset?.type !== 'line') return item;
      return { ...item, pointStyle: 'line', strokeStyle: OUTCOME_COLORS.answerRate, lineWidth: 3 * scaleOf(chart) };
    });
}

/** Chart.js leaves the canvas transparent; Slack's dark theme would then show black text on near-black. */
const whiteBackground: Plugin<'bar' | 'line'> = {
  id: 'campaignBotWhiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = OUTCOME_COLORS.background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

function noCallsMessage(font: FontSpec): Plugin<'bar' | 'line'> {
  return {
    id: 'campaignBotNoCalls',
    afterDraw(chart) {
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.font = `${font.weight} ${font.size}px "${font.family}"`;
      ctx.fillStyle = OUTCOME_COLORS.mutedText;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('No calls yet', (chartArea.left + chartArea.right) / 2, (chartArea.top + chartArea.bottom) / 2);
      ctx.restore();
    },
  };
}
