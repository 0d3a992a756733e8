import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';

/** A Store on a database of this test file's own, dropped when the file ends. */
export async function testStore(label: string): Promise<Store> {
  const dbName = `t_${label.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${randomBytes(3).toString('hex')}`;
  const store = await openStore(inject('mongoUri'), { dbName });
  afterAll(async () => {
    await store.connection.dropDatabase().catch(() => {});
    await store.close();
  });
  return store;
}

export function mongoUri(): string {
  return inject('mongoUri');
}
