// Socket Mode (SLACK_APP_TOKEN=xapp-…): createApp picks Bolt's SocketModeReceiver and needs no signing secret; the
// connection URL comes from apps.connections.open on SLACK_API_URL (the fake Slack), and a slash command arriving
// as a Socket Mode envelope is acked over the WebSocket with the help answer. The `ws` package is not installed
// (@slack/socket-mode 3 uses undici's WebSocket), so the server side below is a minimal RFC 6455 implementation on
// node:http: handshake, unmasked text frames out, masked frames in, pong for ping, close for close.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { HTTPReceiver, SocketModeReceiver, type App } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { Store } from '../../src/store/store.js';
import { slashCommand } from '../helpers/slack-signing.js';
import { FAKE_BOT, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { freePort } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { testEnv } from '../helpers/test-env.js';

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A connected client as the server sees it: send JSON, receive JSON messages. */
class Peer {
  #buffer = Buffer.alloc(0);
  readonly messages: unknown[] = [];
  #waiters: Array<{ match: (m: unknown) => boolean; resolve: (m: unknown) => void }> = [];

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', () => {});
  }

  send(value: unknown): void {
    this.socket.write(frame(0x1, Buffer.from(JSON.stringify(value))));
  }

  next(match: (m: unknown) => boolean, timeoutMs = 5_000): Promise<unknown> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching WebSocket message')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      let len = b[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      const maskAt = offset;
      if (masked) offset += 4;
      if (b.length < offset + len) return;
      const payload = Buffer.from(b.subarray(offset, offset + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
      this.#buffer = b.subarray(offset + len);
      if (opcode === 0x1) {
        const message = JSON.parse(payload.toString('utf8')) as unknown;
        this.messages.push(message);
        for (const w of [...this.#waiters]) {
          if (w.match(message)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(message);
          }
        }
      } else if (opcode === 0x9) {
        this.socket.write(frame(0xa, payload));
      } else if (opcode === 0x8) {
        this.socket.end(frame(0x8, payload));
      }
    }
  }
}

async function startWebSocketServer(): Promise<{ server: Server; port: number; peers: Peer[]; connected: Promise<Peer> }> {
  const peers: Peer[] = [];
  let onPeer!: (p: Peer) => void;
  const connected = new Promise<Peer>((resolve) => (onPeer = resolve));
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    const key = req.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const peer = new Peer(socket);
    peers.push(peer);
    peer.send({
      type: 'hello',
      num_connections: 1,
      debug_info: { host: 'fake', approximate_connection_time: 3600 },
      connection_info: { app_id: 'A0001' },
    });
    onPeer(peer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, peers, connected };
}

let store: Store;
let slack: FakeSlack;
let app: App;
const runtimes: Runtime[] = [];
let ws: Awaited<ReturnType<typeof startWebSocketServer>>;
let port: number;

function socketApp(env: Record<string, string | undefined>) {
  const config = loadConfig(testEnv({ SLACK_API_URL: slack.apiUrl, PORT: String(port), ...env }));
  const log = createLogger({ level: 'silent', pretty: false });
  const runtime = createRuntime(config, store, log);
  runtimes.push(runtime);
  return { config, app: createApp({ config, log, store, identity: { botId: FAKE_BOT.bot_id, botUserId: FAKE_BOT.user_id }, runtime }) };
}

beforeAll(async () => {
  store = await testStore('socket_mode');
  slack = await startFakeSlack();
  ws = await startWebSocketServer();
  port = await freePort();
  slack.override('apps.connections.open', () => ({ body: { ok: true, url: `ws://127.0.0.1:${ws.port}/link/?ticket=fake-ticket` } }));
});
afterAll(async () => {
  await app?.stop().catch(() => {});
  for (const runtime of runtimes) await runtime.close();
  for (const peer of ws?.peers ?? []) peer.socket.destroy();
  ws?.server.closeAllConnections();
  await new Promise((r) => ws?.server.close(r));
  await slack?.close();
});

describe('Socket Mode', () => {
  it('HTTP mode without an app token; Socket Mode with one, and no signing secret is needed', () => {
    const http = socketApp({});
    expect((http.app as unknown as { receiver: unknown }).receiver).toBeInstanceOf(HTTPReceiver);

    const { config, app: socket } = socketApp({
      SLACK_APP_TOKEN: 'xapp-1-A0001-0000-fake',
      SLACK_SIGNING_SECRET: undefined,
      EXOTEL_WEBHOOK_SECRET: 'socket-mode-webhook-secret-01',
    });
    expect(config.slack.socketMode).toBe(true);
    expect(config.slack.signingSecret).toBeUndefined();
    const receiver = (socket as unknown as { receiver: unknown }).receiver;
    expect(receiver).toBeInstanceOf(SocketModeReceiver);
    expect(receiver).not.toBeInstanceOf(HTTPReceiver);
    app = socket;
  });

  it('connects through apps.connections.open on SLACK_API_URL and acks a slash command envelope with the help answer', async () => {
    await app.start();
    const open = slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    // The app-level token, not the bot token, opens the connection.
    expect(open[0]!.authorization).toBe('Bearer xapp-1-A0001-0000-fake');
    const peer = await ws.connected;

    peer.send({
      envelope_id: 'env-help-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        ...slashCommand('help', { response_url: slack.responseUrl('socket-help'), trigger_id: 'trigger.socket.1' }),
        is_enterprise_install: 'false',
      },
    });
    const ack = (await peer.next((m) => (m as { envelope_id?: string }).envelope_id === 'env-help-1')) as {
      envelope_id: string;
      payload: { response_type: string; text: string; blocks: unknown[] };
    };
    expect(ack.payload.response_type).toBe('ephemeral');
    expect(ack.payload.text).toContain('`/campaign help` — show these commands');
    expect(ack.payload.text).toContain('`/campaign status &lt;name&gt;`');
    expect(ack.payload.blocks.length).toBeGreaterThan(0);
    // The answer went back on the socket, not to the response_url.
    expect(slack.callsTo('response_url')).toEqual([]);

    // The custom routes (health, Exotel callbacks) are served on PORT in Socket Mode too.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const callback = (secret: string) =>
      fetch(`http://127.0.0.1:${port}/exotel/status/${secret}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ CallSid: 'sid-of-no-campaign', Status: 'completed', CustomField: 'not-an-attempt' }),
      });
    // A callback for no known attempt is accepted and changes nothing; a wrong secret is not found.
    const known = await callback('socket-mode-webhook-secret-01');
    expect([known.status, await known.text()]).toEqual([200, 'ok']);
    expect((await callback('wrong-secret-wrong-secret')).status).toBe(404);
  });
});
