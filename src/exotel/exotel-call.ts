import { z } from 'zod';
import { parseExotelTime } from './exotel-time.js';

export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'failed', 'busy', 'no-answer', 'canceled'] as const;

/** Exotel's call states; the last five are final. */
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Statuses after which Exotel never changes the call again. */
export const FINAL_CALL_STATUSES: ReadonlySet<CallStatus> = new Set(['completed', 'failed', 'busy', 'no-answer', 'canceled']);

/** Exotel's spellings vary between pages (`no_answer`, `cancelled`, `In-Progress`); map them onto one vocabulary. */
export const callStatusSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase().replace(/_/g, '-').replace('cancelled', 'canceled') : v),
  z.enum(CALL_STATUSES),
);

const optionalText = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? null : typeof v === 'number' ? String(v) : v),
  z.string().nullable(),
);

const time = z
  .unknown()
  .optional()
  .transform((v) => parseExotelTime(v));

/** `Duration: "17"`, `Price: "1.500"`, `17`, `null` and `""` all occur; anything non-numeric reads as unknown. */
const numeric = z
  .unknown()
  .optional()
  .transform((v): number | null => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v !== 'string' || v.trim() === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  });

/** The `Call` object of connect.json, Calls/{sid}.json and each item of Calls.json, in Exotel's PascalCase. */
export const exotelCallSchema = z
  .object({
    Sid: z.string().min(1),
    Status: callStatusSchema,
    From: optionalText,
    To: optionalText,
    DateCreated: time,
    DateUpdated: time,
    StartTime: time,
    EndTime: time,
    Duration: numeric,
    Price: numeric,
    CustomField: optionalText.optional(),
    AnsweredBy: optionalText.optional(),
  })
  .transform((c) => ({
    sid: c.Sid,
    status: c.Status,
    /** Exotel's echo of the number, often `0XXXXXXXXXX`; compare with `phonesEqual`. */
    from: c.From,
    to: c.To,
    dateCreated: c.DateCreated,
    dateUpdated: c.DateUpdated,
    startTime: c.StartTime,
    endTime: c.EndTime,
    /** Seconds; null until Exotel has finished billing, about 2 minutes after the call ends. */
    duration: c.Duration,
    price: c.Price,
    ...(c.CustomField == null ? {} : { customField: c.CustomField }),
    /** `human` or `machine` when Exotel detected who answered. */
    answeredBy: c.AnsweredBy ?? null,
  }));

export type ExotelCall = z.output<typeof exotelCallSchema>;
