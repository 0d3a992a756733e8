// What the end-of-campaign chart costs: render time and memory of renderOutcomeChart for a one-week hourly chart
// (168 bars; calls 09:00–20:00 IST each day, zero elsewhere) at the default 1200×600. Prints, asserts nothing.
//
//   node --import tsx bench/outcome-chart.ts                # 30 warm renders
//   node --import tsx bench/outcome-chart.ts --renders 100
//
// "first" is the first render in the process (font registration, Skia and Chart.js warm-up), after the modules are
// imported; "warm" are the renders after it, one at a time. RSS: before importing the chart modules, after them, and
// the process's peak (getrusage maxrss), so "peak − before import" is what rendering adds to the bot.
import { parseArgs } from 'node:util';
import { sampleDay } from './sample-outcomes.js';

const { values } = parseArgs({ options: { renders: { type: 'string', default: '30' } } });
const RENDERS = Number(values.renders);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

const rssBefore = process.memoryUsage.rss();
const { renderOutcomeChart } = await import('../src/slack/chart/outcome-chart.js');
const rssImported = process.memoryUsage.rss();

const days = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'];
const active = days.flatMap((day) => sampleDay(day, 1500, 9, 20));
const zero = { completed: 0, busy: 0, noAnswer: 0, failed: 0, canceled: 0 };
const start = Date.parse('2026-11-02T00:00:00+05:30');
const hours = Array.from({ length: 168 }, (_, i) => ({ hour: new Date(start + i * 3_600_000), ...zero }));
const input = { title: 'Collections — week 45', timeZone: 'Asia/Kolkata', hours: [...hours, ...active] };

let t = performance.now();
const png = await renderOutcomeChart(input);
const first = performance.now() - t;
const warm: number[] = [];
for (let i = 0; i < RENDERS; i++) {
  t = performance.now();
  await renderOutcomeChart(input);
  warm.push(performance.now() - t);
}
warm.sort((a, b) => a - b);
const pct = (p: number) => warm[Math.min(warm.length - 1, Math.floor(p * warm.length))]!.toFixed(1);

console.log(
  `one-week hourly chart (168 bars, ${active.reduce((n, h) => n + h.completed + h.busy + h.noAnswer + h.failed + h.canceled, 0).toLocaleString('en-IN')} calls), 1200×600, PNG ${(png.length / 1024).toFixed(0)} KB`,
);
console.log(`first render        ${first.toFixed(1)} ms`);
console.log(`warm renders (${RENDERS})   median ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${warm.at(-1)!.toFixed(1)} ms`);
console.log(`RSS before import   ${mb(rssBefore)}`);
console.log(`RSS after import    ${mb(rssImported)}`);
console.log(`RSS now             ${mb(process.memoryUsage.rss())}`);
console.log(`peak RSS (maxrss)   ${mb(process.resourceUsage().maxRSS * 1024)}`);
