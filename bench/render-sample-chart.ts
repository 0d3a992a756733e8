// Renders docs/chart-sample.png: 1,200 EMI reminder calls, 10:00–17:00 IST on one day.
// Run: node --import tsx bench/render-sample-chart.ts [--out docs/chart-sample.png]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderOutcomeChart } from '../src/slack/chart/outcome-chart.js';
import { sampleDay } from './sample-outcomes.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/chart-sample.png' } } });
const png = await renderOutcomeChart({ title: 'EMI reminder — November', timeZone: 'Asia/Kolkata', hours: sampleDay('2026-11-05', 1200) });
writeFileSync(values.out, png);
console.log(`wrote ${values.out} (${png.length.toLocaleString('en-IN')} bytes)`);
