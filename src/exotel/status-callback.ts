import { callStatusSchema, type CallStatus } from './exotel-call.js';
import { parseExotelTime } from './exotel-time.js';

/** One leg of the call as Exotel reports it in `Legs[]`. */
export interface StatusCallbackLeg {
  status?: string;
  /** Seconds this leg was connected. */
  onCallDuration?: number;
  /** `human` or `machine`; absent when Exotel does not know (it sends `NA`). */
  answeredBy?: string;
}

/** What Exotel told us about a call when it changed state, in the project's vocabulary. */
export interface StatusCallback {
  callSid: string;
  status: CallStatus;
  /** `terminal` or `answered`; absent when the callback was configured without `StatusCallbackEvents`. */
  eventType?: string;
  /** Exactly what was sent as `CustomField` when the call was placed. */
  customField?: string;
  /** Exotel's echo of the number (often `0XXXXXXXXXX`); compare with `phonesEqual`. */
  from?: string;
  to?: string;
  dateCreated?: Date;
  dateUpdated?: Date;
  startTime?: Date;
  endTime?: Date;
  /** Seconds of conversation (`ConversationDuration`). */
  duration?: number;
  recordingUrl?: string;
  legs?: StatusCallbackLeg[];
}

/** A callback body that cannot be read; the HTTP handler answers 400 and the call is left to polling. */
export class StatusCallbackError extends Error {
  override readonly name = 'StatusCallbackError';
}

/**
 * Reads a callback body already decoded by {@link parseCallbackBody}. Field names follow Exotel's docs; values may be
 * strings (form bodies) or JSON values, and `Legs` may be an array, a JSON string, or flattened `Legs[0][Status]` keys.
 * Throws {@link StatusCallbackError} when `CallSid` or a known `Status` is missing.
 */
export function parseStatusCallback(body: Record<string, unknown>): StatusCallback {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StatusCallbackError('The status callback body is not an object.');
  }
  const callSid = text(body['CallSid']);
  if (callSid === undefined) throw new StatusCallbackError('The status callback has no CallSid.');
  const rawStatus = body['Status'] ?? body['CallStatus'];
  const status = callStatusSchema.safeParse(rawStatus);
  if (!status.success) {
    const shown = typeof rawStatus === 'string' ? JSON.stringify(rawStatus.slice(0, 40)) : 'none';
    throw new StatusCallbackError(`The status callback for ${callSid} has an unknown Status (${shown}).`);
  }

  const result: StatusCallback = { callSid, status: status.data };
  assign(result, 'eventType', text(body['EventType'])?.toLowerCase());
  // CustomField is ours, echoed verbatim: keep surrounding spaces and leave an empty string out.
  const customField = body['CustomField'];
  if (typeof customField === 'string' && customField !== '') result.customField = customField;
  assign(result, 'from', text(body['From']));
  assign(result, 'to', text(body['To']));
  assign(result, 'dateCreated', parseExotelTime(body['DateCreated']) ?? undefined);
  assign(result, 'dateUpdated', parseExotelTime(body['DateUpdated']) ?? undefined);
  assign(result, 'startTime', parseExotelTime(body['StartTime']) ?? undefined);
  assign(result, 'endTime', parseExotelTime(body['EndTime']) ?? undefined);
  assign(result, 'duration', seconds(body['ConversationDuration'] ?? body['Duration']));
  assign(result, 'recordingUrl', text(body['RecordingUrl']));
  const legs = readLegs(body);
  if (legs.length > 0) result.legs = legs;
  return result;
}

/**
 * Decodes a raw callback body by its `Content-Type`: JSON, urlencoded or multipart (via the built-in fetch `Response`,
 * so no extra dependency). File parts are ignored. With no content type the body is sniffed: `{` means JSON, anything
 * else urlencoded, since proxies have been seen to drop the header.
 */
export async function parseCallbackBody(contentType: string, raw: Buffer): Promise<Record<string, unknown>> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const textBody = () => raw.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json') || (type === '' && textBody().trimStart().startsWith('{'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(textBody());
    } catch {
      throw new StatusCallbackError('The status callback body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new StatusCallbackError('The status callback JSON is not an object.');
    }
    return parsed as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    return Object.fromEntries(new URLSearchParams(textBody()));
  }
  if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    } catch {
      throw new StatusCallbackError('The status callback multipart body cannot be read.');
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of form) if (typeof value === 'string') out[key] = value;
    return out;
  }
  throw new StatusCallbackError(`The status callback has an unsupported content type (${JSON.stringify(type.slice(0, 60))}).`);
}

function readLegs(body: Record<string, unknown>): StatusCallbackLeg[] {
  let raw: unknown = body['Legs'];
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      raw = undefined;
    }
  }
  let items: Array<Record<string, unknown>> = [];
  if (Array.isArray(raw)) {
    items = raw.filter((l): l is Record<string, unknown> => typeof l === 'object' && l !== null);
  } else {
    const byIndex = new Map<number, Record<string, unknown>>();
    for (const [key, value] of Object.entries(body)) {
      const match = /^Legs\[(\d+)\]\[(\w+)\]$/.exec(key);
      if (!match) continue;
      const index = Number(match[1]);
      const leg = byIndex.get(index) ?? {};
      leg[match[2]!] = value;
      byIndex.set(index, leg);
    }
    items = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, leg]) => leg);
  }
  return items.map((l) => {
    const leg: StatusCallbackLeg = {};
    assign(leg, 'status', text(l['Status']));
    assign(leg, 'onCallDuration', seconds(l['OnCallDuration']));
    // "NA" is Exotel's "not known": kept, it would hide a later leg that knows (and read as who answered).
    const answeredBy = text(l['AnsweredBy']);
    assign(leg, 'answeredBy', answeredBy?.toUpperCase() === 'NA' ? undefined : answeredBy);
    return leg;
  });
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

// exactOptionalPropertyTypes-friendly: leave a field out rather than set it to undefined.
function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
