// Does the engine's cost per call stay flat as campaigns grow? The real Engine (queue, dial gate, live lines, fencing,
// counters, outcomes) dials campaigns of 1,000, 10,000 and 100,000 pending contacts with the pacer taken out and an
// instant dialer whose calls end at once (its outcome is reported as a status callback would be). For each size a
// fresh child process seeds the campaign and exits, then another child dials it; the second one measures.
//
//   node --import tsx bench/scale.ts                          # 1,000 / 10,000 / 100,000
//   node --import tsx bench/scale.ts --sizes 1000,10000 --measure 1000
//   MONGODB_URI=mongodb://127.0.0.1:27017 node --import tsx bench/scale.ts
//
// Rate: the first `--measure` calls (default 2,000, or all contacts when fewer), from the first placed call to the
// last. Peak RSS: the dialling child's resident memory, sampled every 50 ms while it dials. Database: MONGODB_URI, or
// a throwaway local database (FerretDB) started once by the parent and shared by the children.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';
import { insertContacts } from '../src/campaigns/contact-insert.js';
import { loadConfig } from '../src/config.js';
import type { Dialer } from '../src/engine/dialer.js';
import type { RequestPacer } from '../src/engine/request-pacer.js';
import { createLogger } from '../src/logger.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    measure: { type: 'string', default: '2000' },
    role: { type: 'string' },
    uri: { type: 'string' },
    db: { type: 'string' },
    size: { type: 'string' },
  },
});

const SELF = fileURLToPath(import.meta.url);

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${args.join(' ')} exited ${code}`))));
  });
}

const noWait: RequestPacer = { take: async () => {}, hold: async () => 0, noteSuccess() {}, close() {} };

async function seed(uri: string, db: string, size: number): Promise<void> {
  const store = await openStore(uri, { dbName: db });
  const campaign = await store.Campaign.create({
    team_id: 'T0BENCH', name: `scale-${size}`, title: `Scale ${size}`, owner: 'U0BENCH', channel: 'C0BENCH',
    calling_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Asia/Kolkata', skip: [] },
    retry: { on: [], max_attempts: 1, delays: { busy: 60, 'no-answer': 60, failed: 60 }, exponential: false },
  });
  const started = Date.now();
  for (let i = 0; i < size; i += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, size - i) }, (_, k) => ({ phone: `91${String(7_000_000_000 + i + k)}`, name: `Contact ${i + k}`, description: '' }));
    await insertContacts(store, campaign._id, rows);
  }
  process.stderr.write(`seeded ${size} contacts in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${JSON.stringify({ id: String(campaign._id) })}\n`);
  await store.close();
}

async function dial(uri: string, db: string, size: number, measure: number): Promise<void> {
  const store = await openStore(uri, { dbName: db });
  const campaign = await store.Campaign.findOne({ name: `scale-${size}` }).lean();
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench-0000', SLACK_SIGNING_SECRET: 'bench-signing-secret', EXOTEL_DRY_RUN: 'false',
    EXOTEL_AUTH_KEY: 'k', EXOTEL_AUTH_TOKEN: 't', EXOTEL_ACCOUNT_SID: 'ACbench', EXOTEL_CALLER_ID: '08047112345',
    EXOTEL_URL: 'http://my.exotel.com/ACbench/exoml/start_voice/1', EXOTEL_MAX_LIVE_CALLS: '200', LOG_LEVEL: 'silent' });
  const log = createLogger({ level: 'silent', destination: { write() {} } });
  let runtime: Runtime | undefined;
  let placed = 0;
  let first = 0;
  let last = 0;
  let sid = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const target = Math.min(measure, size);
  const dialer: Dialer = {
    rehearsal: false,
    async placeCall(request) {
      sid += 1;
      const callSid = `scale${String(sid).padStart(27, '0')}`;
      // The call ends at once; its outcome comes as a status callback would, after the acceptance is recorded.
      setImmediate(() => {
        void runtime!.state.reported({ attemptKey: request.attemptKey, callSid, status: 'completed', durationSeconds: 20, answeredBy: 'human' });
      });
      placed += 1;
      const now = performance.now();
      if (placed === 1) first = now;
      if (placed === target) {
        last = now;
        done();
      }
      return { kind: 'placed', sid: callSid, createdAt: new Date() };
    },
    async callDetails() { return null; },
    async finalCalls() { return []; },
    async close() {},
  };
  runtime = createRuntime(config, store, log, {
    dialer,
    pacer: noWait,
    pacing: { callsPerMinute: 1000, windowMs: 1 },
    settings: { tickMs: 200, statusCheckMs: 1_000, idleMs: 50 },
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  runtime.engine.start();
  await runtime.service.start(campaign!._id as Types.ObjectId, { userId: 'U0BENCH' });
  await finished;
  clearInterval(sampler);
  const seconds = (last - first) / 1000;
  process.stdout.write(`${JSON.stringify({ size, calls: target - 1, seconds, rate: (target - 1) / seconds, peakRssMb: peak / 1024 / 1024 })}\n`);
  await runtime.close();
  await store.close();
  process.exit(0);
}

if (values.role === 'seed') await seed(values.uri!, values.db!, Number(values.size));
else if (values.role === 'dial') await dial(values.uri!, values.db!, Number(values.size), Number(values.measure));
else {
  const database = await resolveDatabase({ uri: process.env.MONGODB_URI, tryMongod: false, say: (line) => console.log(line) });
  const sizes = values.sizes!.split(',').map(Number);
  const results: Array<{ size: number; rate: number; peakRssMb: number; seconds: number; calls: number }> = [];
  for (const size of sizes) {
    const db = `bench_scale_${size}_${randomBytes(3).toString('hex')}`;
    await child(['--role', 'seed', '--uri', database.uri, '--db', db, '--size', String(size)]);
    const out = await child(['--role', 'dial', '--uri', database.uri, '--db', db, '--size', String(size), '--measure', values.measure!]);
    const result = JSON.parse(out.trim().split('\n').pop()!) as (typeof results)[number];
    results.push(result);
    console.log(`${size} pending: ${result.calls} calls in ${result.seconds.toFixed(1)} s = ${result.rate.toFixed(1)} calls/s, peak RSS ${result.peakRssMb.toFixed(0)} MB`);
    const store = await openStore(database.uri, { dbName: db });
    await store.connection.dropDatabase();
    await store.close();
  }
  const base = results[0]!;
  for (const r of results.slice(1)) {
    console.log(`${r.size} ÷ ${base.size}: rate ${(r.rate / base.rate).toFixed(2)}, peak RSS ${(r.peakRssMb / base.peakRssMb).toFixed(2)}`);
  }
  await database.stop();
}
