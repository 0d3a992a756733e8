import { stringify } from 'csv-stringify/sync';
import type { ImportReport, InvalidRow } from '../../campaigns/contacts-import.js';
import { neutralize } from '../../campaigns/contacts-export.js';
import { escapeText } from './format.js';

/** Invalid rows listed in the thread up to this many; beyond, they come as an attached CSV. */
export const INLINE_INVALID_ROWS = 20;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Imported 95 contacts into `emi-reminder`: 3 duplicates, 1 on the do-not-call list, 2 invalid rows." */
export function importSummary(campaignName: string, report: ImportReport): string {
  const parts = [
    plural(report.duplicates, 'duplicate', 'duplicates'),
    `${report.dnc} on the do-not-call list`,
    plural(report.invalid.length, 'invalid row', 'invalid rows'),
  ];
  const head = `Imported ${plural(report.imported, 'contact', 'contacts')} into \`${campaignName}\``;
  if (report.rows === 0) return `${head}: the list had no rows with numbers.`;
  const tail =
    report.invalid.length === 0
      ? ''
      : report.invalid.length <= INLINE_INVALID_ROWS
        ? ' The invalid rows are listed in the thread.'
        : ' The invalid rows are in the attached file.';
  return `${head}: ${parts.join(', ')}.${tail}`;
}

export function invalidRowLine(r: InvalidRow): string {
  const value = r.value ? `\`${escapeText(r.value.replace(/`/g, "'"))}\`` : '(empty)';
  return `• Row ${r.row}: ${value} — ${escapeText(r.reason)}`;
}

export function invalidRowsText(rows: readonly InvalidRow[]): string {
  return rows.map(invalidRowLine).join('\n');
}

export function invalidRowsCsv(rows: readonly InvalidRow[]): string {
  return stringify(
    rows.map((r) => [String(r.row), neutralize(r.value), neutralize(r.reason)]),
    { header: true, columns: ['row', 'value', 'reason'], bom: true },
  );
}
