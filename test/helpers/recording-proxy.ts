// An HTTP proxy that records every request passing through it, with the time it arrived, before forwarding it to the
// target unchanged. Put one in front of a shared server per client process, and the records say which process sent
// what and when (the server alone cannot tell its clients apart).
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** When the request's headers reached the proxy. */
  at: Date;
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The body as text ('' without one). */
  body: string;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`, to give the client instead of the target. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    const record: ProxiedRequest = { at: new Date(), method: req.method ?? 'GET', url: req.url ?? '/', body: '' };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      record.body = body.toString('utf8');
      const headers: IncomingHttpHeaders = { ...req.headers, host: to.host };
      const upstream = request({ hostname: to.hostname, port: to.port, method: record.method, path: record.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      // The target reset or dropped the connection: do the same to the client, so it sees what it would have seen.
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
