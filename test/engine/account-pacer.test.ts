// The account pacer against the real test database. Two AccountPacer instances on one model behave like two
// processes: they share nothing but the account's document. Timings are asserted as bounds the design guarantees
// (a turn never comes before the document allows it), and the window checks use a generous guard so that a busy
// machine's jitter cannot make them fail; a broken pacer (a burst, or two pacers not coordinating) still would.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountPacer, PacerClosedError, type AccountPacerOptions } from '../../src/engine/account-pacer.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { pacerStateModel, type PacerStateModel } from '../../src/store/pacer-state-model.js';
import { openStore, type Store } from '../../src/store/store.js';
import { mongoUri, testStore } from '../helpers/database.js';

let store: Store;
let model: PacerStateModel;
const pacers: AccountPacer[] = [];

beforeAll(async () => {
  store = await testStore('account_pacer');
  model = pacerStateModel(store.connection);
});
afterAll(() => {
  for (const pacer of pacers) pacer.close();
});

function capturingLog(): { log: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  return { log, lines };
}

const quiet = createLogger({ level: 'silent', pretty: false, destination: { write: () => {} } });

/** A pacer for a fresh account (one per test, so tests do not share a document). */
function pacerFor(account: string, options: Partial<AccountPacerOptions> = {}, on = model): AccountPacer {
  const pacer = new AccountPacer(on, { account, callsPerMinute: 60, log: quiet, ...options });
  pacers.push(pacer);
  return pacer;
}

const newAccount = () => `AC${randomBytes(4).toString('hex')}`;

/** The most times within any half-open span of `spanMs`. */
function maxInAnySpan(times: readonly number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= spanMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** Settles-without-awaiting, to see whether a promise is still pending. */
function track(promise: Promise<void>) {
  const state: { done: boolean; error?: unknown; at?: number } = { done: false };
  promise.then(
    () => Object.assign(state, { done: true, at: Date.now() }),
    (error: unknown) => Object.assign(state, { done: true, error, at: Date.now() }),
  );
  return state;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('validation', () => {
  it('fails at once on bad options', () => {
    expect(() => pacerFor('', {})).toThrow('Expected `account` to be a non-empty string');
    expect(() => pacerFor('AC1', { callsPerMinute: 0 })).toThrow('Expected `callsPerMinute` to be an integer ≥ 1, got 0');
    expect(() => pacerFor('AC1', { callsPerMinute: 1.5 })).toThrow('got 1.5');
    expect(() => pacerFor('AC1', { guard: -0.1 })).toThrow('Expected `guard` to be a number from 0 to 1');
    expect(() => pacerFor('AC1', { windowMs: 0 })).toThrow('Expected `windowMs` to be a finite number > 0, got 0');
    expect(() => pacerFor('AC1', { catchUpMs: -1 })).toThrow('Expected `catchUpMs` to be a finite number ≥ 0, got -1');
  });

  it('allows rates above 200 and warns about them once', () => {
    const { log, lines } = capturingLog();
    const pacer = pacerFor(newAccount(), { callsPerMinute: 300, log });
    expect(pacer.spacingMs).toBeCloseTo(202, 6);
    // Six starts (one over ceil(300 / 60)) span five gaps, 1010 ms: the margin is min(10, 0.01 × 60 000) ms, and a
    // quarter of it goes to catching up late turns.
    expect(pacer.catchUpMs).toBeCloseTo(2.5, 6);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      "pacing above Exotel's standard 200 requests a minute: this works only if Exotel raised the account's limit",
    ]);
  });
});

describe('rate-limit', () => {
  it('two processes together stay within both windows, with no burst at start', async () => {
    // 20 per 4 s: one turn every 240 ms (guard 0.2). The "second" is 4 s / 60 ≈ 67 ms, which may hold one start.
    const account = newAccount();
    const options = { callsPerMinute: 20, windowMs: 4_000, guard: 0.2 };
    const [a, b] = [pacerFor(account, options), pacerFor(account, options)];
    const starts: Array<{ by: 'a' | 'b'; at: number }> = [];
    const run = async (pacer: AccountPacer, by: 'a' | 'b') => {
      for (let i = 0; i < 15; i++) {
        await pacer.take();
        starts.push({ by, at: Date.now() });
      }
    };
    await Promise.all([run(a, 'a'), run(b, 'b')]);

    const times = starts.map((s) => s.at);
    expect(maxInAnySpan(times, 4_000 / 60)).toBe(1);
    expect(maxInAnySpan(times, 4_000)).toBeLessThanOrEqual(20);
    // They competed for the same turns (which one wins a turn is up to the database) rather than one after the other.
    const span = (by: 'a' | 'b') => starts.filter((s) => s.by === by).map((s) => s.at);
    expect(Math.min(...span('a'))).toBeLessThan(Math.max(...span('b')));
    expect(Math.min(...span('b'))).toBeLessThan(Math.max(...span('a')));
  }, 30_000);

  it('resolves the takes of one process in the order they were made', async () => {
    const pacer = pacerFor(newAccount(), { callsPerMinute: 600 });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map(async (n) => pacer.take().then(() => order.push(n))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('owes no burst after an idle spell: the turn after a take is one spacing (less the catch-up) later', async () => {
    const account = newAccount();
    const pacer = pacerFor(account, { callsPerMinute: 600 });
    // A document last used long ago, as after a night without calls.
    await model.create({ _id: account, next_at: new Date(Date.now() - 3_600_000), held_until: new Date(0), rate: 600 });
    const before = Date.now();
    await pacer.take();
    await pacer.take();
    const second = Date.now();
    expect(pacer.catchUpMs).toBe(2.5);
    expect(second - before).toBeGreaterThanOrEqual(Math.floor(pacer.spacingMs - pacer.catchUpMs));
    const doc = await model.findById(account).lean();
    expect(doc!.next_at.getTime()).toBeGreaterThanOrEqual(before + 2 * pacer.spacingMs - pacer.catchUpMs);
  });
});

describe('busy', () => {
  it('says whether dialling uses the turns: a caller waiting here, a turn reserved ahead by any process, or a hold', async () => {
    const account = newAccount();
    // a takes turns on the real clock (one a second); b, another process, is asked on a clock the test sets.
    const a = pacerFor(account);
    let clock = Date.now();
    const b = pacerFor(account, { now: () => clock });
    expect(await b.busy()).toBe(false);

    await a.take();
    clock = Date.now();
    expect(await b.busy()).toBe(true);
    const waiting = track(a.take());
    expect(await a.busy()).toBe(true);
    while (!waiting.done) await delay(20);
    expect(waiting.error).toBeUndefined();

    // The turn after the last one taken has passed unused: spare.
    clock = Date.now() + 1_500;
    expect(await a.busy()).toBe(true); // a's own clock: its next turn is still ahead
    expect(await b.busy()).toBe(false);

    await b.hold(5_000);
    expect(await b.busy()).toBe(true);
    clock += 5_001;
    expect(await b.busy()).toBe(false);
  });
});

describe('hold', () => {
  it('a hold taken by one process holds the other', async () => {
    const account = newAccount();
    const [a, b] = [pacerFor(account), pacerFor(account)];
    const held = await a.hold(1_500);
    const until = Date.now() + held;
    expect(held).toBeGreaterThan(1_000);
    expect(held).toBeLessThanOrEqual(1_500);
    expect((await b.heldUntil())!.getTime()).toBeGreaterThanOrEqual(until - 5);
    await b.take();
    expect(Date.now()).toBeGreaterThanOrEqual(until - 1);
  });

  it('reaches a take already waiting for its turn in another process', async () => {
    const account = newAccount();
    // One turn a second: b's second take waits about a second, and a's hold lands during that wait.
    const [a, b] = [pacerFor(account), pacerFor(account)];
    await b.take();
    const waiting = track(b.take());
    await delay(200);
    expect(waiting.done).toBe(false);
    const until = Date.now() + (await a.hold(2_000));
    while (!waiting.done) await delay(20);
    expect(waiting.error).toBeUndefined();
    expect(waiting.at!).toBeGreaterThanOrEqual(until - 1);
  });

  it('backs off 1 s, 2 s, 4 s … 60 s without Retry-After, once per burst, and starts over after a success', async () => {
    let clock = 1_000_000;
    const pacer = pacerFor(newAccount(), { now: () => clock });
    const steps: number[] = [];
    for (let i = 0; i < 8; i++) {
      steps.push(await pacer.hold());
      // The other 429s of the same burst do not escalate.
      expect(await pacer.hold()).toBe(steps.at(-1));
      clock += steps.at(-1)! + 1;
    }
    expect(steps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    pacer.noteSuccess();
    expect(await pacer.hold()).toBe(1_000);
  });

  it('reports no hold once it has ended', async () => {
    let clock = 5_000_000;
    const pacer = pacerFor(newAccount(), { now: () => clock });
    expect(await pacer.heldUntil()).toBeNull();
    await pacer.hold(3_000);
    expect(await pacer.heldUntil()).toEqual(new Date(5_003_000));
    clock += 3_000;
    expect(await pacer.heldUntil()).toBeNull();
  });
});

describe('abort and close', () => {
  it('abort while waiting takes nothing, and the next waiter keeps its place', async () => {
    const account = newAccount();
    const pacer = pacerFor(account);
    await pacer.take();
    const { next_at: before } = (await model.findById(account).lean())!;
    const controller = new AbortController();
    const aborted = track(pacer.take(controller.signal));
    const after = track(pacer.take());
    await delay(100);
    controller.abort(new Error('paused'));
    await delay(50);
    expect(aborted.error).toEqual(new Error('paused'));
    expect((await model.findById(account).lean())!.next_at).toEqual(before);
    while (!after.done) await delay(20);
    expect(after.error).toBeUndefined();
    // The remaining waiter took exactly the turn the aborted one gave up.
    expect(after.at!).toBeGreaterThanOrEqual(before.getTime() - 1);
    expect(pacer.waiting).toBe(0);
  });

  it('a turn reserved ahead goes to the next waiter when the head aborts, never to two requests', async () => {
    const account = newAccount();
    // One turn a second, reserved a whole second ahead: the second take reserves its turn at once.
    const pacer = pacerFor(account, { leadMs: 1_000 });
    await pacer.take();
    const controller = new AbortController();
    const head = track(pacer.take(controller.signal));
    const next = track(pacer.take());
    await delay(300);
    const { next_at: reserved } = (await model.findById(account).lean())!;
    const turnAt = reserved.getTime() - Math.ceil(pacer.spacingMs);
    controller.abort(new Error('paused'));
    while (!next.done) await delay(20);
    expect(head.error).toEqual(new Error('paused'));
    expect(next.error).toBeUndefined();
    expect(next.at!).toBeGreaterThanOrEqual(turnAt - 1);
    // The next waiter used the reserved turn instead of reserving one more.
    expect((await model.findById(account).lean())!.next_at).toEqual(reserved);
  });

  it('a hold of this process cancels a turn it already reserved', async () => {
    const pacer = pacerFor(newAccount(), { leadMs: 1_000 });
    await pacer.take();
    const waiting = track(pacer.take());
    await delay(300);
    const until = Date.now() + (await pacer.hold(1_500));
    while (!waiting.done) await delay(20);
    expect(waiting.at!).toBeGreaterThanOrEqual(until - 1);
  });

  it('rejects an already aborted signal without waiting', async () => {
    const pacer = pacerFor(newAccount());
    await expect(pacer.take(AbortSignal.abort(new Error('stopped')))).rejects.toThrow('stopped');
  });

  it('close rejects every waiter and every later take', async () => {
    const pacer = pacerFor(newAccount());
    await pacer.hold(10_000);
    const waiting = [track(pacer.take()), track(pacer.take())];
    await delay(50);
    pacer.close();
    await delay(0);
    expect(waiting.map((w) => w.error)).toEqual([expect.any(PacerClosedError), expect.any(PacerClosedError)]);
    await expect(pacer.take()).rejects.toBeInstanceOf(PacerClosedError);
  });
});

describe('database unreachable', () => {
  it('never proceeds without the database, and holds this process even if the hold cannot be shared', async () => {
    const closed = await openStore(mongoUri(), { dbName: `t_pacer_closed_${randomBytes(3).toString('hex')}` });
    const gone = pacerStateModel(closed.connection);
    await closed.close();
    const { log, lines } = capturingLog();
    const pacer = pacerFor(newAccount(), { log, retryMs: 100 }, gone);

    const waiting = track(pacer.take());
    await delay(1_000);
    expect(waiting.done).toBe(false);
    // One warning per outage, not one per retry.
    expect(lines.filter((l) => l.msg.startsWith('cannot reach the database'))).toHaveLength(1);
    expect(await pacer.hold(5_000)).toBeGreaterThan(4_000);
    expect(lines.some((l) => l.msg === 'could not share a 429 hold; holding this process')).toBe(true);
    pacer.close();
    await delay(0);
    expect(waiting.error).toBeInstanceOf(PacerClosedError);
  });
});
