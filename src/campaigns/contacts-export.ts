// Every contact of a campaign as CSV, streamed from a database cursor through csv-stringify into a file, so memory
// stays flat whatever the campaign's size. Cells that a spreadsheet would run as a formula are neutralised.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { CampaignFields } from '../store/campaign-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';

export const EXPORT_COLUMNS = [
  'number',
  'name',
  'description',
  'call_status',
  'attempts',
  'call_sid',
  'outcome',
  'answered_by',
  'key_pressed',
  'key_meaning',
  'started_at',
  'ended_at',
  'duration_seconds',
  'next_attempt_at',
  'error',
] as const;

/**
 * A cell starting with =, +, -, @ (or a tab or carriage return, which some spreadsheets strip first) is prefixed
 * with ' so it is shown as text, never evaluated (CSV injection).
 */
export function neutralize(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function row(c: ContactFields, campaign: Pick<CampaignFields, 'keys' | 'columns'>): string[] {
  const iso = (d: Date | null) => (d ? d.toISOString() : '');
  const outcome = ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(c.call_status) ? c.call_status : (c.last_outcome ?? '');
  return [
    c.phone,
    c.name,
    c.description,
    c.call_status === 'skipped' && c.skip_reason
      ? `skipped (${c.skip_reason})`
      : c.call_status === 'pending' && c.last_outcome
        ? 'retrying'
        : c.call_status,
    String(c.attempts),
    c.call_sid ?? '',
    outcome,
    c.answered_by ?? '',
    c.digits ?? '',
    c.digits ? (campaign.keys?.[c.digits] ?? '') : '',
    iso(c.call_started_at),
    iso(c.call_ended_at),
    c.call_duration === null || c.call_duration === undefined ? '' : String(c.call_duration),
    c.call_status === 'pending' && c.last_outcome ? iso(c.next_attempt_at) : '',
    c.call_error ?? '',
    ...campaign.columns.map((k) => c.fields?.[k] ?? ''),
  ].map(neutralize);
}

export interface ExportFile {
  path: string;
  rows: number;
  bytes: number;
  /** Removes the file and its folder. */
  remove(): Promise<void>;
}

/** Every contact of the campaign, with its extra CSV columns after the standard ones. */
export async function exportContacts(store: Store, campaign: Pick<CampaignFields, '_id' | 'keys' | 'columns'>): Promise<ExportFile> {
  const campaignId = campaign._id;
  const dir = await mkdtemp(join(tmpdir(), 'campaign-export-'));
  const path = join(dir, 'contacts.csv');
  let rows = 0;
  // Insertion order is sequence order; a sort would make the embedded database hold the whole campaign in memory.
  const cursor = store.Contact.find({ campaign_id: campaignId }).lean().cursor({ batchSize: 500 });
  const toRow = new Transform({
    objectMode: true,
    transform(contact: ContactFields, _enc, done) {
      rows += 1;
      done(null, row(contact, campaign));
    },
  });
  try {
    await pipeline(
      Readable.from(cursor),
      toRow,
      stringify({ header: true, columns: [...EXPORT_COLUMNS, ...campaign.columns], bom: true }),
      createWriteStream(path),
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const { size } = await stat(path);
  return { path, rows, bytes: size, remove: () => rm(dir, { recursive: true, force: true }) };
}
