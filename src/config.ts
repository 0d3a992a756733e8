// The only module that reads process.env. Every other module receives its slice of the frozen
// Config built here, so a test can build any configuration without touching the environment.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { isTimeZone, parseDays, parseHours, type CallingHours } from './campaigns/calling-hours.js';
import {
  EXOTEL_DEFAULT_LIMIT,
  MAX_ATTEMPTS_MAX,
  MAX_ATTEMPTS_MIN,
  PACE_MAX,
  PACE_MIN,
  RETRY_OUTCOMES,
  type RetryOutcome,
} from './campaigns/vocabulary.js';
import type { RetryPolicy } from './store/campaign-model.js';

export const CONFIG_DOCS = 'README.md#configuration';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type { CallingHours } from './campaigns/calling-hours.js';

export interface Config {
  slack: {
    botToken: string;
    signingSecret: string | undefined;
    /** Set: Socket Mode. Unset: HTTP mode on `port`. */
    appToken: string | undefined;
    apiUrl: string;
    socketMode: boolean;
  };
  exotel: {
    dryRun: boolean;
    apiKey: string;
    apiToken: string;
    accountSid: string;
    baseUrl: string;
    callerId: string;
    flowUrl: string;
    callsPerMinute: number;
    webhookSecret: string | undefined;
    /** Exotel's TimeOut: how long a number rings, seconds. */
    ringSeconds: number;
    /** Exotel's TimeLimit: the longest call, seconds. */
    maxCallSeconds: number;
    /** Margin after TimeOut + TimeLimit before an unconfirmed call may be declared never placed, seconds. */
    settleSeconds: number;
    /** Calls placed and not yet final, at most, for the account. */
    maxLiveCalls: number;
  };
  mongodbUri: string | undefined;
  port: number;
  publicUrl: string | undefined;
  admins: readonly string[];
  /** Who may create and start campaigns: user ids and user groups (S…); both empty means everyone. */
  operators: { users: readonly string[]; groups: readonly string[] };
  /** Channels where campaigns may report (and so be started from); empty means any. */
  channels: readonly string[];
  /** Full numbers in channel messages; false shows the last four digits (the export always has them). */
  showFullNumbers: boolean;
  /** Default calling days and hours of new campaigns. */
  callingHours: CallingHours;
  /** Default retry rules of new campaigns. */
  retry: RetryPolicy;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Settings that are allowed but worth a line in the log at start. */
  warnings: readonly string[];
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    const count = problems.length === 1 ? 'one problem' : `${problems.length} problems`;
    super(
      `campaign-bot cannot start: the configuration has ${count}.\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        `\nSet these in the environment or in .env (see .env.example); ${CONFIG_DOCS} explains each variable.`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** What each variable is, in the words used when it is missing. */
const DESCRIBE: Record<string, string> = {
  SLACK_BOT_TOKEN: 'the bot token (xoxb-…) from the Slack app’s OAuth & Permissions page',
  SLACK_SIGNING_SECRET: 'the signing secret from the Slack app’s Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)',
  EXOTEL_AUTH_KEY: 'the Exotel API key (Exotel dashboard → API settings), or set EXOTEL_DRY_RUN=true to rehearse',
  EXOTEL_AUTH_TOKEN: 'the Exotel API token (Exotel dashboard → API settings), or set EXOTEL_DRY_RUN=true to rehearse',
  EXOTEL_ACCOUNT_SID: 'the Exotel account SID (Exotel dashboard → API settings), or set EXOTEL_DRY_RUN=true to rehearse',
  EXOTEL_CALLER_ID: 'the ExoPhone used as caller id, or set EXOTEL_DRY_RUN=true to rehearse',
  EXOTEL_URL: 'the call flow URL http://my.exotel.com/<sid>/exoml/start_voice/<app id>, or set EXOTEL_DRY_RUN=true to rehearse',
  EXOTEL_WEBHOOK_SECRET: 'an unguessable path segment for the status callback URL (required because PUBLIC_URL is set)',
};

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

/**
 * The values .env.example ships with, and what to put in their place. A copied .env that still holds one of them
 * would pass every format check and fail only at the first call to Slack or Exotel, so the start names them all.
 * `your-…` anywhere in a value is an unedited part of an example too (a flow URL with only the sid filled in).
 */
const EXAMPLES: Record<string, { values: readonly string[]; putThere: string; live?: true }> = {
  SLACK_BOT_TOKEN: {
    values: ['xoxb-your-bot-token'],
    putThere: 'the Bot User OAuth Token (xoxb-…) from the Slack app’s OAuth & Permissions page',
  },
  SLACK_SIGNING_SECRET: { values: ['your-signing-secret'], putThere: 'the Signing Secret from the Slack app’s Basic Information page' },
  EXOTEL_AUTH_KEY: { values: ['your-exotel-api-key'], putThere: 'your Exotel API key', live: true },
  EXOTEL_AUTH_TOKEN: { values: ['your-exotel-api-token'], putThere: 'your Exotel API token', live: true },
  EXOTEL_ACCOUNT_SID: { values: ['your-account-sid'], putThere: 'your Exotel account SID', live: true },
  EXOTEL_CALLER_ID: { values: ['0XXXXXXXXXX'], putThere: 'your ExoPhone (the number people see)', live: true },
  EXOTEL_URL: {
    values: ['http://my.exotel.com/your-account-sid/exoml/start_voice/your-app-id'],
    putThere: 'your call flow URL http://my.exotel.com/<account sid>/exoml/start_voice/<app id>',
    live: true,
  },
};

/** One problem per variable that still holds its example value (Exotel's only when calls are real). */
function examplePlaceholders(env: Env, live: boolean): string[] {
  const problems: string[] = [];
  for (const [name, example] of Object.entries(EXAMPLES)) {
    const value = env[name]?.trim();
    if (!value || (example.live && !live)) continue;
    const unedited = example.values.includes(value) || /\byour-[a-z]/i.test(value) || (name === 'EXOTEL_CALLER_ID' && /X{4,}/.test(value));
    if (unedited) problems.push(`${name} is still the example value from .env.example; put ${example.putThere} there.`);
  }
  return problems;
}

function parseBool(name: string, raw: string | undefined, problems: string[]): boolean {
  if (blank(raw)) return false;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  problems.push(`${name} is "${raw}": expected true or false.`);
  return false;
}

function parseUrl(name: string, raw: string, problems: string[]): string {
  const result = z.url({ protocol: /^https?$/ }).safeParse(raw.trim());
  if (!result.success) {
    problems.push(`${name} is "${raw}": expected an http(s) URL.`);
    return raw;
  }
  return result.data;
}

function parseInteger(name: string, raw: string, min: number, max: number, problems: string[]): number {
  const result = z.coerce.number().int().min(min).max(max).safeParse(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !result.success) {
    problems.push(`${name} is "${raw}": expected a whole number from ${min} to ${max}.`);
    return min;
  }
  return result.data;
}

/**
 * Adds the variables of `./.env`, when there is one, to the environment; variables already set win.
 * Returns the file's path when it was read.
 */
export function loadDotEnv(path = '.env'): string | undefined {
  if (!existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}

/** What every part of the config is read with: the values, and the problems and warnings found so far. */
interface Reader {
  env: Env;
  /** Exotel values are required (not a rehearsal). */
  live: boolean;
  problems: string[];
  warnings: string[];
  /** A variable's trimmed value; undefined when blank or still the example. */
  get(name: string): string | undefined;
  /** The same, noting a missing one (when `when`). */
  required(name: string, when?: boolean): string;
  /** A whole number in [min, max], or `fallback` when unset. */
  number(name: string, fallback: number, min: number, max: number): number;
}

function reader(env: Env): Reader {
  const problems: string[] = [];
  const live = !['true', '1', 'yes'].includes(env.EXOTEL_DRY_RUN?.trim().toLowerCase() ?? '');
  const placeholders = examplePlaceholders(env, live);
  problems.push(...placeholders);
  // A placeholder is reported once, as such, not again as missing or malformed.
  const unedited = new Set(placeholders.map((p) => p.split(' ')[0]));
  const get = (name: string): string | undefined => (blank(env[name]) || unedited.has(name) ? undefined : env[name]!.trim());
  return {
    env,
    live,
    problems,
    warnings: [],
    get,
    required(name, when = true) {
      const v = get(name);
      if (v === undefined && when && !unedited.has(name)) problems.push(`${name} is missing: ${DESCRIBE[name]}.`);
      return v ?? '';
    },
    number(name, fallback, min, max) {
      const raw = get(name);
      return raw ? parseInteger(name, raw, min, max, problems) : fallback;
    },
  };
}

function readSlack(r: Reader): Config['slack'] {
  const appToken = r.get('SLACK_APP_TOKEN');
  const socketMode = appToken !== undefined;
  if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    r.problems.push('SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp-.');
  }
  const botToken = r.required('SLACK_BOT_TOKEN');
  if (botToken && !botToken.startsWith('xoxb-')) {
    r.problems.push('SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-.');
  }
  const signingSecret = r.required('SLACK_SIGNING_SECRET', !socketMode) || undefined;
  let apiUrl = parseUrl('SLACK_API_URL', r.get('SLACK_API_URL') ?? 'https://slack.com/api/', r.problems);
  if (!apiUrl.endsWith('/')) apiUrl += '/';
  return { botToken, signingSecret, appToken, apiUrl, socketMode };
}

function readExotel(r: Reader, webhookSecret: string | undefined): Config['exotel'] {
  const { problems, live } = r;
  const dryRun = parseBool('EXOTEL_DRY_RUN', r.env.EXOTEL_DRY_RUN, problems);
  const apiKey = r.required('EXOTEL_AUTH_KEY', live);
  const apiToken = r.required('EXOTEL_AUTH_TOKEN', live);
  const accountSid = r.required('EXOTEL_ACCOUNT_SID', live);
  const callerId = r.required('EXOTEL_CALLER_ID', live);
  const flowUrlRaw = r.required('EXOTEL_URL', live);
  const flowUrl = flowUrlRaw ? parseUrl('EXOTEL_URL', flowUrlRaw, problems) : '';
  const subdomain = r.get('EXOTEL_SUBDOMAIN') ?? 'api.exotel.com';
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(subdomain)) {
    problems.push(`EXOTEL_SUBDOMAIN is "${subdomain}": expected a host name such as api.exotel.com or api.in.exotel.com.`);
  }
  const apiUrlRaw = r.get('EXOTEL_API_URL');
  const baseUrl = (apiUrlRaw ? parseUrl('EXOTEL_API_URL', apiUrlRaw, problems) : `https://${subdomain}`).replace(/\/+$/, '');
  const callsPerMinute = r.number('EXOTEL_CALLS_PER_MINUTE', 60, PACE_MIN, PACE_MAX);
  if (callsPerMinute > EXOTEL_DEFAULT_LIMIT) {
    r.warnings.push(
      `EXOTEL_CALLS_PER_MINUTE is ${callsPerMinute}, above Exotel's standard ${EXOTEL_DEFAULT_LIMIT} a minute: make sure Exotel raised your account's limit, or calls will be refused with 429.`,
    );
  }
  return {
    dryRun,
    apiKey,
    apiToken,
    accountSid,
    baseUrl,
    callerId,
    flowUrl,
    callsPerMinute,
    webhookSecret,
    ringSeconds: r.number('EXOTEL_TIMEOUT_SECONDS', 30, 5, 60),
    maxCallSeconds: r.number('EXOTEL_TIME_LIMIT_SECONDS', 600, 10, 14_400),
    settleSeconds: r.number('EXOTEL_SETTLE_SECONDS', 300, 30, 3_600),
    maxLiveCalls: r.number('EXOTEL_MAX_LIVE_CALLS', 10, 1, 1_000),
  };
}

/** PUBLIC_URL and the webhook secret that makes Exotel's callback and applet URLs unguessable. */
function readWebhook(r: Reader): { publicUrl: string | undefined; webhookSecret: string | undefined } {
  const publicUrlRaw = r.get('PUBLIC_URL');
  const publicUrl = publicUrlRaw ? parseUrl('PUBLIC_URL', publicUrlRaw, r.problems).replace(/\/+$/, '') : undefined;
  const webhookSecret = r.required('EXOTEL_WEBHOOK_SECRET', publicUrl !== undefined) || undefined;
  if (webhookSecret !== undefined && (webhookSecret.length < 16 || !/^[A-Za-z0-9_-]+$/.test(webhookSecret))) {
    r.problems.push('EXOTEL_WEBHOOK_SECRET must be at least 16 letters, digits, - or _ so nobody can guess the callback URL.');
  }
  return { publicUrl, webhookSecret };
}

/** Comma-separated Slack ids of one kind; the first that is not one is a problem. */
function idList(r: Reader, name: string, pattern: RegExp, expected: string): string[] {
  const ids = (r.get(name) ?? '').split(/[\s,]+/).filter(Boolean);
  const bad = ids.find((id) => !pattern.test(id));
  if (bad) r.problems.push(`${name} has "${bad}": expected ${expected}, separated by commas.`);
  return ids;
}

/** Who may do what, and where campaigns report. */
function readAccess(r: Reader): Pick<Config, 'admins' | 'operators' | 'channels' | 'showFullNumbers'> {
  const admins = idList(r, 'CAMPAIGN_ADMINS', /^[UW][A-Z0-9]{2,}$/, 'Slack user ids such as U0123ABCD');
  const operatorIds = idList(r, 'CAMPAIGN_OPERATORS', /^[UWS][A-Z0-9]{2,}$/, 'Slack user ids (U0123ABCD) or user group ids (S0123ABCD)');
  const channels = idList(
    r,
    'CAMPAIGN_CHANNELS',
    /^[CG][A-Z0-9]{2,}$/,
    'channel ids such as C0123ABCD (channel details → About, at the bottom)',
  );
  return {
    admins,
    operators: { users: operatorIds.filter((id) => !id.startsWith('S')), groups: operatorIds.filter((id) => id.startsWith('S')) },
    channels,
    showFullNumbers: parseBool('SHOW_FULL_NUMBERS', r.env.SHOW_FULL_NUMBERS, r.problems),
  };
}

/** Reads and validates the environment; throws one ConfigError that lists every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const r = reader(env);
  const slack = readSlack(r);
  const { publicUrl, webhookSecret } = readWebhook(r);
  const exotel = readExotel(r, webhookSecret);
  const port = r.number('PORT', 3000, 1, 65535);
  const access = readAccess(r);
  const callingHours = readCallingHours(r.get, r.problems);
  const retry = readRetryDefaults(r.get, r.number, r.problems);
  const logLevel = (r.get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    r.problems.push(`LOG_LEVEL is "${logLevel}": expected one of ${LOG_LEVELS.join(', ')}.`);
  }
  const mongodbUri = readMongodbUri(r.get, r.problems);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze({
    slack,
    exotel,
    mongodbUri,
    port,
    publicUrl,
    ...access,
    callingHours,
    retry,
    logLevel: logLevel as Config['logLevel'],
    warnings: r.warnings,
  });
}

/** What the command line (src/cli) needs: the database only, so a stop works whatever else .env holds. */
export interface OperatorConfig {
  mongodbUri: string | undefined;
}

/** Reads MONGODB_URI alone; throws a ConfigError when it is malformed. */
export function loadOperatorConfig(env: Env = process.env): OperatorConfig {
  const problems: string[] = [];
  const mongodbUri = readMongodbUri((name) => (blank(env[name]) ? undefined : env[name]!.trim()), problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { mongodbUri };
}

function readMongodbUri(get: (name: string) => string | undefined, problems: string[]): string | undefined {
  const mongodbUri = get('MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv:// (or be unset for the local database).');
  }
  return mongodbUri;
}

function readCallingHours(get: (name: string) => string | undefined, problems: string[]): CallingHours {
  const windowRaw = get('CALLING_WINDOW') ?? '09:00-21:00';
  const hours = parseHours(windowRaw);
  if (!hours.ok) problems.push(`CALLING_WINDOW is "${windowRaw}": ${hours.problem}`);
  const daysRaw = get('CALLING_DAYS') ?? '';
  const days = parseDays(daysRaw);
  if (!days.ok) problems.push(`CALLING_DAYS is "${daysRaw}": ${days.problem}`);
  // parseDays reads a list of nothing ("," or ";") as no days at all: every campaign would wait for ever.
  else if (days.value.size === 0)
    problems.push(`CALLING_DAYS is "${daysRaw}": it names no day; write days like Mon-Sat, mon,wed,fri or weekdays.`);
  const timeZone = get('CALLING_TZ') ?? 'Asia/Kolkata';
  if (!isTimeZone(timeZone)) problems.push(`CALLING_TZ is "${timeZone}": expected an IANA time zone such as Asia/Kolkata.`);
  return {
    days: days.ok && days.value.size > 0 ? days.value : new Set([1, 2, 3, 4, 5, 6, 7] as const),
    startMinute: hours.ok ? hours.value.startMinute : 9 * 60,
    endMinute: hours.ok ? hours.value.endMinute : 21 * 60,
    timeZone,
    skipDates: new Set(),
  };
}

function readRetryDefaults(
  get: (name: string) => string | undefined,
  number: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): RetryPolicy {
  const onRaw = get('RETRY_ON') ?? 'busy,no-answer';
  const on =
    onRaw.toLowerCase() === 'none'
      ? []
      : onRaw
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((w) => w.toLowerCase().replace('_', '-'));
  const bad = on.find((o) => !(RETRY_OUTCOMES as readonly string[]).includes(o));
  if (bad) problems.push(`RETRY_ON has "${bad}": expected busy, no-answer and/or failed, separated by commas (or none).`);
  return {
    on: [...new Set(on.filter((o): o is RetryOutcome => (RETRY_OUTCOMES as readonly string[]).includes(o)))],
    max_attempts: number('RETRY_MAX_ATTEMPTS', 3, MAX_ATTEMPTS_MIN, MAX_ATTEMPTS_MAX),
    delays: {
      busy: number('RETRY_BUSY_MINUTES', 30, 1, 7 * 24 * 60) * 60,
      'no-answer': number('RETRY_NO_ANSWER_MINUTES', 120, 1, 7 * 24 * 60) * 60,
      failed: number('RETRY_FAILED_MINUTES', 30, 1, 7 * 24 * 60) * 60,
    },
    exponential: parseBool('RETRY_EXPONENTIAL', get('RETRY_EXPONENTIAL'), problems),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
