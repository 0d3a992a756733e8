// What `npm run campaign -- <command> [name] [--team T…]` was asked to do.

export const CLI_COMMANDS = ['list', 'status', 'stop', 'pause', 'resume', 'stop-all'] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

/** Commands that act on one campaign, named after the command. */
const NEEDS_NAME: readonly CliCommand[] = ['status', 'stop', 'pause', 'resume'];

export type CliRequest =
  | { kind: 'run'; command: CliCommand; name: string | null; team: string | null }
  | { kind: 'help' }
  | { kind: 'usage'; problem: string };

export const USAGE = `Usage: npm run campaign -- <command> [name] [--team T0123ABCD]

Commands (the same database as the bot: MONGODB_URI, or ./data of a bot in this folder):
  list             the workspace's campaigns and their status
  status <name>    one campaign's progress
  stop <name>      end a campaign; nobody else is called (calls already ringing finish)
  pause <name>     stop dialling for now; resume continues
  resume <name>    continue a paused campaign
  stop-all         stop every running, paused and scheduled campaign of the workspace

--team T…  the Slack workspace (team id), needed only when the database holds several.
Exit codes: 0 done, 1 refused or failed (the sentence says why), 2 usage.`;

export function parseCliArgs(argv: readonly string[]): CliRequest {
  const words: string[] = [];
  let team: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') return { kind: 'help' };
    if (arg === '--team' || arg.startsWith('--team=')) {
      const value = arg === '--team' ? argv[++i] : arg.slice('--team='.length);
      if (!value || !/^[TE][A-Z0-9]{2,}$/.test(value)) {
        return {
          kind: 'usage',
          problem: `Expected a Slack team id such as T0123ABCD after --team, got ${value ? `"${value}"` : 'nothing'}.`,
        };
      }
      team = value;
    } else if (arg.startsWith('-')) {
      return { kind: 'usage', problem: `Unknown option ${arg}.` };
    } else {
      words.push(arg);
    }
  }
  const [word, name, ...extra] = words;
  if (word === undefined) return { kind: 'usage', problem: 'Say what to do.' };
  const command = word.toLowerCase() as CliCommand;
  if (!CLI_COMMANDS.includes(command))
    return { kind: 'usage', problem: `"${word}" is not a command: use one of ${CLI_COMMANDS.join(', ')}.` };
  if (NEEDS_NAME.includes(command) && name === undefined)
    return { kind: 'usage', problem: `${command} needs the campaign's name: npm run campaign -- ${command} <name>.` };
  if (!NEEDS_NAME.includes(command) && name !== undefined) return { kind: 'usage', problem: `${command} takes no name; got "${name}".` };
  if (extra.length > 0) return { kind: 'usage', problem: `Unexpected "${extra.join(' ')}" after the name.` };
  return { kind: 'run', command, name: name ?? null, team };
}
