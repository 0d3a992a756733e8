// How many Slack Web API calls one campaign's progress message, failure thread and finish report cost, against the
// issue's bound: calls ≤ duration_s / 1.2 + failures / 20 + 5 (duration_s = the campaign's simulated duration), and
// next to the naive count (one chat.update per call, one thread reply per failure).
//
//   node --import tsx bench/slack-calls.ts                          # 10,000 contacts (target: < 15 min wall on FerretDB)
//   node --import tsx bench/slack-calls.ts --contacts 1000
//
// Real parts: the ProgressReporter built as src/runtime.ts builds it (ProgressMarks, DEFAULT_PROGRESS_SETTINGS, the
// FinishReport as its `whenFinished`, events from ContactState marking the campaign dirty), the real database
// (MONGODB_URI, or the embedded FerretDB), the fake Slack over HTTP, which records every call. The contacts go through
// the engine's real write paths, in the engine's order: insertContacts seeds them; for each call the dial gate's
// counter move (pending → dialing), ContactState.claim (with a dummy line id), ContactState.placed, and at the call's
// end ContactState.outcome with the planned status (exactly 10 % busy / no answer / failed, which writes the failure
// outbox); Exotel's price 2–5 minutes later through ContactState.priced, and the runtime's 30 s cost check
// (FinishReport.completeCosts) which edits the report once every price is in. The engine itself (queue, pacer, lines,
// fencing) is left out: bench/scale.ts and bench/ack-latency.ts measure it.
//
// Simulated clock. Exotel's top pace is 200 calls a minute, so 10,000 contacts take 50 minutes at 1x. The bench
// replaces Date.now with a virtual clock, and gives ContactState and CampaignTransitions the same clock. It advances
// the clock in steps of the reporter's own loop period (loopMs, 500 ms): in each step it makes every write that falls
// due in that step (a call placed every 300 ms, each ending 20–60 s later), then runs one reporter cycle (runOnce) to
// completion, so the reporter makes exactly the decisions it would make at 1x however slow the database is.
//
// Slack calls counted: every request the fake Slack received — chat.postMessage (the message, failure replies, the
// finish report), chat.update (progress edits, the report's cost edit), files.getUploadURLExternal, the upload itself
// and files.completeUploadExternal (the chart). Exits 1 when the bound or the 15-minute wall time is missed, or when
// the campaign view disagrees with the planned outcomes.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CampaignEvents } from '../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../src/campaigns/campaign-transitions.js';
import { applyDelta, moveDelta } from '../src/campaigns/campaign-view.js';
import { insertContacts } from '../src/campaigns/contact-insert.js';
import { ContactState } from '../src/campaigns/contact-state.js';
import { ProgressMarks } from '../src/campaigns/progress-marks.js';
import type { Outcome } from '../src/campaigns/vocabulary.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { channelPhone } from '../src/slack/blocks/format.js';
import { FinishReport } from '../src/slack/progress/finish-report.js';
import { DEFAULT_PROGRESS_SETTINGS, ProgressReporter } from '../src/slack/progress/progress-reporter.js';
import { slackClient } from '../src/slack/slack-client.js';
import { attemptKey } from '../src/store/call-model.js';
import type { CampaignFields } from '../src/store/campaign-model.js';
import { contactId, type ContactFields } from '../src/store/contact-model.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore, type Store } from '../src/store/store.js';
import { startFakeSlack, type SlackCall } from '../test/fakes/fake-slack.js';
import { ALWAYS_OPEN, NO_RETRIES, phoneNumbers } from '../test/helpers/engine-fixtures.js';
import { testEnv } from '../test/helpers/test-env.js';

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
if (!Number.isInteger(CONTACTS) || CONTACTS < 1)
  throw new TypeError(`Expected \`--contacts\` to be a positive integer, got \`${values.contacts}\``);
if (!(RATE > 0)) throw new TypeError(`Expected \`--calls-per-minute\` to be a positive number, got \`${values['calls-per-minute']}\``);
if (!(FAILURE_RATE > 0 && FAILURE_RATE <= 1))
  throw new TypeError(`Expected \`--failure-rate\` in (0, 1], got \`${values['failure-rate']}\``);
const CALL_MS: [number, number] = [20_000, 60_000];
const PRICE_MS: [number, number] = [120_000, 300_000];
const COST_CHECK_MS = 30_000; // the runtime's cron: '*/30 * * * * *'
const WALL_LIMIT_S = 15 * 60;
const FAILED_STATUSES = ['busy', 'no-answer', 'failed'] as const;

/** One contact's planned call, in simulated ms. */
interface Planned {
  id: string;
  phone: string;
  placedAt: number;
  endsAt: number;
  pricedAt: number;
  status: Outcome;
  contact?: ContactFields;
}

// ── the virtual clock ──────────────────────────────────────────────────────────────────────────────────────────────
const realNow = Date.now.bind(Date);
let now = realNow();
const clock = () => new Date(now);

function plan(ids: readonly string[], phones: readonly string[], t0: number): Planned[] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const every = Math.round(1 / FAILURE_RATE);
  const gapMs = 60_000 / RATE;
  return ids.map((id, i) => {
    const placedAt = t0 + i * gapMs;
    const endsAt = placedAt + CALL_MS[0] + random() * (CALL_MS[1] - CALL_MS[0]);
    const status: Outcome = i % every === every - 1 ? FAILED_STATUSES[Math.floor(i / every) % 3]! : 'completed';
    return { id, phone: phones[i]!, placedAt, endsAt, pricedAt: endsAt + PRICE_MS[0] + random() * (PRICE_MS[1] - PRICE_MS[0]), status };
  });
}

/** The dial gate's counter move, the claim and the placed call, as the engine makes them for one contact. */
async function place(store: Store, state: ContactState, campaignId: CampaignFields['_id'], p: Planned, sid: string): Promise<void> {
  const at = clock();
  await applyDelta(store, campaignId, moveDelta('pending', 'dialing'));
  const claimed = await state.claim(
    { _id: p.id, tries: 0 } as ContactFields,
    { runnerId: 'bench', epoch: 1 },
    `bench:${p.id}`,
    at,
    new Date(now + 60_000),
  );
  if (!claimed) throw new Error(`could not claim ${p.id}`);
  p.contact = (await state.placed(claimed, sid, at, new Date(now + 120_000))) ?? undefined;
  if (!p.contact) throw new Error(`could not record ${p.id} as placed`);
}

async function end(state: ContactState, p: Planned, sid: string): Promise<void> {
  const completed = p.status === 'completed';
  const result = await state.outcome(
    {
      contactId: p.id,
      try: 1,
      callSid: sid,
      status: p.status,
      startedAt: new Date(p.placedAt),
      endedAt: clock(),
      durationSeconds: completed ? Math.round((p.endsAt - p.placedAt) / 1000) - 10 : 0,
      answeredBy: completed ? 'human' : null,
      error: p.status === 'failed' ? 'Exotel: the number could not be reached' : null,
    },
    clock(),
  );
  if (!result) throw new Error(`outcome of ${p.id} not applied`);
}

function due(list: Planned[], key: 'placedAt' | 'endsAt' | 'pricedAt', from: number): [Planned[], number] {
  let i = from;
  while (i < list.length && list[i]![key] <= now) i++;
  return [list.slice(from, i), i];
}

function busiestMinute(calls: readonly SlackCall[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < calls.length; i++) {
    while (calls[i]!.at - calls[j]!.at >= 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The 1-minute load average, sampled through the run (the machine is shared). */
const loads: number[] = [];
const sampleLoad = () => loads.push(loadavg()[0]!);
const loadAverage = () => `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (1-min, sampled ${loads.length}×)`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// ── setup, as src/runtime.ts wires the reporter ────────────────────────────────────────────────────────────────────
const database = await resolveDatabase({ uri: process.env.MONGODB_URI, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_slack_calls_${realNow().toString(36)}` });
const slack = await startFakeSlack();
const config = loadConfig(testEnv({ SLACK_API_URL: slack.apiUrl, EXOTEL_CALLS_PER_MINUTE: String(RATE) }));
const log = createLogger({ level: 'silent', pretty: false });
const events = new CampaignEvents();
const state = new ContactState(store, events, log, clock);
const transitions = new CampaignTransitions(store, events, clock);
const marks = new ProgressMarks(store);
const client = slackClient(config, log);
const finish = new FinishReport(client, marks, log, channelPhone(config.showFullNumbers));
const settings = { ...DEFAULT_PROGRESS_SETTINGS, callsPerMinute: RATE, showFullNumbers: config.showFullNumbers };
const reporter = new ProgressReporter(
  marks,
  client,
  events,
  log,
  settings,
  () => 'bench-runner',
  () => RATE,
);
reporter.whenFinished((campaign) => finish.post(campaign));
// What ProgressReporter.start() subscribes, without its timer: this bench runs the cycles itself.
events.on('contact', ({ campaignId }) => reporter.track(campaignId));
events.on('status', ({ campaignId }) => reporter.track(campaignId));

console.log(
  `slack-calls: ${CONTACTS} contacts, ${RATE} calls/min, ${FAILURE_RATE * 100}% failures, simulated clock (1x would take ${CONTACTS / RATE} min)`,
);
const wallStart = realNow();
sampleLoad();
const loadTimer = setInterval(sampleLoad, 15_000);

const created = await store.Campaign.create({
  team_id: 'T0001',
  name: 'bench-slack-calls',
  title: 'Bench: Slack calls',
  owner: 'U0OWNER',
  channel: 'C0BENCH',
  calling_hours: ALWAYS_OPEN,
  retry: NO_RETRIES,
});
const phones = phoneNumbers(CONTACTS);
for (let i = 0; i < CONTACTS; i += 1000) {
  await insertContacts(
    store,
    created._id,
    phones.slice(i, i + 1000).map((phone, k) => ({ phone, name: `Contact ${i + k}`, description: '' })),
  );
}
const seededS = (realNow() - wallStart) / 1000;
console.log(`  seeded ${CONTACTS} contacts with insertContacts in ${seededS.toFixed(0)} s`);

Date.now = () => now;
const t0 = now;
const started = await transitions.apply(created._id, 'start', {
  by: 'U0OWNER',
  set: {
    progress_channel: 'C0BENCH',
    progress_ts: null,
    progress_final: false,
    report_ts: null,
    report_cost_final: false,
    chart_posted: false,
    mode: 'live',
  },
});
if (!started.ok) throw new Error('could not start the bench campaign');
await reporter.post(started.campaign); // the Confirm click posts at once

const ids = Array.from({ length: CONTACTS }, (_, i) => contactId(created._id, i + 1));
const byPlace = plan(ids, phones, t0);
const byEnd = [...byPlace].sort((a, b) => a.endsAt - b.endsAt);
const byPrice = [...byPlace].sort((a, b) => a.pricedAt - b.pricedAt);
const sidOf = (p: Planned) => `bench${p.id.replace(':', '')}`;
const cursor = { placed: 0, ended: 0, priced: 0 };
let cycles = 0;
let completedAt: number | null = null;
let costCheckedAt = t0;
const limitMs = (CONTACTS / RATE) * 60_000 + 30 * 60_000;

for (;;) {
  now += settings.loopMs;
  const [toPlace, placedTo] = due(byPlace, 'placedAt', cursor.placed);
  const [toEnd, endedTo] = due(byEnd, 'endsAt', cursor.ended);
  const [toPrice, pricedTo] = due(byPrice, 'pricedAt', cursor.priced);
  Object.assign(cursor, { placed: placedTo, ended: endedTo, priced: pricedTo });
  // A step's calls and callbacks happen concurrently, as they do in the app; each contact's own writes stay in order.
  await Promise.all([
    ...toPlace.map((p) => place(store, state, created._id, p, sidOf(p))),
    ...toEnd.map((p) => end(state, p, sidOf(p))),
    ...toPrice.map((p) => state.priced(attemptKey(p.id, 1), 0.45)),
  ]);
  if (completedAt === null && cursor.ended === CONTACTS) {
    // What the run does once its queue is empty: complete, if the view says nothing is outstanding.
    const done = await transitions.complete(created._id);
    if (!done.ok) throw new Error(`the campaign view still shows outstanding contacts: ${JSON.stringify(done.campaign?.counts)}`);
    completedAt = now;
  }
  await reporter.runOnce(now);
  if (now - costCheckedAt >= COST_CHECK_MS) {
    costCheckedAt = now;
    await finish.completeCosts();
  }
  cycles += 1;
  if (cycles % (Number(process.env.BENCH_EVERY) || 600) === 0) {
    console.log(
      `  … ${((now - t0) / 60_000).toFixed(1)} min simulated, ${cursor.ended}/${CONTACTS} ended, ${slack.calls.length} Slack calls, ${((realNow() - wallStart) / 1000).toFixed(0)} s wall`,
    );
  }
  if (completedAt !== null) {
    const c = (await store.Campaign.findById(created._id, { progress_final: 1, report_cost_final: 1 }).lean()) as Pick<
      CampaignFields,
      'progress_final' | 'report_cost_final'
    >;
    if (c.progress_final && c.report_cost_final) break;
  }
  if (now - t0 > limitMs) throw new Error('the progress message and report never became final');
}
const reportedEndMs = now - t0;
Date.now = realNow;
const wallS = (realNow() - wallStart) / 1000;
clearInterval(loadTimer);
sampleLoad();
await summarise();

async function summarise(): Promise<void> {
  const campaign = (await store.Campaign.findById(created._id).lean()) as CampaignFields;
  const durationS = (completedAt! - t0) / 1000;
  const failures = campaign.calls_failed;
  const total = slack.calls.length;
  const bound = durationS / 1.2 + failures / 20 + 5;
  const byMethod = new Map<string, number>();
  for (const call of slack.calls) byMethod.set(call.method, (byMethod.get(call.method) ?? 0) + 1);
  const replies = slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts && !c.args.blocks);
  const listed = replies.reduce(
    (n, c) =>
      n +
      String(c.args.text ?? '')
        .split('\n')
        .filter((l) => /· attempt \d+$/.test(l)).length,
    0,
  );
  const updates = slack.callsTo('chat.update');
  const gaps = updates.slice(1).map((c, i) => c.at - updates[i]!.at);
  const outbox = await store.Failure.countDocuments({ campaign_id: created._id });
  const expectedFailures = byPlace.filter((p) => p.status !== 'completed').length;
  const viewOk =
    campaign.counts.completed === CONTACTS - expectedFailures && failures === expectedFailures && campaign.stats.cost_pending === 0;

  console.log(
    `simulated: campaign ${(durationS / 60).toFixed(1)} min (duration_s = ${durationS.toFixed(0)}), reporting done at ${(reportedEndMs / 60_000).toFixed(1)} min; ${cycles} reporter cycles`,
  );
  console.log(`wall: ${wallS.toFixed(0)} s (${seededS.toFixed(0)} s seeding) — limit ${WALL_LIMIT_S} s; load average ${loadAverage()}`);
  console.log(
    `campaign view: ${campaign.counts.completed} completed, ${failures} failed (planned ${expectedFailures}), cost pending ${campaign.stats.cost_pending} → ${viewOk ? 'agrees' : 'DISAGREES'}`,
  );
  console.log(
    `failures: ${failures}; listed in the thread: ${listed} in ${replies.length} replies (${(listed / Math.max(1, replies.length)).toFixed(1)} per reply); left in the outbox: ${outbox}`,
  );
  console.log('Slack calls by method:');
  for (const [method, n] of [...byMethod].sort((a, b) => b[1] - a[1])) console.log(`  ${method.padEnd(30)} ${n}`);
  console.log(`  ${'total'.padEnd(30)} ${total}`);
  console.log(
    `chat.update: at most ${busiestMinute(updates)} in any minute; median gap ${(median(gaps) / 1000).toFixed(1)} s, min ${(Math.min(...gaps) / 1000).toFixed(1)} s`,
  );
  console.log(
    `naive: ${CONTACTS + failures} (${CONTACTS} chat.update + ${failures} thread replies), ${((CONTACTS + failures) / Math.max(1, total)).toFixed(1)}× the real count`,
  );
  const within = total <= bound;
  console.log(
    `target: Slack calls ${total} ≤ duration_s / 1.2 + failures / 20 + 5 = ${durationS.toFixed(0)} / 1.2 + ${failures} / 20 + 5 = ${bound.toFixed(0)} → ${within ? 'met' : 'MISSED'}`,
  );
  console.log(`target: wall ${wallS.toFixed(0)} s < ${WALL_LIMIT_S} s → ${wallS < WALL_LIMIT_S ? 'met' : 'MISSED'}`);
  process.exitCode = within && wallS < WALL_LIMIT_S && viewOk && outbox === 0 ? 0 : 1;
}

await store.connection.dropDatabase().catch(() => {});
await store.close();
await slack.close();
await database.stop();
