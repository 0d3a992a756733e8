// Starts test/fixtures/engine-child.ts as a separate Node process (a dial engine of its own on the shared database),
// and crashes, pauses or stops it by signal. Every process started here is killed by `killEngineProcesses()`, which a
// test file calls in afterAll so a failed assertion never leaves an engine dialling.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineChildSpec } from '../fixtures/engine-child.js';
import type { FakeExotel } from '../fakes/fake-exotel.js';
import { exotelEnv } from './engine-fixtures.js';
import { testEnv } from './test-env.js';

const CHILD = fileURLToPath(new URL('../fixtures/engine-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export type { EngineChildSpec };

/**
 * The environment of a live engine child talking to the fake Exotel, with its status callbacks at its own
 * PUBLIC_URL on `callbackPort` (where the child serves the real callback route).
 */
export function liveChildEnv(fake: FakeExotel, callbackPort: number): Record<string, string> {
  return testEnv(
    exotelEnv(fake, {
      PUBLIC_URL: `http://127.0.0.1:${callbackPort}`,
      EXOTEL_WEBHOOK_SECRET: 'child-webhook-secret-0123456789',
      LOG_LEVEL: 'info',
    }),
  ) as Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EngineProcess {
  readonly runnerId: string;
  readonly child: ChildProcess;
  /** Resolves once the engine has started (its `ready` line); rejects if the process exits first or in 30 s. */
  readonly ready: Promise<void>;
  readonly exited: Promise<Exit>;
  readonly alive: boolean;
  stdout(): string;
  stderr(): string;
  /** The engine's log lines (pino JSON on stderr), parsed; lines that are not JSON are left out. */
  logs(): Array<{ time: number; msg: string; [key: string]: unknown }>;
  /** SIGKILL: the process dies between any two instructions, as in a crash. Resolves when it is gone. */
  crash(): Promise<Exit>;
  /** SIGTERM: the clean shutdown path. Resolves when it has exited. */
  stop(): Promise<Exit>;
  /** SIGSTOP / SIGCONT: the process freezes (a long GC pause, a stalled VM) and later carries on. */
  pause(): void;
  resume(): void;
}

const started = new Set<EngineProcess>();
const all: EngineProcess[] = [];

export function startEngineProcess(spec: EngineChildSpec): EngineProcess {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, JSON.stringify(spec)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let alive = true;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine ${spec.runnerId} not ready within 30 s.\nstderr:\n${err}`)), 30_000);
    const onData = () => {
      if (/^ready /m.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`engine ${spec.runnerId} exited (code ${code}, signal ${signal}) before it was ready.\nstderr:\n${err}`));
    });
  });
  ready.catch(() => {});

  const signal = (name: NodeJS.Signals): Promise<Exit> => {
    if (alive) child.kill(name);
    return exited;
  };
  const proc: EngineProcess = {
    runnerId: spec.runnerId,
    child,
    ready,
    exited,
    get alive() {
      return alive;
    },
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      err.split('\n').flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { time: number; msg: string };
          return typeof entry.time === 'number' ? [entry] : [];
        } catch {
          return [];
        }
      }),
    crash: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    pause: () => void (alive && child.kill('SIGSTOP')),
    resume: () => void (alive && child.kill('SIGCONT')),
  };
  started.add(proc);
  all.push(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** Kills (SIGKILL) every engine process this file started that is still running, and waits for them to go. */
export async function killEngineProcesses(): Promise<void> {
  await Promise.all([...started].map((p) => p.crash()));
}

/** What every engine process of this file wrote to stderr (its logs), for a failed test's report. */
export function engineLogs(maxPerProcess = 20_000): string {
  return all
    .map((p) => `--- engine ${p.runnerId} (pid ${p.child.pid}) stderr${p.alive ? '' : ', exited'}:\n${p.stderr().slice(-maxPerProcess)}`)
    .join('\n');
}
