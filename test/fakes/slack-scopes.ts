// The bot scope Slack documents for each Web API method this app calls (each method's page on Slack's API docs,
// "Scopes → Bot token"). One table for two users: the fake Slack refuses a call whose
// scope the app was not granted (`missing_scope`), and test/slack/scopes.test.ts checks that manifest.yml asks for
// the scope of every method the code calls.

/** Method → the bot scopes it can need. Empty: no scope. */
export const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  // A direct message: opening the conversation with a person.
  'conversations.open': ['im:write'],
  'conversations.join': ['channels:join'],
  // channels:read for a public channel, groups:read for a private one: the app asks about both kinds.
  'conversations.info': ['channels:read', 'groups:read'],
  'users.info': ['users:read'],
  'usergroups.users.list': ['usergroups:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'files.info': ['files:read'],
  'views.open': [],
  'views.publish': [],
  'views.update': [],
  'views.push': [],
  // Not called by the bot: a method whose scope the manifest does not grant, for the fake's own tests.
  'reactions.add': ['reactions:write'],
};

/** Methods called with the app-level token (Socket Mode's connection), which bot scopes do not govern. */
export const APP_TOKEN_METHODS: readonly string[] = ['apps.connections.open'];

/** The scope conversations.info needs for a channel of this kind. */
export function conversationsInfoScope(isPrivate: boolean): string {
  return isPrivate ? 'groups:read' : 'channels:read';
}

/**
 * The Web API methods a source text calls: `<something>client.<family>.<method>(`, `apiCall('<method>')`,
 * `paginate('<method>')`, and the SDK's `filesUploadV2` (which is files.getUploadURLExternal then
 * files.completeUploadExternal).
 */
export function methodsCalledIn(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\b\w*[cC]lient\s*\.\s*([a-z]+(?:\.[a-zA-Z]+)+)\s*\(/g)) found.add(m[1]!);
  for (const m of source.matchAll(/\b(?:apiCall|paginate)\(\s*['"`]([a-zA-Z.]+)['"`]/g)) found.add(m[1]!);
  if (/\bfilesUploadV2\s*\(/.test(source)) {
    found.add('files.getUploadURLExternal');
    found.add('files.completeUploadExternal');
  }
  return [...found].sort();
}
