// A kept data directory: one process at a time, and only ever the engine that wrote it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { DataEngineFileError, ENGINE_FILE } from '../../src/store/data-engine.js';
import { ferretDbVersion } from '../../src/store/ferretdb-build.js';
import { LocalDataEngineError, resolveDatabase } from '../../src/store/local-database.js';
import { openStore } from '../../src/store/store.js';

let dataDir: string;
beforeEach(() => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'campaign-bot-data-')), 'data');
});
afterEach(() => {
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

const engineFile = () => JSON.parse(readFileSync(join(dataDir, ENGINE_FILE), 'utf8')) as Record<string, string>;

describe('a new data directory', () => {
  it('records the engine that first wrote it, is held while the server runs, and is freed by stop()', async () => {
    const db = await resolveDatabase({ dataDir, tryMongod: false });
    expect(db.kind).toBe('FerretDB');
    expect(engineFile()).toMatchObject({ engine: 'FerretDB', version: ferretDbVersion() });
    expect(ferretDbVersion()).toMatch(/^v\d+\.\d+\.\d+$/);
    await expect(resolveDatabase({ dataDir, tryMongod: false })).rejects.toBeInstanceOf(DataDirInUseError);
    await db.stop();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const again = await resolveDatabase({ dataDir });
    expect(again.kind).toBe('FerretDB');
    await again.stop();
  });
});

describe('data written by mongod', () => {
  for (const [label, setup] of [
    ['recorded in engine.json', () => writeFileSync(join(dataDir, ENGINE_FILE), JSON.stringify({ engine: 'mongod', version: '7.0.14' }))],
    [
      'left by an earlier version (no engine.json)',
      () => {
        mkdirSync(join(dataDir, 'mongod'), { recursive: true });
        writeFileSync(join(dataDir, 'mongod', 'WiredTiger'), 'WiredTiger\nWiredTiger 11.2.0: (November 10, 2022)\n');
      },
    ],
  ] as const) {
    it(`is never opened by FerretDB when mongod cannot start: ${label}`, async () => {
      mkdirSync(dataDir, { recursive: true });
      setup();
      const failure = await resolveDatabase({ dataDir, tryMongod: false }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(LocalDataEngineError);
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds a database written by mongod( 7\\.0\\.14)?, but mongod cannot start here \\(.+\\); run campaign-bot where mongod can start, or set MONGODB_URI to a MongoDB server, or move .+ aside to start with an empty local database\\.$`,
        ),
      );
      expect(existsSync(join(dataDir, 'ferretdb'))).toBe(false);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    });
  }
});

describe('data written by FerretDB before engine.json existed', () => {
  it('is opened by FerretDB without trying mongod, and recorded', async () => {
    const first = await resolveDatabase({ dataDir, tryMongod: false });
    const store = await openStore(first.uri);
    await store.Campaign.create({ team_id: 'T1', name: 'kept', title: 'Kept', owner: 'U1' });
    await store.close();
    await first.stop();
    rmSync(join(dataDir, ENGINE_FILE));

    const say: string[] = [];
    const db = await resolveDatabase({ dataDir, say: (line) => say.push(line) });
    const reopened = await openStore(db.uri);
    const kept = await reopened.Campaign.findOne({ name: 'kept' }).lean();
    await reopened.close();
    await db.stop();
    expect(db.kind).toBe('FerretDB');
    expect(kept?.title).toBe('Kept');
    expect(say).toEqual([expect.stringMatching(/^database: local FerretDB/)]);
    expect(engineFile()).toMatchObject({ engine: 'FerretDB', version: ferretDbVersion() });
  });
});

describe('an unreadable engine.json', () => {
  it('stops the start with a sentence instead of guessing', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, ENGINE_FILE), JSON.stringify({ engine: 'postgres' }));
    await expect(resolveDatabase({ dataDir })).rejects.toThrow(DataEngineFileError);
    await expect(resolveDatabase({ dataDir })).rejects.toThrow(/Expected `engine` to be "mongod" or "FerretDB", got "postgres"/);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
