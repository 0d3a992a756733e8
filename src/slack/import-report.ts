import type { WebClient } from '@slack/web-api';
import type { ImportReport } from '../campaigns/contacts-import.js';
import type { Logger } from '../logger.js';
import { importSummary, INLINE_INVALID_ROWS, invalidRowsCsv, invalidRowsText } from './blocks/import-report-blocks.js';

export interface ReportTarget {
  /** Where the command was typed; the report falls back to a DM when the bot cannot post there. */
  channel: string | null;
  userId: string;
}

/** Posts a message in the channel, or in a DM with the user when the channel is unavailable; returns where. */
export async function postToChannelOrUser(
  client: WebClient,
  target: ReportTarget,
  text: string,
  log: Logger,
): Promise<{ channel: string; ts: string } | null> {
  if (target.channel) {
    try {
      const res = await client.chat.postMessage({ channel: target.channel, text });
      if (res.ts && res.channel) return { channel: res.channel, ts: res.ts };
    } catch (error) {
      log.info({ err: error }, 'could not post in the channel; sending a direct message instead');
    }
  }
  try {
    const dm = await client.conversations.open({ users: target.userId });
    const channel = dm.channel?.id;
    if (!channel) return null;
    const res = await client.chat.postMessage({ channel, text });
    return res.ts ? { channel, ts: res.ts } : null;
  } catch (error) {
    log.error({ err: error }, 'could not tell the user the import result');
    return null;
  }
}

/** The import answer: a summary, then every invalid row in its thread (or as an attached CSV when there are many). */
export async function postImportReport(
  client: WebClient,
  target: ReportTarget,
  campaignName: string,
  report: ImportReport,
  log: Logger,
): Promise<void> {
  const where = await postToChannelOrUser(client, target, importSummary(campaignName, report), log);
  if (!where || report.invalid.length === 0) return;
  try {
    if (report.invalid.length <= INLINE_INVALID_ROWS) {
      await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text: invalidRowsText(report.invalid) });
    } else {
      await client.filesUploadV2({
        channel_id: where.channel,
        thread_ts: where.ts,
        file: Buffer.from(invalidRowsCsv(report.invalid)),
        filename: `${campaignName}-invalid-rows.csv`,
        title: `Invalid rows (${report.invalid.length})`,
        initial_comment: `${report.invalid.length} rows could not be imported; each is listed with its row number and reason.`,
      });
    }
  } catch (error) {
    log.error({ err: error }, 'could not post the invalid rows');
  }
}
