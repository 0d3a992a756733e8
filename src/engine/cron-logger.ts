// node-cron logs a failed task, a missed or skipped execution to the console by default; route it through pino, so
// it is one JSON line like everything else (and redacted like everything else).
import type { Logger as CronLogger } from 'node-cron';
import type { Logger } from '../logger.js';

export function cronLogger(log: Logger): CronLogger {
  const child = log.child({ component: 'node-cron' });
  const split = (message: string | Error, err?: Error) =>
    message instanceof Error ? { err: message, msg: message.message } : { err, msg: message };
  return {
    info: (message) => child.debug(message),
    warn: (message) => child.warn(message),
    error: (message, err) => {
      const { err: error, msg } = split(message, err);
      child.warn({ err: error }, msg);
    },
    debug: (message, err) => {
      const { err: error, msg } = split(message, err);
      child.debug({ err: error }, msg);
    },
  };
}
