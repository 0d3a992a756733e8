/**
 * The one HTTP client the fake Exotel uses to call out (status callbacks, greeting and passthru applets). Plain
 * node:http with no agent, so nothing lingers after `close()` and a test's receiver sees a fresh connection each time,
 * as it would from Exotel.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface OutgoingRequest {
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Give up when the receiver has not answered within this long, ms. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface OutgoingResponse {
  status: number;
  /** The `content-type` header as answered; null when absent. */
  contentType: string | null;
  body: string;
}

/** Sends one request and reads the whole answer; rejects on a connection failure, a timeout or an abort. */
export function sendOutgoing(url: string, request: OutgoingRequest): Promise<OutgoingResponse> {
  return new Promise<OutgoingResponse>((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { 'user-agent': 'fake-exotel', ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const req = send(url, { method: request.method, agent: false, signal: request.signal, timeout: request.timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? null,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`receiver did not answer within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
