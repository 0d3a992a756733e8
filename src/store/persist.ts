import type { Logger } from '../logger.js';

/** Errors that retrying cannot fix: the write itself is wrong. */
function isPermanent(error: unknown): boolean {
  const e = error as { name?: string; code?: number };
  return e.name === 'ValidationError' || e.name === 'CastError' || e.name === 'StrictModeError' || e.code === 11000;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PersistOptions {
  log: Logger;
  /** What is being written, for the log. */
  what: string;
  /** Give up after this long. Default 10 minutes: a placed call must be recorded if at all possible. */
  maxWaitMs?: number;
}

/**
 * Runs a database write until it succeeds, waiting out a database that is down or paused. Used where losing the
 * write would lose the truth about a call (Exotel already accepted it); on giving up the contact stays `dialing`
 * and the next runner reconciles it with Exotel's call list.
 */
export async function persist<T>(write: () => Promise<T>, options: PersistOptions): Promise<T> {
  const deadline = Date.now() + (options.maxWaitMs ?? 600_000);
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (isPermanent(error) || Date.now() + delay > deadline) throw error;
      if (attempt === 1 || attempt % 10 === 0) {
        options.log.warn({ err: error, attempt }, `database write failed (${options.what}); retrying`);
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
