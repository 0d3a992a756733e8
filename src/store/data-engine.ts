// Which database engine wrote a local data directory. mongod and FerretDB keep their files in different formats (and
// different subfolders), so opening ./data with the other engine would start on empty data and look as if every
// campaign had vanished. The engine that first writes ./data is recorded in ENGINE_FILE; later starts use only that one.
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ENGINE_FILE = 'engine.json';

export type LocalEngine = 'mongod' | 'FerretDB';

export interface DataEngine {
  engine: LocalEngine;
  /** The engine's version when it last opened the data, or `unknown`. */
  version: string;
  /** When the data directory was first written (ISO 8601). */
  created_at: string;
}

/** The subfolder of the data directory each engine keeps its files in. */
export const ENGINE_SUBDIR: Readonly<Record<LocalEngine, string>> = { mongod: 'mongod', FerretDB: 'ferretdb' };

export class DataEngineFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(
      `${path} cannot be read (${detail}); it records which database engine wrote this folder. Restore it, or write {"engine": "mongod"} or {"engine": "FerretDB"} into it.`,
    );
    this.name = 'DataEngineFileError';
  }
}

/**
 * The engine that wrote `dataDir`: from ENGINE_FILE, else recognised by the files an earlier version left (data
 * written before the file existed), else undefined (new data).
 */
export function readDataEngine(dataDir: string): DataEngine | undefined {
  const path = join(dataDir, ENGINE_FILE);
  if (existsSync(path)) {
    let value: Partial<DataEngine>;
    try {
      value = JSON.parse(readFileSync(path, 'utf8')) as Partial<DataEngine>;
    } catch (error) {
      throw new DataEngineFileError(path, (error as Error).message);
    }
    if (value.engine !== 'mongod' && value.engine !== 'FerretDB') {
      throw new DataEngineFileError(path, `Expected \`engine\` to be "mongod" or "FerretDB", got ${JSON.stringify(value.engine)}`);
    }
    return { engine: value.engine, version: String(value.version ?? 'unknown'), created_at: String(value.created_at ?? 'unknown') };
  }
  // FerretDB first, as before ENGINE_FILE existed: its folder is only created when FerretDB starts.
  if (hasFiles(join(dataDir, ENGINE_SUBDIR.FerretDB))) return { engine: 'FerretDB', version: 'unknown', created_at: 'unknown' };
  // A mongod folder counts only with mongod's own files in it: a failed first start can leave an empty one.
  if (existsSync(join(dataDir, ENGINE_SUBDIR.mongod, 'WiredTiger'))) return { engine: 'mongod', version: 'unknown', created_at: 'unknown' };
  return undefined;
}

/** Records the engine that opened `dataDir` (written aside and renamed, so the file is never half written). */
export function writeDataEngine(dataDir: string, record: DataEngine): void {
  const path = join(dataDir, ENGINE_FILE);
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(aside, path);
}

function hasFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}
