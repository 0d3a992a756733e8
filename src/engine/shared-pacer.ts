// Exotel's limit is per account, and any number of bot processes may dial for one account. The in-process Pacer
// keeps order, the in-flight cap and 429 holds; this adds the account-wide window across processes: N slot
// documents per account, and a request starts only after taking, in one atomic update, a slot whose last start is
// older than the window. If the database cannot be asked, the process falls back to its own window (still within
// the limit for one process) rather than stopping calls.
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { Pacer, PacerPermit } from './pacer.js';
import { sleep } from './persist.js';

/** What campaign runs and the reconciler need from a pacer. */
export interface CallPacer {
  acquire(signal?: AbortSignal): Promise<PacerPermit>;
  holdFor(retryAfterMs?: number): number;
  noteSuccess(): void;
  close(): void;
}

export interface SharedWindowOptions {
  /** Exotel account the slots belong to. */
  account: string;
  /** Starts allowed in any window, across every process. */
  limit: number;
  /** Window length plus the guard the local pacer uses. Default 60 s + 300 ms. */
  spanMs?: number;
}

export class SharedWindow {
  readonly #store: Store;
  readonly #account: string;
  readonly #limit: number;
  readonly #spanMs: number;
  #ready: Promise<void> | undefined;

  constructor(store: Store, options: SharedWindowOptions) {
    this.#store = store;
    this.#account = options.account;
    this.#limit = options.limit;
    this.#spanMs = options.spanMs ?? 60_300;
  }

  /** Creates the account's missing slots (the first process to start does it; the others find them). */
  #ensureSlots(): Promise<void> {
    this.#ready ??= (async () => {
      const existing = new Set(
        (await this.#store.PacerSlot.find({ account: this.#account }, { _id: 1 }).lean()).map((s) => s._id),
      );
      const missing = Array.from({ length: this.#limit }, (_, index) => ({
        _id: `${this.#account}:${index}`,
        account: this.#account,
        index,
        last_start: new Date(0),
      })).filter((s) => !existing.has(s._id));
      if (missing.length > 0) await this.#store.PacerSlot.insertMany(missing, { ordered: false }).catch(() => {});
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Takes a slot now (0), or says how long until one frees. */
  async take(now = Date.now()): Promise<number> {
    await this.#ensureSlots();
    const within = { account: this.#account, index: { $lt: this.#limit } };
    const taken = await this.#store.PacerSlot.findOneAndUpdate(
      { ...within, last_start: { $lte: new Date(now - this.#spanMs) } },
      { $set: { last_start: new Date(now) } },
      { sort: { last_start: 1 }, returnDocument: 'after' },
    ).lean();
    if (taken) return 0;
    const oldest = await this.#store.PacerSlot.findOne(within).sort({ last_start: 1 }).lean();
    return oldest ? Math.max(1, oldest.last_start.getTime() + this.#spanMs - now) : 1_000;
  }
}

export class SharedPacer implements CallPacer {
  constructor(
    private readonly local: Pacer,
    private readonly window: SharedWindow,
    private readonly log: Logger,
  ) {}

  async acquire(signal?: AbortSignal): Promise<PacerPermit> {
    const permit = await this.local.acquire(signal);
    try {
      for (;;) {
        let wait: number;
        try {
          wait = await this.window.take();
        } catch (error) {
          this.log.warn({ err: error }, 'the shared pacing window is unreachable; pacing by this process alone');
          return permit;
        }
        if (wait <= 0) return permit;
        await sleep(Math.min(wait, 5_000), signal);
      }
    } catch (error) {
      permit.release();
      throw error;
    }
  }

  holdFor(retryAfterMs?: number): number {
    return this.local.holdFor(retryAfterMs);
  }

  noteSuccess(): void {
    this.local.noteSuccess();
  }

  close(): void {
    this.local.close();
  }
}
