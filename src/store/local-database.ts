// Finds a real MongoDB-wire server when MONGODB_URI is unset: for `npm start` (data kept under
// ./data) and for the test run (a throwaway directory). Order, from TEST-DATABASE.md:
//   1. MONGODB_URI            2. a real mongod from mongodb-memory-server (downloads on first use)
//   3. FerretDB on SQLite, built once from the Go module proxy by the helper in ./ferretdb/
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ferretDbBinary } from './ferretdb-build.js';
import { describeUri } from './store.js';

export type DatabaseKind = 'MONGODB_URI' | 'mongod' | 'FerretDB';

export interface ResolvedDatabase {
  uri: string;
  kind: DatabaseKind;
  /** One line for the log: which server, where its data lives. */
  description: string;
  /** Process id of the server this process started (FerretDB), for tests that pause it; undefined otherwise. */
  pid?: number;
  stop(): Promise<void>;
}

export interface ResolveOptions {
  /** Use this server as is. */
  uri?: string;
  /** Keep data here across restarts. Default: a throwaway directory removed by stop(). */
  dataDir?: string;
  /** Where the FerretDB binary is cached. Default ~/.cache/campaign-bot. */
  cacheDir?: string;
  /** Try mongodb-memory-server first. Default true. */
  tryMongod?: boolean;
  /** Progress lines (which server was chosen, a first-run build). */
  say?: (line: string) => void;
}

export class NoLocalDatabaseError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      'No database could be started. Set MONGODB_URI to a MongoDB server, or install Go (1.24 or newer) so the ' +
        `local database can be built. What was tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}`,
    );
    this.name = 'NoLocalDatabaseError';
  }
}

export async function resolveDatabase(options: ResolveOptions = {}): Promise<ResolvedDatabase> {
  const say = options.say ?? (() => {});
  if (options.uri) {
    const description = `database: MONGODB_URI (${describeUri(options.uri)})`;
    say(description);
    return { uri: options.uri, kind: 'MONGODB_URI', description, stop: async () => {} };
  }

  const attempts: string[] = [];
  const ferretDir = options.dataDir ? join(options.dataDir, 'ferretdb') : undefined;
  const ferretHasData = ferretDir !== undefined && existsSync(ferretDir) && readdirSync(ferretDir).length > 0;

  if (options.tryMongod !== false && !ferretHasData) {
    try {
      const db = await startMongod(options.dataDir ? join(options.dataDir, 'mongod') : undefined);
      say(db.description);
      return db;
    } catch (error) {
      attempts.push(`mongod from mongodb-memory-server: ${firstLine(error)}`);
      say(`database: mongod is not available here (${firstLine(error)}); trying FerretDB`);
    }
  }

  try {
    const db = await startFerretDb(ferretDir, options.cacheDir ?? join(homedir(), '.cache', 'campaign-bot'), say);
    say(db.description);
    return db;
  } catch (error) {
    attempts.push(`FerretDB built with Go: ${firstLine(error)}`);
  }
  throw new NoLocalDatabaseError(attempts);
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0]!.slice(0, 300);
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
    throw new Error(`no cached mongod and ${MONGOD_DOWNLOAD_HOST} cannot be reached to download one (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
}

async function startMongod(dbPath: string | undefined): Promise<ResolvedDatabase> {
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
    description: `database: local mongod (${where}) at ${server.getUri()}`,
    stop: async () => {
      await server.stop({ doCleanup: !dbPath, force: false });
    },
  };
}

async function startFerretDb(
  dataDir: string | undefined,
  cacheDir: string,
  say: (line: string) => void,
): Promise<ResolvedDatabase> {
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
