// `npm run campaign -- <command> [name] [--team T…]`: stop, pause, resume, list and look at campaigns without Slack,
// against the bot's own database. Sentences go to stdout (the answer) and stderr (problems, progress); the exit code
// says what happened: 0 done, 1 refused or failed, 2 usage.
import { userInfo, hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadDotEnv, loadOperatorConfig } from '../config.js';
import { CampaignOperations, type CliResult } from './campaign-operations.js';
import { openCliDatabase } from './cli-database.js';
import { parseCliArgs, USAGE, type CliCommand } from './cli-args.js';
import type { Store } from '../store/store.js';

/** Errors whose message is the sentence to show (no stack trace). */
const EXPLAINED = new Set([
  'ConfigError',
  'CliDatabaseError',
  'DatabaseUnreachableError',
  'NoLocalDatabaseError',
  'LocalDataEngineError',
  'DataEngineFileError',
]);

async function main(argv: readonly string[]): Promise<number> {
  const request = parseCliArgs(argv);
  if (request.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (request.kind === 'usage') {
    process.stderr.write(`${request.problem}\n\n${USAGE}\n`);
    return 2;
  }
  loadDotEnv();
  const config = loadOperatorConfig();
  const database = await openCliDatabase({
    mongodbUri: config.mongodbUri,
    dataDir: resolve('data'),
    say: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    const result = await run(database.store, request.command, request.name, request.team);
    (result.code === 0 ? process.stdout : process.stderr).write(`${result.text}\n`);
    return result.code;
  } finally {
    await database.close();
  }
}

async function run(store: Store, command: CliCommand, name: string | null, requestedTeam: string | null): Promise<CliResult> {
  const operations = new CampaignOperations(store, { who: `the command line (${userInfo().username}@${hostname()})` });
  const team = await operations.team(requestedTeam);
  if (!team.ok) return team.result;
  switch (command) {
    case 'list':
      return operations.list(team.team);
    case 'status':
      return operations.status(team.team, name!);
    case 'stop-all':
      return operations.stopAll(team.team);
    default:
      return operations.change(team.team, name!, command);
  }
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  const name = error instanceof Error ? error.name : '';
  process.stderr.write(
    EXPLAINED.has(name)
      ? `${(error as Error).message}\n`
      : `campaign: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  code = 1;
}
// Writes to a terminal, a file or a pipe are synchronous here, so nothing printed is lost; a driver timer must not
// keep the command alive.
process.exit(code);
