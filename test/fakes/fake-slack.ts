// A local stand-in for the Slack Web API (SLACK_API_URL) and for response_url, recording every call.
// Methods answer like Slack: HTTP 200 with {ok: true, …}; `fake.override()` makes any method fail,
// rate-limit (429 + Retry-After) or answer differently, for the resilience tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Return undefined to fall through to the default answer. */
export type Override = (call: SlackCall) => FakeReply | undefined;

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

let tsCounter = 0;
function nextTs(): string {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
}

function defaultReply(call: SlackCall): FakeReply {
  const channel = (call.args.channel as string | undefined) ?? 'C0001';
  switch (call.method) {
    case 'auth.test':
      return { body: { ok: true, url: 'https://acme.slack.com/', ...FAKE_BOT } };
    case 'chat.postMessage':
      return { body: { ok: true, channel, ts: nextTs(), message: { text: call.args.text } } };
    case 'chat.postEphemeral':
      return { body: { ok: true, message_ts: nextTs() } };
    case 'chat.update':
      return { body: { ok: true, channel, ts: call.args.ts, text: call.args.text } };
    case 'views.open':
    case 'views.publish':
    case 'views.update':
    case 'views.push':
      return { body: { ok: true, view: { id: `V${tsCounter++}`, ...(call.args.view as object) } } };
    case 'files.getUploadURLExternal':
      return { body: { ok: true } }; // completed in startFakeSlack, which knows the server's address
    case 'conversations.open':
      return { body: { ok: true, channel: { id: `D${String(call.args.users ?? 'U').slice(0, 8)}` } } };
    case 'response_url':
      return { body: { ok: true } };
    default:
      return { body: { ok: true } };
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const overrides = new Map<string, Override>();
  const waiters: Array<{ match: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }> = [];
  const files = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer>();
  let fileSeq = 0;
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
      calls.push({ method: 'file_download', path: url.pathname, args: {}, authorization: req.headers.authorization, at: Date.now(), status: ok && file ? 200 : ok ? 404 : 403 });
      if (!ok) return void res.writeHead(403).end('forbidden');
      if (!file) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(file.length) });
      return void res.end(file);
    }
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      uploads.set(id, Buffer.concat(chunks));
      calls.push({ method: 'file_upload', path: id, args: {}, authorization: req.headers.authorization, at: Date.now(), status: 200 });
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK - ' + String(Buffer.concat(chunks).length));
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
    };
    let reply = overrides.get(method)?.(call) ?? defaultReply(call);
    if (method === 'files.getUploadURLExternal' && !overrides.has(method)) {
      fileSeq += 1;
      const id = `F${String(fileSeq).padStart(6, '0')}`;
      reply = { body: { ok: true, upload_url: `${base}/upload/${id}`, file_id: id } };
    }
    if (method === 'files.completeUploadExternal' && !overrides.has(method)) {
      const list = (call.args.files as Array<{ id: string; title?: string }> | undefined) ?? [];
      reply = { body: { ok: true, files: list.map((f) => ({ id: f.id, title: f.title ?? '' })) } };
    }
    call.status = reply.status ?? 200;
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
        const waiter = { match, resolve: (c: SlackCall) => (clearTimeout(timer), resolve(c)) };
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
