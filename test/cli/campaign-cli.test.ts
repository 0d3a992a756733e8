// `npm run campaign -- …` as an operator runs it with Slack down: a child process with only MONGODB_URI (or the
// folder of a running bot), while a real engine dials the fake Exotel in this process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { mongoUri, testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';

const CLI = fileURLToPath(new URL('../../src/cli/campaign-cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let uri: string;

beforeAll(async () => {
  store = await testStore('cli');
  // The same database as the test's store, named in the URI as an operator's MONGODB_URI would name it.
  uri = `${mongoUri().replace(/\/$/, '')}/${store.connection.name}`;
  fake = await startFakeExotel({ callbackDelayMs: [200, 600], seed: 5, secondMs: 1000 });
  // Slow pace: the campaign is still dialling when the command line stops it.
  app = await startTestApp(store, exotelEnv(fake), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 120, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>, cwd = process.cwd()): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const withDb = () => ({ MONGODB_URI: uri });

describe('stop without Slack', () => {
  it('stops a running campaign: the engine stops dialling it and nobody else is called', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(60, '71'), { name: 'emi-march' });
    await app.runtime.service.start(campaign._id, { userId: 'U0OWNER' });
    await waitFor(async () => fake.calls.length >= 3, 30_000, 'the first calls');

    const run = await cli(['stop', 'EMI-March'], withDb());
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('Stopped emi-march. Nobody else will be called; calls already ringing finish. No bot is dialling it now.\n');

    const after = await store.Campaign.findById(campaign._id).lean();
    expect(after).toMatchObject({ status: 'stopped', runner_id: null });
    expect(after!.status_reason).toMatch(/^Stopped from the command line \(/);
    expect(app.runtime.engine.running).not.toContain(String(campaign._id));
    // Whatever was dialled had been placed before the command answered; nothing comes after, tick after tick.
    const placed = fake.calls.length;
    expect(placed).toBeLessThan(60);
    await new Promise((resolve) => setTimeout(resolve, 10 * FAST_SETTINGS.tickMs!));
    expect(fake.calls.length).toBe(placed);
  }, 90_000);

  it('pause, status and resume, in sentences', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(40, '72'), { name: 'pause-me' });
    await app.runtime.service.start(campaign._id, { userId: 'U0OWNER' });
    await waitFor(async () => app.runtime.engine.running.includes(String(campaign._id)), 30_000, 'the run');

    const paused = await cli(['pause', 'pause-me'], withDb());
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^Paused pause-me\. Nothing new is dialled; .+ No bot is dialling it now\.\n$/);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('paused');

    const status = await cli(['status', 'pause-me'], withDb());
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toBe(`pause-me (${campaign.title}) is paused.`);
    expect(status.stdout).toMatch(/^\d+\/40 done \(\d+ not reached\): \d+ completed, .+ \d+ waiting, \d+ retrying, 0 skipped\.$/m);
    expect(status.stdout).toMatch(/^Last change: pause at \d{4}-\d\d-\d\d \d\d:\d\d /m);

    const again = await cli(['pause', 'pause-me'], withDb());
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe('pause-me is paused; only a campaign that is running can be paused. Nothing was changed.\n');

    const resumed = await cli(['resume', 'pause-me'], withDb());
    expect(resumed).toMatchObject({ code: 0, stdout: 'Resumed pause-me. A running bot picks it up within a few seconds.\n' });
    await waitFor(async () => app.runtime.engine.running.includes(String(campaign._id)), 30_000, 'the engine to adopt it again');
    expect((await cli(['stop', 'pause-me'], withDb())).code).toBe(0);
  }, 90_000);

  it('list, a name that does not exist, and usage mistakes', async () => {
    const list = await cli(['list'], withDb());
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^emi-march\s+stopped\s+\d+\/60 done/m);

    const missing = await cli(['stop', 'emi'], withDb());
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('There is no campaign named emi in workspace T0001. Did you mean emi-march?\n');

    const usage = await cli(['stop'], withDb());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^stop needs the campaign's name: npm run campaign -- stop <name>\.\n\nUsage: /);
    expect((await cli(['launch', 'x'], withDb())).code).toBe(2);
    expect((await cli(['list', '--team', 'nope'], withDb())).code).toBe(2);
  }, 60_000);

  it('asks which workspace when the database holds several, and acts on the one named', async () => {
    await seedCampaign(store, phoneNumbers(2, '73'), { name: 'other-team', team_id: 'T0002' });
    const ask = await cli(['status', 'other-team'], withDb());
    expect(ask).toMatchObject({ code: 1, stdout: '' });
    expect(ask.stderr).toBe('This database holds campaigns of 2 workspaces (T0001, T0002); say which with --team, e.g. --team T0001.\n');
    const named = await cli(['status', 'other-team', '--team', 'T0002'], withDb());
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/^other-team \(.+\) is draft\.$/m);
  }, 60_000);

  it('stop-all stops every running, paused and scheduled campaign of the workspace and nothing else', async () => {
    const team = 'T0003';
    const running = await seedCampaign(store, phoneNumbers(30, '74'), { name: 'all-running', team_id: team });
    await app.runtime.service.start(running._id, { userId: 'U0OWNER' });
    const paused = await seedCampaign(store, phoneNumbers(2, '75'), { name: 'all-paused', team_id: team, status: 'paused' });
    const scheduled = await seedCampaign(store, phoneNumbers(2, '76'), {
      name: 'all-scheduled',
      team_id: team,
      status: 'scheduled',
      scheduled_at: new Date(Date.now() + 3_600_000),
    });
    const draft = await seedCampaign(store, phoneNumbers(2, '77'), { name: 'all-draft', team_id: team });

    const run = await cli(['stop-all', '--team', team], withDb());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Stopped 3 campaigns: (all-running|all-paused|all-scheduled), .+\. Nobody else will be called; calls already ringing finish\.\n$/,
    );
    for (const c of [running, paused, scheduled]) expect((await store.Campaign.findById(c._id).lean())?.status).toBe('stopped');
    expect((await store.Campaign.findById(draft._id).lean())?.status).toBe('draft');
    await waitFor(async () => !app.runtime.engine.running.includes(String(running._id)), 10_000, 'the run to end');
  }, 60_000);
});

describe('the local database of a bot in this folder', () => {
  it('says plainly that there is no database when the folder has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'campaign-cli-empty-'));
    try {
      const run = await cli(['list'], {}, dir);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toBe(
        `No database here: MONGODB_URI is not set and ${join(dir, 'data')} holds no local database. Run this in the folder the bot runs in, or set MONGODB_URI to the bot's database.\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
