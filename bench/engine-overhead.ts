// What the engine costs on top of the database writes it cannot avoid: its dials per second ÷ those of a plain loop
// doing the same writes, both against the real database, with pacing and Exotel taken out of the picture.
//
//   node --import tsx bench/engine-overhead.ts                      # 1000 contacts, 3 rounds
//   node --import tsx bench/engine-overhead.ts --contacts 2000 --rounds 5
//   MONGODB_URI=mongodb://127.0.0.1:27017 node --import tsx bench/engine-overhead.ts
//
// Database: MONGODB_URI when set, else a throwaway FerretDB started by resolveDatabase({ tryMongod: false }).
// Dialer: in-process, answers at once with a new sid (no HTTP), the same one for the engine and the loops.
// Pacer: the real Pacer with 200 starts per 1 ms window and 10 in flight, so it never makes anyone wait.
//
// Engine: the real Engine (scheduler tick, lease, CampaignRun, reconcile loop, counters, events, logger at info into
// a null stream) with production timings, started on a campaign of N pending contacts.
// Plain loop, pipelined: what CampaignRun must do and nothing else, with its concurrency — await the claim
// (the same ContactClaimer the engine uses), dial, then write "initiated" (the same findOneAndUpdate ContactState does) without
// waiting for it before the next claim. Plain loop, sequential: the same, awaiting every write (printed for reference).
//
// Rate: contacts ÷ time from the first "initiated" write to the last, so start-up (adoption, recovery, recount) is
// left out of both. Each round uses a fresh campaign and deletes it afterwards, so the collection is the same size
// for every run; the order of the runs alternates between rounds.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';
import { CounterBuffer } from '../src/campaigns/campaign-counters.js';
import { CampaignEvents } from '../src/campaigns/campaign-events.js';
import { CampaignTransitions } from '../src/campaigns/campaign-transitions.js';
import { ContactClaimer } from '../src/campaigns/contact-claims.js';
import { ContactState } from '../src/campaigns/contact-state.js';
import type { Dialer } from '../src/engine/dialer.js';
import { DEFAULT_ENGINE_TIMING, Engine, type EngineSettings } from '../src/engine/engine.js';
import { Pacer } from '../src/engine/pacer.js';
import type { ExotelCall } from '../src/exotel/exotel-call.js';
import { createLogger } from '../src/logger.js';
import type { ContactDoc } from '../src/store/contact-model.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.contacts);
const ROUNDS = Number(values.rounds);

const database = await resolveDatabase({ uri: process.env.MONGODB_URI, tryMongod: false, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_engine_${randomBytes(3).toString('hex')}` });
const log = createLogger({ level: 'info', destination: { write() {} } });

let sidSeq = 0;
const instantDialer: Dialer = {
  rehearsal: false,
  async placeCall(request): Promise<ExotelCall> {
    sidSeq += 1;
    const now = new Date();
    return {
      sid: `bench${String(sidSeq).padStart(27, '0')}`,
      status: 'in-progress',
      from: `0${request.phone.slice(-10)}`,
      to: null,
      dateCreated: now,
      dateUpdated: now,
      startTime: now,
      endTime: null,
      duration: null,
      price: null,
    };
  },
  async getCall() {
    throw new Error('not used');
  },
  async listCalls() {
    return [];
  },
  async close() {},
};

const CALLER = '08047112345';
const FLOW = 'http://my.exotel.com/ACbench/exoml/start_voice/1';
let campaignSeq = 0;

async function seed(): Promise<Types.ObjectId> {
  campaignSeq += 1;
  const campaign = await store.Campaign.create({
    team_id: 'TBENCH',
    name: `bench-${campaignSeq}-${Date.now().toString(36)}`,
    title: 'Engine overhead',
    owner: 'UBENCH',
    channel: 'CBENCH',
    total_contacts: N,
  });
  const docs = Array.from({ length: N }, (_, i) => ({ campaign_id: campaign._id, phone: `9198${String(i).padStart(8, '0')}` }));
  for (let i = 0; i < docs.length; i += 500) await store.Contact.insertMany(docs.slice(i, i + 500));
  return campaign._id;
}

async function cleanup(id: Types.ObjectId): Promise<void> {
  const initiated = await store.Contact.countDocuments({ campaign_id: id, call_status: 'initiated' });
  if (initiated !== N) throw new Error(`expected ${N} initiated contacts, found ${initiated}`);
  await store.Contact.deleteMany({ campaign_id: id });
  await store.Campaign.deleteOne({ _id: id });
}

/** The "initiated" write exactly as ContactState.initiated makes it. */
function initiatedWrite(contact: ContactDoc, runnerId: string, call: ExotelCall, now: Date) {
  return store.Contact.findOneAndUpdate(
    { _id: contact._id, call_status: 'dialing', runner_id: runnerId },
    {
      $set: {
        call_sid: call.sid,
        call_started_at: call.dateCreated ?? now,
        call_ended_at: null,
        call_error: null,
        check_after: new Date(now.getTime() + DEFAULT_ENGINE_TIMING.pollAfterMs),
        call_status: 'initiated',
      },
    },
    { returnDocument: 'after' },
  ).lean();
}

interface Run {
  rate: number;
  ms: number;
}

function rateOf(times: number[]): Run {
  const ms = times[times.length - 1]! - times[0]!;
  return { ms, rate: ((times.length - 1) / ms) * 1000 };
}

async function plainLoop(pipelined: boolean): Promise<Run> {
  const id = await seed();
  const runnerId = 'plain';
  const times: number[] = [];
  const writes = new Set<Promise<void>>();
  const claimer = new ContactClaimer(store, id, runnerId);
  for (;;) {
    const contact = await claimer.next();
    if (!contact) break;
    const call = await instantDialer.placeCall({ phone: contact.phone, callerId: CALLER, flowUrl: FLOW, customField: String(contact._id) });
    const write = initiatedWrite(contact, runnerId, call, new Date()).then((after) => {
      if (!after) throw new Error('initiated write lost');
      times.push(Date.now());
    });
    if (pipelined) {
      const tracked = write.finally(() => writes.delete(tracked));
      writes.add(tracked);
    } else {
      await write;
    }
  }
  await Promise.all([...writes]);
  await cleanup(id);
  return rateOf(times);
}

async function engineRun(): Promise<Run> {
  const id = await seed();
  const events = new CampaignEvents();
  const counters = new CounterBuffer();
  const state = new ContactState(store, counters, events);
  const transitions = new CampaignTransitions(store, events);
  const pacer = new Pacer({ callsPerMinute: 200, windowMs: 1, maxInFlight: 10 });
  const settings: EngineSettings = {
    ...DEFAULT_ENGINE_TIMING,
    callerId: CALLER,
    flowUrl: FLOW,
    statusCallbackUrl: 'http://127.0.0.1:9/exotel/status/bench-secret-0123456789',
    callingWindow: { startMinute: 0, endMinute: 24 * 60, timeZone: 'Asia/Kolkata' },
  };
  const engine = new Engine({ store, state, transitions, counters, events, dialer: instantDialer, pacer, log, settings, runnerId: 'bench-engine' });
  const times: number[] = [];
  const all = new Promise<void>((resolve) => {
    events.on('contact', (change) => {
      if (change.contact.call_status !== 'initiated') return;
      times.push(Date.now());
      if (times.length === N) resolve();
    });
  });
  engine.start();
  const started = await transitions.apply(id, 'start');
  if (!started.ok) throw new Error('could not start the campaign');
  await all;
  await engine.stop();
  pacer.close();
  await cleanup(id);
  return rateOf(times);
}

console.log(`engine overhead: ${N} contacts, ${ROUNDS} rounds, ${database.description}`);
const results: Array<{ round: number; run: string; contacts: number; seconds: number; dials_per_s: number }> = [];
const record = (round: number, run: string, r: Run) =>
  results.push({ round, run, contacts: N, seconds: Number((r.ms / 1000).toFixed(2)), dials_per_s: Number(r.rate.toFixed(1)) });

// Warm-up: JIT, connection pool, FerretDB's first queries on the collections. Not counted.
await plainLoop(true);

for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? (['engine', 'pipelined', 'sequential'] as const) : (['sequential', 'pipelined', 'engine'] as const);
  for (const run of order) {
    if (run === 'engine') record(round, 'engine', await engineRun());
    else record(round, `plain loop (${run})`, await plainLoop(run === 'pipelined'));
  }
}
console.table(results);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rates = (run: string) => results.filter((r) => r.run === run).map((r) => r.dials_per_s);
const engine = median(rates('engine'));
const pipelined = median(rates('plain loop (pipelined)'));
const sequential = median(rates('plain loop (sequential)'));
const summary = {
  database: database.kind,
  contacts: N,
  rounds: ROUNDS,
  engine_dials_per_s: engine,
  plain_pipelined_dials_per_s: pipelined,
  plain_sequential_dials_per_s: sequential,
  engine_over_plain_pipelined: Number((engine / pipelined).toFixed(3)),
  engine_over_plain_sequential: Number((engine / sequential).toFixed(3)),
};
console.table(summary);
console.log(JSON.stringify(summary));

await store.connection.dropDatabase().catch(() => {});
await store.close();
await database.stop();
process.exitCode = engine / pipelined >= 0.67 ? 0 : 1;
