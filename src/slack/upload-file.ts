import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { WebClient } from '@slack/web-api';

export interface UploadTarget {
  channel: string;
  threadTs?: string;
  filename: string;
  title: string;
  comment: string;
}

/** The bytes of a file: streamed from disk, or held in memory (a rendered chart). */
export type UploadBody = { path: string; bytes: number } | { data: Buffer };

/**
 * Uploads a file into a channel or thread (Slack's external upload: get an upload URL, send the bytes, complete). A
 * file on disk is streamed: the SDK's filesUploadV2 reads the whole file into memory first; this does not.
 */
export async function uploadFile(client: WebClient, body: UploadBody, target: UploadTarget): Promise<void> {
  const length = 'data' in body ? body.data.length : body.bytes;
  const { upload_url: uploadUrl, file_id: fileId } = await client.files.getUploadURLExternal({ filename: target.filename, length });
  if (!uploadUrl || !fileId) throw new Error('Slack gave no upload address');
  const res = await fetch(uploadUrl, {
    method: 'POST',
    // fetch sets the length of a Buffer itself (and refuses a second one); a stream needs it said.
    headers: { 'content-type': 'application/octet-stream', ...('data' in body ? {} : { 'content-length': String(length) }) },
    body: 'data' in body ? body.data : (Readable.toWeb(createReadStream(body.path)) as unknown as ReadableStream),
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  if (!res.ok) throw new Error(`Slack refused the upload (HTTP ${res.status})`);
  await client.files.completeUploadExternal({
    files: [{ id: fileId, title: target.title }],
    channel_id: target.channel,
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
    initial_comment: target.comment,
  });
}
