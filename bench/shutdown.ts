// How long the built bot (`node dist/main.js`, as in the Docker image) takes from SIGTERM to exit while it is dialling,
// against Docker's default grace of 10 s (`docker stop` sends SIGKILL then).
//
//   npm run bench:shutdown                          # builds, then both scenarios, 3 rounds each
//   node --import tsx bench/shutdown.ts --rounds 5  # after `npm run build`
//
// Scenarios, each with a live campaign dialling the fake Exotel (test/fakes/fake-exotel.ts) through MONGODB_URI:
//   answering  Exotel answers every request at once: what in-flight work there is finishes quickly.
//   hanging    from the 3rd request on, Exotel places the call and never answers (`accept-then-hang`): the engine
//              cannot record those requests, so main.ts gives it ENGINE_STOP_MS and then exits anyway; the attempts
//              stay `dialing` and the next start checks them with Exotel (never dialled twice).
// Printed per round: ms from SIGTERM to exit, the exit code, and the contacts left `dialing`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { insertContacts } from '../src/campaigns/contact-insert.js';
import { resolveDatabase } from '../src/store/local-database.js';
import { openStore } from '../src/store/store.js';
import { startFakeExotel, type FakeFault } from '../test/fakes/fake-exotel.js';
import { startFakeSlack } from '../test/fakes/fake-slack.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const database = await resolveDatabase({ uri: process.env.MONGODB_URI });
const slack = await startFakeSlack();

async function round(scenario: 'answering' | 'hanging', n: number): Promise<{ ms: number; code: number | null; dialing: number }> {
  const fault = (i: number): FakeFault => (scenario === 'hanging' && i >= 3 ? 'accept-then-hang' : 'ok');
  const fake = await startFakeExotel({ fault, callbackDelayMs: [2_000, 4_000], seed: n });
  const dbName = `shutdown_${randomBytes(3).toString('hex')}`;
  const store = await openStore(database.uri, { dbName });
  const campaign = await store.Campaign.create({
    team_id: 'T0BENCH',
    name: `shutdown-${n}`,
    title: 'Shutdown',
    owner: 'U0BENCH',
    channel: 'C0BENCH',
    status: 'running',
    mode: 'live',
    calling_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Asia/Kolkata', skip: [] },
    retry: { on: [], max_attempts: 1, delays: { busy: 60, 'no-answer': 60, failed: 60 }, exponential: false },
  });
  await insertContacts(
    store,
    campaign._id,
    Array.from({ length: 200 }, (_, k) => ({ phone: `91${7_000_000_000 + k}`, name: `C${k}`, description: '' })),
  );
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const bot = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench',
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      MONGODB_URI: `${database.uri.replace(/\/$/, '')}/${dbName}`,
      EXOTEL_API_URL: fake.url,
      EXOTEL_ACCOUNT_SID: fake.accountSid,
      EXOTEL_AUTH_KEY: fake.apiKey,
      EXOTEL_AUTH_TOKEN: fake.apiToken,
      EXOTEL_CALLER_ID: '08047112345',
      EXOTEL_URL: 'http://my.exotel.com/ACfake/exoml/start_voice/1',
      EXOTEL_CALLS_PER_MINUTE: '200',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)));
  // Dialling, with requests in flight.
  while (fake.requests.length < 6) await sleep(50);
  const sent = performance.now();
  bot.kill('SIGTERM');
  const code = await exited;
  const ms = Math.round(performance.now() - sent);
  const dialing = await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing' });
  await store.connection.dropDatabase();
  await store.close();
  await fake.close();
  return { ms, code, dialing };
}

for (const scenario of ['answering', 'hanging'] as const) {
  for (let n = 1; n <= Number(values.rounds); n++) {
    const r = await round(scenario, n);
    console.log(
      `${scenario.padEnd(9)} round ${n}: SIGTERM → exit ${String(r.ms).padStart(5)} ms, exit code ${r.code}, contacts left dialling ${r.dialing}`,
    );
  }
}
await slack.close();
await database.stop();
