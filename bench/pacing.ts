// How close the account pacer gets to the configured rate without breaking either reading of Exotel's limit, with
// one process or several pacing one account through one database.
//
//   node --import tsx bench/pacing.ts                       # 200 per 60 s (Exotel's real limit), 3 minutes, 1 process
//   node --import tsx bench/pacing.ts --processes 2         # the same, two processes sharing the database
//   node --import tsx bench/pacing.ts --window-ms 6000      # the same limit ten times faster: a smoke test only,
//                                                           # the machine's jitter does not shrink with the window
//
// The parent starts the fake Exotel (test/fakes/fake-exotel.ts: at most `rate` connect.json requests in any sliding
// window, a 429 and a counted violation beyond) and the database (MONGODB_URI, else resolveDatabase's FerretDB), then
// runs `--processes` children. Each child is a bot process as far as pacing goes: its own AccountPacer on the shared
// document and the real ExotelClient; it sends a call at every turn without waiting for the answer (as a campaign
// run does), until the deadline. Everything is measured on the fake's arrival times t (sorted), the clock Exotel's
// limit is enforced on:
//   achieved ÷ configured = (n − 1) × window ÷ ((t_last − t_first) × rate); the pacer's design target is
//                           1 ÷ (1 + guard) ≈ 0.99. There is no start-up burst to leave out: the first gap is even.
//   busiest second / window = most arrivals in any half-open span of window ÷ 60 / of one window
//                           (limits ceil(rate / 60) and rate); a violation is an arrival that makes a span exceed it.
//   gap ÷ ideal           = consecutive arrival gaps ÷ (window ÷ rate), p50 / p99 / min.
//   turn → arrival        = from take() resolving in the child to the request reaching the fake (the jitter the
//                           guard must absorb).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AccountPacer } from '../src/engine/account-pacer.js';
import { ExotelClient } from '../src/exotel/exotel-client.js';
import { createLogger } from '../src/logger.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { pacerStateModel } from '../src/store/pacer-state-model.js';
import { openStore } from '../src/store/store.js';
import { startFakeExotel } from '../test/fakes/fake-exotel.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    'window-ms': { type: 'string', default: '60000' },
    windows: { type: 'string', default: '3' },
    processes: { type: 'string', default: '1' },
    guard: { type: 'string' },
    'latency-ms': { type: 'string', default: '5-60' },
    'max-connections': { type: 'string', default: '10' },
    // Child mode (the parent passes these).
    child: { type: 'string' },
    'fake-url': { type: 'string' },
    'mongo-uri': { type: 'string' },
    db: { type: 'string' },
    account: { type: 'string' },
    start: { type: 'string' },
    until: { type: 'string' },
  },
});
const rate = Number(values.rate);
const windowMs = Number(values['window-ms']);
const guard = values.guard === undefined ? undefined : Number(values.guard);

interface ChildReport {
  index: number;
  taken: number;
  http429: number;
  errors: number;
  /** From number → when take() resolved (epoch ms). */
  turns: Record<string, number>;
}

if (values.child !== undefined) await child(Number(values.child));
else process.exitCode = await parent();

async function child(index: number): Promise<void> {
  const log = createLogger({ level: 'warn', pretty: false });
  const store = await openStore(values['mongo-uri']!, { dbName: values.db! });
  const pacer = new AccountPacer(pacerStateModel(store.connection), {
    account: values.account!,
    callsPerMinute: rate,
    windowMs,
    log,
    ...(guard === undefined ? {} : { guard }),
  });
  const client = new ExotelClient({
    baseUrl: values['fake-url']!,
    accountSid: 'ACfake',
    apiKey: 'fake-key',
    apiToken: 'fake-token',
    maxConnections: Number(values['max-connections']),
  });
  // The first request of a process pays for loading undici's code paths (tens of ms); call details are not rate
  // limited by the fake, so warm up with one.
  await client.getCall('warmup').catch(() => {});
  await sleep(Number(values.start) - Date.now());
  const until = Number(values.until);
  const report: ChildReport = { index, taken: 0, http429: 0, errors: 0, turns: {} };
  const inflight = new Set<Promise<void>>();
  for (let n = 1; ; n++) {
    await pacer.take();
    const now = Date.now();
    if (now >= until) break;
    const from = `+91${index + 7}${String(n).padStart(9, '0')}`;
    report.turns[from] = now;
    report.taken++;
    const call = client
      .placeCall({ from, callerId: '08047112345', flowUrl: 'http://my.exotel.com/ACfake/exoml/start_voice/1' })
      .then(
        () => pacer.noteSuccess(),
        async (error: unknown) => {
          report.errors++;
          const { status, retryAfterMs } = error as { status?: number; retryAfterMs?: number };
          if (status === 429) {
            report.http429++;
            await pacer.hold(retryAfterMs);
          }
        },
      )
      .finally(() => inflight.delete(call));
    inflight.add(call);
  }
  await Promise.allSettled([...inflight]);
  pacer.close();
  await client.close();
  await store.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function parent(): Promise<number> {
  const processes = Number(values.processes);
  const runMs = Number(values.windows) * windowMs;
  const [latMin, latMax = latMin] = values['latency-ms'].split('-').map(Number) as [number, number?];
  const fake = await startFakeExotel({ callsPerMinute: rate, windowMs, latencyMs: [latMin, latMax!], callbackDelayMs: [10, 50] });
  const database = await resolveDatabase({ uri: process.env.MONGODB_URI, tryMongod: false, say: (line) => console.log(line) });
  const db = `bench_pacing_${randomBytes(3).toString('hex')}`;
  const spacing = (windowMs / rate) * (1 + (guard ?? 0.01));
  console.log(
    `pacing: ${rate} per ${windowMs} ms, ${processes} process(es), ${runMs / 1000} s, spacing ${spacing.toFixed(1)} ms ` +
      `(guard ${guard ?? 0.01}), fake latency ${latMin}-${latMax} ms`,
  );
  // Children need a moment to load and connect; then all of them start taking turns at the same moment.
  const start = Date.now() + 5_000;
  const until = start + runMs;
  const reports = await Promise.all(
    Array.from({ length: processes }, (_, index) =>
      runChild([
        '--child',
        String(index),
        '--fake-url',
        fake.url,
        '--mongo-uri',
        database.uri,
        '--db',
        db,
        '--account',
        'ACfake',
        '--start',
        String(start),
        '--until',
        String(until),
      ]),
    ),
  );
  const result = analyse(fake.requests, reports, processes);
  console.table(result);
  console.log(JSON.stringify(result));
  await fake.close();
  const cleanup = await openStore(database.uri, { dbName: db });
  await cleanup.connection.dropDatabase().catch(() => {});
  await cleanup.close();
  await database.stop();
  const ok = result.achieved_over_configured >= 0.98 && result.violations_second === 0 && result.violations_window === 0;
  return ok && result.fake_429 === 0 ? 0 : 1;
}

function runChild(args: string[]): Promise<ChildReport> {
  const passOn = ['--rate', String(rate), '--window-ms', String(windowMs), '--max-connections', values['max-connections']!];
  if (guard !== undefined) passOn.push('--guard', String(guard));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...passOn, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ChildReport);
      else reject(new Error(`pacing child exited with ${code}: ${out}`));
    });
  });
}

function analyse(
  requests: ReadonlyArray<{ path: string; at: Date; form: Record<string, string>; status: number | null }>,
  reports: ChildReport[],
  processes: number,
) {
  const connects = requests.filter((r) => r.path.endsWith('/Calls/connect.json'));
  const times = connects.map((r) => r.at.getTime()).sort((a, b) => a - b);
  const second = windowMs / 60;
  const idealGap = windowMs / rate;
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .sort((a, b) => a - b);
  const turns = Object.assign({}, ...reports.map((r) => r.turns)) as Record<string, number>;
  const lateness = connects.map((r) => r.at.getTime() - turns[r.form['From']!]!).sort((a, b) => a - b);
  const turnTimes = Object.values(turns).sort((a, b) => a - b);
  const achieved = ((times.length - 1) * windowMs) / ((times.at(-1)! - times[0]!) * rate);
  return {
    configured: `${rate} per ${windowMs} ms`,
    processes,
    requests: times.length,
    per_process: reports.map((r) => r.taken).join(' / '),
    run_s: Number(((times.at(-1)! - times[0]!) / 1000).toFixed(1)),
    achieved_over_configured: Number(achieved.toFixed(4)),
    busiest_second: `${maxInAnySpan(times, second)} (limit ${Math.ceil(rate / 60)})`,
    busiest_window: `${maxInAnySpan(times, windowMs)} (limit ${rate})`,
    violations_second: violations(times, second, Math.ceil(rate / 60)),
    violations_window: violations(times, windowMs, rate),
    // The same windows on the moments take() resolved (one machine, one clock): a pacer's own decisions, before
    // the transport's jitter.
    turns_violations_second_window: `${violations(turnTimes, second, Math.ceil(rate / 60))} / ${violations(turnTimes, windowMs, rate)}`,
    fake_429: requests.filter((r) => r.status === 429).length,
    gap_over_ideal_p50_p99_min: [quantile(gaps, 0.5), quantile(gaps, 0.99), gaps[0]!].map((g) => (g / idealGap).toFixed(3)).join(' / '),
    turn_to_arrival_ms_p50_p99_max: `${quantile(lateness, 0.5)} / ${quantile(lateness, 0.99)} / ${lateness.at(-1)}`,
  };
}

/** The most arrivals in any half-open span [t, t + spanMs). */
function maxInAnySpan(times: readonly number[], spanMs: number): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= spanMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** Arrivals that find `limit` others in the span before them (what a sliding-window limiter rejects). */
function violations(times: readonly number[], spanMs: number, limit: number): number {
  let count = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= spanMs) j++;
    if (i - j + 1 > limit) count++;
  }
  return count;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
