// One process per local data directory: live owners refuse, stale locks are taken over, simultaneous starters settle
// on exactly one winner. Real files, real processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirInUseError, LOCK_FILE, type LockHolder } from '../../src/store/data-dir-lock.js';

const CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campaign-bot-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const lockPath = () => join(dir, LOCK_FILE);
const readHolder = () => JSON.parse(readFileSync(lockPath(), 'utf8')) as LockHolder;
const writeHolder = (holder: Partial<LockHolder>) => writeFileSync(lockPath(), JSON.stringify(holder));

/** A process id that no process has now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A process that idles until killed, and its start time as the lock records it. */
function liveProcess(): { pid: number; procStart: string } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  return { pid: child.pid!, procStart: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! };
}

describe('taking the lock', () => {
  it('records this process and releases only its own lock', () => {
    const lock = acquireDataDirLock(dir);
    expect(readHolder()).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirInUseError);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);

    const again = acquireDataDirLock(dir);
    writeHolder({ pid: 1, host: 'someone-else', started_at: 'then' });
    again.release();
    expect(readHolder().host).toBe('someone-else');
  });

  it('refuses while the owner runs, naming its pid, with a sentence that says what to do', () => {
    const owner = liveProcess();
    writeHolder({ pid: owner.pid, host: hostname(), started_at: '2026-11-25T04:00:00.000Z', proc_start: owner.procStart });
    const error = (() => {
      try {
        acquireDataDirLock(dir);
      } catch (e) {
        return e as DataDirInUseError;
      }
      throw new Error('the lock was taken from a live owner');
    })();
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect(error.message).toBe(
      `Another campaign-bot (pid ${owner.pid}, started 2026-11-25T04:00:00.000Z) is using the local database in ${dir}; ` +
        'stop that process first, or set MONGODB_URI to a MongoDB server so that both processes share it.',
    );
    expect(readHolder().pid).toBe(owner.pid);
  });
});

describe('stale locks', () => {
  it('takes over a lock whose process is gone', () => {
    writeHolder({ pid: deadPid(), host: hostname(), started_at: '2026-11-25T04:00:00.000Z' });
    const lock = acquireDataDirLock(dir);
    expect(readHolder().pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to a process that started later', () => {
    const other = liveProcess();
    writeHolder({ pid: other.pid, host: hostname(), started_at: '2026-11-25T04:00:00.000Z', proc_start: '1' });
    acquireDataDirLock(dir).release();
  });

  it('takes over a lock from an earlier life of this very pid (pid 1 in a restarted container)', () => {
    writeHolder({ pid: process.pid, host: hostname(), started_at: '2026-11-25T04:00:00.000Z' });
    acquireDataDirLock(dir).release();
  });

  it('takes over a lock that cannot be read', () => {
    writeFileSync(lockPath(), 'not json');
    acquireDataDirLock(dir).release();
  });

  it('from another host: held while its owner touches it, stale once it stops', () => {
    writeHolder({ pid: process.pid + 1, host: 'bot-on-another-host', started_at: '2026-11-25T04:00:00.000Z' });
    expect(() => acquireDataDirLock(dir)).toThrow(/pid \d+ on host bot-on-another-host/);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockPath(), minuteAgo, minuteAgo);
    acquireDataDirLock(dir).release();
  });
});

describe('processes starting at the same instant', () => {
  async function race(count: number): Promise<string[]> {
    const startAt = Date.now() + 3_000; // time for every child to load, even on a busy machine
    const outputs = Array.from({ length: count }, () => {
      const child = spawn(process.execPath, ['--import', TSX, CHILD, dir, String(startAt)], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      return new Promise<string>((resolve) => {
        const check = () => (out.includes('\n') ? resolve(`${child.pid} ${out.trim()}`) : undefined);
        child.stdout!.on('data', check);
        child.once('exit', () => resolve(`${child.pid} ${out.trim() || 'exited'}`));
      });
    });
    return Promise.all(outputs);
  }

  for (const [label, setup] of [
    ['on a free folder', () => {}],
    ['on a stale lock', () => writeHolder({ pid: deadPid(), host: hostname(), started_at: '2026-11-25T04:00:00.000Z' })],
  ] as const) {
    it(`exactly one wins ${label}; the others name the winner`, async () => {
      setup();
      const results = (await race(4)).map((line) => line.split(' '));
      const winners = results.filter(([, word]) => word === 'won');
      expect(winners, JSON.stringify(results)).toHaveLength(1);
      const winnerPid = winners[0]![0];
      for (const [pid, word, holder] of results) {
        if (pid !== winnerPid) expect([word, holder]).toEqual(['refused', winnerPid]);
      }
      expect(String(readHolder().pid)).toBe(winnerPid);
    }, 60_000);
  }
});
