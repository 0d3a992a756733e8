import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

let store: Store;
let app: TestApp;
const secret = () => app.config.slack.signingSecret!;

beforeAll(async () => {
  store = await testStore('http_app');
  app = await startTestApp(store);
});
afterAll(async () => {
  await app?.stop();
});

describe('/healthz', () => {
  it('answers 200 with the database up', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      database: 'up',
      engine: { running: false, last_tick_age_ms: null, stale_after_ms: expect.any(Number), stalled: false },
    });
  });
});

describe('/campaign help', () => {
  it('answers a signed request with the list of subcommands', async () => {
    const started = Date.now();
    const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('help'), secret());
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response_type: string; text: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('`/campaign help` — show these commands');
    expect(body.blocks.length).toBeGreaterThan(0);
  });

  it('answers an empty command and an unknown subcommand with the help text', async () => {
    const empty = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand(''), secret());
    expect(((await empty.json()) as { text: string }).text).toContain('/campaign help');
    const unknown = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('frobnicate now'), secret());
    const text = ((await unknown.json()) as { text: string }).text;
    expect(text).toContain('`/campaign frobnicate` is not a command I know');
    expect(text).toContain('/campaign help');
  });
});

describe('request signatures', () => {
  it('rejects an unsigned request with 401', async () => {
    const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('help'), secret(), { unsigned: true });
    expect(res.status).toBe(401);
  });

  it('rejects a bad signature with 401', async () => {
    const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('help'), secret(), { secret: 'wrong' });
    expect(res.status).toBe(401);
  });

  it('rejects a signature 6 minutes old with 401', async () => {
    const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('help'), secret(), {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(res.status).toBe(401);
  });

  it('nothing reached the Slack API for the rejected requests', () => {
    expect(app.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  });
});
