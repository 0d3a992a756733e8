// The keys a person presses during a call (Exotel's Passthru applet after a Gather or Menu), and what a campaign says
// they mean (`1=paid, 2=call me back, 9=do not call`). Decisions:
// - The first keys recorded for an attempt stand: a repeated request (Exotel's, or a flow that passes through twice)
//   changes nothing and is counted once. The call record (`_id` = attempt key) is what makes it idempotent.
// - The campaign view counts presses per key (`stats.keys.<key>`) for single keys only (0-9, * or #): a longer entry
//   (a Gather collecting several digits) is recorded on the attempt but not counted, so the view cannot grow without
//   bound. A trailing `#` after other keys is Gather's finish key, not part of the entry.
// - A "do not call" key (or "dnc") is honoured whenever it is pressed in a consistent request, even after other
//   keys were recorded first: a person asking not to be called again is never ignored.
// - Crash safety: the record is written before the count, so a crash between them loses a count, never doubles one.
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { findAttempt, type AppletCall, type CallAttempt } from './call-attempt.js';
import { applyDelta } from './campaign-view.js';
import type { DncService } from './dnc-service.js';

/** A key that can be named: the digits, star and hash. */
const KEY = /^[0-9*#]$/;
/** Longest entry recorded (a Gather may collect several keys). */
const MAX_DIGITS = 20;
export const MAX_KEYS = 12;
export const MAX_MEANING_LENGTH = 40;
/** Who the do-not-call list says added a number pressed away. */
export const KEYPRESS_DNC_BY = 'keypress';

export type KeysParse = { ok: true; keys: Record<string, string> } | { ok: false; problem: string };

/**
 * Reads a campaign's keys as a person types them: `1=paid, 2=call me back, 9=do not call` (pairs separated by commas,
 * semicolons or new lines; `=` or `:` between key and meaning). An empty text means no keys.
 */
export function parseKeys(text: string): KeysParse {
  const keys: Record<string, string> = {};
  const pairs = text
    .split(/[,;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  for (const pair of pairs) {
    const m = /^(\S+?)\s*[=:]\s*(.*)$/.exec(pair);
    if (!m) return { ok: false, problem: `“${cut(pair)}” is not a key and its meaning; write them like 1=paid, 2=call me back.` };
    const [, key, rawMeaning] = m as unknown as [string, string, string];
    const meaning = rawMeaning.replace(/\s+/g, ' ').trim();
    if (!KEY.test(key)) return { ok: false, problem: `“${cut(key)}” is not a key of a phone; use one of 0-9, * or #.` };
    if (meaning === '') return { ok: false, problem: `Key ${key} has no meaning; write one after the =, like ${key}=paid.` };
    if (meaning.length > MAX_MEANING_LENGTH) {
      return { ok: false, problem: `The meaning of key ${key} is ${meaning.length} characters long; keep it to ${MAX_MEANING_LENGTH}.` };
    }
    if (key in keys) return { ok: false, problem: `Key ${key} is given twice; give each key one meaning.` };
    keys[key] = meaning;
  }
  if (Object.keys(keys).length > MAX_KEYS)
    return { ok: false, problem: `There are ${Object.keys(keys).length} keys; a phone has ${MAX_KEYS}.` };
  return { ok: true, keys };
}

function cut(text: string): string {
  return text.length > 30 ? `${text.slice(0, 29)}…` : text;
}

/** True when a key's meaning asks for the number to go on the do-not-call list ("do not call", "Do-Not-Call", "DNC"). */
export function isDoNotCall(meaning: string | null | undefined): boolean {
  const words = (meaning ?? '')
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
  return words === 'do not call' || words === 'dnc';
}

/**
 * The keys of Exotel's `digits` parameter, which it sends in double quotes (`"1"`); null when nothing usable was
 * pressed (empty, `""`, or not keys of a phone).
 */
export function parseDigits(raw: string | null | undefined): string | null {
  let digits = (raw ?? '')
    .trim()
    .replace(/^"(.*)"$/s, '$1')
    .trim();
  if (digits.length > 1 && digits.endsWith('#')) digits = digits.slice(0, -1);
  return digits.length > 0 && digits.length <= MAX_DIGITS && /^[0-9*#]+$/.test(digits) ? digits : null;
}

/** A Passthru request: the call it belongs to and Exotel's raw `digits`. */
export interface KeypressReport extends AppletCall {
  digits: string | null;
}

export interface KeypressResult {
  /** The attempt, when the request was consistent with one. */
  attempt: CallAttempt | null;
  /** The keys this request carried (quotes stripped), or null. */
  digits: string | null;
  /** The keys on record for the attempt now (the first ones recorded). */
  recorded: string | null;
  /** This request recorded them (not a repeat). */
  fresh: boolean;
  /** The campaign view counted them. */
  counted: boolean;
  /** The campaign's meaning of the keys this request carried. */
  meaning: string | null;
  /** The number must go on this workspace's do-not-call list ({@link Keypresses.honourDoNotCall}). */
  doNotCall: { teamId: string; phone: string } | null;
}

export class Keypresses {
  readonly #log: Logger;

  constructor(
    private readonly store: Store,
    private readonly dnc: Pick<DncService, 'add'>,
    log: Logger,
  ) {
    this.#log = log.child({ component: 'keypresses' });
  }

  /** Records the keys of a Passthru request on its attempt (contact and call record) and counts them once. */
  async record(report: KeypressReport): Promise<KeypressResult> {
    const digits = parseDigits(report.digits);
    const none: KeypressResult = { attempt: null, digits, recorded: null, fresh: false, counted: false, meaning: null, doNotCall: null };
    if (digits === null) return none;
    const attempt = await findAttempt(this.store, report);
    if (!attempt) return none;
    const campaign = (await this.store.Campaign.findById(attempt.contact.campaign_id, { keys: 1, team_id: 1 }).lean()) as Pick<
      CampaignFields,
      '_id' | 'keys' | 'team_id'
    > | null;
    const fresh = await this.#recordOnCall(attempt, digits);
    const recorded = fresh ? digits : ((await this.store.Call.findById(attempt.key, { digits: 1 }).lean())?.digits ?? digits);
    // Repeated too (same value), so a crash between the two writes is mended by Exotel's next request.
    await this.store.Contact.updateOne(
      { _id: attempt.contact._id, tries: attempt.try, digits: { $ne: recorded } },
      { $set: { digits: recorded } },
    );
    const counted = fresh && campaign !== null && KEY.test(digits);
    if (counted) await applyDelta(this.store, campaign._id, { [`stats.keys.${digits}`]: 1 });
    const meaning = campaign?.keys?.[digits] ?? null;
    const doNotCall = campaign && isDoNotCall(meaning) ? { teamId: campaign.team_id, phone: attempt.contact.phone } : null;
    this.#log.debug(
      { contact: attempt.contact._id, try: attempt.try, call_sid: report.callSid, fresh, counted, dnc: doNotCall !== null },
      'keypress',
    );
    return { attempt, digits, recorded, fresh, counted, meaning, doNotCall };
  }

  /** Puts the number of a "do not call" keypress on the workspace's list (idempotent: a number is listed once). */
  async honourDoNotCall(result: KeypressResult): Promise<void> {
    if (!result.doNotCall) return;
    const change = await this.dnc.add(result.doNotCall.teamId, [result.doNotCall.phone], KEYPRESS_DNC_BY);
    const contact = result.attempt?.contact._id;
    if (change.invalid.length > 0) this.#log.warn({ contact }, 'a person pressed the do-not-call key, but their number cannot be listed');
    else if (change.changed.length > 0) this.#log.info({ contact }, 'a person pressed the do-not-call key; their number is on the list');
  }

  /**
   * Sets the call record's digits if it has none; true when this call set them. A missing record (the request's fate
   * is still unknown, so the placed call is not recorded yet) is created; a racing duplicate fails the unique `_id`.
   */
  async #recordOnCall(attempt: CallAttempt, digits: string): Promise<boolean> {
    const { contact } = attempt;
    try {
      const res = await this.store.Call.updateOne(
        { _id: attempt.key, digits: null },
        {
          $set: { digits },
          $setOnInsert: {
            campaign_id: contact.campaign_id,
            contact_id: contact._id,
            try: attempt.try,
            state: 'sent',
            sent_at: contact.sent_at ?? new Date(),
          },
        },
        { upsert: true },
      );
      return res.modifiedCount + res.upsertedCount > 0;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }
}
