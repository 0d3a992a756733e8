// Builds the local FerretDB helper (./ferretdb/main.go) once per source version and caches the binary.
//
// FerretDB v1 runs findAndModify, update and delete as "query, then write by _id" with no lock in
// between, so two clients can both claim the same pending contact (seen here: 50 concurrent claims
// over 20 contacts all "succeeded"). MongoDB makes each single-document update atomic, and the engine
// relies on it. The build therefore copies the module from the Go module cache and adds one mutex
// around the write commands (WRITE_LOCK below) before compiling: writes are serialised, as SQLite
// serialises them anyway, and each conditional update becomes atomic like MongoDB's.
//
// Two more patches make lookups by _id cheap (ID_PUSHDOWN and ID_COLUMN below). FerretDB's SQLite backend turns a
// filter into SQL only when the filter is exactly {_id: <string|ObjectId>}; any other filter, such as the conditional
// update {_id, call_status: 'pending'}, reads and decodes every document of the collection in Go. The build widens
// that rule to any filter with a top-level _id equal to a string or ObjectId. It cannot change a result: the backend
// contract lets Query apply a filter partially, and every caller (find, getMore, count, distinct, aggregate,
// findAndModify, update, delete) applies the whole filter again in Go afterwards. And even that SQL scanned the whole
// table: it spells the _id expression `->'$._id'` while the unique _id index is on `->"_id"`, and SQLite uses an
// expression index only for the same expression. The build spells it as the index does, so lookups, and the write by
// _id that follows every update and delete, search the index. docs/database.md has the details.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// src/store/ and dist/store/ are both two levels below the project root.
const HELPER_DIR = fileURLToPath(new URL('../../src/store/ferretdb/', import.meta.url));
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

const WRITE_LOCK_FILE = `package handler

import "sync"

// writeMu makes each write command atomic with respect to the others (added by campaign-bot's build).
var writeMu sync.Mutex
`;
const LOCKED_HANDLERS = ['MsgFindAndModify', 'MsgUpdate', 'MsgDelete', 'MsgInsert'];
// In internal/backends/sqlite/collection.go, once in Query and once in Explain.
const ID_PUSHDOWN_RULE = 'if params.Filter.Len() == 1 {';
const ID_PUSHDOWN_PATCH = 'if params.Filter.Len() >= 1 { // campaign-bot: any filter with a top-level _id';
// In internal/backends/sqlite/metadata/metadata.go: the expression of the unique index every collection has on _id.
const ID_COLUMN_RULE = `IDColumn = DefaultColumn + "->'$._id'"`;
const ID_COLUMN_PATCH = 'IDColumn = DefaultColumn + `->"_id"` // campaign-bot: as in the _id index';
/** Part of the binary's cache key: change it whenever a patch changes, so the cached binary is rebuilt. */
const PATCH_VERSION = 'write-lock-1+id-pushdown-1+id-column-1';

export class FerretDbBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FerretDbBuildError';
  }
}

function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new FerretDbBuildError(`${cmd} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ');
    throw new FerretDbBuildError(`\`${cmd} ${args.join(' ')}\` failed: ${tail}`);
  }
  return result.stdout;
}

/** The FerretDB version the helper embeds (`v1.24.2`), from its go.mod. */
export function ferretDbVersion(): string {
  const goMod = readFileSync(join(HELPER_DIR, 'go.mod'), 'utf8');
  const match = new RegExp(`${FERRETDB_MODULE.replace(/\./g, '\\.')} (v[\\w.-]+)`).exec(goMod);
  if (!match) throw new FerretDbBuildError(`${HELPER_DIR}go.mod does not require ${FERRETDB_MODULE}`);
  return match[1]!;
}

function addWriteLock(moduleDir: string): void {
  const handlerDir = join(moduleDir, 'internal', 'handler');
  writeFileSync(join(handlerDir, 'campaignbot_write_lock.go'), WRITE_LOCK_FILE);
  for (const name of LOCKED_HANDLERS) {
    const file = readdirSync(handlerDir)
      .filter((f) => f.startsWith('msg_') && f.endsWith('.go'))
      .find((f) => readFileSync(join(handlerDir, f), 'utf8').includes(`func (h *Handler) ${name}(`));
    if (!file) throw new FerretDbBuildError(`cannot find ${name} in FerretDB's handler package to make it atomic`);
    const path = join(handlerDir, file);
    const source = readFileSync(path, 'utf8');
    const signature = new RegExp(`(func \\(h \\*Handler\\) ${name}\\([^)]*\\) \\([^)]*\\) \\{\\n)`);
    if (!signature.test(source)) throw new FerretDbBuildError(`unexpected signature of ${name} in ${file}`);
    writeFileSync(path, source.replace(signature, '$1\twriteMu.Lock()\n\tdefer writeMu.Unlock()\n\n'));
  }
}

/** Replaces `rule` by `patch` in one file of the module, failing unless `rule` occurs exactly `times` times. */
function replaceIn(moduleDir: string, file: string[], rule: string, patch: string, times: number): void {
  const path = join(moduleDir, ...file);
  const source = readFileSync(path, 'utf8');
  const found = source.split(rule).length - 1;
  if (found !== times) throw new FerretDbBuildError(`expected \`${rule}\` ${times} times in ${path}, found it ${found} times`);
  writeFileSync(path, source.replaceAll(rule, patch));
}

function pushDownIdEquality(moduleDir: string): void {
  // Twice: in Query and in Explain, which must agree or explain would misreport what a query does.
  replaceIn(moduleDir, ['internal', 'backends', 'sqlite', 'collection.go'], ID_PUSHDOWN_RULE, ID_PUSHDOWN_PATCH, 2);
  replaceIn(moduleDir, ['internal', 'backends', 'sqlite', 'metadata', 'metadata.go'], ID_COLUMN_RULE, ID_COLUMN_PATCH, 1);
}

function makeWritable(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const st = statSync(path);
    chmodSync(path, st.mode | 0o200);
    if (st.isDirectory()) makeWritable(path);
  }
}

/** Path of the cached helper binary, building it first if this source version has not been built. */
export function ferretDbBinary(cacheDir: string, say: (line: string) => void): string {
  const hash = createHash('sha256').update(PATCH_VERSION);
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(HELPER_DIR, file)));
  const binary = join(cacheDir, `localdb-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;

  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) throw new FerretDbBuildError('the Go toolchain (`go`, 1.24 or newer) is not installed');
  say(`database: building FerretDB with ${go.stdout.trim()} (first run only; a few minutes on 2 cores)…`);

  mkdirSync(cacheDir, { recursive: true });
  const work = join(cacheDir, `build-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    for (const file of ['go.mod', 'go.sum', 'main.go']) cpSync(join(HELPER_DIR, file), join(work, file));
    const version = ferretDbVersion();
    const info = JSON.parse(run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${version}`], work)) as { Dir?: string };
    if (!info.Dir) throw new FerretDbBuildError(`go mod download gave no directory for ${FERRETDB_MODULE}@${version}`);
    const patched = join(work, 'ferretdb-src');
    cpSync(info.Dir, patched, { recursive: true });
    makeWritable(patched);
    addWriteLock(patched);
    pushDownIdEquality(patched);
    writeFileSync(join(work, 'go.mod'), `${readFileSync(join(work, 'go.mod'), 'utf8')}\nreplace ${FERRETDB_MODULE} => ./ferretdb-src\n`);
    const tmp = `${binary}.${process.pid}.tmp`;
    run('go', ['build', '-trimpath', '-o', tmp, '.'], work);
    renameSync(tmp, binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}
