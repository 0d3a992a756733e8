// Imports a contact list into a campaign from the records of csv-records.ts: header detection (number / phone /
// mobile, name, description, any order, any case; every other named column is kept per contact, e.g. amount,
// due_date) or a headerless first column of numbers. Every number is normalised. Numbers already in the campaign or
// repeated in the upload are duplicates; numbers on the workspace's do-not-call list are imported as skipped.
import type { Types } from 'mongoose';
import { dncId } from '../store/dnc-model.js';
import type { Store } from '../store/store.js';
import { insertContacts, type NewContact } from './contact-insert.js';
import { csvRecords, ImportError, type Delimiter } from './csv-records.js';
import { normalizePhone } from './phone.js';

export { ImportError, MAX_IMPORT_BYTES } from './csv-records.js';

const CHUNK = 1_000;
const MAX_FIELDS = 20;
const MAX_FIELD_LENGTH = 500;

const NUMBER_HEADERS = new Set([
  'number',
  'phone',
  'mobile',
  'phone number',
  'mobile number',
  'phone_number',
  'mobile_number',
  'phone no',
  'mobile no',
  'contact number',
  'msisdn',
  'cell',
]);
const NAME_HEADERS = new Set(['name', 'full name', 'customer name', 'customer', 'full_name', 'customer_name']);
const DESCRIPTION_HEADERS = new Set(['description', 'desc', 'notes', 'note', 'details', 'remarks', 'comment', 'comments']);

export interface InvalidRow {
  /** 1-based line number in the file (the header, if any, is line 1). */
  row: number;
  /** What the row held where the number should be (cut to 60 characters). */
  value: string;
  reason: string;
}

export interface ImportReport {
  /** Data rows read (not counting the header and blank lines). */
  rows: number;
  imported: number;
  duplicates: number;
  /** Imported as skipped because the number is on the do-not-call list. */
  dnc: number;
  invalid: InvalidRow[];
  header: boolean;
  delimiter: Delimiter;
  /** Extra columns kept per contact (amount, due_date, …), by their key. */
  columns: string[];
}

export interface ImportTarget {
  campaignId: Types.ObjectId;
  teamId: string;
}

interface Columns {
  number: number;
  name: number | undefined;
  description: number | undefined;
  /** Other named columns: key → index. */
  extra: Array<[string, number]>;
}

/** A header cell as a field key: lowercase letters, digits and `_` (`Due Date` → `due_date`). */
export function columnKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
}

function headerColumns(cells: string[]): Columns | 'no-number' | null {
  const lower = cells.map((c) => c.trim().toLowerCase().replace(/\s+/g, ' '));
  const number = lower.findIndex((c) => NUMBER_HEADERS.has(c));
  const name = lower.findIndex((c) => NAME_HEADERS.has(c));
  const description = lower.findIndex((c) => DESCRIPTION_HEADERS.has(c));
  if (number >= 0) {
    const used = new Set([number, name, description]);
    const extra = cells
      .map((c, i): [string, number] => [columnKey(c), i])
      .filter(([key, i]) => !used.has(i) && /^[a-z]/.test(key))
      .slice(0, MAX_FIELDS);
    return { number, name: name >= 0 ? name : undefined, description: description >= 0 ? description : undefined, extra };
  }
  // Known header words but no number column, or a first row of words only: a header we cannot use.
  if (name >= 0 || description >= 0) return 'no-number';
  return null;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One import under way: the rows read so far, the numbers seen, and the batch waiting to be inserted. */
class ContactImport {
  readonly report: ImportReport = { rows: 0, imported: 0, duplicates: 0, dnc: 0, invalid: [], header: false, delimiter: ',', columns: [] };
  readonly #seen = new Set<string>();
  #batch: NewContact[] = [];
  #columns: Columns | undefined;

  constructor(
    private readonly store: Store,
    private readonly target: ImportTarget,
    /** Numbers the campaign already has. */
    private readonly existing: ReadonlySet<string>,
  ) {}

  /** A record of the file: the header (the first one, if it is one) or a contact. */
  async record(cells: string[], n: number): Promise<void> {
    if (cells.every((c) => c.trim() === '')) return;
    if (!this.#columns) {
      const header = headerColumns(cells);
      if (header === 'no-number') {
        throw new ImportError(
          'The first row is a header without a number column. Name the column with the phone numbers `number`, `phone` or `mobile`.',
        );
      }
      this.#columns = header ?? { number: 0, name: 1, description: 2, extra: [] };
      if (header) {
        this.report.header = true;
        this.report.columns = header.extra.map(([key]) => key);
        return;
      }
    }
    await this.#contact(cells, n, this.#columns);
  }

  /** A row that could not be read at all. */
  unreadable(n: number, text: string, reason: string): void {
    this.report.rows += 1;
    this.report.invalid.push({ row: n, value: cut(text, 60), reason });
  }

  async #contact(cells: string[], n: number, columns: Columns): Promise<void> {
    this.report.rows += 1;
    const raw = (cells[columns.number] ?? '').trim();
    const phone = normalizePhone(raw);
    if (!phone.ok) {
      this.report.invalid.push({ row: n, value: cut(raw, 60), reason: raw === '' ? 'No number in this row.' : phone.reason });
      return;
    }
    if (this.existing.has(phone.phone) || this.#seen.has(phone.phone)) {
      this.report.duplicates += 1;
      return;
    }
    this.#seen.add(phone.phone);
    const cell = (i: number | undefined, max: number) => cut((i !== undefined ? cells[i] : '')?.trim() ?? '', max);
    const fields = Object.fromEntries(columns.extra.map(([key, i]) => [key, cell(i, MAX_FIELD_LENGTH)]).filter(([, v]) => v !== ''));
    this.#batch.push({ phone: phone.phone, name: cell(columns.name, 200), description: cell(columns.description, 1000), fields });
    if (this.#batch.length >= CHUNK) await this.flush();
  }

  /** Inserts the batch; numbers on the do-not-call list are imported as skipped. */
  async flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const rows = this.#batch;
    this.#batch = [];
    const ids = rows.map((r) => dncId(this.target.teamId, r.phone));
    const dnc = new Set((await this.store.Dnc.find({ _id: { $in: ids } }, { phone: 1 }).lean()).map((d) => d.phone));
    const marked = rows.map((r) => (dnc.has(r.phone) ? { ...r, skip: 'dnc' as const } : r));
    const result = await insertContacts(this.store, this.target.campaignId, marked);
    this.report.imported += result.inserted;
    this.report.dnc += result.skipped;
    this.report.duplicates += result.duplicates;
  }
}

/**
 * Imports a contact list into a campaign. Throws ImportError when the file as a whole cannot be used (too big,
 * binary, no number column); otherwise returns what happened to every row.
 */
export async function importContacts(
  store: Store,
  target: ImportTarget,
  source: AsyncIterable<Buffer | string> | string,
  options: { maxBytes?: number } = {},
): Promise<ImportReport> {
  const existing = new Set<string>();
  for await (const c of store.Contact.find({ campaign_id: target.campaignId }, { phone: 1 }).lean().cursor()) existing.add(c.phone);
  const run = new ContactImport(store, target, existing);
  const records = csvRecords(source, { ...options, onDelimiter: (d) => (run.report.delimiter = d) });
  for await (const item of records) {
    if (item.kind === 'record') await run.record(item.cells, item.n);
    else run.unreadable(item.n, item.text, item.reason);
  }
  await run.flush();
  if (run.report.columns.length > 0) {
    await store.Campaign.updateOne({ _id: target.campaignId }, { $addToSet: { columns: { $each: run.report.columns } } });
  }
  return run.report;
}
