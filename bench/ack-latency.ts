// How fast the app acks slash commands (status / list / help) while a large campaign dials at Exotel's pace, and
// whether the commands slow the dialling. Targets (issue 9): status, list and help p99 ≤ 50 ms at 1 and 5 commands a
// second, and the dial rate meanwhile ≥ 0.98 of the configured rate.
//
//   node --import tsx bench/ack-latency.ts                       # 10,000 contacts; 0, 1, 5 commands/s, 180 s each
//   node --import tsx bench/ack-latency.ts --phase-seconds 60 --rates 5
//
// Real parts: the Bolt app and the runtime (startTestApp: createApp + createRuntime with no overrides, so production
// engine timings, the real AccountPacer at EXOTEL_CALLS_PER_MINUTE = 200 over 60 s, the progress reporter posting to
// the fake Slack), the real database (MONGODB_URI, or the embedded FerretDB), the fake Exotel over HTTP with Exotel's
// limit on every voice API request (200 a minute, 429 beyond), real-time seconds (calls ring and talk 5–30 s) and
// status callbacks back to the app, and signed slash commands over HTTP (test/helpers/slack-signing.ts).
//
// The campaign (10,000 contacts, one attempt each) is started as the Confirm click starts it. After a warm-up, the
// phases run back to back, one per `--rates` value (default 0, 1, 5 commands a second; 0 is the reference); commands
// cycle through `status <campaign>`, `list` and `help`. 20 small idle campaigns give `list` rows to draw.
//
// Ack latency = the HTTP round trip of the signed request, what Slack waits for (limit 3 s). Dial rate = connect.json
// requests placed by the fake within the phase: (n − 1) ÷ (t_last − t_first) × 60 s ÷ the configured rate, on the
// fake's arrival times (the clock Exotel's limit is enforced on). Other requests (call details: prices, checks) take
// turns of the same pacer, so every request's rate ÷ the configured rate is printed beside it, and a timeline of
// calls + other requests per 30 s at the end. Prices are asked from 2 minutes after a call ends, up to 100 calls per
// call-list request (about one request per 100 calls at full pace). Each phase prints the 1-minute load average at its start and end (the machine is shared).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { CampaignFields } from '../src/store/campaign-model.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../test/fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../test/helpers/app-harness.js';
import { exotelEnv, phoneNumbers, seedCampaign } from '../test/helpers/engine-fixtures.js';
import { postToSlackEndpoint, slashCommand } from '../test/helpers/slack-signing.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    'phase-seconds': { type: 'string', default: '180' },
    'warmup-seconds': { type: 'string', default: '30' },
    rates: { type: 'string', default: '0,1,5' },
    'calls-per-minute': { type: 'string', default: '200' },
  },
});
const CONTACTS = Number(values.contacts);
const PHASE_S = Number(values['phase-seconds']);
const WARMUP_S = Number(values['warmup-seconds']);
const RATES = values.rates!.split(',').map(Number);
const RATE = Number(values['calls-per-minute']);
for (const [name, n] of [
  ['contacts', CONTACTS],
  ['phase-seconds', PHASE_S],
  ['calls-per-minute', RATE],
] as const) {
  if (!(n > 0)) throw new TypeError(`Expected \`--${name}\` to be a positive number, got \`${values[name]}\``);
}
if (RATES.some((r) => !(r >= 0))) throw new TypeError(`Expected \`--rates\` to be numbers ≥ 0, got \`${values.rates}\``);
const TARGET_P99_MS = 50;
const TARGET_DIAL = 0.98;
const KINDS = ['status', 'list', 'help'] as const;
type Kind = (typeof KINDS)[number];

interface PhaseResult {
  perSecond: number;
  from: number;
  to: number;
  samples: Record<Kind, number[]>;
  errors: number;
  deferred: number;
  placed: number;
  dialRatio: number;
  otherRequests: number;
  /** Every request the fake saw in the phase ÷ the configured rate: how much of the limit was used. */
  allRatio: number;
  rateLimited: number;
  load: number[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

const isConnect = (path: string) => path.endsWith('/Calls/connect.json');

/** connect.json arrivals placed in [from, to), and the other requests the fake saw then. */
function dialling(
  fake: FakeExotel,
  from: number,
  to: number,
): Pick<PhaseResult, 'placed' | 'dialRatio' | 'otherRequests' | 'allRatio' | 'rateLimited'> {
  const inPhase = fake.requests.filter((r) => r.at.getTime() >= from && r.at.getTime() < to);
  const placed = inPhase.filter((r) => isConnect(r.path) && r.callSid).map((r) => r.at.getTime());
  const all = inPhase.map((r) => r.at.getTime());
  const perMinute = (times: number[]) => (times.length > 1 ? (times.length - 1) / ((times.at(-1)! - times[0]!) / 60_000) : 0);
  return {
    placed: placed.length,
    dialRatio: perMinute(placed) / RATE,
    otherRequests: inPhase.filter((r) => !isConnect(r.path)).length,
    allRatio: perMinute(all) / RATE,
    rateLimited: inPhase.filter((r) => r.outcome === 'rate-limited').length,
  };
}

/** Requests the fake saw per 30 s since the campaign started: calls placed, and other requests (call details: prices). */
function timeline(fake: FakeExotel, start: number, results: readonly PhaseResult[]): void {
  const end = results.at(-1)!.to;
  const rows: string[] = [];
  for (let t = start; t < end; t += 30_000) {
    const slice = fake.requests.filter((r) => r.at.getTime() >= t && r.at.getTime() < t + 30_000);
    const phase = results.find((r) => t >= r.from && t < r.to);
    const connect = slice.filter((r) => isConnect(r.path) && r.callSid).length;
    rows.push(
      `${String((t - start) / 1000).padStart(4)} s ${phase ? `${phase.perSecond}/s` : 'warm'}: ${connect}+${slice.length - connect}`,
    );
  }
  console.log(`Exotel requests per 30 s since the start (calls placed + other requests):\n  ${rows.join('\n  ')}`);
}

async function phase(app: TestApp, fake: FakeExotel, campaign: CampaignFields, perSecond: number): Promise<PhaseResult> {
  const samples: Record<Kind, number[]> = { status: [], list: [], help: [] };
  const load = [loadavg()[0]!];
  const t0 = Date.now();
  const result = { perSecond, samples, errors: 0, deferred: 0, load, from: t0 };
  const end = t0 + PHASE_S * 1000;
  const pending: Promise<void>[] = [];
  const secret = app.config.slack.signingSecret!;
  for (let i = 0; perSecond > 0 && Date.now() < end; i++) {
    const wait = t0 + (i * 1000) / perSecond - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const kind = KINDS[i % KINDS.length]!;
    const text = kind === 'status' ? `status ${campaign.name}` : kind;
    pending.push(
      (async () => {
        const sent = performance.now();
        const res = await postToSlackEndpoint(
          `${app.url}/slack/events`,
          slashCommand(text, { response_url: app.slack.responseUrl(`ack-${perSecond}-${i}`) }),
          secret,
        );
        const body = await res.text();
        samples[kind].push(performance.now() - sent);
        if (res.status !== 200) result.errors += 1;
        else if (!body) result.deferred += 1; // acked empty: the answer went to the response_url (over the 2 s budget)
      })(),
    );
  }
  if (perSecond === 0) await new Promise((r) => setTimeout(r, end - Date.now()));
  await Promise.all(pending);
  load.push(loadavg()[0]!);
  const to = Date.now();
  return { ...result, to, ...dialling(fake, t0, to) };
}

function print(r: PhaseResult): void {
  console.log(`${r.perSecond} commands/s — load ${r.load.map((l) => l.toFixed(1)).join(' → ')}`);
  console.log(
    `  dialling over ${((r.to - r.from) / 1000).toFixed(0)} s: ${r.placed} calls placed, ${(r.dialRatio * RATE).toFixed(1)}/min = ${r.dialRatio.toFixed(3)} of ${RATE}; other Exotel requests ${r.otherRequests}; all requests ${r.allRatio.toFixed(3)} of ${RATE}; 429s ${r.rateLimited}`,
  );
  if (r.perSecond === 0) return;
  console.log(`  acks: non-200 ${r.errors}; empty (answer on the response_url) ${r.deferred}`);
  for (const kind of KINDS) {
    const xs = r.samples[kind];
    console.log(
      `  ${kind.padEnd(7)} n=${String(xs.length).padEnd(5)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms  max ${Math.max(
        ...xs,
      )
        .toFixed(0)
        .padStart(5)} ms`,
    );
  }
}

function verdict(results: PhaseResult[]): boolean {
  let ok = true;
  for (const r of results.filter((x) => x.perSecond > 0)) {
    for (const kind of KINDS) {
      const p99 = pct(r.samples[kind], 99);
      const met = p99 <= TARGET_P99_MS;
      ok &&= met;
      console.log(`target: ${r.perSecond}/s ${kind} p99 ${p99.toFixed(0)} ms ≤ ${TARGET_P99_MS} ms → ${met ? 'met' : 'MISSED'}`);
    }
    const met = r.dialRatio >= TARGET_DIAL && r.errors === 0;
    ok &&= met;
    console.log(
      `target: ${r.perSecond}/s dial rate ${r.dialRatio.toFixed(3)} ≥ ${TARGET_DIAL} → ${met ? 'met' : 'MISSED'} (all Exotel requests ${r.allRatio.toFixed(3)})`,
    );
  }
  return ok;
}

const database = await resolveDatabase({ uri: process.env.MONGODB_URI, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_ack_${Date.now().toString(36)}` });
const fake = await startFakeExotel({
  callsPerMinute: RATE,
  limitAllRequests: true,
  secondMs: 1000,
  callbackDelayMs: [5_000, 30_000],
  seed: 3,
});
const app = await startTestApp(
  store,
  exotelEnv(fake, {
    PUBLIC_URL: 'self',
    EXOTEL_WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
    EXOTEL_CALLS_PER_MINUTE: String(RATE),
    EXOTEL_MAX_LIVE_CALLS: '100',
  }),
  { runtime: {} },
);

const seededAt = Date.now();
const campaign = await seedCampaign(store, phoneNumbers(CONTACTS), { name: 'bench-ack', title: 'Bench: ack latency' });
for (let i = 0; i < 20; i++) await seedCampaign(store, phoneNumbers(5, '97'), { name: `bench-idle-${i}` });
console.log(
  `ack-latency: ${CONTACTS}-contact campaign (seeded in ${((Date.now() - seededAt) / 1000).toFixed(0)} s) dialling at ${RATE}/min; phases of ${PHASE_S} s at ${RATES.join(', ')} commands/s after ${WARMUP_S} s of warm-up`,
);
const startedAt = Date.now();
const started = await app.runtime.service.start(campaign._id, { userId: 'U0OWNER' }, { channel: 'C0001', progress_channel: 'C0001' });
if (!started.ok) throw new Error(`could not start: ${started.reason}`);
await app.runtime.progress.post(started.campaign);
await new Promise((r) => setTimeout(r, WARMUP_S * 1000));

const results: PhaseResult[] = [];
for (const perSecond of RATES) {
  const r = await phase(app, fake, campaign, perSecond);
  results.push(r);
  print(r);
}
timeline(fake, startedAt, results);
const ok = verdict(results);

await app.stop();
await fake.close();
await store.connection.dropDatabase().catch(() => {});
await store.close();
await database.stop();
process.exitCode = ok ? 0 : 1;
