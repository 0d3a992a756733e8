// How fast the app acks slash commands (status / list / help) while a campaign dials at full pace: the real Bolt app
// and engine (startTestApp), the real database, the fake Exotel over HTTP at 200 calls a minute with status callbacks
// coming back to the app, and signed slash commands over HTTP. Slack gives an app 3 s to ack.
//
//   node --import tsx bench/ack-latency.ts                       # 1,000 contacts, 60 s of commands, 5 a second
//   node --import tsx bench/ack-latency.ts --seconds 120 --contacts 2000
import { parseArgs } from 'node:util';
import { DEFAULT_ENGINE_TIMING } from '../src/engine/engine.js';
import { Pacer } from '../src/engine/pacer.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';
import { startFakeExotel } from '../test/fakes/fake-exotel.js';
import { startTestApp } from '../test/helpers/app-harness.js';
import { exotelEnv, phoneNumbers, seedCampaign } from '../test/helpers/engine-fixtures.js';
import { postToSlackEndpoint, slashCommand } from '../test/helpers/slack-signing.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    'per-second': { type: 'string', default: '5' },
    'calls-per-minute': { type: 'string', default: '200' },
  },
});
const CONTACTS = Number(values.contacts);
const SECONDS = Number(values.seconds);
const PER_SECOND = Number(values['per-second']);
const RATE = Number(values['calls-per-minute']);

const database = await resolveDatabase({ uri: process.env.MONGODB_URI, say: (line) => console.log(line) });
const store = await openStore(database.uri, { dbName: `bench_ack_${Date.now().toString(36)}` });
const fake = await startFakeExotel({ callsPerMinute: RATE, callbackDelayMs: [5_000, 30_000], seed: 3 });
const app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'bench-webhook-secret-0123456789', EXOTEL_CALLS_PER_MINUTE: String(RATE) }), {
  runtime: {
    settings: { ...DEFAULT_ENGINE_TIMING, callingWindow: { startMinute: 0, endMinute: 24 * 60, timeZone: 'Asia/Kolkata' } },
    pacer: new Pacer({ callsPerMinute: RATE }),
  },
});
const secret = app.config.slack.signingSecret!;

const campaign = await seedCampaign(store, phoneNumbers(CONTACTS), { name: 'bench-ack', title: 'Bench: ack latency' });
// A few more so `list` has rows to draw.
for (let i = 0; i < 20; i++) await seedCampaign(store, phoneNumbers(5, '97'), { name: `bench-idle-${i}` });
const started = await app.runtime.transitions.apply(campaign._id, 'start');
if (!started.ok) throw new Error('could not start');
console.log(`ack-latency: ${CONTACTS}-contact campaign dialling at ${RATE}/min; ${PER_SECOND} commands a second for ${SECONDS} s`);

// Let the engine reach its pace first.
await new Promise((r) => setTimeout(r, 5_000));
const placedBefore = fake.calls.length;
const samples: Record<string, number[]> = { status: [], list: [], help: [] };
const texts = [`status ${campaign.name}`, 'list', 'help'];
const t0 = Date.now();
const pending: Promise<void>[] = [];
let errors = 0;
let deferred = 0;
for (let i = 0; Date.now() - t0 < SECONDS * 1000; i++) {
  const due = t0 + (i * 1000) / PER_SECOND;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const text = texts[i % texts.length]!;
  const kind = text.split(' ')[0]!;
  pending.push(
    (async () => {
      const sent = performance.now();
      const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand(text, { response_url: app.slack.responseUrl(`ack-${i}`) }), secret);
      const body = await res.text();
      const ms = performance.now() - sent;
      if (res.status !== 200) errors += 1;
      else if (!body) deferred += 1; // acked empty: the answer follows on the response_url (slower than the 2 s budget)
      samples[kind]!.push(ms);
    })(),
  );
}
await Promise.all(pending);
const elapsed = (Date.now() - t0) / 1000;
const placed = fake.calls.length - placedBefore;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const row = (name: string, xs: number[]) =>
  `  ${name.padEnd(8)} n=${String(xs.length).padEnd(5)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms   p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms   max ${Math.max(...xs).toFixed(0).padStart(5)} ms`;
console.log(`dialling during the measurement: ${placed} calls placed in ${elapsed.toFixed(0)} s (${((placed / elapsed) * 60).toFixed(0)}/min); fake Exotel 429s: ${fake.violations}`);
console.log(`acks (HTTP round trip of the signed slash command); non-200: ${errors}; empty acks (answer sent later on response_url): ${deferred}`);
for (const [kind, xs] of Object.entries(samples)) console.log(row(kind, xs));
console.log(row('all', Object.values(samples).flat()));

await app.stop();
await fake.close();
await store.connection.dropDatabase().catch(() => {});
await store.close();
await database.stop();
