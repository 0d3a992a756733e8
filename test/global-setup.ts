// One database server for the whole run (TEST-DATABASE.md); each test file uses its own database name.
import type { TestProject } from 'vitest/node';
import { resolveDatabase, type ResolvedDatabase } from '../src/store/local-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

let database: ResolvedDatabase | undefined;

export async function setup(project: TestProject): Promise<void> {
  database = await resolveDatabase({
    uri: process.env.MONGODB_URI,
    say: (line) => console.log(`[test database] ${line}`),
  });
  project.provide('mongoUri', database.uri);
}

export async function teardown(): Promise<void> {
  await database?.stop();
}
