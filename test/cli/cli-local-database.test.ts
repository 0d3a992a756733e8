// The command line in the folder of a bot that uses the local database (./data, no MONGODB_URI): it must use the
// server that bot started, never a second server on the same files; with no bot there, it starts one for itself.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_FILE, type DatabaseAddress } from '../../src/ops/database-address.js';
import { openStore } from '../../src/store/store.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { freePort } from '../helpers/app-harness.js';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.js';
import { phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const CLI = fileURLToPath(new URL('../../src/cli/campaign-cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let dir: string;
let slack: FakeSlack;
let bot: BotProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campaign-cli-folder-'));
  slack = await startFakeSlack();
});
afterAll(async () => {
  bot?.child.kill('SIGKILL');
  await bot?.exited;
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run campaign in the folder of a bot on ./data', () => {
  it('uses the running bot’s database server, and starts the local database itself only when no bot runs', async () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test-placeholder',
      SLACK_SIGNING_SECRET: 'test-secret',
      SLACK_API_URL: slack.apiUrl,
      EXOTEL_DRY_RUN: 'true',
      PORT: String(await freePort()),
    };
    bot = startBotProcess(env, dir);
    await bot.waitForLine(/campaign-bot is listening/, 240_000);
    const address = JSON.parse(readFileSync(join(dir, 'data', ADDRESS_FILE), 'utf8')) as DatabaseAddress;
    expect(address.pid).toBe(bot.child.pid);

    const store = await openStore(address.uri);
    const campaign = await seedCampaign(store, phoneNumbers(500, '81'), { name: 'rehearsal-run' });
    await store.Campaign.updateOne({ _id: campaign._id }, { $set: { status: 'running', mode: 'rehearsal', started_at: new Date() } });
    await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.runner_id, 30_000, 'the bot to adopt the campaign');

    const stop = await cli(['stop', 'rehearsal-run']);
    expect(stop).toMatchObject({ code: 0, stderr: '' });
    expect(stop.stdout).toMatch(/^Stopped rehearsal-run\. .+ No bot is dialling it now\.\n$/);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('stopped');
    await store.close();
    // The bot still holds its folder and its database: nothing was started beside it.
    expect(JSON.parse(readFileSync(join(dir, 'data', 'campaign-bot.lock'), 'utf8')).pid).toBe(bot.child.pid);
    expect((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status).toBe(200);

    bot.child.kill('SIGTERM');
    expect((await bot.exited).code).toBe(0);
    expect(existsSync(join(dir, 'data', ADDRESS_FILE))).toBe(false);

    const status = await cli(['status', 'rehearsal-run']);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(
      /No bot is running in this folder; started the local database for this command \((FerretDB|mongod)\)\.\n$/,
    );
    expect(status.stdout.split('\n')[0]).toBe(`rehearsal-run (${campaign.title}) is stopped, in rehearsal: nobody is really called.`);
    // Stopped again with the command: the folder is free for the bot.
    expect(existsSync(join(dir, 'data', 'campaign-bot.lock'))).toBe(false);
  }, 360_000);
});
