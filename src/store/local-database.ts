// Finds a real MongoDB-wire server when MONGODB_URI is unset: for `npm start` (data kept under
// ./data) and for the test run (a throwaway directory). Order, from TEST-DATABASE.md:
//   1. MONGODB_URI            2. a real mongod from mongodb-memory-server (downloads on first use)
//   3. FerretDB on SQLite, built once from the Go module proxy by the helper in ./ferretdb/
// A kept data directory is held by one process at a time (data-dir-lock.ts) and is only ever opened by the engine
// that first wrote it (data-engine.ts), so neither a second `npm start` nor a missing mongod can split the data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock } from './data-dir-lock.js';
import { ENGINE_SUBDIR, readDataEngine, writeDataEngine, type DataEngine, type LocalEngine } from './data-engine.js';
import { ferretDbBinary, ferretDbVersion } from './ferretdb-build.js';
import { describeUri } from './store.js';

export type DatabaseKind = 'MONGODB_URI' | LocalEngine;

export interface ResolvedDatabase {
  uri: string;
  kind: DatabaseKind;
  /** One line for the log: which server, where its data lives. */
  description: string;
  /** Process id of the server this process started (FerretDB), for tests that pause it; undefined otherwise. */
  pid?: number;
  /** Version of the local server this process started (`v1.24.2`, `8.2.6`, or `unknown`); undefined for MONGODB_URI. */
  version?: string;
  stop(): Promise<void>;
}

export interface ResolveOptions {
  /** Use this server as is. */
  uri?: string;
  /**
   * Keep data here across restarts, locked to this process while it runs. Default: a throwaway directory removed
   * by stop().
   */
  dataDir?: string;
  /** Where the FerretDB binary is cached. Default ~/.cache/campaign-bot. */
  cacheDir?: string;
  /** Try mongodb-memory-server first. Default true. */
  tryMongod?: boolean;
  /** Progress lines (which server was chosen, a first-run build). */
  say?: (line: string) => void;
}

type LocalDatabase = ResolvedDatabase & { kind: LocalEngine; version: string };

export class NoLocalDatabaseError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      'No database could be started. Set MONGODB_URI to a MongoDB server, or install Go (1.24 or newer) so the ' +
        `local database can be built. What was tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}`,
    );
    this.name = 'NoLocalDatabaseError';
  }
}

/** The data directory was written by an engine that cannot start here; starting the other one would show empty data. */
export class LocalDataEngineError extends Error {
  constructor(
    readonly dataDir: string,
    readonly recorded: DataEngine,
    reason: string,
  ) {
    const version = recorded.version === 'unknown' ? '' : ` ${recorded.version}`;
    super(
      `${dataDir} holds a database written by ${recorded.engine}${version}, but ${recorded.engine} cannot start here ` +
        `(${reason}); run campaign-bot where ${recorded.engine} can start, or set MONGODB_URI to a MongoDB server, ` +
        `or move ${dataDir} aside to start with an empty local database.`,
    );
    this.name = 'LocalDataEngineError';
  }
}

export async function resolveDatabase(options: ResolveOptions = {}): Promise<ResolvedDatabase> {
  const say = options.say ?? (() => {});
  if (options.uri) {
    const description = `database: MONGODB_URI (${describeUri(options.uri)})`;
    say(description);
    return { uri: options.uri, kind: 'MONGODB_URI', description, stop: async () => {} };
  }
  if (options.dataDir === undefined) {
    const db = await startFirstAvailable(undefined, options, say);
    say(db.description);
    return db;
  }

  const dataDir = options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const lock = acquireDataDirLock(dataDir);
  try {
    const db = await startInDataDir(dataDir, options, say);
    say(db.description);
    return {
      ...db,
      stop: async () => {
        try {
          await db.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Starts the engine recorded for `dataDir`, or for new data the first that works, and records it. */
async function startInDataDir(dataDir: string, options: ResolveOptions, say: (line: string) => void): Promise<LocalDatabase> {
  const recorded = readDataEngine(dataDir);
  if (recorded === undefined) {
    const db = await startFirstAvailable(dataDir, options, say);
    return recordOrStop(db, () => writeDataEngine(dataDir, { engine: db.kind, version: db.version, created_at: new Date().toISOString() }));
  }
  let db: LocalDatabase;
  try {
    if (recorded.engine === 'mongod' && options.tryMongod === false) throw new Error('trying mongod is turned off');
    db =
      recorded.engine === 'mongod' ? await startMongod(join(dataDir, ENGINE_SUBDIR.mongod)) : await startFerretDbIn(dataDir, options, say);
  } catch (error) {
    throw new LocalDataEngineError(dataDir, recorded, firstLine(error));
  }
  if (recorded.version === db.version) return db;
  if (recorded.version !== 'unknown')
    say(`database: ${dataDir} was last opened by ${recorded.engine} ${recorded.version}, now by ${db.version}`);
  return recordOrStop(db, () => writeDataEngine(dataDir, { ...recorded, version: db.version }));
}

/** Runs `record`; if it fails, stops the server just started so that no server outlives a failed start. */
async function recordOrStop(db: LocalDatabase, record: () => void): Promise<LocalDatabase> {
  try {
    record();
    return db;
  } catch (error) {
    await db.stop().catch(() => {});
    throw error;
  }
}

/** mongod, then FerretDB (TEST-DATABASE.md); `dataDir` undefined means throwaway data. */
async function startFirstAvailable(
  dataDir: string | undefined,
  options: ResolveOptions,
  say: (line: string) => void,
): Promise<LocalDatabase> {
  const attempts: string[] = [];
  if (options.tryMongod !== false) {
    try {
      return await startMongod(dataDir ? join(dataDir, ENGINE_SUBDIR.mongod) : undefined);
    } catch (error) {
      attempts.push(`mongod from mongodb-memory-server: ${firstLine(error)}`);
      say(`database: mongod is not available here (${firstLine(error)}); trying FerretDB`);
    }
  }
  try {
    return await startFerretDbIn(dataDir, options, say);
  } catch (error) {
    attempts.push(`FerretDB built with Go: ${firstLine(error)}`);
  }
  throw new NoLocalDatabaseError(attempts);
}

function startFerretDbIn(dataDir: string | undefined, options: ResolveOptions, say: (line: string) => void): Promise<LocalDatabase> {
  const dir = dataDir === undefined ? undefined : join(dataDir, ENGINE_SUBDIR.FerretDB);
  return startFerretDb(dir, options.cacheDir ?? join(homedir(), '.cache', 'campaign-bot'), say);
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error)
    .split('\n')[0]!
    .slice(0, 300);
}

const MONGOD_DOWNLOAD_HOST = 'fastdl.mongodb.org';

/** mongodb-memory-server retries a failed download three times, noisily; skip it when it cannot work. */
async function canGetMongod(): Promise<void> {
  const cache = join(homedir(), '.cache', 'mongodb-binaries');
  if (existsSync(cache) && readdirSync(cache).length > 0) return;
  try {
    await Promise.race([
      lookup(MONGOD_DOWNLOAD_HOST),
      new Promise((_, reject) => setTimeout(() => reject(new Error('DNS timed out')), 3_000).unref()),
    ]);
  } catch (error) {
    throw new Error(
      `no cached mongod and ${MONGOD_DOWNLOAD_HOST} cannot be reached to download one (${(error as { code?: string }).code ?? (error as Error).message})`,
    );
  }
}

async function startMongod(dbPath: string | undefined): Promise<LocalDatabase> {
  await canGetMongod();
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const server = await MongoMemoryServer.create({
    instance: { ip: '127.0.0.1', ...(dbPath ? { dbPath, storageEngine: 'wiredTiger' as const } : {}) },
  });
  const where = dbPath ? `data in ${dbPath}` : 'throwaway data';
  return {
    uri: server.getUri(),
    kind: 'mongod',
    version: mongodVersion(server.instanceInfo?.instance.mongodProcess?.spawnfile),
    description: `database: local mongod (${where}) at ${server.getUri()}`,
    stop: async () => {
      await server.stop({ doCleanup: !dbPath, force: false });
    },
  };
}

/** `8.2.6` from `mongod --version`, or `unknown`: only recorded, so a failure here must not stop the start. */
function mongodVersion(binary: string | undefined): string {
  if (!binary) return 'unknown';
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /db version v?(\S+)/.exec(result.stdout ?? '')?.[1] ?? 'unknown';
}

async function startFerretDb(dataDir: string | undefined, cacheDir: string, say: (line: string) => void): Promise<LocalDatabase> {
  const binary = ferretDbBinary(cacheDir, say);
  const throwaway = dataDir === undefined;
  const dir = dataDir ?? join(cacheDir, 'tmp', `db-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn(binary, ['-listen', `127.0.0.1:${port}`, '-dir', dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`FerretDB did not start within 30 s: ${stderr.trim()}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FerretDB exited with code ${code}: ${stderr.trim()}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready ')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await waitForPort(port, 30_000);
  const uri = `mongodb://127.0.0.1:${port}/`;
  const where = throwaway ? 'throwaway data' : `data in ${dir}`;
  return {
    uri,
    kind: 'FerretDB',
    version: ferretDbVersion(),
    description: `database: local FerretDB (${where}) at ${uri}`,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    stop: async () => {
      await stopChild(child);
      if (throwaway) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
