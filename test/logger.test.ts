import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText } from '../src/logger.js';
import { boltLogger } from '../src/slack/bolt-logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination, pretty: false });
  return { log, output: () => lines.join('') };
}

const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const PHONE = '919876543210';

describe('redaction', () => {
  it('removes tokens, secrets, Authorization headers and full phone numbers inside objects', () => {
    const { log, output } = capture();
    log.info(
      {
        config: { slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET } },
        request: { headers: { Authorization: 'Basic a2V5OnRva2VuLXNlY3JldA==' } },
        contact: { phone: PHONE, name: 'Asha' },
        call: { From: '09876543210', note: `dialled +91 98765 43210 with ${BOT_TOKEN}` },
        list: [{ number: '9876543210' }],
      },
      `calling ${PHONE}`,
    );
    const out = output();
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).not.toContain(SIGNING_SECRET);
    expect(out).not.toContain('a2V5OnRva2VuLXNlY3JldA==');
    expect(out).not.toMatch(/98765\s?4?3?210/);
    expect(out).not.toContain('9876543210');
    expect(out).toContain('3210');
    expect(out).toContain('Asha');
    const line = JSON.parse(out);
    expect(line.contact.phone).toBe('••••••••3210');
    expect(line.msg).toBe('calling ••••••••3210');
  });

  it('redacts errors, their messages and child logger bindings', () => {
    const { log, output } = capture();
    const child = log.child({ contact: { phone: PHONE }, token: BOT_TOKEN });
    const err = Object.assign(new Error(`Exotel refused ${PHONE} for key ${BOT_TOKEN}`), { authToken: 'tok-123' });
    child.error({ err }, 'dial failed');
    const out = output();
    expect(out).not.toContain(PHONE);
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).not.toContain('tok-123');
    expect(JSON.parse(out).err.message).toContain('3210');
  });

  it('leaves ObjectIds with long digit runs alone', () => {
    expect(redactText('contact 6b0661484a5912345678901d done')).toBe('contact 6b0661484a5912345678901d done');
  });

  it('leaves Slack timestamps, ids and short numbers alone', () => {
    expect(redactText('ts 1732512345.123456 in C0123 after 42 tries, 2026-11-25')).toBe(
      'ts 1732512345.123456 in C0123 after 42 tries, 2026-11-25',
    );
  });

  it('hides everything after /exotel/<route>/ in any logged string, so the webhook secret never shows', () => {
    const { log, output } = capture();
    const secret = 'wh-5ecret-0123456789abcdef';
    log.info(`Unhandled HTTP request (GET) made to /exotel/status/${secret}`);
    log.info({ url: `https://bot.example.com/exotel/greeting/${secret}?CallSid=abc&From=09876543210` }, 'greeting');
    log.warn({ err: new Error(`POST http://127.0.0.1:3000/exotel/passthru/${secret}/extra failed`) }, 'callback failed');
    log.child({ callback: `/exotel/status/${secret}` }).info('bound');
    const out = output();
    expect(out).not.toContain(secret);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].msg).toBe('Unhandled HTTP request (GET) made to /exotel/status/[redacted]');
    expect(lines[1].url).toBe('https://bot.example.com/exotel/greeting/[redacted]?CallSid=abc&From=•••••••3210');
    expect(lines[2].err.message).toBe('POST http://127.0.0.1:3000/exotel/passthru/[redacted] failed');
    expect(lines[3].callback).toBe('/exotel/status/[redacted]');
  });

  it('leaves other paths alone', () => {
    for (const text of [
      '/exotel/status',
      'GET /healthz',
      '/slack/events',
      'see /exotel/ for details',
      'https://api.exotel.com/v1/Accounts/acme/Calls/connect.json',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('redacts what Bolt logs, strings and objects alike', () => {
    const { log, output } = capture();
    const bolt = boltLogger(log);
    bolt.info('An unhandled HTTP request (HEAD) made to', '/exotel/status/wh-5ecret-0123456789abcdef', 'was ignored');
    bolt.debug('options', { signingSecret: SIGNING_SECRET, token: BOT_TOKEN, port: 3000 });
    const out = output();
    expect(out).not.toContain('wh-5ecret-0123456789abcdef');
    expect(out).not.toContain(SIGNING_SECRET);
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).toContain('/exotel/status/[redacted] was ignored');
    expect(out).toContain('\\"port\\":3000');
  });
});
