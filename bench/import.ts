// What the contact import costs on top of the database writes it cannot avoid: the time importContacts takes for a
// 100,000-row CSV (decode, split lines, parse, normalise, dedupe, check the do-not-call list, store) ÷ the time of a raw
// `Contact.insertMany` of the same documents in the same chunk size, both against the real database; and peak
// memory (RSS and heap, sampled every 20 ms) during the import.
//
//   node --import tsx bench/import.ts                   # 100000 rows, 3 rounds
//   node --import tsx bench/import.ts --rows 20000 --rounds 5
//   MONGODB_URI=mongodb://127.0.0.1:27017 node --import tsx bench/import.ts
//
// Database: MONGODB_URI when set, else a throwaway FerretDB started by resolveDatabase({ tryMongod: false }).
// The CSV (number,name,description; 91XXXXXXXXXX in mixed forms) is streamed from a file on disk in 64 KB chunks, as
// a download arrives. Each run uses a fresh campaign and deletes it afterwards, so the collection is the same size for
// every run (the contacts collection is dropped and recreated with its indexes); the order alternates between rounds. Target: ratio ≤ 1.3, memory flat (peak RSS growth well under the
// file's size × a small factor, independent of the row count).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { type Types } from 'mongoose';
import { importContacts } from '../src/campaigns/contacts-import.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const CHUNK = 1_000; // the import's batch size

const database = await resolveDatabase({ uri: process.env.MONGODB_URI, tryMongod: false, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_import_${randomBytes(3).toString('hex')}` });
const dir = await mkdtemp(join(tmpdir(), 'bench-import-'));
const csvPath = join(dir, 'contacts.csv');

const national = (i: number) => `9${String(i).padStart(9, '0')}`;
const forms = [(n: string) => n, (n: string) => `+91 ${n.slice(0, 5)} ${n.slice(5)}`, (n: string) => `0${n}`, (n: string) => `91${n}`];
const lines = ['number,name,description'];
for (let i = 0; i < ROWS; i++) lines.push(`${forms[i % forms.length]!(national(i))},Customer ${i},"EMI due, batch ${i % 7}"`);
await writeFile(csvPath, `${lines.join('\n')}\n`);
const fileBytes = lines.reduce((n, l) => n + l.length + 1, 0);
lines.length = 0;

let campaignSeq = 0;
async function newCampaign(): Promise<Types.ObjectId> {
  campaignSeq += 1;
  const c = await store.Campaign.create({
    team_id: 'TBENCH',
    name: `bench-${campaignSeq}-${Date.now().toString(36)}`,
    title: 'Import',
    owner: 'UBENCH',
  });
  return c._id;
}
async function cleanup(id: Types.ObjectId): Promise<void> {
  const n = await store.Contact.countDocuments({ campaign_id: id });
  if (n !== ROWS) throw new Error(`expected ${ROWS} contacts, found ${n}`);
  // Not deleteMany: FerretDB v1 on SQLite fails deleting ~100k documents at once ("too many SQL variables").
  await store.Contact.collection.drop();
  await store.Contact.createCollection();
  await store.Contact.createIndexes();
  await store.Campaign.deleteOne({ _id: id });
}

interface Sampled {
  ms: number;
  peakRssMb: number;
  peakHeapMb: number;
  baseRssMb: number;
  baseHeapMb: number;
}

async function sampled(run: () => Promise<void>): Promise<Sampled> {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  clearInterval(timer);
  const mb = (b: number) => Number((b / 1024 / 1024).toFixed(1));
  return { ms, peakRssMb: mb(peakRss), peakHeapMb: mb(peakHeap), baseRssMb: mb(base.rss), baseHeapMb: mb(base.heapUsed) };
}

async function importRun(): Promise<Sampled> {
  const id = await newCampaign();
  let report: Awaited<ReturnType<typeof importContacts>> | undefined;
  const s = await sampled(async () => {
    report = await importContacts(store, { campaignId: id, teamId: 'TBENCH' }, createReadStream(csvPath, { highWaterMark: 64 * 1024 }));
  });
  if (report!.imported !== ROWS || report!.invalid.length !== 0)
    throw new Error(`import: ${JSON.stringify({ ...report, invalid: report!.invalid.slice(0, 3) })}`);
  await cleanup(id);
  return s;
}

/** The writes the import cannot avoid: the same documents, inserted in the same chunks, built in memory beforehand. */
async function rawRun(): Promise<Sampled> {
  const id = await newCampaign();
  const docs = Array.from({ length: ROWS }, (_, i) => ({
    _id: new mongoose.Types.ObjectId(),
    campaign_id: id,
    phone: `91${national(i)}`,
    name: `Customer ${i}`,
    description: `EMI due, batch ${i % 7}`,
  }));
  const s = await sampled(async () => {
    for (let i = 0; i < docs.length; i += CHUNK) await store.Contact.insertMany(docs.slice(i, i + CHUNK), { ordered: false });
  });
  await cleanup(id);
  return s;
}

console.log(`import: ${ROWS} rows (${(fileBytes / 1024 / 1024).toFixed(1)} MB CSV), ${ROUNDS} rounds, ${database.description}`);
const results: Array<Record<string, number | string>> = [];
// Warm-up: JIT, connection pool, the server's first queries. Not counted.
await rawRun();
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? (['import', 'raw'] as const) : (['raw', 'import'] as const);
  for (const which of order) {
    const s = which === 'import' ? await importRun() : await rawRun();
    results.push({
      round,
      run: which,
      seconds: Number((s.ms / 1000).toFixed(2)),
      rows_per_s: Math.round(ROWS / (s.ms / 1000)),
      peak_rss_mb: s.peakRssMb,
      rss_growth_mb: Number((s.peakRssMb - s.baseRssMb).toFixed(1)),
      peak_heap_mb: s.peakHeapMb,
      heap_growth_mb: Number((s.peakHeapMb - s.baseHeapMb).toFixed(1)),
    });
  }
}
console.table(results);
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const imp = median(results.filter((r) => r.run === 'import').map((r) => r.seconds as number));
const raw = median(results.filter((r) => r.run === 'raw').map((r) => r.seconds as number));
const ratio = imp / raw;
const heapGrowth = Math.max(...results.filter((r) => r.run === 'import').map((r) => r.heap_growth_mb as number));
console.log(
  `median import ${imp.toFixed(2)} s, raw insertMany ${raw.toFixed(2)} s, ratio ${ratio.toFixed(2)} (target ≤ 1.3); import heap growth ≤ ${heapGrowth} MB`,
);

await rm(dir, { recursive: true, force: true });
await store.connection.dropDatabase().catch(() => {});
await store.close();
await database.stop();
process.exitCode = ratio <= 1.3 ? 0 : 1;
