// The fake Slack answers as Slack does, through the real Web API client: a method
// whose scope the app was not granted, a post where the bot may not post, a DM while the Messages tab is off.
import { ErrorCode, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_BOT, startFakeSlack, type FakeSlack, type FakeSlackOptions } from './fake-slack.js';
import { readManifest } from './read-manifest.js';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeSlackOptions = {}): Promise<{ fake: FakeSlack; client: WebClient }> {
  fake = await startFakeSlack(options);
  return { fake, client: new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }) };
}

/** Slack's error code and the rest of its answer, from a call that must fail. */
async function refusal(call: Promise<unknown>): Promise<{ error: string; needed?: string; provided?: string }> {
  try {
    await call;
  } catch (error) {
    expect((error as { code?: string }).code).toBe(ErrorCode.PlatformError);
    return (error as WebAPIPlatformError).data as { error: string; needed?: string; provided?: string };
  }
  throw new Error('Slack answered ok');
}

const bot = FAKE_BOT.user_id;
const WORKSPACE: FakeSlackOptions['channels'] = [
  { id: 'C0IN', name: 'in', members: [bot] },
  { id: 'C0OUT', name: 'out' },
  { id: 'C0SECRET', name: 'secret', private: true, members: ['U0OWNER'] },
  { id: 'C0PRIVIN', name: 'priv-in', private: true, members: [bot] },
  { id: 'C0OLD', name: 'old', archived: true, members: [bot] },
];

describe('scopes', () => {
  it('grants what manifest.yml grants, and refuses a method whose scope it lacks with missing_scope', async () => {
    const { fake, client } = await start();
    expect([...fake.scopes].sort()).toEqual([...readManifest().botScopes].sort());
    // The manifest does not ask for reactions:write (the bot never reacts to messages).
    expect(await refusal(client.reactions.add({ channel: 'C0IN', timestamp: '1.000001', name: 'tada' }))).toMatchObject({
      error: 'missing_scope',
      needed: 'reactions:write',
      provided: [...fake.scopes].join(','),
    });
    expect(fake.callsTo('reactions.add')[0]!.response).toMatchObject({ ok: false, error: 'missing_scope' });
    // What the manifest grants is answered.
    expect(await client.users.info({ user: 'U0OWNER' })).toMatchObject({ ok: true });
  });

  it('refuses each scoped method without its scope, and views.* and auth.test need none', async () => {
    const { client } = await start({ scopes: [], messagesTab: true, channels: WORKSPACE });
    expect(await refusal(client.chat.postMessage({ channel: 'C0IN', text: 'x' }))).toMatchObject({ needed: 'chat:write', provided: '' });
    expect(await refusal(client.conversations.open({ users: 'U0OWNER' }))).toMatchObject({ needed: 'im:write' });
    expect(await refusal(client.conversations.join({ channel: 'C0OUT' }))).toMatchObject({ needed: 'channels:join' });
    expect(await refusal(client.conversations.info({ channel: 'C0OUT' }))).toMatchObject({ needed: 'channels:read' });
    expect(await refusal(client.conversations.info({ channel: 'C0PRIVIN' }))).toMatchObject({ needed: 'groups:read' });
    expect(await refusal(client.files.getUploadURLExternal({ filename: 'a.csv', length: 1 }))).toMatchObject({ needed: 'files:write' });
    expect((await client.views.publish({ user_id: 'U0OWNER', view: { type: 'home', blocks: [] } })).ok).toBe(true);
    expect((await client.auth.test()).user_id).toBe(bot);
  });

  it('answers unknown_method for a method its table does not know', async () => {
    const { client } = await start();
    expect(await refusal(client.apiCall('pins.add', { channel: 'C0001', timestamp: '1.2' }))).toMatchObject({
      error: 'unknown_method',
    });
  });
});

describe('channel membership', () => {
  it('by default C0001 is public with the bot in it', async () => {
    const { client } = await start();
    expect((await client.chat.postMessage({ channel: 'C0001', text: 'hello' })).channel).toBe('C0001');
    expect((await client.conversations.info({ channel: 'C0001' })).channel).toMatchObject({
      id: 'C0001',
      name: 'collections',
      is_private: false,
      is_member: true,
    });
  });

  it('posts only where the bot may: not_in_channel, channel_not_found, is_archived', async () => {
    const { client } = await start({ channels: WORKSPACE });
    expect((await client.chat.postMessage({ channel: 'C0IN', text: 'x' })).ok).toBe(true);
    expect((await client.chat.postMessage({ channel: 'C0PRIVIN', text: 'x' })).ok).toBe(true);
    expect(await refusal(client.chat.postMessage({ channel: 'C0OUT', text: 'x' }))).toMatchObject({ error: 'not_in_channel' });
    expect(await refusal(client.chat.postMessage({ channel: 'C0SECRET', text: 'x' }))).toMatchObject({ error: 'channel_not_found' });
    expect(await refusal(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).toMatchObject({ error: 'channel_not_found' });
    expect(await refusal(client.chat.postMessage({ channel: 'C0OLD', text: 'x' }))).toMatchObject({ error: 'is_archived' });
    expect(await refusal(client.chat.update({ channel: 'C0OUT', ts: '1.2', text: 'x' }))).toMatchObject({ error: 'not_in_channel' });
  });

  it('with chat:write.public posts in a public channel it is not in, but a file still needs membership', async () => {
    const { client } = await start({ channels: WORKSPACE, scopes: [...readManifest().botScopes, 'chat:write.public'] });
    expect((await client.chat.postMessage({ channel: 'C0OUT', text: 'x' })).ok).toBe(true);
    expect(await refusal(client.chat.postMessage({ channel: 'C0SECRET', text: 'x' }))).toMatchObject({ error: 'channel_not_found' });
    expect(await refusal(client.files.completeUploadExternal({ files: [{ id: 'F1', title: 't' }], channel_id: 'C0OUT' }))).toMatchObject({
      error: 'not_in_channel',
    });
    expect((await client.files.completeUploadExternal({ files: [{ id: 'F1', title: 't' }], channel_id: 'C0IN' })).ok).toBe(true);
  });

  it('conversations.info shows a private channel only to a member; conversations.join joins a public one only', async () => {
    const { fake, client } = await start({ channels: WORKSPACE });
    expect(await refusal(client.conversations.info({ channel: 'C0SECRET' }))).toMatchObject({ error: 'channel_not_found' });
    expect((await client.conversations.info({ channel: 'C0PRIVIN' })).channel).toMatchObject({ is_private: true, is_member: true });
    expect((await client.conversations.info({ channel: 'C0OUT' })).channel).toMatchObject({ is_private: false, is_member: false });
    expect((await client.conversations.info({ channel: 'C0OLD' })).channel).toMatchObject({ is_archived: true });

    expect((await client.conversations.join({ channel: 'C0OUT' })).channel).toMatchObject({ id: 'C0OUT', is_member: true });
    expect(fake.channels.get('C0OUT')!.members).toContain(bot);
    expect((await client.chat.postMessage({ channel: 'C0OUT', text: 'x' })).ok).toBe(true);
    expect((await client.conversations.join({ channel: 'C0IN' })).warning).toBe('already_in_channel');
    expect(await refusal(client.conversations.join({ channel: 'C0SECRET' }))).toMatchObject({ error: 'channel_not_found' });
    expect(await refusal(client.conversations.join({ channel: 'C0PRIVIN' }))).toMatchObject({
      error: 'method_not_supported_for_channel_type',
    });
    expect(await refusal(client.conversations.join({ channel: 'C0OLD' }))).toMatchObject({ error: 'is_archived' });

    // Moving the bot out of a channel is how a test makes Slack refuse later.
    fake.channels.get('C0IN')!.members = [];
    expect(await refusal(client.chat.postMessage({ channel: 'C0IN', text: 'x' }))).toMatchObject({ error: 'not_in_channel' });
  });
});

describe('direct messages', () => {
  it('a user id as channel reaches the DM only with the Messages tab on; a DM opened with conversations.open always', async () => {
    const { fake, client } = await start({ messagesTab: false });
    expect(await refusal(client.chat.postMessage({ channel: 'U0OWNER', text: 'x' }))).toMatchObject({ error: 'messages_tab_disabled' });
    const dm = (await client.conversations.open({ users: 'U0OWNER' })).channel!.id!;
    expect((await client.chat.postMessage({ channel: dm, text: 'x' })).channel).toBe(dm);
    fake.messagesTab = true;
    expect((await client.chat.postMessage({ channel: 'U0OWNER', text: 'x' })).channel).toBe(dm);
  });

  it('follows the manifest: its Messages tab is on', async () => {
    const { client } = await start();
    expect(readManifest().messagesTab).toBe(true);
    expect((await client.chat.postMessage({ channel: 'U0OWNER', text: 'x' })).ok).toBe(true);
  });
});

describe('people and groups', () => {
  it('users.info tells guests apart; usergroups.users.list answers the group members', async () => {
    const { client } = await start({
      scopes: ['users:read', 'usergroups:read'],
      users: [
        { id: 'U0GUEST', is_restricted: true },
        { id: 'U0SINGLE', is_ultra_restricted: true },
      ],
      usergroups: { S0OPS: ['U0OWNER', 'U0ADMIN'] },
    });
    expect((await client.users.info({ user: 'U0GUEST' })).user).toMatchObject({
      id: 'U0GUEST',
      is_restricted: true,
      is_ultra_restricted: false,
    });
    expect((await client.users.info({ user: 'U0SINGLE' })).user).toMatchObject({ is_restricted: false, is_ultra_restricted: true });
    expect((await client.users.info({ user: 'U0OWNER' })).user).toMatchObject({ is_restricted: false, is_ultra_restricted: false });
    expect(await refusal(client.users.info({ user: 'not-a-user' }))).toMatchObject({ error: 'user_not_found' });
    expect((await client.usergroups.users.list({ usergroup: 'S0OPS' })).users).toEqual(['U0OWNER', 'U0ADMIN']);
    expect(await refusal(client.usergroups.users.list({ usergroup: 'S0NONE' }))).toMatchObject({ error: 'no_such_subteam' });
  });
});
