import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppletCall } from '../campaigns/call-attempt.js';
import { sameSecret } from './exotel-status-route.js';

/** A request from a call flow applet (Greeting, Passthru): Exotel's query parameters. */
export interface AppletRequest {
  call: AppletCall;
  query: URLSearchParams;
}

/**
 * Reads an applet's request when the path's secret is ours (compared in constant time), else null: the caller answers
 * 404. Bolt puts the path's `:secret` in `req.params`.
 */
export function appletRequest(req: IncomingMessage, secret: string): AppletRequest | null {
  const given = (req as IncomingMessage & { params?: Record<string, string> }).params?.secret ?? '';
  if (!sameSecret(given, secret)) return null;
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const value = (name: string) => {
    const v = query.get(name)?.trim();
    return v ? v : null;
  };
  return { call: { customField: value('CustomField'), callSid: value('CallSid') }, query };
}

/**
 * Answers with `Content-Type: text/plain` exactly — Exotel's Greeting applet accepts nothing else (no charset) — and
 * the body's length; a HEAD request gets the same headers and no body.
 */
export function answerPlain(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
