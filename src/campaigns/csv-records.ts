// Reads a contact list (CSV file or pasted text) as records, streaming: UTF-8 with or without BOM, or UTF-16 with a
// BOM; comma, semicolon or tab (the first line that holds one decides); quoted fields, which may span a few lines. A
// bad row never blocks the good ones: the text is read line by line and each record parsed by csv-parse on its own,
// so an unbalanced quote costs only its own row.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse/sync';

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
const MAX_LINE = 64 * 1024;
/** A quoted field may hold line breaks; a record may span at most this many lines. */
const MAX_LINES_PER_RECORD = 4;

export type Delimiter = ',' | ';' | '\t';

/** The file as a whole cannot be read; nothing was imported. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

/** A record of cells, or a row that cannot be read, with its 1-based line number. */
export type CsvItem = { kind: 'record'; cells: string[]; n: number } | { kind: 'unreadable'; n: number; text: string; reason: string };

export interface CsvOptions {
  /** Larger input throws an ImportError. Default 10 MB. */
  maxBytes?: number;
  /** Told the delimiter once a line shows it. */
  onDelimiter?: (delimiter: Delimiter) => void;
}

/** The records of a CSV text, in order; never throws for a bad row, only for a file that cannot be read at all. */
export async function* csvRecords(source: AsyncIterable<Buffer | string> | string, options: CsvOptions = {}): AsyncGenerator<CsvItem> {
  const iterable: AsyncIterable<Buffer | string> =
    typeof source === 'string'
      ? (async function* () {
          yield source;
        })()
      : source;
  let delimiter: Delimiter = ',';
  let delimiterKnown = false;
  let sawContent = false;
  let pending: { text: string; n: number; parts: number } | undefined;
  // Lines given back after a failed multi-line record, read again before the next line of the file.
  const replay: Array<{ line: string; n: number }> = [];
  const unreadable = (n: number, text: string): CsvItem => ({
    kind: 'unreadable',
    n,
    text: text.trim(),
    reason: 'This row cannot be read: a quote (") is not closed.',
  });

  /** Adds a line to the record being read; returns what is complete. */
  const consume = (line: string, n: number): CsvItem[] => {
    const text = pending ? `${pending.text}\n${line}` : line;
    const startN = pending?.n ?? n;
    const parts = (pending?.parts ?? 0) + 1;
    const quotes = (text.match(/"/g) ?? []).length;
    if (quotes % 2 === 1 && parts < MAX_LINES_PER_RECORD) {
      pending = { text, n: startN, parts };
      return [];
    }
    pending = undefined;
    const cells = quotes % 2 === 1 ? null : parseLine(text, delimiter);
    if (cells !== null) return [{ kind: 'record', cells, n: startN }];
    // Give up the first line alone; the lines after it are read again on their own.
    return giveUp(text, startN);
  };
  const giveUp = (text: string, startN: number): CsvItem[] => {
    const group = text.split('\n');
    replay.push(...group.slice(1).map((l, i) => ({ line: l, n: startN + 1 + i })));
    return [unreadable(startN, group[0]!)];
  };
  const drain = function* (): Generator<CsvItem> {
    while (replay.length > 0) {
      const next = replay.shift()!;
      yield* consume(next.line, next.n);
    }
  };

  for await (const { line, n, tooLong } of lines(decoded(iterable, options.maxBytes ?? MAX_IMPORT_BYTES))) {
    if (!sawContent) {
      if (line.trim() === '') continue;
      sawContent = true;
    }
    if (!delimiterKnown && !tooLong) {
      const found = pickDelimiter(line);
      if (found) {
        delimiter = found;
        delimiterKnown = true;
        options.onDelimiter?.(found);
      }
    }
    if (tooLong) {
      if (pending) {
        const { text, n: startN } = pending;
        pending = undefined;
        yield* giveUp(text, startN);
        yield* drain();
      }
      yield { kind: 'unreadable', n, text: line, reason: `This row is longer than ${MAX_LINE / 1024} KB.` };
      continue;
    }
    yield* consume(line, n);
    yield* drain();
  }
  while (pending) {
    const { text, n: startN } = pending as { text: string; n: number };
    pending = undefined;
    yield* giveUp(text, startN);
    yield* drain();
  }
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
        throw new ImportError(
          'This file does not look like text: it holds binary data. Upload a CSV file (comma, semicolon or tab separated), or paste the numbers.',
        );
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
function pickDelimiter(line: string): Delimiter | undefined {
  const outside = line.replace(/"[^"]*"/g, '');
  const counts = { ',': 0, ';': 0, '\t': 0 } as Record<Delimiter, number>;
  for (const ch of outside) if (ch in counts) counts[ch as Delimiter] += 1;
  const best = (Object.entries(counts) as Array<[Delimiter, number]>).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : undefined;
}

function parseLine(text: string, delimiter: string): string[] | null {
  // Most lines hold no quote: split them directly (what csv-parse gives for them), which is several times faster.
  if (!text.includes('"')) {
    const cells = text
      .replace(/^\uFEFF/, '')
      .split(delimiter)
      .map((c) => c.trim());
    return cells.length === 1 && cells[0] === '' ? [] : cells;
  }
  try {
    const records = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
      bom: true,
      skip_empty_lines: true,
    }) as string[][];
    return records.length === 1 ? records[0]! : records.length === 0 ? [] : null;
  } catch {
    return null;
  }
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
