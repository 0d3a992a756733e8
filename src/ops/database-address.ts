// Where a running bot's local database listens. The bot that holds ./data (data-dir-lock.ts) started the only server
// that may open those files; the command line must talk to that server rather than start a second one on the same
// files. So the bot writes the server's address next to the lock, with its own pid, and removes it when it stops.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADDRESS_FILE = 'database-address.json';

export interface DatabaseAddress {
  /** mongodb://127.0.0.1:<port>/ (a local server; no credentials). */
  uri: string;
  /** The bot process that started the server, as in the lock file. */
  pid: number;
  /** When it was written (ISO 8601). */
  written_at: string;
}

/** Records `uri` as this process's local database; returns the function that removes the record again. */
export function recordDatabaseAddress(dataDir: string, uri: string): () => void {
  const path = join(dataDir, ADDRESS_FILE);
  const record: DatabaseAddress = { uri, pid: process.pid, written_at: new Date().toISOString() };
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(record)}\n`);
  renameSync(aside, path);
  return () => {
    if (readDatabaseAddress(dataDir)?.pid !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      // Gone already (./data removed under us): nothing to clean.
    }
  };
}

/** The recorded address, or undefined when there is none or it cannot be read. */
export function readDatabaseAddress(dataDir: string): DatabaseAddress | undefined {
  try {
    const value = JSON.parse(readFileSync(join(dataDir, ADDRESS_FILE), 'utf8')) as Partial<DatabaseAddress>;
    if (typeof value.uri !== 'string' || !Number.isInteger(value.pid)) return undefined;
    return value as DatabaseAddress;
  } catch {
    return undefined;
  }
}
