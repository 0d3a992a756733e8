// 500 random and hostile contact files (deterministic seed) through importContacts on the real database. Each file
// is good rows — valid numbers known in advance — interleaved with hostile rows: random bytes, 1 MB lines, unbalanced
// quotes, formula cells, rows in another delimiter, NUL bytes, thousands of columns, letters and short numbers; in
// UTF-8 (with or without BOM) or UTF-16 with a BOM; LF, CRLF, CR or mixed line ends; with or without a header, or only
// a header (sometimes with extra columns such as Amount and Due Date). Every file gets a sentence, no good row is
// lost, every good row keeps its extra columns, and the campaign view counts exactly the contacts stored.
//
// The one documented exception: a quote opened by a hostile row at the start of a field and closed by a later line
// (within the 4 lines a record may span) is a legitimate CSV field with line breaks, so the good rows between are
// inside it. The test computes exactly which good rows a quote could swallow that way and excuses only those.
import { describe, expect, it, beforeAll } from 'vitest';
import { ImportError, columnKey, importContacts, type ImportReport } from '../../src/campaigns/contacts-import.js';
import { importSummary } from '../../src/slack/blocks/import-report-blocks.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import { rng, type Rng } from '../helpers/seeded-random.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('import_fuzz');
});

type Delimiter = ',' | ';' | '\t';
type Encoding = 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be';

/** One line of the file: text (encoded with the file's encoding) or raw bytes (UTF-8 files only). */
interface Line {
  text?: string;
  bytes?: Buffer;
  /** The good number this line carries (first line of a good record), as stored: 91XXXXXXXXXX. */
  good?: string;
  hostile?: string;
  /** A valid number inside a hostile row (e.g. before an unclosed quote), which a reader may legitimately import. */
  carries?: string;
}

interface FuzzFile {
  lines: Line[];
  ends: string[];
  encoding: Encoding;
  delimiter: Delimiter;
  good: string[];
  /** The extra columns of each good row (non-empty cells only), by its number. */
  goodFields: Map<string, Record<string, string>>;
  /** The extra column keys the header names, in order. */
  columns: string[];
  kinds: Set<string>;
}

let numberSeq = 0;
/** A fresh valid mobile number (prefixes 90, 93–99 are all valid for any 8 following digits). */
function nextNumber(r: Rng): string {
  numberSeq += 1;
  return `${r.pick(['90', '93', '94', '95', '96', '97', '98', '99'])}${String(numberSeq).padStart(8, '0')}`;
}

function renderNumber(r: Rng, national: string): string {
  const forms = [national, `91${national}`, `+91${national}`, `0${national}`, `"${national}"`, ` ${national} `, `0091${national}`];
  forms.push(
    `+91 ${national.slice(0, 5)} ${national.slice(5)}`,
    `${national.slice(0, 5)}-${national.slice(5)}`,
    `"+91 (${national.slice(0, 5)}) ${national.slice(5)}"`,
  );
  return r.pick(forms);
}

function quoteIfNeeded(cell: string, d: Delimiter): string {
  return /[",;\t\r\n]/.test(cell) || cell.includes(d) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Header names of extra columns a file may carry (kept per contact as `amount`, `due_date`). */
const EXTRA_COLUMNS = new Set(['Amount', 'Due Date']);

const NAMES = ['Asha', 'Rao, K.', 'Zoë', 'राम', '=HYPERLINK("http://evil","x")', '+1+1', '@SUM(A1)', '-2', 'He said "hi"', ''];

function hostileRow(r: Rng, d: Delimiter, encoding: Encoding, allowHuge: boolean): Line {
  const other = r.pick([',', ';', '\t'].filter((x) => x !== d));
  const kinds = [
    'random-bytes',
    'unbalanced-quote',
    'formula',
    'mixed-delimiter',
    'nul',
    'many-columns',
    'letters',
    'short',
    'long-number',
    'not-indian',
    'landline',
    'empty-number',
    'lone-quote-line',
  ];
  if (allowHuge) kinds.push('huge-line');
  let kind = r.pick(kinds);
  // A NUL byte early in a UTF-8 file refuses the whole file as binary; keep those files a minority.
  if (kind === 'nul' && r.chance(0.75)) kind = 'letters';
  const n = nextNumber(r);
  const line = pickHostile(r, kind, n, d, other, encoding);
  return { ...line, hostile: kind, carries: `91${n}` };
}

function pickHostile(r: Rng, kind: string, n: string, d: Delimiter, other: string, encoding: Encoding): Line {
  switch (kind) {
    case 'random-bytes': {
      const len = r.int(1, 120);
      if (encoding === 'utf8' || encoding === 'utf8-bom') {
        // No NUL here (the "nul" kind has those); bytes 1..255 include quotes, delimiters, CR and LF.
        const bytes = Buffer.from(Array.from({ length: len }, () => r.int(1, 255)));
        return { bytes, hostile: kind };
      }
      return { text: String.fromCharCode(...Array.from({ length: len }, () => r.int(1, 0xd7ff))), hostile: kind };
    }
    case 'unbalanced-quote':
      return { text: r.pick([`"${n}${d}name`, `${n}${d}"unclosed`, `x${d}"${n}`, `"${n}`, `${n}"${d}y`, `""${n}"`]), hostile: kind };
    case 'formula':
      return { text: r.pick([`=1+2${d}x`, `@SUM(A1:A9)${d}y`, `-5${d}z`, `=cmd|' /C calc'!A0`, `+${n.slice(0, 4)}`]), hostile: kind };
    case 'mixed-delimiter':
      return { text: `${n}${other}Name${other}desc`, hostile: kind };
    case 'nul':
      return { text: r.pick([`${n.slice(0, 5)}\u0000${n.slice(5)}`, '\u0000\u0000\u0000', `\u0000${d}name`]), hostile: kind };
    case 'many-columns':
      return { text: `x${d}`.repeat(r.int(1_000, 15_000)), hostile: kind };
    case 'letters':
      return { text: `${n.slice(0, 4)}abc${n.slice(7)}${d}Name`, hostile: kind };
    case 'short':
      return { text: `${n.slice(0, r.int(1, 9))}${d}short`, hostile: kind };
    case 'long-number':
      return { text: `${n}${r.int(1, 999)}${d}long`, hostile: kind };
    case 'not-indian':
      return { text: r.pick(['+44 7911 123456', '+1 415 555 0100', '0044 20 7946 0958']), hostile: kind };
    case 'landline':
      return { text: `${r.pick(['080 2345 6789', '022 2345 6789', '+91 80 2345 6789'])}${d}office`, hostile: kind };
    case 'empty-number':
      return { text: `${d}Nobody${d}no number`, hostile: kind };
    case 'lone-quote-line':
      return { text: '"', hostile: kind };
    default: // huge-line: 1 MB
      return { text: `${n}${d}${'y'.repeat(1024 * 1024)}`, hostile: kind };
  }
}

function makeFile(r: Rng): FuzzFile {
  const encoding = r.pick(['utf8', 'utf8', 'utf8', 'utf8-bom', 'utf16le', 'utf16be'] as const);
  const delimiter = r.pick([',', ';', '\t'] as const);
  const lineEnd = r.pick(['\n', '\r\n', '\r', 'mixed'] as const);
  const kinds = new Set<string>();
  const lines: Line[] = [];
  const good: string[] = [];
  const goodFields = new Map<string, Record<string, string>>();
  const onlyHeader = r.chance(0.04);
  const header = onlyHeader || r.chance(0.6);
  // Column order: where number, name and description go.
  const order = header
    ? r.pick([
        ['number', 'name', 'description'],
        ['name', 'description', 'number'],
        ['description', 'number', 'name'],
        ['Phone', 'Name'],
        ['MOBILE'],
        ['number', 'name', 'Amount'],
        ['Due Date', 'MOBILE', 'name', 'Amount'],
      ])
    : ['number', 'name', 'description'];
  const extras = order.filter((c) => EXTRA_COLUMNS.has(c));
  if (extras.length > 0) kinds.add('extra-columns');
  if (header) {
    lines.push({ text: order.map((c) => (r.chance(0.2) ? c.toUpperCase() : c)).join(delimiter) });
    kinds.add('header');
  }
  if (!onlyHeader) {
    const goodCount = r.int(0, 25);
    const hostileCount = r.int(0, 12);
    let hugeLeft = r.chance(0.06) ? 1 : 0;
    const slots = [...Array(goodCount).fill('g'), ...Array(hostileCount).fill('h')] as Array<'g' | 'h'>;
    for (let i = slots.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [slots[i], slots[j]] = [slots[j]!, slots[i]!];
    }
    // The first data row of a headerless file decides the delimiter (and whether there is a header): keep it good.
    if (!header && slots.length > 0 && slots[0] === 'h') {
      const g = slots.indexOf('g');
      if (g > 0) [slots[0], slots[g]] = [slots[g]!, slots[0]!];
    }
    for (const slot of slots) {
      if (slot === 'g') {
        const national = nextNumber(r);
        const cells: Record<string, string> = {
          number: renderNumber(r, national),
          name: quoteIfNeeded(r.pick(NAMES), delimiter),
          description: r.chance(0.1) ? '"first line\nsecond line"' : quoteIfNeeded(r.pick(['', 'owes 2 EMIs', 'call after 6']), delimiter),
        };
        const fields: Record<string, string> = {};
        for (const c of extras)
          if (r.chance(0.8)) fields[columnKey(c)] = c === 'Amount' ? String(r.int(1, 99_999)) : `2026-0${r.int(1, 9)}-1${r.int(0, 9)}`;
        for (const c of extras) cells[c.toLowerCase()] = fields[columnKey(c)] ?? '';
        const row = order.map((c) => cells[c.toLowerCase() === 'phone' || c.toLowerCase() === 'mobile' ? 'number' : c.toLowerCase()] ?? '');
        // Sometimes many trailing empty columns: still a good row. Not in a one-column file: there the first row
        // holding any delimiter decides it, and a hostile row in another delimiter may come first (ambiguous).
        const text = row.join(delimiter) + (order.length > 1 && r.chance(0.05) ? delimiter.repeat(r.int(100, 3_000)) : '');
        const parts = text.split('\n');
        lines.push({ text: parts[0]!, good: `91${national}` });
        for (const p of parts.slice(1)) lines.push({ text: p });
        good.push(`91${national}`);
        goodFields.set(`91${national}`, fields);
        if (r.chance(0.05)) {
          lines.push({ text: row.join(delimiter) });
          kinds.add('repeat');
        }
      } else {
        const line = hostileRow(r, delimiter, encoding, hugeLeft > 0);
        if (line.hostile === 'huge-line') hugeLeft -= 1;
        kinds.add(line.hostile!);
        lines.push(line);
      }
      if (r.chance(0.05)) lines.push({ text: '' });
    }
  }
  const ends = lines.map(() => (lineEnd === 'mixed' ? r.pick(['\n', '\r\n', '\r']) : lineEnd));
  if (r.chance(0.3)) ends[ends.length - 1] = '';
  return { lines, ends, encoding, delimiter, good, goodFields, columns: extras.map(columnKey), kinds };
}

function encode(file: FuzzFile): Buffer {
  const enc = (s: string): Buffer => {
    if (file.encoding === 'utf16le') return Buffer.from(s, 'utf16le');
    if (file.encoding === 'utf16be') return Buffer.from(s, 'utf16le').swap16();
    return Buffer.from(s, 'utf8');
  };
  const bom =
    file.encoding === 'utf8-bom'
      ? Buffer.from([0xef, 0xbb, 0xbf])
      : file.encoding === 'utf16le'
        ? Buffer.from([0xff, 0xfe])
        : file.encoding === 'utf16be'
          ? Buffer.from([0xfe, 0xff])
          : Buffer.alloc(0);
  return Buffer.concat([bom, ...file.lines.flatMap((l, i) => [l.bytes ?? enc(l.text ?? ''), enc(file.ends[i]!)])]);
}

/** Streams the file in chunks of random size, as a download arrives. */
async function* chunks(buf: Buffer, r: Rng): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; ) {
    const size = r.int(1, 64 * 1024);
    yield buf.subarray(i, i + size);
    i += size;
  }
}

/**
 * The good numbers a quote may legitimately swallow: lines after a line whose quote count is odd, up to the line
 * that makes it even again, when that happens within 4 lines. Computed on the physical lines as the reader sees them
 * (a raw-bytes row may itself hold line breaks), conservatively.
 */
function swallowable(file: FuzzFile): Set<string> {
  const physical: Array<{ quotes: number; good?: string; hostile: boolean }> = [];
  for (const l of file.lines) {
    const text = l.bytes ? l.bytes.toString('utf8') : (l.text ?? '');
    const parts = text.split(/\r\n|\r|\n/);
    for (const [i, p] of parts.entries())
      physical.push({ quotes: (p.match(/"/g) ?? []).length, good: i === 0 ? l.good : undefined, hostile: !!l.hostile });
  }
  const excused = new Set<string>();
  for (let i = 0; i < physical.length; i++) {
    if (!physical[i]!.hostile || physical[i]!.quotes % 2 === 0) continue;
    let total = physical[i]!.quotes;
    for (let j = i + 1; j < Math.min(physical.length, i + 4); j++) {
      total += physical[j]!.quotes;
      if (total % 2 === 0) {
        for (let k = i + 1; k <= j; k++) if (physical[k]!.good) excused.add(physical[k]!.good!);
        break;
      }
    }
  }
  return excused;
}

describe('500 hostile contact files', () => {
  it('never crash, always answer with a sentence, and lose no good row', async () => {
    const stats = { files: 0, reports: 0, refusedBinary: 0, goodRows: 0, imported: 0, excused: 0, kinds: new Map<string, number>() };
    const lost: string[] = [];
    // For investigating a failure: FUZZ_FROM=n FUZZ_FILES=n+1 FUZZ_DEBUG=1 replays file n alone and prints it.
    const FILES = Number(process.env.FUZZ_FILES ?? 500);
    const slow: Array<[number, number, string]> = [];
    // Each file has its own seed, so the files are the same whatever order the pool runs them in.
    const one = async (f: number) => {
      const r = rng(20_240_501 + f);
      const file = makeFile(r);
      const bytes = encode(file);
      const campaign = await store.Campaign.create({ team_id: 'T0001', name: `fuzz-${f}`, title: `Fuzz ${f}`, owner: 'U0OWNER' });
      let result: ImportReport | ImportError;
      const t0 = performance.now();
      try {
        result = await importContacts(store, { campaignId: campaign._id, teamId: 'T0001' }, chunks(bytes, r));
      } catch (error) {
        // Anything but an ImportError is a crash.
        expect(error, `file ${f}: ${String(error)}`).toBeInstanceOf(ImportError);
        result = error as ImportError;
      }
      slow.push([performance.now() - t0, f, `${[...file.kinds].join('/')} ${bytes.length}B ${file.encoding}`]);
      stats.files += 1;
      for (const k of file.kinds) stats.kinds.set(k, (stats.kinds.get(k) ?? 0) + 1);
      const contacts = await store.Contact.find({ campaign_id: campaign._id }, { phone: 1, fields: 1 }).lean();
      const stored = new Set(contacts.map((c) => c.phone));
      // The campaign view counts exactly what was stored, whatever the file did.
      const view = (await store.Campaign.findById(campaign._id).lean())!;
      expect(view.counts, `file ${f}: view`).toEqual(await countContacts(store, campaign._id));
      expect([view.total_contacts, view.counts.pending], `file ${f}: view`).toEqual([stored.size, stored.size]);
      if (result instanceof ImportError) {
        // Refusing the whole file is allowed only for binary data (a NUL byte in a file that is not UTF-16), and
        // then nothing is imported and the user is told why.
        const binary = file.encoding !== 'utf16le' && file.encoding !== 'utf16be' && bytes.includes(0);
        // Or: a headerless file whose first row is hostile and holds a header word ("Name"), read as a header
        // without a number column (the generator puts a good row first whenever the file has one).
        const badHeader = !file.kinds.has('header') && !!file.lines[0]?.hostile && file.good.length === 0;
        expect(binary || badHeader, `file ${f} refused: ${result.message}`).toBe(true);
        expect(result.message).toMatch(
          binary ? /^This file does not look like text/ : /^The first row is a header without a number column/,
        );
        expect(stored.size).toBe(0);
        stats.refusedBinary += 1;
        await store.Campaign.deleteOne({ _id: campaign._id });
        return;
      }
      stats.reports += 1;
      const sentence = importSummary(`fuzz-${f}`, result);
      expect(sentence).toMatch(/^Imported \d+ contacts? into `fuzz-\d+`: .+\.( The invalid rows are .+\.)?$/);
      expect(result.rows, `file ${f}: every row accounted for`).toBe(
        result.imported + result.duplicates + result.dnc + result.invalid.length,
      );
      expect(stored.size).toBe(result.imported);
      expect(result.columns, `file ${f}: extra columns`).toEqual(file.kinds.has('header') ? file.columns : []);
      const excusedFields = swallowable(file);
      for (const c of contacts) {
        const expected = file.goodFields.get(c.phone);
        if (expected && !excusedFields.has(c.phone)) expect(c.fields, `file ${f}: fields of ${c.phone}`).toEqual(expected);
      }
      for (const row of result.invalid) {
        expect(row.row).toBeGreaterThan(0);
        expect(row.reason).toMatch(/^(This row|The phone number|No number)/);
      }
      const excused = swallowable(file);
      stats.goodRows += file.good.length;
      for (const phone of file.good) {
        if (stored.has(phone)) stats.imported += 1;
        else if (excused.has(phone)) stats.excused += 1;
        else if (process.env.FUZZ_DEBUG)
          console.log(
            f,
            file.lines.map((l) => (l.text ?? '[bytes]').slice(0, 80)),
            file.ends,
            result,
          );
        if (!stored.has(phone) && !excused.has(phone))
          lost.push(`file ${f} (${file.encoding}, ${JSON.stringify(file.delimiter)}, kinds ${[...file.kinds].join('/')}): ${phone}`);
      }
      // Nothing but the good numbers, and numbers a hostile row holds before its hostile part.
      const carried = new Set(file.lines.map((l) => l.carries));
      for (const phone of stored)
        expect(file.good.includes(phone) || carried.has(phone), `file ${f}: unexpected contact ${phone}`).toBe(true);
      // Keep the collections small: the test server (FerretDB on SQLite) scans rather than uses indexes.
      await store.Contact.deleteMany({ campaign_id: campaign._id });
      await store.Campaign.deleteOne({ _id: campaign._id });
    };
    // A few imports at a time: each is mostly waiting on the database.
    let next = Number(process.env.FUZZ_FROM ?? 0);
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < FILES) await one(next++);
      }),
    );
    if (process.env.FUZZ_FILES) console.log(slow.sort((a, b) => b[0] - a[0]).slice(0, 15));
    console.log(`import fuzz: ${JSON.stringify({ ...stats, kinds: Object.fromEntries(stats.kinds) })}`);
    expect(lost).toEqual([]);
    expect(stats.files).toBe(FILES);
    // The generator really produced every hostile kind, and most files were read rather than refused.
    for (const kind of [
      'random-bytes',
      'huge-line',
      'unbalanced-quote',
      'formula',
      'mixed-delimiter',
      'nul',
      'many-columns',
      'header',
      'extra-columns',
    ]) {
      expect(stats.kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
    expect(stats.reports).toBeGreaterThan(400);
    expect(stats.excused).toBeLessThan(stats.goodRows / 50);
  }, 120_000);
});
