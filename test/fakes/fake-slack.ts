// A local stand-in for the Slack Web API (SLACK_API_URL) and for response_url, recording every call.
// By default it refuses what real Slack refuses:
// - a method whose bot scope manifest.yml does not grant answers `missing_scope` (slack-scopes.ts has the table), and
//   a method the table does not know answers `unknown_method`;
// - posts go only where the bot may post: a public channel it is not in answers `not_in_channel` (unless
//   chat:write.public is granted), a private or unknown one `channel_not_found`, an archived one `is_archived`, a
//   user id `messages_tab_disabled` while the manifest's Messages tab is off;
// - conversations.info / conversations.join / users.info / usergroups.users.list answer from the workspace the
//   options describe.
// `fake.override()` makes any method fail, rate-limit (429 + Retry-After) or answer differently.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readManifest } from './read-manifest.js';
import { APP_TOKEN_METHODS, conversationsInfoScope, METHOD_SCOPES } from './slack-scopes.js';

export interface SlackCall {
  /** Web API method (`chat.update`) or `response_url` for posts to a response URL. */
  method: string;
  /** Parsed arguments: JSON-decoded where Slack's SDK sends JSON inside form fields. */
  args: Record<string, unknown>;
  /** The Authorization header (bot token), for the download and auth checks. */
  authorization: string | undefined;
  /** The path after /api/ or /respond/. */
  path: string;
  at: number;
  status: number;
  /** What the fake answered (its JSON body). */
  response: unknown;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Return undefined to fall through to the default answer; `{ delayMs }` answers it that much later (a slow Slack). */
export type Override = (call: SlackCall) => FakeReply | { delayMs: number } | undefined;

export interface FakeSlack {
  /** Base URL for SLACK_API_URL (ends with /api/). */
  apiUrl: string;
  /** A response_url that records what is posted to it. */
  responseUrl(id?: string): string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  override(method: string, fn: Override): void;
  /** Serves `content` at a url_private_download that requires the bot token as Bearer; returns the URL. */
  addFile(id: string, content: Buffer | string): string;
  /** Files uploaded through files.uploadV2 (getUploadURLExternal + upload + completeUploadExternal), by file id. */
  uploads: Map<string, Buffer>;
  /** Bot token the file server accepts. Default: any xoxb- token. */
  botToken: string | undefined;
  clearOverrides(): void;
  /** The workspace's channels by id; change `members` or `archived` to move the bot out or archive one. */
  channels: Map<string, Required<FakeChannel>>;
  addChannel(channel: FakeChannel): Required<FakeChannel>;
  /** The bot scopes granted now (mutable). */
  scopes: Set<string>;
  messagesTab: boolean;
  /** Resolves when a call matching `match` has been recorded (or rejects after timeoutMs). */
  waitFor(match: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

export const FAKE_BOT = { user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0001', team: 'Acme', user: 'campaign-bot' };

function decodeArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      return { _unparsed: raw };
    }
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The SDK JSON-encodes blocks, attachments and views inside form fields.
    if ((value.startsWith('{') || value.startsWith('[')) && value.length > 1) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // not JSON: keep the string
      }
    }
    args[key] = value;
  }
  return args;
}

/** A channel of the fake workspace. The bot is a member when `members` holds FAKE_BOT.user_id. */
export interface FakeChannel {
  id: string;
  /** Default: the id in lowercase. */
  name?: string;
  /** Default false (a public channel). */
  private?: boolean;
  /** Default false. */
  archived?: boolean;
  /** Users in the channel. Default none (the bot is not in it). */
  members?: string[];
}

/** A person users.info answers for; anyone else with a U…/W… id is a full member. */
export interface FakeUser {
  id: string;
  name?: string;
  /** A multi-channel guest. */
  is_restricted?: boolean;
  /** A single-channel guest. */
  is_ultra_restricted?: boolean;
}

export interface FakeSlackOptions {
  /** Bot scopes the app was granted. Default: manifest.yml's `oauth_config.scopes.bot`. */
  scopes?: readonly string[];
  /** Whether posting to a user id reaches the app's DM. Default: manifest.yml's `messages_tab_enabled`. */
  messagesTab?: boolean;
  /** The workspace's channels. Default: DEFAULT_CHANNELS. */
  channels?: readonly FakeChannel[];
  /** People users.info describes (guests); any other U…/W… id is a full member. Default none. */
  users?: readonly FakeUser[];
  /** User group id (S…) → its members, for usergroups.users.list. Default none. */
  usergroups?: Readonly<Record<string, readonly string[]>>;
}

/** #collections, public, with the bot in it: where the tests' commands are typed and campaigns report by default. */
export const DEFAULT_CHANNELS: readonly FakeChannel[] = [{ id: 'C0001', name: 'collections', members: [FAKE_BOT.user_id] }];

/** A public channel the bot is in, for tests that post elsewhere than C0001. */
export function botChannel(id: string, fields: Partial<FakeChannel> = {}): FakeChannel {
  return { id, members: [FAKE_BOT.user_id], ...fields };
}

/** The DM id the fake gives the conversation between the bot and a user. */
export function dmOf(userId: string): string {
  return `D${userId.slice(0, 8)}`;
}

let tsCounter = 0;
function nextTs(): string {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
}

const refuse = (error: string, extra: Record<string, unknown> = {}): FakeReply => ({ body: { ok: false, error, ...extra } });
const ok = (body: Record<string, unknown> = {}): FakeReply => ({ body: { ok: true, ...body } });

/** The workspace the fake answers for: channels and who is in them, DMs opened, the app's scopes. */
class Workspace {
  readonly channels = new Map<string, Required<FakeChannel>>();
  readonly scopes: Set<string>;
  messagesTab: boolean;
  readonly #ims = new Set<string>();
  readonly #users: Map<string, FakeUser>;
  readonly #usergroups: Readonly<Record<string, readonly string[]>>;
  #fileSeq = 0;

  constructor(options: FakeSlackOptions) {
    const manifest = options.scopes === undefined || options.messagesTab === undefined ? readManifest() : null;
    this.scopes = new Set(options.scopes ?? manifest!.botScopes);
    this.messagesTab = options.messagesTab ?? manifest!.messagesTab;
    for (const c of options.channels ?? DEFAULT_CHANNELS) this.addChannel(c);
    this.#users = new Map((options.users ?? []).map((u) => [u.id, u]));
    this.#usergroups = options.usergroups ?? {};
  }

  addChannel(c: FakeChannel): Required<FakeChannel> {
    const channel = { name: c.id.toLowerCase(), private: false, archived: false, ...c, members: [...(c.members ?? [])] };
    this.channels.set(c.id, channel);
    return channel;
  }

  answer(call: SlackCall, base: string): FakeReply {
    if (call.method === 'response_url' || APP_TOKEN_METHODS.includes(call.method)) return ok();
    const needed = METHOD_SCOPES[call.method];
    if (!needed) return refuse('unknown_method');
    const scope = this.#scopeNeeded(call, needed);
    if (scope && !this.scopes.has(scope)) return refuse('missing_scope', { needed: scope, provided: [...this.scopes].join(',') });
    return this.#method(call, base);
  }

  #scopeNeeded(call: SlackCall, needed: readonly string[]): string | undefined {
    if (call.method !== 'conversations.info') return needed[0];
    const channel = this.channels.get(String(call.args.channel));
    if (channel) return conversationsInfoScope(channel.private);
    // Asking about a channel that does not exist: either scope lets Slack say so.
    return needed.some((s) => this.scopes.has(s)) ? undefined : needed[0];
  }

  #method(call: SlackCall, base: string): FakeReply {
    const a = call.args;
    switch (call.method) {
      case 'auth.test':
        return ok({ url: 'https://acme.slack.com/', ...FAKE_BOT });
      case 'chat.postMessage':
      case 'chat.postEphemeral':
      case 'chat.update':
      case 'chat.delete': {
        const where = this.#postable(String(a.channel ?? ''), call.method);
        if ('error' in where) return refuse(where.error);
        if (call.method === 'chat.postMessage') return ok({ channel: where.id, ts: nextTs(), message: { text: a.text } });
        if (call.method === 'chat.postEphemeral') return ok({ message_ts: nextTs() });
        if (call.method === 'chat.update') return ok({ channel: where.id, ts: a.ts, text: a.text });
        return ok({ channel: where.id, ts: a.ts });
      }
      case 'conversations.open': {
        const users = String(a.users ?? '');
        if (!/^[UW]/.test(users)) return refuse('user_not_found');
        const id = dmOf(users);
        this.#ims.add(id);
        return ok({ channel: { id } });
      }
      case 'conversations.info': {
        const channel = this.#visible(String(a.channel ?? ''));
        return channel ? ok({ channel: this.#info(channel) }) : refuse('channel_not_found');
      }
      case 'conversations.join':
        return this.#join(String(a.channel ?? ''));
      case 'users.info': {
        const id = String(a.user ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(id)) return refuse('user_not_found');
        const user = this.#users.get(id);
        return ok({
          user: {
            id,
            name: user?.name ?? id.toLowerCase(),
            is_bot: id === FAKE_BOT.user_id,
            is_restricted: user?.is_restricted ?? false,
            is_ultra_restricted: user?.is_ultra_restricted ?? false,
          },
        });
      }
      case 'usergroups.users.list': {
        const members = this.#usergroups[String(a.usergroup ?? '')];
        return members ? ok({ users: [...members] }) : refuse('no_such_subteam');
      }
      case 'views.open':
      case 'views.publish':
      case 'views.update':
      case 'views.push':
        return ok({ view: { id: `V${tsCounter++}`, ...(a.view as object) } });
      case 'files.getUploadURLExternal': {
        this.#fileSeq += 1;
        const id = `F${String(this.#fileSeq).padStart(6, '0')}`;
        return ok({ upload_url: `${base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const target = String(a.channel_id ?? a.channels ?? '');
        for (const channel of target.split(',').filter(Boolean)) {
          // A file shared into a channel needs the bot in it, even with chat:write.public.
          const where = this.#postable(channel, call.method);
          if ('error' in where) return refuse(where.error);
        }
        const list = (a.files as Array<{ id: string; title?: string }> | undefined) ?? [];
        return ok({ files: list.map((f) => ({ id: f.id, title: f.title ?? '' })) });
      }
      default:
        return ok();
    }
  }

  /** Where a message to `target` goes, or Slack's refusal. */
  #postable(target: string, method: string): { id: string } | { error: string } {
    if (/^[UW]/.test(target)) {
      // A user id means the app's DM with that person; only chat.postMessage accepts one.
      if (method !== 'chat.postMessage') return { error: 'channel_not_found' };
      if (!this.messagesTab) return { error: 'messages_tab_disabled' };
      const id = dmOf(target);
      this.#ims.add(id);
      return { id };
    }
    if (this.#ims.has(target)) return { id: target };
    const channel = this.channels.get(target);
    if (!channel || (channel.private && !this.#isMember(channel))) return { error: 'channel_not_found' };
    if (channel.archived) return { error: 'is_archived' };
    if (this.#isMember(channel)) return { id: target };
    const publicPost = method === 'chat.postMessage' && this.scopes.has('chat:write.public');
    return publicPost ? { id: target } : { error: 'not_in_channel' };
  }

  #isMember(channel: Required<FakeChannel>): boolean {
    return channel.members.includes(FAKE_BOT.user_id);
  }

  /** A channel the bot can see: any public one, a private one it is in. */
  #visible(id: string): Required<FakeChannel> | undefined {
    const channel = this.channels.get(id);
    return channel && (!channel.private || this.#isMember(channel)) ? channel : undefined;
  }

  #info(c: Required<FakeChannel>) {
    return {
      id: c.id,
      name: c.name,
      is_channel: true,
      is_group: false,
      is_im: false,
      is_private: c.private,
      is_archived: c.archived,
      is_member: this.#isMember(c),
    };
  }

  #join(id: string): FakeReply {
    const channel = this.#visible(id);
    if (!channel) return refuse('channel_not_found');
    if (channel.private) return refuse('method_not_supported_for_channel_type');
    if (channel.archived) return refuse('is_archived');
    if (this.#isMember(channel))
      return ok({ channel: this.#info(channel), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } });
    channel.members.push(FAKE_BOT.user_id);
    return ok({ channel: this.#info(channel) });
  }
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const workspace = new Workspace(options);
  const calls: SlackCall[] = [];
  const overrides = new Map<string, Override>();
  const waiters: Array<{ match: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }> = [];
  const files = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer>();
  let base = '';
  const state = { botToken: undefined as string | undefined };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    let method: string;
    let path: string;
    if (url.pathname.startsWith('/files/')) {
      const auth = req.headers.authorization ?? '';
      const ok = state.botToken ? auth === `Bearer ${state.botToken}` : /^Bearer xoxb-/.test(auth);
      const file = files.get(url.pathname.slice('/files/'.length));
      calls.push({
        method: 'file_download',
        path: url.pathname,
        args: {},
        authorization: req.headers.authorization,
        at: Date.now(),
        status: ok && file ? 200 : ok ? 404 : 403,
        response: null,
      });
      if (!ok) return void res.writeHead(403).end('forbidden');
      if (!file) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(file.length) });
      return void res.end(file);
    }
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      uploads.set(id, Buffer.concat(chunks));
      calls.push({
        method: 'file_upload',
        path: id,
        args: {},
        authorization: req.headers.authorization,
        at: Date.now(),
        status: 200,
        response: null,
      });
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${String(Buffer.concat(chunks).length)}`);
    }
    if (url.pathname.startsWith('/api/')) {
      path = url.pathname.slice('/api/'.length);
      method = path;
    } else if (url.pathname.startsWith('/respond/')) {
      path = url.pathname.slice('/respond/'.length);
      method = 'response_url';
    } else {
      res.writeHead(404).end();
      return;
    }
    const call: SlackCall = {
      method,
      path,
      args: { ...Object.fromEntries(url.searchParams), ...decodeArgs(req.headers['content-type'] ?? '', raw) },
      authorization: req.headers.authorization,
      at: Date.now(),
      status: 200,
      response: null,
    };
    const overridden = overrides.get(method)?.(call);
    if (overridden && 'delayMs' in overridden) await new Promise((r) => setTimeout(r, overridden.delayMs));
    const reply = overridden && 'body' in overridden ? overridden : workspace.answer(call, base);
    call.status = reply.status ?? 200;
    call.response = reply.body;
    calls.push(call);
    for (const w of [...waiters]) {
      if (w.match(call)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
    res.writeHead(call.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id = String(Date.now())) => `${base}/respond/${id}`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    override: (method, fn) => overrides.set(method, fn),
    clearOverrides: () => overrides.clear(),
    addFile(id, content) {
      files.set(id, Buffer.isBuffer(content) ? content : Buffer.from(content));
      return `${base}/files/${id}`;
    },
    uploads,
    channels: workspace.channels,
    addChannel: (channel) => workspace.addChannel(channel),
    scopes: workspace.scopes,
    get messagesTab() {
      return workspace.messagesTab;
    },
    set messagesTab(on) {
      workspace.messagesTab = on;
    },
    get botToken() {
      return state.botToken;
    },
    set botToken(token) {
      state.botToken = token;
    },
    waitFor(match, timeoutMs = 10_000) {
      const found = calls.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (c: SlackCall) => {
            clearTimeout(timer);
            resolve(c);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`fake Slack: no matching call within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
