import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return [];
}

const LIVE = {
  SLACK_BOT_TOKEN: 'xoxb-1-placeholder',
  SLACK_SIGNING_SECRET: 'placeholder-secret',
  EXOTEL_AUTH_KEY: 'key',
  EXOTEL_AUTH_TOKEN: 'token',
  EXOTEL_ACCOUNT_SID: 'acme1',
  EXOTEL_CALLER_ID: '08047112345',
  EXOTEL_URL: 'http://my.exotel.com/acme1/exoml/start_voice/12345',
};

describe('required variables', () => {
  it('names every required variable at once when nothing is set', () => {
    const problems = problemsOf({});
    const named = problems.map((p) => p.split(' ')[0]);
    expect(named).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'EXOTEL_AUTH_KEY',
      'EXOTEL_AUTH_TOKEN',
      'EXOTEL_ACCOUNT_SID',
      'EXOTEL_CALLER_ID',
      'EXOTEL_URL',
    ]);
    for (const p of problems) expect(p).toMatch(/ is missing: .+\.$/);
  });

  it('points to the README section in its message', () => {
    expect(() => loadConfig({})).toThrow(/README\.md#configuration/);
    expect(() => loadConfig({})).toThrow(/7 problems/);
  });

  it('treats blank values as missing', () => {
    expect(problemsOf({ ...LIVE, SLACK_BOT_TOKEN: '   ' })).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN is missing/)]);
  });
});

describe('relaxations', () => {
  it('dry run does not need Exotel credentials', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', EXOTEL_DRY_RUN: 'true' });
    expect(config.exotel.dryRun).toBe(true);
  });

  it('Socket Mode does not need the signing secret', () => {
    const config = loadConfig({ ...LIVE, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-placeholder' });
    expect(config.slack.socketMode).toBe(true);
    expect(config.slack.signingSecret).toBeUndefined();
  });

  it('HTTP mode still needs it', () => {
    expect(problemsOf({ ...LIVE, SLACK_SIGNING_SECRET: undefined })).toEqual([
      expect.stringMatching(/^SLACK_SIGNING_SECRET is missing/),
    ]);
  });

  it('PUBLIC_URL requires the webhook secret', () => {
    expect(problemsOf({ ...LIVE, PUBLIC_URL: 'https://bot.example.com' })).toEqual([
      expect.stringMatching(/^EXOTEL_WEBHOOK_SECRET is missing/),
    ]);
  });
});

describe('defaults', () => {
  it('match DESIGN.md', () => {
    const config = loadConfig(LIVE);
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(config.exotel.baseUrl).toBe('https://api.exotel.com');
    expect(config.exotel.callsPerMinute).toBe(60);
    expect(config.exotel.dryRun).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.mongodbUri).toBeUndefined();
    expect(config.publicUrl).toBeUndefined();
    expect(config.admins).toEqual([]);
    expect(config.callingWindow).toEqual({ startMinute: 540, endMinute: 1260, timeZone: 'Asia/Kolkata' });
    expect(config.logLevel).toBe('info');
  });

  it('builds the Exotel base URL from the subdomain, and EXOTEL_API_URL overrides it', () => {
    expect(loadConfig({ ...LIVE, EXOTEL_SUBDOMAIN: 'api.in.exotel.com' }).exotel.baseUrl).toBe('https://api.in.exotel.com');
    expect(loadConfig({ ...LIVE, EXOTEL_API_URL: 'http://127.0.0.1:9999/' }).exotel.baseUrl).toBe('http://127.0.0.1:9999');
  });

  it('is frozen', () => {
    const config = loadConfig(LIVE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.exotel)).toBe(true);
    expect(() => {
      (config.exotel as { callsPerMinute: number }).callsPerMinute = 500;
    }).toThrow(TypeError);
  });
});

describe('malformed values', () => {
  it('lists every malformed value with what was expected', () => {
    const problems = problemsOf({
      ...LIVE,
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      EXOTEL_CALLS_PER_MINUTE: '500',
      PORT: 'eighty',
      CALLING_WINDOW: '21:00-09:00',
      CALLING_TZ: 'Mars/Olympus',
      EXOTEL_DRY_RUN: 'maybe',
      LOG_LEVEL: 'loud',
      MONGODB_URI: 'postgres://x',
      CAMPAIGN_ADMINS: 'U123ABC, bob',
      EXOTEL_URL: 'not a url',
    });
    expect(problems).toHaveLength(10);
    expect(problems.join('\n')).toMatch(/SLACK_BOT_TOKEN does not look like a bot token/);
    expect(problems.join('\n')).toMatch(/EXOTEL_CALLS_PER_MINUTE is "500": expected a whole number from 1 to 200/);
    expect(problems.join('\n')).toMatch(/PORT is "eighty"/);
    expect(problems.join('\n')).toMatch(/CALLING_WINDOW is "21:00-09:00"/);
    expect(problems.join('\n')).toMatch(/CALLING_TZ is "Mars\/Olympus"/);
    expect(problems.join('\n')).toMatch(/EXOTEL_DRY_RUN is "maybe"/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL is "loud"/);
    expect(problems.join('\n')).toMatch(/MONGODB_URI must start with mongodb:\/\//);
    expect(problems.join('\n')).toMatch(/CAMPAIGN_ADMINS has "bob"/);
    expect(problems.join('\n')).toMatch(/EXOTEL_URL is "not a url"/);
  });

  it('parses admins and a custom window', () => {
    const config = loadConfig({ ...LIVE, CAMPAIGN_ADMINS: 'U01AAA,U02BBB  W03CCC', CALLING_WINDOW: '10:30-18:00' });
    expect(config.admins).toEqual(['U01AAA', 'U02BBB', 'W03CCC']);
    expect(config.callingWindow.startMinute).toBe(630);
    expect(config.callingWindow.endMinute).toBe(1080);
  });
});
