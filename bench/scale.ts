// Does the engine's cost per call stay flat as campaigns grow? The real Engine (queue, dial gate, live lines, fencing,
// counters, outcomes) dials campaigns of 1,000, 10,000 and 100,000 pending contacts with the pacer taken out and an
// instant dialer whose calls end at once (the outcome is reported as a status callback would be, right after the
// acceptance). Targets (issue 9): the rate at 100,000 ≥ 0.8 × the rate at 1,000, and peak RSS at 100,000 ÷ 1,000 ≤ 1.2.
//
//   node --import tsx bench/scale.ts                          # 1,000 / 10,000 / 100,000, 3 rounds
//   node --import tsx bench/scale.ts --sizes 1000,10000 --rounds 1
//   MONGODB_URI=mongodb://127.0.0.1:27017 node --import tsx bench/scale.ts
//
// Fairness on a shared machine:
// - Every (round, size) gets a fresh database server: a child process seeds the campaign with insertContacts into a
//   FerretDB data directory, the server is stopped (SQLite checkpoints its log), a new one is started on the same
//   directory, and a second, fresh child dials it. So no run inherits another's write-ahead log, caches or heap, and
//   the dialling process never held the contacts. (With MONGODB_URI the server is shared; each run has its own
//   database, dropped afterwards.)
// - Sizes alternate in order between rounds (1k, 10k, 100k, then 100k, 10k, 1k, …); one unmeasured warm-up run comes
//   first (the OS's file cache, the FerretDB binary).
// - Rate = calls `skip`+1 … `skip`+`measure` (default 201 … 800) ÷ their time, from the dialer's own clock: the same
//   window at every size, leaving out the start-up (adoption, the recount at adoption, the JIT) and the end of a
//   1,000-contact campaign. Start-up (engine start → first call, which includes the recount over the contacts) is
//   printed separately. Each size's rate is the median of its rounds.
// - Peak RSS: the dialling Node process, sampled every 25 ms from engine start to the end of the window (median of
//   rounds). The database server's RSS (FerretDB, read from /proc) is printed beside it, split into start-up (adoption
//   and its recount, until the first call) and dialling; it is not part of the target.
// The machine these run on is shared with other engineers' tests: the 1-minute load average is printed with each run.
//
// Other options: `--lease-ms` replaces the engine's lease (production: 30 s; the start-up recount of a 100,000-contact
// campaign takes 20–35 s on FerretDB, which used to outlast it when the engine's tick waited for it, see BENCHMARKS.md);
// `--give-up-s` (600) reports a run that has not reached
// its window by then as STALLED, with how often the campaign was adopted; `--log info` shows the dialling child's
// engine log on stderr.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';
import { insertContacts } from '../src/campaigns/contact-insert.js';
import { loadConfig } from '../src/config.js';
import type { Dialer } from '../src/engine/dialer.js';
import type { RequestPacer } from '../src/engine/request-pacer.js';
import { createLogger } from '../src/logger.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { resolveDatabase, type ResolvedDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    rounds: { type: 'string', default: '3' },
    skip: { type: 'string', default: '200' },
    measure: { type: 'string', default: '600' },
    'no-warmup': { type: 'boolean', default: false },
    'lease-ms': { type: 'string' },
    'give-up-s': { type: 'string', default: '600' },
    log: { type: 'string', default: 'silent' },
    role: { type: 'string' },
    uri: { type: 'string' },
    db: { type: 'string' },
    size: { type: 'string' },
    'db-pid': { type: 'string' },
  },
});

const SELF = fileURLToPath(import.meta.url);
const TARGET_RATE = 0.8;
const TARGET_RSS = 1.2;

interface RunResult {
  size: number;
  rate: number;
  peakRssMb: number;
  /** The database server's RSS when the engine started, its peak until the first call (adoption, recount), and its peak while dialling. */
  db: { atStartMb: number; startupPeakMb: number; dialPeakMb: number } | null;
  startupS: number;
  load: number;
  /** Times the campaign was adopted (its lease epoch): 1 unless the run lost its lease. */
  adoptions: number;
  /** The window was not reached within --give-up-s: calls placed by then. */
  stalled: { placed: number; seconds: number } | null;
}

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${args.join(' ')} exited ${code}`))));
  });
}

/** Resident memory of another process in MB (Linux), or null. */
function rssOf(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

const noWait: RequestPacer = { take: async () => {}, busy: async () => false, hold: async () => 0, noteSuccess() {}, close() {} };

async function seed(uri: string, db: string, size: number): Promise<void> {
  const store = await openStore(uri, { dbName: db });
  const campaign = await store.Campaign.create({
    team_id: 'T0BENCH',
    name: `scale-${size}`,
    title: `Scale ${size}`,
    owner: 'U0BENCH',
    channel: 'C0BENCH',
    calling_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Asia/Kolkata', skip: [] },
    retry: { on: [], max_attempts: 1, delays: { busy: 60, 'no-answer': 60, failed: 60 }, exponential: false },
  });
  const started = Date.now();
  for (let i = 0; i < size; i += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, size - i) }, (_, k) => ({
      phone: `91${String(7_000_000_000 + i + k)}`,
      name: `Contact ${i + k}`,
      description: '',
    }));
    await insertContacts(store, campaign._id, rows);
  }
  process.stderr.write(`  seeded ${size} contacts in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  await store.close();
}

/** An in-process dialer that accepts every call at once and reports its end right after; it times calls. */
function instantDialer(getRuntime: () => Runtime, onCall: (n: number, at: number) => void): Dialer {
  let sid = 0;
  return {
    rehearsal: false,
    async placeCall(request) {
      sid += 1;
      const callSid = `scale${String(sid).padStart(27, '0')}`;
      setImmediate(() => {
        void getRuntime().state.reported({
          attemptKey: request.attemptKey,
          callSid,
          status: 'completed',
          durationSeconds: 20,
          answeredBy: 'human',
        });
      });
      onCall(sid, performance.now());
      return { kind: 'placed', sid: callSid, createdAt: new Date() };
    },
    async callDetails() {
      return null;
    },
    async finalCalls() {
      return [];
    },
    async finalCallsBySid() {
      return [];
    },
    async close() {},
  };
}

async function dial(uri: string, db: string, size: number, skip: number, measure: number, dbPid: number | null): Promise<void> {
  const store = await openStore(uri, { dbName: db });
  const campaign = await store.Campaign.findOne({ name: `scale-${size}` }).lean();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench-0000',
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    EXOTEL_DRY_RUN: 'false',
    EXOTEL_AUTH_KEY: 'k',
    EXOTEL_AUTH_TOKEN: 't',
    EXOTEL_ACCOUNT_SID: 'ACbench',
    EXOTEL_CALLER_ID: '08047112345',
    EXOTEL_URL: 'http://my.exotel.com/ACbench/exoml/start_voice/1',
    EXOTEL_MAX_LIVE_CALLS: '200',
    LOG_LEVEL: 'silent',
  });
  // `--log info` shows the engine's adoptions and stops on stderr (diagnosis); silent by default.
  const level = values.log ?? 'silent';
  const log = createLogger({
    level,
    pretty: false,
    ...(level === 'silent' ? { destination: { write() {} } } : { destination: process.stderr }),
  });
  const marks = { start: 0, first: 0, from: 0, to: 0, placed: 0 };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const onCall = (n: number, at: number) => {
    marks.placed = n;
    if (n === 1) marks.first = at;
    if (n === Math.max(1, skip)) marks.from = at;
    if (n === skip + measure) {
      marks.to = at;
      done();
    }
  };
  const runtime: Runtime = createRuntime(config, store, log, {
    dialer: instantDialer(() => runtime, onCall),
    pacer: noWait,
    pacing: { callsPerMinute: 1000, windowMs: 1 },
    ...(values['lease-ms'] ? { settings: { leaseMs: Number(values['lease-ms']) } } : {}),
  });
  let peak = process.memoryUsage().rss;
  const dbAtStart = dbPid ? (rssOf(dbPid) ?? 0) : 0;
  const dbPeak = { startup: dbAtStart, dial: 0 };
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    const phase = marks.first === 0 ? 'startup' : 'dial';
    if (dbPid) dbPeak[phase] = Math.max(dbPeak[phase], rssOf(dbPid) ?? 0);
  }, 25);
  marks.start = performance.now();
  runtime.engine.start();
  await runtime.service.start(campaign!._id as Types.ObjectId, { userId: 'U0BENCH' });
  const giveUpS = Number(values['give-up-s']);
  const stalled = await Promise.race([
    finished.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), giveUpS * 1000).unref()),
  ]);
  clearInterval(sampler);
  const adopted = (await store.Campaign.findById(campaign!._id, { lease_epoch: 1 }).lean()) as { lease_epoch: number } | null;
  const calls = skip === 0 ? measure - 1 : measure;
  const result: RunResult = {
    size,
    rate: stalled ? 0 : calls / ((marks.to - marks.from) / 1000),
    peakRssMb: peak / 1024 / 1024,
    db: dbPid ? { atStartMb: dbAtStart, startupPeakMb: dbPeak.startup, dialPeakMb: dbPeak.dial } : null,
    startupS: marks.first ? (marks.first - marks.start) / 1000 : Number.NaN,
    load: loadavg()[0]!,
    adoptions: adopted?.lease_epoch ?? 0,
    stalled: stalled ? { placed: marks.placed, seconds: giveUpS } : null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await runtime.close();
  await store.close();
  process.exit(0);
}

/** Seeds a fresh database for one run and dials it, each in its own process (and its own server, unless MONGODB_URI). */
async function run(size: number, skip: number, measure: number): Promise<RunResult> {
  const db = `bench_scale_${size}_${randomBytes(3).toString('hex')}`;
  const uri = process.env.MONGODB_URI;
  const dir = uri ? null : mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const open = () => resolveDatabase({ uri, tryMongod: false, ...(dir ? { dataDir: dir } : {}) });
  let database: ResolvedDatabase = await open();
  try {
    await child(['--role', 'seed', '--uri', database.uri, '--db', db, '--size', String(size)]);
    if (dir) {
      await database.stop();
      database = await open();
    }
    const args = [
      '--role',
      'dial',
      '--uri',
      database.uri,
      '--db',
      db,
      '--size',
      String(size),
      '--skip',
      String(skip),
      '--measure',
      String(measure),
      '--log',
      values.log!,
    ];
    if (values['lease-ms']) args.push('--lease-ms', values['lease-ms']);
    args.push('--give-up-s', values['give-up-s']!);
    const out = await child(database.pid ? [...args, '--db-pid', String(database.pid)] : args);
    return JSON.parse(out.trim().split('\n').pop()!) as RunResult;
  } finally {
    if (uri) {
      const store = await openStore(uri, { dbName: db });
      await store.connection.dropDatabase().catch(() => {});
      await store.close();
    }
    await database.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function describe(r: RunResult): string {
  const dbRss =
    r.db === null
      ? ''
      : `; database RSS ${r.db.atStartMb.toFixed(0)} MB at start, peak ${r.db.startupPeakMb.toFixed(0)} MB before the first call, ${r.db.dialPeakMb.toFixed(0)} MB dialling`;
  if (r.stalled)
    return `${String(r.size).padStart(6)} pending: STALLED, ${r.stalled.placed} calls in ${r.stalled.seconds} s, adopted ${r.adoptions} times; peak RSS ${r.peakRssMb.toFixed(0)} MB${dbRss}; load ${r.load.toFixed(1)}`;
  const again = r.adoptions > 1 ? ` (adopted ${r.adoptions} times)` : '';
  return `${String(r.size).padStart(6)} pending: ${r.rate.toFixed(1)} calls/s${again}, start-up ${r.startupS.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB${dbRss}; load ${r.load.toFixed(1)}`;
}

async function main(): Promise<void> {
  const sizes = values.sizes!.split(',').map(Number);
  const rounds = Number(values.rounds);
  const skip = Number(values.skip);
  const measure = Number(values.measure);
  if (sizes.some((s) => !Number.isInteger(s) || s < skip + measure))
    throw new TypeError(`Expected every size ≥ skip + measure (${skip + measure}), got \`${values.sizes}\``);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new TypeError(`Expected \`--rounds\` to be a positive integer, got \`${values.rounds}\``);
  console.log(
    `scale: sizes ${sizes.join(', ')}; ${rounds} round(s), alternating; calls ${skip + 1}…${skip + measure} timed; ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'a fresh FerretDB per run'}`,
  );
  if (!values['no-warmup']) console.log(`warm-up (not counted): ${describe(await run(sizes[0]!, skip, measure))}`);
  const bySize = new Map<number, RunResult[]>(sizes.map((s) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
      const r = await run(size, skip, measure);
      bySize.get(size)!.push(r);
      console.log(`round ${round + 1}: ${describe(r)}`);
    }
  }
  const summary = sizes.map((size) => {
    const rs = bySize.get(size)!;
    const dbs = rs.flatMap((r) => (r.db ? [r.db] : []));
    const db = dbs.length
      ? `; database peak (median) ${median(dbs.map((d) => d.startupPeakMb)).toFixed(0)} MB before the first call, ${median(dbs.map((d) => d.dialPeakMb)).toFixed(0)} MB dialling`
      : '';
    return {
      size,
      rate: median(rs.map((r) => r.rate)),
      rss: median(rs.map((r) => r.peakRssMb)),
      rates: rs.map((r) => r.rate.toFixed(1)).join(', '),
      db,
    };
  });
  for (const s of summary)
    console.log(
      `${String(s.size).padStart(6)} pending: median ${s.rate.toFixed(1)} calls/s (${s.rates}), median peak RSS ${s.rss.toFixed(0)} MB${s.db}`,
    );
  const base = summary[0]!;
  let ok = true;
  for (const s of summary.slice(1)) {
    const rate = s.rate / base.rate;
    const rss = s.rss / base.rss;
    console.log(
      `${s.size} ÷ ${base.size}: rate ${rate.toFixed(2)} (target ≥ ${TARGET_RATE}), peak RSS ${rss.toFixed(2)} (target ≤ ${TARGET_RSS})`,
    );
    ok &&= rate >= TARGET_RATE && rss <= TARGET_RSS;
  }
  process.exitCode = ok ? 0 : 1;
}

if (values.role === 'seed') await seed(values.uri!, values.db!, Number(values.size));
else if (values.role === 'dial') {
  await dial(
    values.uri!,
    values.db!,
    Number(values.size),
    Number(values.skip),
    Number(values.measure),
    values['db-pid'] ? Number(values['db-pid']) : null,
  );
} else await main();
