// `npm start` as a newcomer runs it: a child process with only the environment given here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/store.js';
import { startFakeSlack, type FakeSlack } from './fakes/fake-slack.js';
import { freePort } from './helpers/app-harness.js';
import { startBotProcess } from './helpers/bot-process.js';

let cwd: string;
let slack: FakeSlack;
beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'campaign-bot-start-'));
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
  rmSync(cwd, { recursive: true, force: true });
});

describe('npm start without configuration', () => {
  it('exits non-zero within 10 s with one readable message naming the missing variables', async () => {
    const started = Date.now();
    const bot = startBotProcess({}, cwd);
    const { code } = await bot.exited;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(1);
    const stderr = bot.stderr();
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'EXOTEL_AUTH_KEY', 'EXOTEL_URL']) {
      expect(stderr).toContain(name);
    }
    expect(stderr).toMatch(/^campaign-bot cannot start/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(bot.stdout()).toBe('');
  });
});

describe('npm start with the local database', () => {
  it('starts without MONGODB_URI and keeps its data across a restart', async () => {
    const env = async () => ({
      SLACK_BOT_TOKEN: 'xoxb-test-placeholder',
      SLACK_SIGNING_SECRET: 'test-secret',
      SLACK_API_URL: slack.apiUrl,
      EXOTEL_DRY_RUN: 'true',
      PORT: String(await freePort()),
    });

    const first = await env();
    const bot1 = startBotProcess(first, cwd);
    const dbLine = await bot1.waitForLine(/database: local/, 240_000);
    await bot1.waitForLine(/campaign-bot is listening/, 60_000);
    expect(dbLine).toContain(join(cwd, 'data'));
    const uri1 = /at (mongodb:\/\/\S+?)"/.exec(dbLine)![1]!;
    expect((await fetch(`http://127.0.0.1:${first.PORT}/healthz`)).status).toBe(200);

    const store1 = await openStore(uri1);
    await store1.Campaign.create({ team_id: 'T0001', name: 'kept', title: 'Kept across restarts', owner: 'U1' });
    await store1.close();
    bot1.child.kill('SIGTERM');
    expect((await bot1.exited).code).toBe(0);

    const second = await env();
    const bot2 = startBotProcess(second, cwd);
    const dbLine2 = await bot2.waitForLine(/database: local/, 60_000);
    await bot2.waitForLine(/campaign-bot is listening/, 60_000);
    const uri2 = /at (mongodb:\/\/\S+?)"/.exec(dbLine2)![1]!;
    const store2 = await openStore(uri2);
    const kept = await store2.Campaign.findOne({ name: 'kept' }).lean();
    await store2.close();
    bot2.child.kill('SIGTERM');
    expect((await bot2.exited).code).toBe(0);
    expect(kept?.title).toBe('Kept across restarts');
  }, 360_000);
});
