// The command line's way to the bot's database, without ever starting a second server on the same files:
// 1. MONGODB_URI: that server.
// 2. ./data held by a running bot (its lock): the server that bot started, whose address it recorded in ./data.
// 3. ./data free: the local database is started for the length of the command (holding ./data meanwhile, so a bot
//    started at that moment waits for nothing and says the folder is busy), then stopped.
import { existsSync } from 'node:fs';
import { DataDirInUseError } from '../store/data-dir-lock.js';
import { readDataEngine } from '../store/data-engine.js';
import { resolveDatabase } from '../store/local-database.js';
import { describeUri, openStore, type Store } from '../store/store.js';
import { readDatabaseAddress } from '../ops/database-address.js';

export class CliDatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliDatabaseError';
  }
}

export interface CliDatabaseOptions {
  mongodbUri: string | undefined;
  /** The bot's local data directory (./data of the folder the command runs in). */
  dataDir: string;
  /** Progress lines for the person at the terminal. */
  say: (line: string) => void;
  /** How long to wait for a starting bot to record its database's address. Default 15 s. */
  addressWaitMs?: number;
}

export interface CliDatabase {
  store: Store;
  /** Which database, in words. */
  description: string;
  close(): Promise<void>;
}

export async function openCliDatabase(options: CliDatabaseOptions): Promise<CliDatabase> {
  if (options.mongodbUri) {
    const store = await openStore(options.mongodbUri, { serverSelectionTimeoutMS: 5_000 });
    return { store, description: `MONGODB_URI (${describeUri(options.mongodbUri)})`, close: () => store.close() };
  }
  const { dataDir } = options;
  if (!existsSync(dataDir) || readDataEngine(dataDir) === undefined) {
    throw new CliDatabaseError(
      `No database here: MONGODB_URI is not set and ${dataDir} holds no local database. Run this in the folder the bot runs in, or set MONGODB_URI to the bot's database.`,
    );
  }
  try {
    const database = await resolveDatabase({ dataDir, say: options.say });
    options.say(`No bot is running in this folder; started the local database for this command (${database.kind}).`);
    try {
      const store = await openStore(database.uri);
      return {
        store,
        description: `the local database in ${dataDir}`,
        close: async () => {
          await store.close().catch(() => {});
          await database.stop();
        },
      };
    } catch (error) {
      await database.stop();
      throw error;
    }
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    const uri = await addressOfBot(dataDir, error.holder.pid, options.addressWaitMs ?? 15_000);
    const store = await openStore(uri, { serverSelectionTimeoutMS: 5_000 });
    return {
      store,
      description: `the local database of the bot running in this folder (pid ${error.holder.pid})`,
      close: () => store.close(),
    };
  }
}

/** The address the bot holding ./data recorded; a bot still starting its database is given a moment. */
async function addressOfBot(dataDir: string, pid: number, waitMs: number): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const address = readDatabaseAddress(dataDir);
    if (address?.pid === pid) return address.uri;
    if (Date.now() >= deadline) {
      throw new CliDatabaseError(
        `A bot (pid ${pid}) holds ${dataDir} but has not said where its database listens. If it is starting, try again in a minute; ` +
          'if it is an older version, stop it and run this command again, or set MONGODB_URI.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
