// `npm start` as a newcomer runs it: a child process with only the environment given here.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/store.js';
import { startFakeSlack, type FakeSlack } from './fakes/fake-slack.js';
import { freePort } from './helpers/app-harness.js';
import { startBotProcess, type BotProcess } from './helpers/bot-process.js';

let cwd: string;
let slack: FakeSlack;
const folders: string[] = [];
const bots: BotProcess[] = [];
beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'campaign-bot-start-'));
  slack = await startFakeSlack();
});
afterAll(async () => {
  for (const bot of bots) bot.child.kill('SIGKILL');
  await Promise.all(bots.map((bot) => bot.exited));
  await slack.close();
  for (const dir of [cwd, ...folders]) rmSync(dir, { recursive: true, force: true });
});

/** A folder of its own, as a second checkout or a second deployment would be. */
function newFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'campaign-bot-folder-'));
  folders.push(dir);
  return dir;
}

/** What `npm start` needs besides the database: the fake Slack, rehearsal mode, a free port. */
async function startEnv() {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test-placeholder',
    SLACK_SIGNING_SECRET: 'test-secret',
    SLACK_API_URL: slack.apiUrl,
    EXOTEL_DRY_RUN: 'true',
    PORT: String(await freePort()),
  };
}

function start(env: Record<string, string>, dir: string, nodeArgs: string[] = []): BotProcess {
  const bot = startBotProcess(env, dir, { nodeArgs });
  bots.push(bot);
  return bot;
}

/** The bot's log lines that are not JSON (a stack trace printed raw) and the `msg` of the others. */
function messages(bot: BotProcess): string[] {
  return bot
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return String((JSON.parse(line) as { msg: unknown }).msg);
      } catch {
        return `not JSON: ${line}`;
      }
    });
}

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

describe('one process per folder', () => {
  it('a second npm start in the same folder exits 1 with one sentence while the first keeps running', async () => {
    const dir = newFolder();
    const first = await startEnv();
    const bot1 = start(first, dir);
    await bot1.waitForLine(/campaign-bot is listening/, 240_000);

    const bot2 = start(await startEnv(), dir);
    const { code } = await bot2.exited;
    expect(code).toBe(1);
    const sentence =
      `Another campaign-bot (pid ${bot1.child.pid}, started ` +
      `${JSON.parse(readFileSync(join(dir, 'data', 'campaign-bot.lock'), 'utf8')).started_at}) is using the local database in ` +
      `${join(dir, 'data')}; stop that process first, or set MONGODB_URI to a MongoDB server so that both processes share it.`;
    expect(messages(bot2)).toContain(sentence);
    expect(messages(bot2).filter((m) => m.startsWith('not JSON'))).toEqual([]);
    expect(bot2.stderr()).toBe('');
    expect(bot2.stdout()).not.toMatch(/database: local|\bat \S+:\d+:\d+/);

    expect(bot1.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${first.PORT}/healthz`)).status).toBe(200);
    bot1.child.kill('SIGTERM');
    expect((await bot1.exited).code).toBe(0);
  }, 360_000);

  it('takes over the lock a killed process left behind', async () => {
    const dir = newFolder();
    mkdirSync(join(dir, 'data'));
    const gone = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const stale = { pid: gone, host: hostname(), started_at: '2026-11-25T04:00:00.000Z' };
    writeFileSync(join(dir, 'data', 'campaign-bot.lock'), JSON.stringify(stale));

    const env = await startEnv();
    const bot = start(env, dir);
    await bot.waitForLine(/campaign-bot is listening/, 240_000);
    expect(JSON.parse(readFileSync(join(dir, 'data', 'campaign-bot.lock'), 'utf8')).pid).toBe(bot.child.pid);
    bot.child.kill('SIGTERM');
    expect((await bot.exited).code).toBe(0);
    expect(() => readFileSync(join(dir, 'data', 'campaign-bot.lock'))).toThrow(/ENOENT/);
  }, 360_000);

  it('refuses to open mongod data with another engine, in one sentence', async () => {
    const dir = newFolder();
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'data', 'engine.json'),
      JSON.stringify({ engine: 'mongod', version: '7.0.14', created_at: '2026-01-05T00:00:00Z' }),
    );
    // Files no mongod can open, so that the start fails here and on a machine with mongod alike.
    mkdirSync(join(dir, 'data', 'mongod'));
    writeFileSync(join(dir, 'data', 'mongod', 'WiredTiger'), 'not a WiredTiger file');
    const bot = start(await startEnv(), dir);
    expect((await bot.exited).code).toBe(1);
    const fatal = messages(bot).filter((m) => m.includes('holds a database'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(
      new RegExp(
        `^${join(dir, 'data')} holds a database written by mongod 7\\.0\\.14, but mongod cannot start here \\(.+\\); ` +
          'run campaign-bot where mongod can start, or set MONGODB_URI to a MongoDB server, or move .+ aside',
      ),
    );
    expect(messages(bot).filter((m) => m.startsWith('not JSON'))).toEqual([]);
    expect(bot.stdout()).not.toMatch(/local FerretDB/);
  }, 120_000);
});

describe('nothing fails silently', () => {
  /** Loaded before the bot: on SIGUSR2, a promise nobody awaits rejects, or a timer throws. */
  const misbehave = (what: 'reject' | 'throw') => [
    '--import',
    `data:text/javascript,${encodeURIComponent(
      what === 'reject'
        ? "process.on('SIGUSR2', () => { Promise.reject(new TypeError('test rejection: nobody awaited this')); });"
        : "process.on('SIGUSR2', () => { setTimeout(() => { throw new RangeError('test exception: thrown from a timer'); }); });",
    )}`,
  ];

  it('an unhandled rejection is logged in one line naming it, and the bot keeps running', async () => {
    const env = await startEnv();
    const bot = start(env, newFolder(), misbehave('reject'));
    await bot.waitForLine(/campaign-bot is listening/, 240_000);
    bot.child.kill('SIGUSR2');
    const line = await bot.waitForLine(/unhandled promise rejection/, 30_000);
    expect(JSON.parse(line)).toMatchObject({
      level: 50,
      msg: 'unhandled promise rejection: TypeError: test rejection: nobody awaited this',
    });
    expect((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status).toBe(200);
    expect(bot.child.exitCode).toBeNull();
    expect(bot.stderr()).toBe('');
    bot.child.kill('SIGTERM');
    expect((await bot.exited).code).toBe(0);
  }, 360_000);

  it('an uncaught exception is logged in one line naming it, then the bot stops cleanly with code 1', async () => {
    const dir = newFolder();
    const bot = start(await startEnv(), dir, misbehave('throw'));
    await bot.waitForLine(/campaign-bot is listening/, 240_000);
    bot.child.kill('SIGUSR2');
    expect((await bot.exited).code).toBe(1);
    const lines = bot
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.filter((l) => l.msg.includes('test exception'))).toEqual([
      expect.objectContaining({ level: 60, msg: 'uncaught exception: RangeError: test exception: thrown from a timer; stopping' }),
    ]);
    expect(lines.at(-1)?.msg).toBe('stopped');
    expect(bot.stderr()).toBe('');
    // Stopped cleanly: the database went with it and the folder is free for the next start.
    expect(() => readFileSync(join(dir, 'data', 'campaign-bot.lock'))).toThrow(/ENOENT/);
  }, 360_000);
});
