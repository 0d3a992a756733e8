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
    expect(problemsOf({ ...LIVE, SLACK_SIGNING_SECRET: undefined })).toEqual([expect.stringMatching(/^SLACK_SIGNING_SECRET is missing/)]);
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
    expect(config.logLevel).toBe('info');
    expect(config.warnings).toEqual([]);
  });

  it('Exotel call timing, live-call cap, calling hours and retry rules', () => {
    const config = loadConfig(LIVE);
    expect(config.exotel).toMatchObject({ ringSeconds: 30, maxCallSeconds: 600, settleSeconds: 300, maxLiveCalls: 10 });
    expect(config.callingHours).toEqual({
      days: new Set([1, 2, 3, 4, 5, 6, 7]),
      startMinute: 540,
      endMinute: 1260,
      timeZone: 'Asia/Kolkata',
      skipDates: new Set(),
    });
    expect(config.retry).toEqual({
      on: ['busy', 'no-answer'],
      max_attempts: 3,
      delays: { busy: 1800, 'no-answer': 7200, failed: 1800 },
      exponential: false,
    });
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
  it('lists every malformed value at once, one sentence each, with what was expected', () => {
    const problems = problemsOf({
      ...LIVE,
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      EXOTEL_CALLS_PER_MINUTE: '1001',
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
    expect(problems.join('\n')).toMatch(/EXOTEL_CALLS_PER_MINUTE is "1001": expected a whole number from 1 to 1000/);
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
    expect(config.callingHours.startMinute).toBe(630);
    expect(config.callingHours.endMinute).toBe(1080);
  });
});

/** The one problem an otherwise good environment plus `extra` has. */
function onlyProblem(extra: Record<string, string>): string {
  const problems = problemsOf({ ...LIVE, ...extra });
  expect(problems, JSON.stringify(extra)).toHaveLength(1);
  // One sentence: starts with the variable's name, ends with a full stop, no line breaks.
  expect(problems[0]).toMatch(new RegExp(`^${Object.keys(extra)[0]} `));
  expect(problems[0]).toMatch(/\.$/);
  expect(problems[0]).not.toContain('\n');
  return problems[0]!;
}

describe('EXOTEL_CALLS_PER_MINUTE', () => {
  it("allows up to 1000; above Exotel's standard 200 it warns and says what to check", () => {
    expect(loadConfig({ ...LIVE, EXOTEL_CALLS_PER_MINUTE: '200' })).toMatchObject({ exotel: { callsPerMinute: 200 }, warnings: [] });
    const raised = loadConfig({ ...LIVE, EXOTEL_CALLS_PER_MINUTE: '1000' });
    expect(raised.exotel.callsPerMinute).toBe(1000);
    expect(raised.warnings).toHaveLength(1);
    expect(raised.warnings[0]).toMatch(/^EXOTEL_CALLS_PER_MINUTE is 1000, above Exotel's standard 200 a minute: .*429/);
    expect(loadConfig({ ...LIVE, EXOTEL_CALLS_PER_MINUTE: '201' }).warnings).toHaveLength(1);
  });

  it.each(['0', '1001', '-5', '60.5', 'sixty', '1e2'])('refuses %j', (value) => {
    expect(onlyProblem({ EXOTEL_CALLS_PER_MINUTE: value })).toBe(
      `EXOTEL_CALLS_PER_MINUTE is "${value}": expected a whole number from 1 to 1000.`,
    );
  });
});

describe('Exotel call timing and the live-call cap', () => {
  it('reads each variable', () => {
    const config = loadConfig({
      ...LIVE,
      EXOTEL_TIMEOUT_SECONDS: '45',
      EXOTEL_TIME_LIMIT_SECONDS: '14400',
      EXOTEL_SETTLE_SECONDS: '30',
      EXOTEL_MAX_LIVE_CALLS: '25',
    });
    expect(config.exotel).toMatchObject({ ringSeconds: 45, maxCallSeconds: 14_400, settleSeconds: 30, maxLiveCalls: 25 });
  });

  it('accepts the ends of each range', () => {
    const low = loadConfig({
      ...LIVE,
      EXOTEL_TIMEOUT_SECONDS: '5',
      EXOTEL_TIME_LIMIT_SECONDS: '10',
      EXOTEL_SETTLE_SECONDS: '30',
      EXOTEL_MAX_LIVE_CALLS: '1',
    });
    expect(low.exotel).toMatchObject({ ringSeconds: 5, maxCallSeconds: 10, settleSeconds: 30, maxLiveCalls: 1 });
    const high = loadConfig({
      ...LIVE,
      EXOTEL_TIMEOUT_SECONDS: '60',
      EXOTEL_TIME_LIMIT_SECONDS: '14400',
      EXOTEL_SETTLE_SECONDS: '3600',
      EXOTEL_MAX_LIVE_CALLS: '1000',
    });
    expect(high.exotel).toMatchObject({ ringSeconds: 60, maxCallSeconds: 14_400, settleSeconds: 3_600, maxLiveCalls: 1_000 });
  });

  it.each([
    ['EXOTEL_TIMEOUT_SECONDS', '4', 5, 60],
    ['EXOTEL_TIMEOUT_SECONDS', '61', 5, 60],
    ['EXOTEL_TIME_LIMIT_SECONDS', '9', 10, 14_400],
    ['EXOTEL_TIME_LIMIT_SECONDS', '14401', 10, 14_400],
    ['EXOTEL_SETTLE_SECONDS', '29', 30, 3_600],
    ['EXOTEL_SETTLE_SECONDS', 'soon', 30, 3_600],
    ['EXOTEL_MAX_LIVE_CALLS', '0', 1, 1_000],
    ['EXOTEL_MAX_LIVE_CALLS', '10 calls', 1, 1_000],
  ])('%s=%j is refused', (name, value, min, max) => {
    expect(onlyProblem({ [name]: value })).toBe(`${name} is "${value}": expected a whole number from ${min} to ${max}.`);
  });
});

describe('default calling hours: CALLING_WINDOW, CALLING_DAYS, CALLING_TZ', () => {
  it('reads days, hours and zone in the forms people write', () => {
    const config = loadConfig({ ...LIVE, CALLING_WINDOW: '9am to 6:30pm', CALLING_DAYS: 'Mon-Sat', CALLING_TZ: 'Europe/London' });
    expect(config.callingHours).toEqual({
      days: new Set([1, 2, 3, 4, 5, 6]),
      startMinute: 540,
      endMinute: 1110,
      timeZone: 'Europe/London',
      skipDates: new Set(),
    });
    expect(loadConfig({ ...LIVE, CALLING_DAYS: 'mon,wed,fri' }).callingHours.days).toEqual(new Set([1, 3, 5]));
    expect(loadConfig({ ...LIVE, CALLING_DAYS: 'weekdays' }).callingHours.days).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(loadConfig({ ...LIVE, CALLING_DAYS: 'Fri-Mon' }).callingHours.days).toEqual(new Set([5, 6, 7, 1]));
    expect(loadConfig({ ...LIVE, CALLING_DAYS: 'every day' }).callingHours.days).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
    expect(loadConfig({ ...LIVE, CALLING_WINDOW: '00:00-24:00' }).callingHours).toMatchObject({ startMinute: 0, endMinute: 1440 });
  });

  it.each([
    ['CALLING_WINDOW', '21:00-09:00', /overnight windows are not supported/],
    ['CALLING_WINDOW', 'morning', /is not a range of hours/],
    ['CALLING_WINDOW', '9-25', /"25" in "9-25" is not a time of day/],
    ['CALLING_DAYS', 'Mon-Funday', /"mon-funday" is not a day or a range of days/],
    ['CALLING_DAYS', ',', /names no day/],
    ['CALLING_TZ', 'IST', /expected an IANA time zone such as Asia\/Kolkata/],
    ['CALLING_TZ', 'Mars/Olympus', /expected an IANA time zone/],
  ])('%s=%j is refused with one sentence', (name, value, reason) => {
    const problem = onlyProblem({ [name]: value });
    expect(problem.startsWith(`${name} is "${value}": `)).toBe(true);
    expect(problem).toMatch(reason);
  });
});

describe('default retry rules: RETRY_*', () => {
  it('reads each variable; minutes become seconds', () => {
    const config = loadConfig({
      ...LIVE,
      RETRY_ON: 'busy, no_answer,FAILED',
      RETRY_MAX_ATTEMPTS: '5',
      RETRY_BUSY_MINUTES: '10',
      RETRY_NO_ANSWER_MINUTES: '60',
      RETRY_FAILED_MINUTES: '1',
      RETRY_EXPONENTIAL: 'true',
    });
    expect(config.retry).toEqual({
      on: ['busy', 'no-answer', 'failed'],
      max_attempts: 5,
      delays: { busy: 600, 'no-answer': 3600, failed: 60 },
      exponential: true,
    });
  });

  it('RETRY_ON=none turns retries off; repeats are kept once', () => {
    expect(loadConfig({ ...LIVE, RETRY_ON: 'none' }).retry.on).toEqual([]);
    expect(loadConfig({ ...LIVE, RETRY_ON: 'busy,busy' }).retry.on).toEqual(['busy']);
  });

  it('RETRY_EXPONENTIAL reads true and false as EXOTEL_DRY_RUN does', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes'])
      expect(loadConfig({ ...LIVE, RETRY_EXPONENTIAL: yes }).retry.exponential, yes).toBe(true);
    for (const no of ['false', '0', 'no']) expect(loadConfig({ ...LIVE, RETRY_EXPONENTIAL: no }).retry.exponential, no).toBe(false);
  });

  it.each([
    ['RETRY_ON', 'busy,canceled', 'RETRY_ON has "canceled": expected busy, no-answer and/or failed, separated by commas (or none).'],
    ['RETRY_MAX_ATTEMPTS', '0', 'RETRY_MAX_ATTEMPTS is "0": expected a whole number from 1 to 5.'],
    ['RETRY_MAX_ATTEMPTS', '6', 'RETRY_MAX_ATTEMPTS is "6": expected a whole number from 1 to 5.'],
    ['RETRY_BUSY_MINUTES', '0', 'RETRY_BUSY_MINUTES is "0": expected a whole number from 1 to 10080.'],
    ['RETRY_NO_ANSWER_MINUTES', '10081', 'RETRY_NO_ANSWER_MINUTES is "10081": expected a whole number from 1 to 10080.'],
    ['RETRY_FAILED_MINUTES', 'half', 'RETRY_FAILED_MINUTES is "half": expected a whole number from 1 to 10080.'],
    ['RETRY_EXPONENTIAL', 'maybe', 'RETRY_EXPONENTIAL is "maybe": expected true or false.'],
  ])('%s=%j is refused with one sentence', (name, value, sentence) => {
    expect(onlyProblem({ [name]: value })).toBe(sentence);
  });
});
