// How many Slack Web API calls the progress message costs for a campaign of N contacts with 10% failures, next to the
// naive count (one chat.update per call, one thread reply per failure).
//
//   node --import tsx bench/slack-calls.ts                          # 10,000 contacts (needs a fast database, see below)
//   node --import tsx bench/slack-calls.ts --contacts 1000
//
// Real parts: the real ProgressReporter with its default settings (DEFAULT_PROGRESS_SETTINGS), the real database
// (MONGODB_URI, or the local FerretDB the tests use), and the fake Slack over HTTP, which records every call.
//
// Simulated clock. Exotel's top pace is 200 calls a minute, so 10,000 contacts take 50 minutes of wall time. The bench
// replaces Date.now with a virtual clock and advances it in steps of the reporter's own loop period (loopMs, 500 ms):
// in each step it writes to the database every contact change that falls due in that step (a call placed every
// 300 ms; each call ends 20–60 s later; exactly 10% end busy / no answer / failed), marks the campaign changed (what
// the engine's events do), then runs one reporter cycle (`runOnce`) to completion. The reporter reads the real
// documents and decides with the virtual clock, so its edits and thread replies are the ones it would make at 1x —
// without the timing noise of a loaded machine, and however slow the database is.
//
// Contact changes are written in bulk (updateMany per step) rather than through ContactState one by one: the reporter
// reads only call_status, outcome_at, last_outcome and reported_at, which the bulk updates set as ContactState does.
//
// Cost: each reporter cycle runs about five queries over the campaign's contacts. FerretDB v1 (SQLite) scans the
// collection for each (about 1 s per query at 10,000 contacts on a 2-core machine), so 6,000 cycles take hours there;
// with a real MongoDB (MONGODB_URI) they take milliseconds. The bench prints its own wall time.
import { parseArgs } from 'node:util';
import { WebClient } from '@slack/web-api';
import type { Types } from 'mongoose';
import { CampaignEvents } from '../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../src/campaigns/campaign-transitions.js';
import { createLogger } from '../src/logger.js';
import { DEFAULT_PROGRESS_SETTINGS, ProgressReporter } from '../src/slack/progress/progress-reporter.js';
import type { CampaignFields } from '../src/store/campaign-model.js';
import type { TerminalCallStatus } from '../src/store/contact-model.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';
import { startFakeSlack } from '../test/fakes/fake-slack.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    'calls-per-minute': { type: 'string', default: '200' },
    'failure-rate': { type: 'string', default: '0.10' },
  },
});
const CONTACTS = Number(values.contacts);
const RATE = Number(values['calls-per-minute']);
const FAILURE_RATE = Number(values['failure-rate']);
const CALL_MS: [number, number] = [20_000, 60_000];

const database = await resolveDatabase({ uri: process.env.MONGODB_URI, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_slack_calls_${Date.now().toString(36)}` });
const slack = await startFakeSlack();
const log = createLogger({ level: 'silent', pretty: false });
const transitions = new CampaignTransitions(store, new CampaignEvents());

const settings = {
  ...DEFAULT_PROGRESS_SETTINGS,
  callsPerMinute: RATE,
  callingWindow: { startMinute: 0, endMinute: 24 * 60, timeZone: 'Asia/Kolkata' },
};
// The production client's options (src/slack/slack-client.ts): no SDK retries, rate limits reported at once.
const client = new WebClient('xoxb-bench', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
const reporter = new ProgressReporter(store, client, new CampaignEvents(), log, settings);

console.log(`slack-calls: ${CONTACTS} contacts, ${RATE} calls/min, ${FAILURE_RATE * 100}% failures, simulated clock (1x would take ${CONTACTS / RATE} min)`);
const wallStart = Date.now();

const campaign = await store.Campaign.create({ team_id: 'T0001', name: 'bench-slack-calls', title: 'Bench: Slack calls', owner: 'U0OWNER', channel: 'C0BENCH', total_contacts: CONTACTS });
const ids: Types.ObjectId[] = [];
for (let i = 0; i < CONTACTS; i += 1000) {
  const docs = await store.Contact.insertMany(
    Array.from({ length: Math.min(1000, CONTACTS - i) }, (_, k) => ({ campaign_id: campaign._id, phone: `9198${String(i + k).padStart(8, '0')}`, name: `Contact ${i + k}` })),
  );
  ids.push(...docs.map((d) => d._id));
}

// The virtual clock, from here on.
const realNow = Date.now.bind(Date);
let now = realNow();
Date.now = () => now;
const t0 = now;

const started = await transitions.apply(campaign._id, 'start', { set: { progress_channel: 'C0BENCH', progress_ts: null, progress_final: false }, now: new Date(now) });
if (!started.ok) throw new Error('could not start the bench campaign');
await reporter.post(started.campaign); // the Confirm click posts at once

// The schedule: contact i is placed at i × gap and ends `lasts` later; every (1 / FAILURE_RATE)-th one fails.
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const every = Math.round(1 / FAILURE_RATE);
const gapMs = 60_000 / RATE;
const plan = ids.map((id, i) => {
  const placedAt = t0 + i * gapMs;
  const status: TerminalCallStatus = i % every === 0 ? (['busy', 'no-answer', 'failed'] as const)[Math.floor(i / every) % 3]! : 'completed';
  return { id, placedAt, endsAt: placedAt + CALL_MS[0] + random() * (CALL_MS[1] - CALL_MS[0]), status };
});
const byEnd = [...plan].sort((a, b) => a.endsAt - b.endsAt);

let placed = 0;
let ended = 0;
let cycles = 0;
let completed = false;
const STEP = settings.loopMs;
for (;;) {
  now += STEP;
  let changed = false;
  const toPlace: Types.ObjectId[] = [];
  while (placed < plan.length && plan[placed]!.placedAt <= now) toPlace.push(plan[placed++]!.id);
  if (toPlace.length) {
    await store.Contact.updateMany(
      { _id: { $in: toPlace } },
      { $set: { call_status: 'initiated', runner_id: 'bench', claimed_at: new Date(now), call_started_at: new Date(now) }, $inc: { attempts: 1 } },
    );
    changed = true;
  }
  const byStatus = new Map<TerminalCallStatus, Types.ObjectId[]>();
  while (ended < byEnd.length && byEnd[ended]!.endsAt <= now) {
    const c = byEnd[ended++]!;
    byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c.id]);
  }
  for (const [status, list] of byStatus) {
    await store.Contact.updateMany(
      { _id: { $in: list } },
      {
        $set: {
          call_status: status,
          outcome_at: new Date(now),
          last_outcome: status,
          call_ended_at: new Date(now),
          call_error: status === 'failed' ? 'Exotel: the number could not be reached' : null,
        },
      },
    );
    changed = true;
  }
  if (!completed && ended === byEnd.length) {
    await transitions.apply(campaign._id, 'complete', { now: new Date(now) });
    completed = true;
    changed = true;
  }
  if (changed) reporter.track(campaign._id);
  await reporter.runOnce(now);
  cycles += 1;
  if (cycles % (Number(process.env.BENCH_EVERY) || 200) === 0) console.log(`  … ${((now - t0) / 60_000).toFixed(1)} min simulated, ${ended}/${CONTACTS} ended, ${slack.calls.length} Slack calls, ${((realNow() - wallStart) / 1000).toFixed(0)} s wall`);
  if (completed) {
    const c = (await store.Campaign.findById(campaign._id, { progress_final: 1 }).lean()) as Pick<CampaignFields, 'progress_final'>;
    if (c.progress_final) break;
    if (now - t0 > (CONTACTS / RATE) * 60_000 + 30 * 60_000) throw new Error('the progress message never became final');
  }
}
const simulatedMs = now - t0;
Date.now = realNow;

const byMethod = new Map<string, number>();
for (const call of slack.calls) byMethod.set(call.method, (byMethod.get(call.method) ?? 0) + 1);
const failures = await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: { $in: ['busy', 'no-answer', 'failed', 'canceled'] } });
const reported = await store.Contact.countDocuments({ campaign_id: campaign._id, reported_at: { $ne: null } });
const replies = slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts);
const updates = slack.callsTo('chat.update');
const gaps = updates.slice(1).map((c, i) => c.at - updates[i]!.at);
let busiestMinute = 0;
for (let i = 0, j = 0; i < updates.length; i++) {
  while (updates[i]!.at - updates[j]!.at >= 60_000) j++;
  busiestMinute = Math.max(busiestMinute, i - j + 1);
}
const naive = CONTACTS + failures;
const total = slack.calls.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

console.log(`simulated ${(simulatedMs / 60_000).toFixed(1)} min in ${cycles} reporter cycles; wall ${((realNow() - wallStart) / 1000).toFixed(0)} s`);
console.log(`failures: ${failures}, reported in the thread: ${reported}, in ${replies.length} replies (${(reported / Math.max(1, replies.length)).toFixed(1)} per reply)`);
console.log('Slack calls by method:');
for (const [method, n] of [...byMethod].sort((a, b) => b[1] - a[1])) console.log(`  ${method.padEnd(20)} ${n}`);
console.log(`  ${'total'.padEnd(20)} ${total}`);
console.log(`naive: ${naive} (${CONTACTS} chat.update + ${failures} thread replies), ${(naive / Math.max(1, total)).toFixed(1)}x the real count`);
console.log(`chat.update: at most ${busiestMinute} in any minute; median gap ${(median(gaps) / 1000).toFixed(1)} s, min ${(Math.min(...gaps) / 1000).toFixed(1)} s`);

await store.connection.dropDatabase().catch(() => {});
await store.close();
await slack.close();
await database.stop();
