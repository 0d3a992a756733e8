// pino, JSON by default and pretty on a terminal. Every logged value passes through `redact` first:
// tokens, secrets and Authorization headers are replaced, phone numbers keep only their last 4 digits, and the path
// after `/exotel/<route>/` (where Exotel's callbacks carry EXOTEL_WEBHOOK_SECRET) is replaced wherever a URL shows up,
// including Bolt's own "Unhandled HTTP request (GET) made to …" lines.
// pino's own `redact` option needs exact paths; phone numbers turn up under any key and inside
// messages, so the walk below looks at every value instead.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

const SECRET_KEY = /(token|secret|password|passwd|authorization|auth[_-]?key|api[_-]?key|cookie|signature)/i;
const PHONE_KEY = /^(phone|phones|number|numbers|mobile|msisdn|from|to|caller_?id|callerid)$/i;
const TOKEN_TEXT = /\b(xox[abposr]|xapp)-[A-Za-z0-9-]+/g;
const BASIC_AUTH_TEXT = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g;
const URL_CREDENTIALS = /(\/\/)[^/\s:@]+:[^/\s@]+@/g;
// `/exotel/status/<secret>`, `/exotel/greeting/<secret>/…`: everything after the route name up to the query string.
const EXOTEL_PATH_TEXT = /(\/exotel\/[\w-]+\/)[^\s?#"'<>]+/g;
// 10 to 13 digits, optionally with + and separators, not part of a longer number, a word or an id (ObjectIds are
// hex), nor a decimal (Slack ts).
const PHONE_TEXT = /(?<![\w.])\+?\d(?:[\s-]?\d){9,12}(?![\w.])/g;

export const REDACTED = '[redacted]';

/** Shows a phone number as its last four digits: `••••••••3210`. */
export function maskDigits(text: string): string {
  const digits = text.replace(/\D/g, '');
  if (digits.length < 4) return '••••';
  return '•'.repeat(Math.max(digits.length - 4, 0)) + digits.slice(-4);
}

export function redactText(text: string): string {
  return text
    .replace(TOKEN_TEXT, REDACTED)
    .replace(BASIC_AUTH_TEXT, `$1 ${REDACTED}`)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(EXOTEL_PATH_TEXT, `$1${REDACTED}`)
    .replace(PHONE_TEXT, (m) => maskDigits(m));
}

function redactUnder(key: string | undefined, value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '') {
    return REDACTED;
  }
  if (typeof value === 'string') {
    return key !== undefined && PHONE_KEY.test(key) && /\d{4}/.test(value) ? maskDigits(value) : redactText(value);
  }
  if (typeof value === 'number' && key !== undefined && PHONE_KEY.test(key) && String(value).length >= 10) {
    return maskDigits(String(value));
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = {
      type: value.name,
      message: redactText(value.message),
      stack: value.stack ? redactText(value.stack) : undefined,
    };
    for (const [k, v] of Object.entries(value)) out[k] = redactUnder(k, v, seen, depth + 1);
    if (value.cause !== undefined) out.cause = redactUnder('cause', value.cause, seen, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redactUnder(key, v, seen, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactUnder(key, (value as { toJSON(): unknown }).toJSON(), seen, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactUnder(k, v, seen, depth + 1);
  return out;
}

/** Returns a copy of any value with secrets removed and phone numbers masked. */
export function redact(value: unknown): unknown {
  return redactUnder(undefined, value, new WeakSet(), 0);
}

export interface CreateLoggerOptions {
  level?: LoggerOptions['level'];
  /** Pretty, human-readable lines. Default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go (tests). Default: stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    base: { app: 'campaign-bot' },
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a) => redact(a)) as Parameters<typeof method>;
        method.apply(this, clean);
      },
    },
  };
  let logger: Logger;
  if (options.destination) logger = pino(base, options.destination);
  else if (pretty) {
    logger = pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  } else logger = pino(base);
  return redactChildBindings(logger);
}

// Bindings of child loggers (campaign, contact, call_sid…) are redacted once, when bound. Children
// inherit from their parent's prototype chain, so this one override covers every descendant.
function redactChildBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, options) {
    return child.call(this, redact(bindings) as typeof bindings, options);
  } as Logger['child'];
  return logger;
}
