import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export class FileDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileDownloadError';
  }
}

/** The hosts the bot token may be sent to: Slack's own, or the configured Web API host (a proxy, or a test double). */
function trusted(url: URL, slackApiUrl: string): boolean {
  const api = new URL(slackApiUrl);
  return url.host === api.host || (url.protocol === 'https:' && (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com')));
}

/**
 * Streams an uploaded file from its `url_private_download` with the bot token as Bearer (Slack's requirement).
 * Refuses files over `maxBytes` by their declared size and by what actually arrives.
 */
export async function downloadSlackFile(
  urlText: string,
  token: string,
  slackApiUrl: string,
  maxBytes: number,
): Promise<AsyncIterable<Buffer>> {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new FileDownloadError('The uploaded file has no download address.');
  }
  if (!trusted(url, slackApiUrl)) throw new FileDownloadError('The uploaded file is not on Slack; it was not downloaded.');
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'follow', signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new FileDownloadError(`The file could not be downloaded from Slack (${(error as Error).message}). Try again.`);
  }
  if (!res.ok || !res.body) {
    throw new FileDownloadError(
      `Slack answered ${res.status} when the file was downloaded. Check that the app has the files:read scope, then try again.`,
    );
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body.cancel();
    throw new FileDownloadError(`The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`);
  }
  return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
}
