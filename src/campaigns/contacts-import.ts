// Reads a contact list (CSV file or pasted text) into a campaign, streaming: header detection (number / phone /
// mobile, name, description, any order, any case) or a headerless first column of numbers; comma, semicolon or
// tab; UTF-8 with or without BOM, or UTF-16 with a BOM; quoted fields. Every number is normalised. A bad row never
// blocks the good ones: the file is read line by line (a quoted field may span a few lines), each line parsed by
// csv-parse on its own, so an unbalanced quote costs only its own row. Numbers already in the campaign or repeated in
// the upload are duplicates; numbers on the workspace's do-not-call list are imported as skipped.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse/sync';
import mongoose, { type Types } from 'mongoose';
import type { Store } from '../store/store.js';
import { normalizePhone } from './phone.js';

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
const MAX_LINE = 64 * 1024;
/** A quoted field may hold line breaks; a record may span at most this many lines. */
const MAX_LINES_PER_RECORD = 4;
const CHUNK = 1_000;

const NUMBER_HEADERS = new Set(['number', 'phone', 'mobile', 'phone number', 'mobile number', 'phone_number', 'mobile_number', 'phone no', 'mobile no', 'contact number', 'msisdn', 'cell']);
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
  delimiter: ',' | ';' | '\t';
}

/** The file as a whole cannot be read; nothing was imported. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

interface Columns {
  number: number;
  name: number | undefined;
  description: number | undefined;
}

async function* decoded(source: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let bytes = 0;
  let first = true;
  // The first bytes of a stream that arrived in a piece too short to hold a UTF-16 BOM.
  let head: Buffer | undefined;
  for await (const piece of source) {
    if (typeof piece === 'string') {
      bytes += Buffer.byteLength(piece);
      if (bytes > maxBytes) throw new ImportError(tooBig(maxBytes));
      yield piece;
      continue;
    }
    bytes += piece.length;
    if (bytes > maxBytes) throw new ImportError(tooBig(maxBytes));
    let chunk = piece;
    if (first) {
      chunk = head ? Buffer.concat([head, piece]) : piece;
      if (chunk.length < 2) {
        head = chunk;
        continue;
      }
      head = undefined;
      first = false;
      const utf16 = chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : chunk[0] === 0xfe && chunk[1] === 0xff ? 'utf-16be' : undefined;
      decoder = new TextDecoder(utf16 ?? 'utf-8', { fatal: false, ignoreBOM: false });
      if (!utf16 && chunk.subarray(0, 8192).includes(0)) {
        throw new ImportError('This file does not look like text: it holds binary data. Upload a CSV file (comma, semicolon or tab separated), or paste the numbers.');
      }
    }
    yield decoder!.decode(chunk, { stream: true });
  }
  if (head) yield new TextDecoder('utf-8').decode(head);
  if (decoder) {
    const rest = decoder.decode();
    if (rest) yield rest;
  }
}

function tooBig(maxBytes: number): string {
  return `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Split it into smaller files and add each with \`/campaign add\`.`;
}

/** The delimiter used most in the line outside quotes, or undefined when it holds none. */
function pickDelimiter(line: string): ImportReport['delimiter'] | undefined {
  const outside = line.replace(/"[^"]*"/g, '');
  const counts = { ',': 0, ';': 0, '\t': 0 } as Record<ImportReport['delimiter'], number>;
  for (const ch of outside) if (ch in counts) counts[ch as ImportReport['delimiter']] += 1;
  const best = (Object.entries(counts) as Array<[ImportReport['delimiter'], number]>).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : undefined;
}

function parseLine(text: string, delimiter: string): string[] | null {
  // Most lines hold no quote: split them directly (what csv-parse gives for them), which is several times faster.
  if (!text.includes('"')) {
    const cells = text.replace(/^\uFEFF/, '').split(delimiter).map((c) => c.trim());
    return cells.length === 1 && cells[0] === '' ? [] : cells;
  }
  try {
    const records = parse(text, { delimiter, relax_column_count: true, relax_quotes: true, trim: true, bom: true, skip_empty_lines: true }) as string[][];
    return records.length === 1 ? records[0]! : records.length === 0 ? [] : null;
  } catch {
    return null;
  }
}

function headerColumns(cells: string[]): Columns | 'no-number' | null {
  const lower = cells.map((c) => c.trim().toLowerCase().replace(/\s+/g, ' '));
  const number = lower.findIndex((c) => NUMBER_HEADERS.has(c));
  const name = lower.findIndex((c) => NAME_HEADERS.has(c));
  const description = lower.findIndex((c) => DESCRIPTION_HEADERS.has(c));
  if (number >= 0) return { number, name: name >= 0 ? name : undefined, description: description >= 0 ? description : undefined };
  // Known header words but no number column, or a first row of words only: a header we cannot use.
  if (name >= 0 || description >= 0) return 'no-number';
  return null;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Splits text into lines, yielding each with its 1-based line number; over-long lines are yielded cut and flagged. */
async function* lines(text: AsyncIterable<string>): AsyncGenerator<{ line: string; n: number; tooLong: boolean }> {
  const rl = createInterface({ input: Readable.from(text), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n += 1;
    yield line.length > MAX_LINE ? { line: line.slice(0, 200), n, tooLong: true } : { line, n, tooLong: false };
  }
}

export interface ImportTarget {
  campaignId: Types.ObjectId;
  teamId: string;
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
  const iterable: AsyncIterable<Buffer | string> =
    typeof source === 'string'
      ? (async function* () {
          yield source;
        })()
      : source;
  const report: ImportReport = { rows: 0, imported: 0, duplicates: 0, dnc: 0, invalid: [], header: false, delimiter: ',' };

  const existing = new Set<string>();
  for await (const c of store.Contact.find({ campaign_id: target.campaignId }, { phone: 1 }).lean().cursor()) existing.add(c.phone);
  const seen = new Set<string>();
  let batch: Array<{ phone: string; name: string; description: string }> = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const dncPhones = new Set(
      (await store.Dnc.find({ team_id: target.teamId, phone: { $in: rows.map((r) => r.phone) } }, { phone: 1 }).lean()).map((d) => d.phone),
    );
    // Ids chosen here, so after a failed bulk insert we can tell which of our documents it stored anyway.
    const docs = rows.map((r) =>
      dncPhones.has(r.phone)
        ? { _id: new mongoose.Types.ObjectId(), campaign_id: target.campaignId, ...r, call_status: 'skipped' as const, skip_reason: 'dnc' as const }
        : { _id: new mongoose.Types.ObjectId(), campaign_id: target.campaignId, ...r },
    );
    try {
      await store.Contact.insertMany(docs, { ordered: false });
      report.dnc += dncPhones.size;
      report.imported += docs.length - dncPhones.size;
    } catch {
      // Someone added the same numbers at the same moment. An unordered insert stores every document it can before
      // failing: count those, then insert the rest one by one, counting the numbers taken meanwhile as duplicates.
      const stored = new Set(
        (await store.Contact.find({ _id: { $in: docs.map((d) => d._id) } }, { _id: 1 }).lean()).map((d) => String(d._id)),
      );
      for (const doc of docs) {
        if (stored.has(String(doc._id))) {
          if ('skip_reason' in doc) report.dnc += 1;
          else report.imported += 1;
          continue;
        }
        try {
          await store.Contact.create(doc);
          if ('skip_reason' in doc) report.dnc += 1;
          else report.imported += 1;
        } catch (error) {
          if ((error as { code?: number }).code === 11000) report.duplicates += 1;
          else throw error;
        }
      }
    }
  };

  let columns: Columns | undefined;
  let pending: { text: string; n: number; parts: number } | undefined;
  let sawContent = false;
  // A first line of one column ("phone", or a lone number) does not tell the delimiter: the first line that does decides.
  let delimiterKnown = false;

  const handleRecord = async (cells: string[], n: number) => {
    if (cells.every((c) => c.trim() === '')) return;
    if (!columns) {
      const header = headerColumns(cells);
      if (header === 'no-number') {
        throw new ImportError('The first row is a header without a number column. Name the column with the phone numbers `number`, `phone` or `mobile`.');
      }
      if (header) {
        columns = header;
        report.header = true;
        return;
      }
      columns = { number: 0, name: 1, description: 2 };
    }
    report.rows += 1;
    const raw = (cells[columns.number] ?? '').trim();
    const phone = normalizePhone(raw);
    if (!phone.ok) {
      report.invalid.push({ row: n, value: cut(raw, 60), reason: raw === '' ? 'No number in this row.' : phone.reason });
      return;
    }
    if (existing.has(phone.phone) || seen.has(phone.phone)) {
      report.duplicates += 1;
      return;
    }
    seen.add(phone.phone);
    batch.push({
      phone: phone.phone,
      name: cut((columns.name !== undefined ? cells[columns.name] : '')?.trim() ?? '', 200),
      description: cut((columns.description !== undefined ? cells[columns.description] : '')?.trim() ?? '', 1000),
    });
    if (batch.length >= CHUNK) await flush();
  };

  const unreadable = (n: number, text: string) => {
    report.rows += 1;
    report.invalid.push({ row: n, value: cut(text.trim(), 60), reason: 'This row cannot be read: a quote (") is not closed.' });
  };

  // Lines given back after a failed multi-line record, read again before the next line of the file.
  const replay: Array<{ line: string; n: number }> = [];
  const consume = async (line: string, n: number) => {
    const text = pending ? `${pending.text}\n${line}` : line;
    const startN = pending?.n ?? n;
    const parts = (pending?.parts ?? 0) + 1;
    const quotes = (text.match(/"/g) ?? []).length;
    if (quotes % 2 === 1 && parts < MAX_LINES_PER_RECORD) {
      pending = { text, n: startN, parts };
      return;
    }
    pending = undefined;
    const cells = quotes % 2 === 1 ? null : parseLine(text, report.delimiter);
    if (cells !== null) return handleRecord(cells, startN);
    // Give up the first line alone; the lines after it are read again on their own.
    const group = text.split('\n');
    unreadable(startN, group[0]!);
    replay.push(...group.slice(1).map((l, i) => ({ line: l, n: startN + 1 + i })));
  };
  const drain = async () => {
    while (replay.length > 0) {
      const next = replay.shift()!;
      await consume(next.line, next.n);
    }
  };

  for await (const { line, n, tooLong } of lines(decoded(iterable, options.maxBytes ?? MAX_IMPORT_BYTES))) {
    if (!sawContent) {
      if (line.trim() === '') continue;
      sawContent = true;
    }
    if (!delimiterKnown && !tooLong) {
      const delimiter = pickDelimiter(line);
      if (delimiter) {
        report.delimiter = delimiter;
        delimiterKnown = true;
      }
    }
    if (tooLong) {
      if (pending) {
        const group = pending.text.split('\n');
        pending = undefined;
        unreadable(Number(n) - group.length, group[0]!);
        replay.push(...group.slice(1).map((l, i) => ({ line: l, n: n - group.length + 1 + i })));
        await drain();
      }
      report.rows += 1;
      report.invalid.push({ row: n, value: cut(line, 60), reason: `This row is longer than ${MAX_LINE / 1024} KB.` });
      continue;
    }
    await consume(line, n);
    await drain();
  }
  while (pending) {
    const group = (pending as { text: string }).text.split('\n');
    const startN = (pending as { n: number }).n;
    pending = undefined;
    unreadable(startN, group[0]!);
    replay.push(...group.slice(1).map((l, i) => ({ line: l, n: startN + 1 + i })));
    await drain();
  }
  await flush();
  // Counters follow with one $inc (a recount would read every contact of the campaign again): the import only adds
  // pending contacts and skipped ones.
  if (report.imported + report.dnc > 0) {
    await store.Campaign.updateOne(
      { _id: target.campaignId },
      { $inc: { total_contacts: report.imported + report.dnc, contacts_skipped: report.dnc } },
    );
  }
  return report;
}
