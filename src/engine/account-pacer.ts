/*
 * One pacer per Exotel account, shared by every process on the database (docs/pacing.md).
 *
 * Exotel allows 200 requests a minute per account and does not say how it measures the minute, so requests are
 * spread evenly: one every 60 s / rate, plus a small guard. The whole state is one document per account whose
 * `next_at` is the earliest moment the next request may start. A process takes a turn with a compare-and-set on the
 * value it read, so exactly one process wins each turn. It reserves the turn `leadMs` before it is due and then
 * waits for it on its own clock, so the database round trip does not delay the request. The turn is at
 * `max(<read>, now + leadMs − catchUpMs)` and the next one a spacing later: a turn reserved late keeps the schedule
 * by up to `catchUpMs` (timers and busy event loops are late by milliseconds every time, which would otherwise add
 * up to a lost percent); later than that, the next turn counts from now: an idle account owes no burst, however
 * many processes share it. Any k turns in a row therefore span at least k × spacing − catchUpMs. A 429 moves
 * `next_at` to the hold's end, which also makes every compare-and-set in progress fail, so every process sees the
 * hold before its next request.
 *
 * Why not p-throttle here: its state lives in one process's memory, it reserves a future time for each call when it
 * is queued (a hold cannot move those reservations), and its rate is fixed when it is created.
 */
import type { Logger } from '../logger.js';
import type { PacerStateFields, PacerStateModel } from '../store/pacer-state-model.js';

export interface AccountPacerOptions {
  /** Exotel account SID (or 'rehearsal'): one pacing document per account. */
  account: string;
  /** Requests per minute (per `windowMs`) for the account, integer ≥ 1; above 200 logs a warning once. */
  callsPerMinute: number;
  /** Clock in ms; default Date.now. Every process compares its own clock with the times others wrote. */
  now?: () => number;
  log: Logger;
  /**
   * Extra spacing as a fraction of the ideal gap: requests start `windowMs / callsPerMinute × (1 + guard)` apart.
   * It absorbs the jitter between deciding a turn and the request reaching Exotel: a minute of 200 requests then
   * spans 60.6 s, so 201 arrivals fit in one minute only if one request is delayed 600 ms more than another 200
   * turns later. Default 0.01 (achieved ÷ configured ≈ 0.99).
   */
  guard?: number;
  /** Length of the rate window in ms. Default 60_000 (Exotel's minute); tests and benches shrink it. */
  windowMs?: number;
  /**
   * How late a turn may be reserved and still keep the schedule, in ms. Default: a quarter of the smaller margin
   * the guard leaves — k × spacing − windowMs / 60, by which the k gaps between k + 1 requests exceed a second
   * (k = ceil(rate / 60)), and guard × windowMs for the minute — so three quarters stay for arrival jitter: 53 ms at
   * 200/min (jitter allowed: 159 ms in a second, 547 ms in a minute), but only 2.5 ms at exact multiples of 60/min,
   * where k ideal gaps make exactly one second.
   */
  catchUpMs?: number;
  /**
   * How long before a turn is due the head of the queue reserves it in the database, in ms, so that the round trip
   * (milliseconds usually, tens under load) does not delay the request and bunch it with the next. Default
   * min(100, spacing ÷ 3). A turn reserved this way is used even if another process declares a 429 hold within
   * these last `leadMs` (a hold of this process still cancels it).
   */
  leadMs?: number;
  /** Wait between attempts while the database cannot be reached. Default 1_000 ms. */
  retryMs?: number;
}

/** Rejects every waiting and later `take()` once the pacer is closed. */
export class PacerClosedError extends Error {
  constructor() {
    super('The account pacer was closed');
    this.name = 'PacerClosedError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Exotel's standard limit; accounts can ask for more. */
const standardLimit = 200;
const firstBackoffMs = 1_000;
const maxBackoffMs = 60_000;
const maxTimerMs = 2 ** 31 - 1;

export class AccountPacer {
  readonly #model: PacerStateModel;
  readonly #account: string;
  readonly #rate: number;
  readonly #spacingMs: number;
  readonly #catchUpMs: number;
  readonly #leadMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #queue: Waiter[] = [];
  #serving = false;
  #closed = false;
  /** `next_at` as this process last read or wrote it; undefined: read it before the next compare-and-set. */
  #knownNextAt: number | undefined;
  /** The latest hold this process knows of, its own or one read from the document. */
  #holdUntil = 0;
  /** A hold this process decided but could not write yet; written before its next turn. */
  #unsharedHoldUntil = 0;
  #backoffStep = 0;
  #wake: (() => void) | undefined;
  #unreachable = false;
  #warnedRate = false;

  constructor(model: PacerStateModel, options: AccountPacerOptions) {
    if (typeof model?.findOneAndUpdate !== 'function') {
      throw new TypeError(`Expected \`model\` to be a PacerStateModel, got ${String(model)}`);
    }
    const { account, callsPerMinute, now, log, spacingMs, catchUpMs, leadMs, retryMs } = resolveOptions(options);
    this.#model = model;
    this.#account = account;
    this.#rate = callsPerMinute;
    this.#spacingMs = spacingMs;
    this.#catchUpMs = catchUpMs;
    this.#leadMs = leadMs;
    this.#now = now;
    this.#log = log;
    this.#retryMs = retryMs;
    if (callsPerMinute > standardLimit) {
      log.warn(
        { account, callsPerMinute },
        `pacing above Exotel's standard ${standardLimit} requests a minute: this works only if Exotel raised the account's limit`,
      );
    }
  }

  /** The gap between two request starts of this account, in ms. */
  get spacingMs(): number {
    return this.#spacingMs;
  }

  /** How late a turn may be reserved and still keep the schedule, in ms. */
  get catchUpMs(): number {
    return this.#catchUpMs;
  }

  /** Callers of `take()` waiting in this process. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves at the moment this process may start ONE Exotel request; FIFO within the process; rejects with
   * signal.reason on abort (nothing taken). Waits (never proceeds) while the database is unreachable.
   */
  take(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new PacerClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        // Until the head reserves its turn (the last leadMs), leaving the queue is all an abort has to undo; after
        // that, #grantAt hands the turn to the next waiter.
        waiter.onAbort = () => {
          const index = this.#queue.indexOf(waiter);
          if (index !== -1) this.#queue.splice(index, 1);
          reject(signal.reason);
          if (index === 0) this.#wake?.();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      void this.#serve();
    });
  }

  /**
   * After a 429: holds every process sharing the database until now + retryAfterMs, or backs off 1 s, 2 s, 4 s …
   * 60 s without Retry-After (reset by noteSuccess). A backoff while a hold is in force does not escalate: the
   * requests of one burst come back 429 together and are one signal. Returns the hold in ms from now.
   */
  async hold(retryAfterMs?: number): Promise<number> {
    if (retryAfterMs !== undefined && !(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) {
      throw new TypeError(`Expected \`retryAfterMs\` to be a finite number ≥ 0, got ${String(retryAfterMs)}`);
    }
    const now = this.#now();
    if (retryAfterMs === undefined && this.#holdUntil > now) return this.#holdUntil - now;
    const until = Math.ceil(now + (retryAfterMs ?? this.#nextBackoffMs()));
    // Known locally before the write, so this process holds even if the database cannot be told.
    this.#holdUntil = Math.max(this.#holdUntil, until);
    this.#wake?.();
    try {
      await this.#writeHold(until);
    } catch (error) {
      this.#unsharedHoldUntil = Math.max(this.#unsharedHoldUntil, until);
      this.#log.warn({ err: error, account: this.#account }, 'could not share a 429 hold; holding this process');
    }
    return Math.max(0, this.#holdUntil - this.#now());
  }

  /**
   * Whether the account's turns are in use: a caller waits here, the next turn is already reserved (`next_at` is
   * ahead: some process dials at full pace), or a hold is in force. A campaign dialling below the account's rate
   * leaves `next_at` behind the clock between its turns, so those spare turns read as free. Rejects when the
   * database cannot be read.
   */
  async busy(): Promise<boolean> {
    if (this.#queue.length > 0) return true;
    const doc = await this.#model.findById(this.#account).lean();
    if (doc) this.#see(doc);
    const now = this.#now();
    return this.#holdUntil > now || (doc !== null && doc.next_at.getTime() > now);
  }

  /** A request got through: the next 429 without Retry-After backs off from 1 s again. */
  noteSuccess(): void {
    this.#backoffStep = 0;
  }

  /** For the UI/metrics: when a shared hold ends, or null. Rejects when the database cannot be read. */
  async heldUntil(): Promise<Date | null> {
    const doc = await this.#model.findById(this.#account).lean();
    if (doc) this.#see(doc);
    return this.#holdUntil > this.#now() ? new Date(this.#holdUntil) : null;
  }

  /** Rejects every waiter and every later take() with a PacerClosedError. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
    const error = new PacerClosedError();
    for (const waiter of this.#queue.splice(0)) {
      if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }

  // Only the head of the queue talks to the database; the others wait their turn in memory.
  async #serve(): Promise<void> {
    if (this.#serving) return;
    this.#serving = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const attempt = await this.#attempt();
        if ('turnAt' in attempt) await this.#grantAt(attempt.turnAt);
        else if (attempt.waitMs > 0) await this.#sleep(attempt.waitMs);
      }
    } finally {
      this.#serving = false;
    }
  }

  /**
   * One try at the next turn, `leadMs` before it is due: reserves it (`turnAt`), says how long to wait before
   * trying (`waitMs`), or lost a race (`waitMs` 0: read again at once).
   */
  async #attempt(): Promise<{ turnAt: number } | { waitMs: number }> {
    try {
      if (this.#unsharedHoldUntil > 0) {
        await this.#writeHold(this.#unsharedHoldUntil);
        this.#unsharedHoldUntil = 0;
      }
      this.#knownNextAt ??= await this.#read();
      this.#reachable();
      const now = this.#now();
      const due = Math.max(this.#knownNextAt, this.#holdUntil);
      if (due - this.#leadMs > now) return { waitMs: due - this.#leadMs - now };
      const turnAt = Math.ceil(Math.max(due, now + this.#leadMs - this.#catchUpMs));
      const next = Math.ceil(turnAt + this.#spacingMs);
      const taken = await this.#model
        .findOneAndUpdate(
          { _id: this.#account, next_at: new Date(this.#knownNextAt) },
          { $set: { next_at: new Date(next), rate: this.#rate } },
          { returnDocument: 'after' },
        )
        .lean();
      this.#knownNextAt = taken ? next : undefined;
      if (!taken) return { waitMs: 0 };
      this.#see(taken);
      return { turnAt };
    } catch (error) {
      this.#knownNextAt = undefined;
      this.#unreachableFor(error);
      return { waitMs: this.#retryMs };
    }
  }

  /** Reads the account's document, creating it on first use; returns its `next_at`. */
  async #read(): Promise<number> {
    const doc =
      (await this.#model.findById(this.#account).lean()) ??
      (await this.#model
        .findOneAndUpdate(
          { _id: this.#account },
          { $setOnInsert: { next_at: new Date(0), held_until: new Date(0), rate: this.#rate } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean());
    this.#see(doc!);
    return doc!.next_at.getTime();
  }

  /** `$max` moves `next_at` too, so every compare-and-set in progress on the old value fails and reads the hold. */
  async #writeHold(until: number): Promise<void> {
    const doc = await this.#model
      .findOneAndUpdate(
        { _id: this.#account },
        { $max: { next_at: new Date(until), held_until: new Date(until) }, $setOnInsert: { rate: this.#rate } },
        { upsert: true, returnDocument: 'after' },
      )
      .lean();
    this.#knownNextAt = undefined;
    this.#see(doc!);
  }

  #see(doc: PacerStateFields): void {
    this.#holdUntil = Math.max(this.#holdUntil, doc.held_until.getTime());
    if (doc.rate !== this.#rate && !this.#warnedRate) {
      this.#warnedRate = true;
      this.#log.warn(
        { account: this.#account, ours: this.#rate, theirs: doc.rate },
        'another process paces this Exotel account at a different rate; configure every process alike',
      );
    }
  }

  #nextBackoffMs(): number {
    const ms = Math.min(firstBackoffMs * 2 ** this.#backoffStep, maxBackoffMs);
    if (ms < maxBackoffMs) this.#backoffStep++;
    return ms;
  }

  /**
   * Hands a reserved turn to the head of the queue when it is due, timed by this process's clock rather than by the
   * database round trip. A head that aborts meanwhile leaves the turn to the next waiter; with none it goes unused,
   * as it does when a 429 hold of this process begins first: a turn is never used twice.
   */
  async #grantAt(turnAt: number): Promise<void> {
    while (!this.#closed && this.#queue.length > 0 && this.#holdUntil <= turnAt) {
      const waitMs = turnAt - this.#now();
      if (waitMs > 0) {
        await this.#sleep(waitMs);
        continue;
      }
      const waiter = this.#queue.shift()!;
      if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
      return;
    }
  }

  /** Sleeps until the timer fires or #wake (an abort of the head, a hold, close) cuts it short. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, maxTimerMs));
      this.#wake = done;
    });
  }

  #unreachableFor(error: unknown): void {
    if (this.#unreachable) return;
    this.#unreachable = true;
    this.#log.warn({ err: error, account: this.#account }, 'cannot reach the database: no Exotel request starts until it answers');
  }

  #reachable(): void {
    if (!this.#unreachable) return;
    this.#unreachable = false;
    this.#log.info({ account: this.#account }, 'database reachable again: pacing resumes');
  }
}

/** Validates the options and derives the timings, with the defaults documented on AccountPacerOptions. */
function resolveOptions(options: AccountPacerOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  }
  const { account, callsPerMinute, now = Date.now, log, guard = 0.01, windowMs = 60_000, retryMs = 1_000 } = options;
  if (typeof account !== 'string' || account.trim() === '') {
    throw new TypeError(`Expected \`account\` to be a non-empty string, got ${JSON.stringify(account)}`);
  }
  if (!(Number.isInteger(callsPerMinute) && callsPerMinute >= 1)) {
    throw new TypeError(`Expected \`callsPerMinute\` to be an integer ≥ 1, got ${String(callsPerMinute)}`);
  }
  if (!(Number.isFinite(guard) && guard >= 0 && guard <= 1)) {
    throw new TypeError(`Expected \`guard\` to be a number from 0 to 1, got ${String(guard)}`);
  }
  assertPositive('windowMs', windowMs);
  assertPositive('retryMs', retryMs);
  if (typeof now !== 'function') throw new TypeError(`Expected \`now\` to be a function, got ${typeof now}`);
  if (typeof log?.warn !== 'function') throw new TypeError(`Expected \`log\` to be a pino logger, got ${String(log)}`);

  const spacingMs = (windowMs / callsPerMinute) * (1 + guard);
  // What the guard leaves: by how much k gaps (k + 1 requests) exceed a second, and 201 requests a minute.
  const margin = Math.min(Math.ceil(callsPerMinute / 60) * spacingMs - windowMs / 60, guard * windowMs);
  const { catchUpMs = Math.max(0, margin / 4), leadMs = Math.min(100, spacingMs / 3) } = options;
  assertNonNegative('catchUpMs', catchUpMs);
  assertNonNegative('leadMs', leadMs);
  return { account, callsPerMinute, now, log, spacingMs, catchUpMs, leadMs, retryMs };
}

function assertNonNegative(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number ≥ 0, got ${String(value)}`);
  }
}

function assertPositive(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${String(value)}`);
  }
}
