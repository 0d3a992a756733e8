/**
 * Exotel India writes timestamps as IST wall-clock time (`YYYY-MM-DD HH:mm:ss`, no zone) in responses, callbacks and
 * the `DateCreated` list filter. IST is a fixed UTC+05:30 with no daylight saving, so a constant offset is exact.
 */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;

/** Formats an instant as Exotel's IST wall-clock string, e.g. 2024-01-15T04:00:00Z → `2024-01-15 09:30:00`. */
export function formatExotelTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new TypeError('Expected `date` to be a valid Date, got an invalid Date');
  return new Date(date.getTime() + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Reads an Exotel timestamp. A zone-less wall-clock string is IST; a string that carries its own zone (ISO 8601 with
 * `Z`/offset, RFC 2822) is taken at its word, since the newer API pages show both. Empty or unreadable → null: a
 * missing time must not make a whole call record unreadable.
 */
export function parseExotelTime(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '' || text.startsWith('0000-00-00')) return null;
  const match = WALL_CLOCK.exec(text);
  if (match) {
    const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s) - IST_OFFSET_MS;
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2}|GMT|UTC)$/i.test(text);
  if (!hasZone) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}
