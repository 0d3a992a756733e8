// A newcomer's first `npm start`: a .env copied from .env.example and not (fully) filled in, or a wrong Slack token.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startFakeSlack, type FakeSlack } from './fakes/fake-slack.js';
import { freePort } from './helpers/app-harness.js';
import { startBotProcess } from './helpers/bot-process.js';

const EXAMPLE = join(import.meta.dirname, '..', '.env.example');
const example = () => parseEnv(readFileSync(EXAMPLE, 'utf8')) as Record<string, string>;

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return [];
}

describe('.env.example values are recognised', () => {
  it('lists every value still as in .env.example, in one error, and nothing else', () => {
    expect(problemsOf(example())).toEqual([
      'SLACK_BOT_TOKEN is still the example value from .env.example; put the Bot User OAuth Token (xoxb-…) from the Slack app’s OAuth & Permissions page there.',
      'SLACK_SIGNING_SECRET is still the example value from .env.example; put the Signing Secret from the Slack app’s Basic Information page there.',
      'EXOTEL_AUTH_KEY is still the example value from .env.example; put your Exotel API key there.',
      'EXOTEL_AUTH_TOKEN is still the example value from .env.example; put your Exotel API token there.',
      'EXOTEL_ACCOUNT_SID is still the example value from .env.example; put your Exotel account SID there.',
      'EXOTEL_CALLER_ID is still the example value from .env.example; put your ExoPhone (the number people see) there.',
      'EXOTEL_URL is still the example value from .env.example; put your call flow URL http://my.exotel.com/<account sid>/exoml/start_voice/<app id> there.',
    ]);
  });

  it('names only what is left once the rest is filled in, including a half-edited flow URL', () => {
    const env = {
      ...example(),
      SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdef',
      SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
      EXOTEL_AUTH_KEY: 'a1b2c3d4e5',
      EXOTEL_AUTH_TOKEN: 'f6g7h8i9j0',
      EXOTEL_ACCOUNT_SID: 'acme1',
      EXOTEL_CALLER_ID: '08047112345',
      EXOTEL_URL: 'http://my.exotel.com/acme1/exoml/start_voice/your-app-id',
    };
    expect(problemsOf(env)).toEqual([expect.stringMatching(/^EXOTEL_URL is still the example value from \.env\.example; /)]);
    expect(problemsOf({ ...env, EXOTEL_URL: 'http://my.exotel.com/acme1/exoml/start_voice/12345' })).toEqual([]);
  });

  it('leaves the Exotel examples alone in a rehearsal, which does not use them', () => {
    const named = problemsOf({ ...example(), EXOTEL_DRY_RUN: 'true' }).map((p) => p.split(' ')[0]);
    expect(named).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
  });
});

describe('npm start, first time', () => {
  let slack: FakeSlack;
  const folders: string[] = [];
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack.close();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'campaign-bot-first-run-'));
    folders.push(dir);
    return dir;
  };

  it('with .env copied from .env.example: exits 1 naming every example value, before any database', async () => {
    const dir = folder();
    copyFileSync(EXAMPLE, join(dir, '.env'));
    const bot = startBotProcess({}, dir);
    expect((await bot.exited).code).toBe(1);
    expect(bot.stderr()).toMatch(/^campaign-bot cannot start: the configuration has 7 problems\.\n/);
    expect(bot.stderr()).toContain('  - EXOTEL_AUTH_KEY is still the example value from .env.example; put your Exotel API key there.\n');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('with a token Slack refuses: says so and exits 1 without starting the local database', async () => {
    slack.override('auth.test', () => ({ body: { ok: false, error: 'invalid_auth' } }));
    const dir = folder();
    const bot = startBotProcess(
      {
        SLACK_BOT_TOKEN: 'xoxb-revoked-token',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        EXOTEL_DRY_RUN: 'true',
        PORT: String(await freePort()),
      },
      dir,
    );
    expect((await bot.exited).code).toBe(1);
    const messages = bot
      .stdout()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.sort()).toEqual([
      "Slack rejected SLACK_BOT_TOKEN (invalid_auth). Copy the Bot User OAuth Token again from the app's OAuth & Permissions page.",
      'stopped',
    ]);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  }, 60_000);
});
