// Writes the Block Kit of a sample progress message and finish report (docs/progress-message-sample.json) from the
// real builders, and prints a link that opens the message in Slack's Block Kit Builder.
//   node --import tsx bench/render-sample-message.ts
import { writeFileSync } from 'node:fs';
import { Types } from 'mongoose';
import { reportOf } from '../src/campaigns/campaign-report.js';
import type { CampaignFields } from '../src/store/campaign-model.js';
import { finishReportMessage } from '../src/slack/blocks/finish-report-blocks.js';
import { progressMessage } from '../src/slack/blocks/progress-blocks.js';

const now = new Date('2026-12-01T05:30:00Z');
const counts = {
  pending: 440,
  retrying: 31,
  dialing: 2,
  initiated: 6,
  unknown: 1,
  completed: 612,
  busy: 41,
  'no-answer': 52,
  failed: 9,
  canceled: 0,
  skipped: 6,
};
const campaign = {
  _id: new Types.ObjectId('6b0d2a1f0e4c2b1a9d8e7f60'),
  name: 'emi-dec-week1',
  title: 'EMI reminder — December, week 1',
  status: 'running',
  status_reason: null,
  started_at: new Date('2026-12-01T03:30:00Z'),
  started_by: 'U0ASHA',
  completed_at: null,
  last_action: { verb: 'start', by: 'U0ASHA', at: new Date('2026-12-01T03:30:00Z') },
  counts,
  total_contacts: Object.values(counts).reduce((a, b) => a + b, 0),
  calls_failed: 102,
  dial_wait: { reason: null, until: null },
  scheduled_at: null,
  mode: 'live',
  calling_hours: { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', tz: 'Asia/Kolkata', skip: ['2026-12-25'] },
  keys: { '1': 'paid', '2': 'call me back', '9': 'do not call' },
  stats: {
    placed: 721,
    talk_seconds: 21_630,
    cost: 0,
    cost_pending: 0,
    cost_missing: 0,
    answered_human: 580,
    answered_machine: 32,
    keys: { '1': 402, '2': 61, '9': 7 },
    hours: {},
  },
} as unknown as CampaignFields;

const message = progressMessage({ campaign, callsPerMinute: 120, now, hours: { open: true, changesAt: null }, withActions: true });
const ended = {
  ...campaign,
  status: 'completed',
  completed_at: new Date('2026-12-01T09:10:00Z'),
  stats: { ...campaign.stats, cost: 1083.5 },
} as CampaignFields;
const report = finishReportMessage({ campaign: ended, report: reportOf(ended) });
writeFileSync(
  new URL('../docs/progress-message-sample.json', import.meta.url),
  `${JSON.stringify({ progress: message, finishReport: report }, null, 2)}\n`,
);
console.log(`https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks: message.blocks }))}`);
