// One bot process per local data directory. Two `npm start` in one folder would otherwise start two database servers
// on the same files. The lock is a file holding the owner's pid, host and start time, created atomically (written
// aside, then hard-linked into place, which fails if the name exists) so a reader never sees it half written.
//
// A lock whose owner is gone is taken over: on the same host when its pid is not running, or runs a process that
// started at another time (the pid was reused; in a container the bot is often pid 1 on every start); from another
// host (a shared volume, a recreated container) when the owner has not touched the file for HEARTBEAT_STALE_MS.
// Two processes that find the same stale lock settle it through a second, short-lived lock (`<lock>.takeover`): only
// its holder may delete a stale lock, and only the one it judged stale.
import { linkSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'campaign-bot.lock';
/** How often the owner touches the lock, so processes on other hosts can tell it is alive. */
const HEARTBEAT_MS = 10_000;
/** A lock from another host untouched for this long is stale. */
const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_MS;
/** Locks this process holds, by path: its own pid in a lock file means "held" only for these. */
const heldHere = new Set<string>();
/** How many times acquire re-reads a lock that changes under it before giving up. */
const ATTEMPTS = 20;

/** What the lock file says about its owner. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the owner process started (ISO 8601). */
  started_at: string;
  /** Linux only: the owner's start time in clock ticks since boot (/proc/<pid>/stat), to detect a reused pid. */
  proc_start?: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
    super(
      `Another campaign-bot (pid ${holder.pid}${where}, started ${holder.started_at}) is using the local database in ` +
        `${dataDir}; stop that process first, or set MONGODB_URI to a MongoDB server so that both processes share it.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock if it is still this process's. Safe to call twice. */
  release(): void;
}

/** Takes the lock on `dataDir` (which must exist) for this process, or throws {@link DataDirInUseError}. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const mine = ownHolder();
  if (heldHere.has(path)) throw new DataDirInUseError(dataDir, mine);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(path, mine)) {
      heldHere.add(path);
      return heldLock(path, mine);
    }
    const found = readLock(path);
    if (found === undefined) continue; // released meanwhile
    if (found.holder !== undefined && isAlive(found.holder, found.touchedAt)) throw new DataDirInUseError(dataDir, found.holder);
    takeOver(path, found.text, mine);
  }
  throw new Error(`Could not take the lock ${path}: it kept changing; is something else starting in ${dataDir}?`);
}

function ownHolder(): LockHolder {
  const startedMs = Date.now() - Math.round(process.uptime() * 1000);
  const holder: LockHolder = { pid: process.pid, host: hostname(), started_at: new Date(startedMs).toISOString() };
  const procStart = procStartTime(process.pid);
  if (procStart !== undefined) holder.proc_start = procStart;
  return holder;
}

/** Creates `path` with the holder's content if it does not exist; false if it does. */
function createExclusive(path: string, holder: LockHolder): boolean {
  const aside = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(aside, `${JSON.stringify(holder)}\n`);
  try {
    linkSync(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(aside);
  }
}

interface FoundLock {
  text: string;
  /** undefined when the content cannot be read as a lock (then it is stale: content is never half written). */
  holder: LockHolder | undefined;
  touchedAt: number;
}

function readLock(path: string): FoundLock | undefined {
  try {
    const touchedAt = statSync(path).mtimeMs;
    const text = readFileSync(path, 'utf8');
    return { text, holder: parseHolder(text), touchedAt };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isInteger(value.pid) || typeof value.host !== 'string' || typeof value.started_at !== 'string') return undefined;
    return value as LockHolder;
  } catch {
    return undefined;
  }
}

/** Whether the process named in a lock may still be running. */
function isAlive(holder: LockHolder, touchedAt: number): boolean {
  if (holder.host !== hostname()) return Date.now() - touchedAt < HEARTBEAT_STALE_MS;
  // Not one of heldHere (checked first): an earlier life of this pid number, e.g. pid 1 in a restarted container.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = holder.proc_start === undefined ? undefined : procStartTime(holder.pid);
  return now === undefined || now === holder.proc_start;
}

/** Field 22 of /proc/<pid>/stat (start time in ticks since boot); undefined where there is no /proc. */
function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces; count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Deletes the stale lock `staleText` unless someone else is already replacing it. The caller then retries. */
function takeOver(path: string, staleText: string, mine: LockHolder): void {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, mine)) {
    const other = readLock(guard);
    // A takeover lasts milliseconds; a guard whose owner is gone is removed, a live one is waited for.
    if (other !== undefined && (other.holder === undefined || !isAlive(other.holder, other.touchedAt))) unlinkQuietly(guard);
    else sleep(20);
    return;
  }
  try {
    const current = readLock(path);
    if (current?.text === staleText) unlinkQuietly(path);
  } finally {
    unlinkQuietly(guard);
  }
}

function heldLock(path: string, mine: LockHolder): DataDirLock {
  const text = `${JSON.stringify(mine)}\n`;
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // The file was removed under us (./data deleted); nothing to keep alive.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    heldHere.delete(path);
    process.removeListener('exit', release);
    if (readLock(path)?.text === text) unlinkQuietly(path);
  };
  // Any exit, even after an uncaught exception, frees the folder; only SIGKILL or a power cut leaves a stale lock.
  process.once('exit', release);
  return { path, release };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
