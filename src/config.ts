// The only module that reads process.env. Every other module receives its slice of the frozen
// Config built here, so a test can build any configuration without touching the environment.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseClock } from './engine/calling-window.js';

export const CONFIG_DOCS = 'README.md#configuration';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface CallingWindow {
  /** Minutes after local midnight when calling may start, e.g. 540 for 09:00. */
  startMinute: number;
  /** Minutes after local midnight when calling must stop (exclusive). */
  endMinute: number;
  /** IANA time zone the window is read in. */
  timeZone: string;
}

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
  };
  mongodbUri: string | undefined;
  port: number;
  publicUrl: string | undefined;
  admins: readonly string[];
  callingWindow: CallingWindow;
  logLevel: (typeof LOG_LEVELS)[number];
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

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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

/** Reads and validates the environment; throws one ConfigError that lists every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => (blank(env[name]) ? undefined : env[name]!.trim());
  const required = (name: string, when = true): string => {
    const v = get(name);
    if (v === undefined && when) problems.push(`${name} is missing: ${DESCRIBE[name]}.`);
    return v ?? '';
  };

  const appToken = get('SLACK_APP_TOKEN');
  const socketMode = appToken !== undefined;
  if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    problems.push('SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp-.');
  }
  const botToken = required('SLACK_BOT_TOKEN');
  if (botToken && !botToken.startsWith('xoxb-')) {
    problems.push('SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-.');
  }
  const signingSecret = required('SLACK_SIGNING_SECRET', !socketMode) || undefined;

  let slackApiUrl = get('SLACK_API_URL') ?? 'https://slack.com/api/';
  slackApiUrl = parseUrl('SLACK_API_URL', slackApiUrl, problems);
  if (!slackApiUrl.endsWith('/')) slackApiUrl += '/';

  const dryRun = parseBool('EXOTEL_DRY_RUN', env.EXOTEL_DRY_RUN, problems);
  const live = !dryRun;
  const apiKey = required('EXOTEL_AUTH_KEY', live);
  const apiToken = required('EXOTEL_AUTH_TOKEN', live);
  const accountSid = required('EXOTEL_ACCOUNT_SID', live);
  const callerId = required('EXOTEL_CALLER_ID', live);
  const flowUrlRaw = required('EXOTEL_URL', live);
  const flowUrl = flowUrlRaw ? parseUrl('EXOTEL_URL', flowUrlRaw, problems) : '';

  const subdomain = get('EXOTEL_SUBDOMAIN') ?? 'api.exotel.com';
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(subdomain)) {
    problems.push(`EXOTEL_SUBDOMAIN is "${subdomain}": expected a host name such as api.exotel.com or api.in.exotel.com.`);
  }
  const apiUrlRaw = get('EXOTEL_API_URL');
  let baseUrl = apiUrlRaw ? parseUrl('EXOTEL_API_URL', apiUrlRaw, problems) : `https://${subdomain}`;
  baseUrl = baseUrl.replace(/\/+$/, '');

  const cpmRaw = get('EXOTEL_CALLS_PER_MINUTE');
  const callsPerMinute = cpmRaw ? parseInteger('EXOTEL_CALLS_PER_MINUTE', cpmRaw, 1, 200, problems) : 60;

  const publicUrlRaw = get('PUBLIC_URL');
  const publicUrl = publicUrlRaw ? parseUrl('PUBLIC_URL', publicUrlRaw, problems).replace(/\/+$/, '') : undefined;
  const webhookSecret = required('EXOTEL_WEBHOOK_SECRET', publicUrl !== undefined) || undefined;
  if (webhookSecret !== undefined && (webhookSecret.length < 16 || !/^[A-Za-z0-9_-]+$/.test(webhookSecret))) {
    problems.push('EXOTEL_WEBHOOK_SECRET must be at least 16 letters, digits, - or _ so nobody can guess the callback URL.');
  }

  const portRaw = get('PORT');
  const port = portRaw ? parseInteger('PORT', portRaw, 1, 65535, problems) : 3000;

  const admins = (get('CAMPAIGN_ADMINS') ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
  const badAdmin = admins.find((id) => !/^[UW][A-Z0-9]{2,}$/.test(id));
  if (badAdmin) {
    problems.push(`CAMPAIGN_ADMINS has "${badAdmin}": expected Slack user ids such as U0123ABCD, separated by commas.`);
  }

  const windowRaw = get('CALLING_WINDOW') ?? '09:00-21:00';
  const [startText = '', endText = ''] = windowRaw.split('-');
  const startMinute = parseClock(startText);
  const endMinute = parseClock(endText);
  if (startMinute === undefined || endMinute === undefined || startMinute >= endMinute) {
    problems.push(`CALLING_WINDOW is "${windowRaw}": expected HH:MM-HH:MM with the start before the end, e.g. 09:00-21:00.`);
  }
  const timeZone = get('CALLING_TZ') ?? 'Asia/Kolkata';
  if (!isTimeZone(timeZone)) {
    problems.push(`CALLING_TZ is "${timeZone}": expected an IANA time zone such as Asia/Kolkata.`);
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL is "${logLevel}": expected one of ${LOG_LEVELS.join(', ')}.`);
  }

  const mongodbUri = get('MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv:// (or be unset for the local database).');
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    slack: { botToken, signingSecret, appToken, apiUrl: slackApiUrl, socketMode },
    exotel: { dryRun, apiKey, apiToken, accountSid, baseUrl, callerId, flowUrl, callsPerMinute, webhookSecret },
    mongodbUri,
    port,
    publicUrl,
    admins,
    callingWindow: { startMinute: startMinute!, endMinute: endMinute!, timeZone },
    logLevel: logLevel as Config['logLevel'],
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
