// Scopes = calls: every Slack Web API method the code calls is listed here, a scan of src/ finds any new one, and
// manifest.yml asks for exactly the scopes Slack documents for them (test/fakes/slack-scopes.ts), no more. The
// manifest's usage_hint lists every /campaign subcommand, and /invite names the bot as the manifest does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { BOT_DISPLAY_NAME, inviteLine } from '../../src/slack/channel-access.js';
import { campaignSubcommands, usageHint } from '../../src/slack/commands/index.js';
import type { SlackDeps } from '../../src/slack/slack-deps.js';
import { readManifest } from '../fakes/read-manifest.js';
import { METHOD_SCOPES, methodsCalledIn } from '../fakes/slack-scopes.js';
import { testEnv } from '../helpers/test-env.js';

/** Every Web API method src/ calls. A new call fails the scan below until it is added here (and its scope granted). */
const CALLED_METHODS = [
  'auth.test', // verify-slack-token.ts: who the token is, at startup
  'chat.delete', // progress-reporter.ts, finish-report.ts: a duplicate message another process beat
  'chat.postMessage', // progress, thread replies, reports, direct messages
  'chat.update', // progress edits, the report's final cost
  'conversations.info', // channel-access.ts: is the bot in the channel?
  'conversations.join', // channel-access.ts: join a public channel before dialling
  'conversations.open', // exports, charts and import reports in a DM; channel-access.ts: which DM is the bot's
  'files.completeUploadExternal', // upload-file.ts, filesUploadV2
  'files.getUploadURLExternal', // upload-file.ts, filesUploadV2
  'usergroups.users.list', // people.ts: members of a CAMPAIGN_OPERATORS user group
  'users.info', // people.ts: guests (restricted accounts) may not create, start or export
  'views.open', // modals
  'views.publish', // the Home tab
  'views.update', // the contacts modal's pages, a slow Home-tab start
];

/** Scopes granted for something other than a Web API method. */
const NON_METHOD_SCOPES: Record<string, string> = {
  commands: 'the /campaign slash command',
  'files:read': "downloading the CSV a person uploads in a form (url_private_download with the bot's token)",
};

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** method → the files calling it. */
function scan(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    for (const method of methodsCalledIn(readFileSync(file, 'utf8')))
      found.set(method, [...(found.get(method) ?? []), file.slice(SRC.length)]);
  }
  return found;
}

describe('the scan that finds Web API calls', () => {
  it('sees every way the code calls Slack', () => {
    const source = [
      'await this.client.chat.postMessage({ channel });',
      'await ctx.slack.client.views.open({ trigger_id });',
      'const dm = await args.client.conversations.open({ users });',
      "await client.apiCall('reactions.add', {});",
      "for await (const page of client.paginate('conversations.list')) {}",
      'await webClient.admin.users.list();',
      'await client.filesUploadV2({ channel_id });',
      // Not Slack: services, stores, methods of something else.
      'await deps.service.start(id); store.Campaign.findOne(); this.#budget.failed("chat.update", e);',
    ].join('\n');
    expect(methodsCalledIn(source)).toEqual([
      'admin.users.list',
      'chat.postMessage',
      'conversations.list',
      'conversations.open',
      'files.completeUploadExternal',
      'files.getUploadURLExternal',
      'reactions.add',
      'views.open',
    ]);
  });
});

describe('scopes = calls', () => {
  it('src/ calls exactly the methods listed here', () => {
    const found = scan();
    const unlisted = [...found.keys()].filter((m) => !CALLED_METHODS.includes(m)).map((m) => `${m} (${found.get(m)!.join(', ')})`);
    expect(unlisted, 'new Web API calls: add them to CALLED_METHODS, and their scopes to manifest.yml').toEqual([]);
    expect(
      CALLED_METHODS.filter((m) => !found.has(m)),
      'listed but no longer called',
    ).toEqual([]);
  });

  it('every method called has its documented scope in the table', () => {
    expect(
      CALLED_METHODS.filter((m) => METHOD_SCOPES[m] === undefined),
      'add the method and its bot scope to test/fakes/slack-scopes.ts',
    ).toEqual([]);
  });

  it('manifest.yml asks for the scope of every method called', () => {
    const granted = new Set(readManifest().botScopes);
    const missing = CALLED_METHODS.flatMap((m) => (METHOD_SCOPES[m] ?? []).filter((s) => !granted.has(s)).map((s) => `${m} needs ${s}`));
    expect(missing).toEqual([]);
  });

  it('and for nothing else', () => {
    const needed = new Set([...CALLED_METHODS.flatMap((m) => METHOD_SCOPES[m] ?? []), ...Object.keys(NON_METHOD_SCOPES)]);
    const scopes = readManifest().botScopes;
    expect(
      scopes.filter((s) => !needed.has(s)),
      'scopes no call needs',
    ).toEqual([]);
    expect(new Set(scopes).size).toBe(scopes.length);
  });

  it('the Messages tab is on, since the bot sends direct messages', () => {
    expect(readManifest().raw.features).toMatchObject({ app_home: { home_tab_enabled: true, messages_tab_enabled: true } });
  });
});

describe('what the manifest tells people', () => {
  it('usage_hint lists every subcommand, as /campaign help does', () => {
    const deps = { config: loadConfig(testEnv()) } as unknown as SlackDeps;
    const subcommands = campaignSubcommands(deps);
    expect(readManifest().usageHint).toBe(usageHint(subcommands));
    expect(
      readManifest()
        .usageHint.split(' | ')
        .map((u) => u.split(' ')[0]),
    ).toEqual(subcommands.map((s) => s.name));
  });

  it('/invite names the bot by the display name the manifest gives it', () => {
    expect(readManifest().botDisplayName).toBe(BOT_DISPLAY_NAME);
    expect(inviteLine()).toBe('/invite @campaign-bot');
  });
});
