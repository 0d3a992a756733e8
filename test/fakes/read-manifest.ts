// manifest.yml as the fake Slack and the scope test read it: the scopes granted, the Messages tab, the command's
// usage hint and the bot's display name. No YAML library is installed, and the manifest uses a small part of YAML
// (nested maps, lists of scalars or maps, quoted and plain scalars, comments), so this reads that part and throws on
// anything else rather than guess.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MANIFEST_PATH = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

export interface Manifest {
  raw: Record<string, Yaml>;
  botScopes: string[];
  messagesTab: boolean;
  /** `features.bot_user.display_name`: what `/invite @…` names. */
  botDisplayName: string;
  /** `usage_hint` of the /campaign command. */
  usageHint: string;
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i);
  }
  return text;
}

function scalar(text: string, no: number): Yaml {
  const t = text.trim();
  if (t.startsWith('"')) return JSON.parse(t) as string;
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^[[{|>&*!]/.test(t)) throw new Error(`manifest.yml line ${no}: unsupported YAML "${t}"`);
  return t;
}

function splitKey(text: string, no: number): [string, string] {
  const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(text);
  if (!m) throw new Error(`manifest.yml line ${no}: expected "key: value", got "${text}"`);
  return [m[1]!, m[2] ?? ''];
}

/** Parses the block of lines at `indent` starting at lines[at]; returns the value and the next index. */
function block(lines: Line[], at: number, indent: number): [Yaml, number] {
  if (lines[at]!.text.startsWith('- ')) {
    const list: Yaml[] = [];
    let i = at;
    while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) {
      const item = lines[i]!.text.slice(2);
      if (/^[A-Za-z0-9_.-]+:(\s|$)/.test(item)) {
        // A map inside a list: its first key is on the dash's line, the others two spaces further in.
        const inner = [{ indent: indent + 2, text: item, no: lines[i]!.no }, ...lines.slice(i + 1)];
        const [value, next] = block(inner, 0, indent + 2);
        list.push(value);
        i = i + next;
      } else {
        list.push(scalar(item, lines[i]!.no));
        i++;
      }
    }
    return [list, i];
  }
  const map: Record<string, Yaml> = {};
  let i = at;
  while (i < lines.length && lines[i]!.indent === indent) {
    const [key, rest] = splitKey(lines[i]!.text, lines[i]!.no);
    i++;
    if (rest.trim() !== '') {
      map[key] = scalar(rest, lines[i - 1]!.no);
    } else if (i < lines.length && (lines[i]!.indent > indent || (lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')))) {
      const [value, next] = block(lines, i, lines[i]!.indent);
      map[key] = value;
      i = next;
    } else {
      map[key] = null;
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new Error(`manifest.yml line ${lines[i]!.no}: unexpected indentation`);
  return [map, i];
}

export function parseManifestYaml(source: string): Record<string, Yaml> {
  const lines: Line[] = [];
  source.split('\n').forEach((rawLine, index) => {
    const text = stripComment(rawLine).trimEnd();
    if (text.trim() === '') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), no: index + 1 });
  });
  const [value, next] = block(lines, 0, 0);
  if (next !== lines.length) throw new Error(`manifest.yml line ${lines[next]!.no}: could not be read`);
  return value as Record<string, Yaml>;
}

function at(root: Yaml, path: string): Yaml {
  let value: Yaml = root;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`manifest.yml has no ${path}`);
    value = value[key] ?? null;
  }
  return value;
}

export function readManifest(path = MANIFEST_PATH): Manifest {
  const raw = parseManifestYaml(readFileSync(path, 'utf8'));
  const scopes = at(raw, 'oauth_config.scopes.bot');
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
    throw new Error('manifest.yml: oauth_config.scopes.bot is not a list of scopes');
  const commands = at(raw, 'features.slash_commands');
  const campaign = Array.isArray(commands) ? commands.find((c) => (c as Record<string, Yaml>).command === '/campaign') : undefined;
  return {
    raw,
    botScopes: scopes as string[],
    messagesTab: at(raw, 'features.app_home.messages_tab_enabled') === true,
    botDisplayName: String(at(raw, 'features.bot_user.display_name')),
    usageHint: String((campaign as Record<string, Yaml> | undefined)?.usage_hint ?? ''),
  };
}
