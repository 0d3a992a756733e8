/**
 * What the fake Exotel puts on the wire: call objects, callback bodies, error pages, and the parsing of the few
 * request fields that need it. Pure functions, so the server in fake-exotel.ts is only about timing and state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatExotelTime, parseExotelTime } from '../../src/exotel/exotel-time.js';
import type { FakeCall } from './fake-exotel.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A gateway's own error page (nginx style): HTML, not Exotel's JSON, as a proxy in front of Exotel would answer. */
export function sendGatewayPage(res: ServerResponse, status: 502 | 504): void {
  if (res.destroyed) return;
  const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
  const text = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The `Call` object. Duration, Price and EndTime stay null until `detailsAt` (Exotel fills them in minutes after the
 * call ends) although Status is final by then; AnsweredBy is null until the fake has decided it.
 */
export function callJson(call: FakeCall, accountSid: string): Record<string, unknown> {
  const billed = call.detailsAt !== null;
  return {
    Sid: call.sid,
    ParentCallSid: null,
    DateCreated: formatExotelTime(call.createdAt),
    DateUpdated: formatExotelTime(call.updatedAt),
    AccountSid: accountSid,
    To: null,
    From: call.fromEcho,
    PhoneNumberSid: call.callerId,
    Status: call.status,
    StartTime: formatExotelTime(call.startTime),
    EndTime: billed && call.endTime ? formatExotelTime(call.endTime) : null,
    Duration: billed && call.duration !== null ? String(call.duration) : null,
    Price: billed ? call.price : null,
    Direction: 'outbound-api',
    AnsweredBy: call.answeredBy,
    ForwardedFrom: null,
    CallerName: null,
    Uri: `/v1/Accounts/${accountSid}/Calls/${call.sid}.json`,
    RecordingUrl: null,
    ...(call.customField !== undefined ? { CustomField: call.customField } : {}),
  };
}

/** The terminal StatusCallback, sent when the call ends; it carries the conversation time at once. */
export function terminalBody(call: FakeCall, accountSid: string): Record<string, unknown> {
  return {
    CallSid: call.sid,
    EventType: 'terminal',
    Status: call.status,
    CustomField: call.customField ?? '',
    From: call.fromEcho,
    To: call.callerId,
    Direction: 'outbound-api',
    AccountSid: accountSid,
    DateCreated: formatExotelTime(call.createdAt),
    DateUpdated: formatExotelTime(call.updatedAt),
    StartTime: formatExotelTime(call.startTime),
    EndTime: call.endTime ? formatExotelTime(call.endTime) : '',
    ConversationDuration: call.duration ?? 0,
    RecordingUrl: '',
    Legs: [{ OnCallDuration: call.duration ?? 0, Status: call.status, AnsweredBy: call.answeredBy ?? 'NA' }],
  };
}

/**
 * The `answered` StatusCallback, taken when the call is picked up. No CustomField: Exotel documents it as echoed
 * "only via 'terminal' StatusCallbackEvent" (developer.exotel.com/api-console/voice).
 */
export function answeredBody(call: FakeCall, accountSid: string): Record<string, unknown> {
  return {
    CallSid: call.sid,
    EventType: 'answered',
    Status: 'in-progress',
    From: call.fromEcho,
    To: call.callerId,
    Direction: 'outbound-api',
    AccountSid: accountSid,
    DateCreated: formatExotelTime(call.createdAt),
    DateUpdated: formatExotelTime(call.answeredAt ?? call.updatedAt),
    StartTime: formatExotelTime(call.startTime),
    EndTime: '',
    ConversationDuration: 0,
    RecordingUrl: '',
    Legs: [{ OnCallDuration: 0, Status: 'in-progress', AnsweredBy: call.answeredBy ?? 'NA' }],
  };
}

/** Form bodies cannot nest, so `Legs` goes out as `Legs[0][Status]`, the way PHP-style form encoders write it. */
export function flattenForForm(body: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        for (const [k, v] of Object.entries(item as Record<string, unknown>)) out.push([`${key}[${i}][${k}]`, v == null ? '' : String(v)]);
      });
    } else {
      out.push([key, value === null || value === undefined ? '' : String(value)]);
    }
  }
  return out;
}

/** Events asked for with `StatusCallbackEvents[0]=terminal&StatusCallbackEvents[1]=answered` (any index, or none). */
export function callbackEvents(params: URLSearchParams): string[] {
  const events: string[] = [];
  for (const [key, value] of params) {
    if (/^StatusCallbackEvents(?:\[\d*\])?$/.test(key)) events.push(...value.split(',').map((v) => v.trim().toLowerCase()));
  }
  return events.filter((e) => e !== '');
}

/** `gte:…;lte:…` (also `gt`/`lt`) in IST wall-clock time → predicates on epoch ms; undefined when unreadable. */
export function parseDateFilter(value: string | undefined): Array<(ms: number) => boolean> | undefined {
  if (value === undefined || value.trim() === '') return [];
  const tests: Array<(ms: number) => boolean> = [];
  for (const part of value.split(';')) {
    const m = /^\s*(gte|lte|gt|lt):(.+)$/.exec(part);
    const at = m ? parseExotelTime(m[2]!.trim()) : null;
    if (!m || at === null || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(m[2]!.trim())) return undefined;
    const bound = at.getTime();
    const op = m[1];
    tests.push(op === 'gte' ? (t) => t >= bound : op === 'lte' ? (t) => t <= bound : op === 'gt' ? (t) => t > bound : (t) => t < bound);
  }
  return tests;
}

/** Exotel stores Indian numbers as `0` + 10 digits whatever form it was given. */
export function exotelEcho(number: string): string {
  const digits = number.replace(/\D/g, '');
  const ten = lastTen(number);
  const indian =
    digits.length === 10 || (digits.length === 11 && digits.startsWith('0')) || (digits.length === 12 && digits.startsWith('91'));
  return indian ? `0${ten}` : number;
}

export function lastTen(number: string): string {
  return number.replace(/\D/g, '').slice(-10);
}
