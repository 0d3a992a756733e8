import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { redact, type Logger } from '../logger.js';

const TO_PINO: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/**
 * Bolt and the Slack SDK log through our pino logger, so their lines are redacted like ours: the joined line by the
 * logger's text rules (tokens, phone numbers, the secret in `/exotel/<route>/<secret>` paths Bolt prints for requests
 * it does not handle), and objects by key (a `signingSecret` field) before they are turned into text.
 */
export function boltLogger(log: Logger): SlackLogger {
  let child = log.child({ component: 'bolt' });
  // Bolt is chatty at info (e.g. "Now connected to Slack"); keep it a notch quieter than ours.
  let level: LogLevel = LogLevel.WARN;
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(redact(a)))).join(' ');
  return {
    debug: (...args) => child.debug(line(args)),
    info: (...args) => child.info(line(args)),
    warn: (...args) => child.warn(line(args)),
    error: (...args) => child.error(line(args)),
    setLevel(next) {
      level = next;
    },
    getLevel: () => level,
    setName(name) {
      child = log.child({ component: name });
    },
  };
}

export { TO_PINO };
