// Resolves every attempt whose outcome is not known yet, for the whole account, whatever its campaign's status
// (paused and stopped campaigns' calls are resolved too). The attempts are the held live-call lines, a small set:
// - `initiated` (Exotel accepted the call) whose callback has not come: its details are read by sid;
// - `unknown` (an ambiguous answer, or a process that died after sending): looked up by sid when one is known, else in
//   Exotel's call list by number and CustomField. The list never shows a call that is still queued, ringing or
//   connected, so absence proves nothing until the call could no longer be live: it is declared absent (and the
//   number queued again) only when the list was read after send time + TimeOut + TimeLimit + a settle margin;
// - `dialing` for longer than any request can take: the process that sent it stopped; it becomes `unknown`.
// Lines whose attempt is over (a crash between a contact's final write and the line's release) are given back.
// Exactly one process of the account does this at a time (a job lease), and every change is conditional.
import { parseAttemptKey } from '../store/call-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { LiveLineFields } from '../store/live-line-model.js';
import type { PriceCheckFields } from '../store/price-check-model.js';
import type { Store } from '../store/store.js';
import type { ContactState } from '../campaigns/contact-state.js';
import { bucketOf, LIVE_BUCKETS } from '../campaigns/vocabulary.js';
import type { Logger } from '../logger.js';
import type { CallReport, Dialer } from './dialer.js';
import { DialerUnavailableError } from './dialer.js';
import type { LiveLines } from './live-lines.js';
import type { RequestPacer } from './request-pacer.js';

export interface ReconcilerSettings {
  /** Exotel's TimeOut and TimeLimit the engine sends (seconds): the longest a placed call can stay off the list. */
  ringSeconds: number;
  maxCallSeconds: number;
  /** Added after TimeOut + TimeLimit before absence from the list counts (Exotel lists a call after it ends). */
  settleMs: number;
  /** How often to look again at a live attempt. */
  pollEveryMs: number;
  /** Look again this soon when Exotel could not be asked. */
  unreachableRetryMs: number;
  /** A `dialing` attempt older than this was sent by a process that stopped. */
  staleDialingMs: number;
  /** Exotel's timestamps are whole seconds in IST, and clocks differ: accept calls created this much before sending. */
  clockSkewMs: number;
  /** Ask for a missing price this often, at most `priceTries` times. Defaults 2 min and 15. */
  priceEveryMs: number;
  priceTries: number;
  /**
   * Prices are asked for in one list request of up to 100 calls, sent once 100 are due or the oldest has been due this
   * long (default 1 min): a request per call would take half the account's rate from dialling.
   */
  priceBatchWaitMs?: number;
  /**
   * Prices wait for turns dialling leaves spare, at most this long (default 1 h); then the calls due longest are
   * asked for whatever dialling needs, one request of up to 100 a pass.
   */
  priceDeferMaxMs?: number;
}

/** Exotel's call list filters by at most five numbers. */
const LIST_FILTER_MAX = 5;
/** ... and by at most 100 call sids. */
const PRICE_BATCH = 100;
const DEFAULT_PRICE_BATCH_WAIT_MS = 60_000;
const DEFAULT_PRICE_DEFER_MAX_MS = 3_600_000;
/** Price requests in one pass at most (/healthz allows a pass this many turns of the account's pace). */
const PRICE_REQUESTS_PER_PASS = 10;
/** A price check written before checks recorded when the call was sent: look this far back for its call. */
const UNKNOWN_SENT_LOOKBACK_MS = 24 * 3_600_000;

export class Reconciler {
  constructor(
    private readonly store: Store,
    private readonly state: ContactState,
    private readonly dialer: Dialer,
    private readonly lines: LiveLines,
    private readonly pacer: Pick<RequestPacer, 'busy'>,
    private readonly log: Logger,
    private readonly settings: ReconcilerSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** When an attempt sent at `sentAt` may be declared absent from a list read after it. */
  absentAfter(sentAt: Date): Date {
    const { ringSeconds, maxCallSeconds, settleMs } = this.settings;
    return new Date(sentAt.getTime() + (ringSeconds + maxCallSeconds) * 1000 + settleMs);
  }

  /** One pass over the lines whose check is due. */
  async reconcile(signal: AbortSignal): Promise<void> {
    const due = await this.lines.held(this.now());
    const unknownWithoutSid: ContactFields[] = [];
    for (const line of due) {
      if (signal.aborted) return;
      const contact = await this.#attemptOf(line);
      if (!contact) continue;
      if (contact.call_status === 'dialing') await this.#checkDialing(contact);
      else if (contact.call_sid) await this.#checkBySid(contact, signal);
      else unknownWithoutSid.push(contact);
    }
    for (let i = 0; i < unknownWithoutSid.length && !signal.aborted; i += LIST_FILTER_MAX) {
      await this.#checkInList(unknownWithoutSid.slice(i, i + LIST_FILTER_MAX), signal);
    }
    await this.#askPrices(signal);
  }

  /**
   * Prices Exotel reports minutes after a call ended (every request takes a turn of the account's pacer, which dialling
   * needs, and only the finish report shows the cost), asked for up to 100 calls in one list request: once 100 are due
   * or the oldest due one has waited `priceBatchWaitMs`, and only while dialling leaves turns spare (up to ten requests a
   * pass) — until the oldest has waited `priceDeferMaxMs`: then one request a pass whatever dialling needs. After
   * `priceTries` lookups without a price the call stops counting as pending.
   */
  async #askPrices(signal: AbortSignal): Promise<void> {
    const batchWaitMs = this.settings.priceBatchWaitMs ?? DEFAULT_PRICE_BATCH_WAIT_MS;
    const deferMaxMs = this.settings.priceDeferMaxMs ?? DEFAULT_PRICE_DEFER_MAX_MS;
    let spare: boolean | undefined; // asked of the pacer once a pass: the pass's own requests make it look busy
    for (let n = 0; n < PRICE_REQUESTS_PER_PASS && !signal.aborted; n++) {
      const now = this.now();
      const due = await this.store.PriceCheck.find({ mode: this.#mode(), check_after: { $lte: now } })
        .sort({ check_after: 1 })
        .limit(PRICE_BATCH)
        .lean();
      if (due.length === 0) return;
      const waited = now.getTime() - due[0]!.check_after.getTime();
      const overdue = waited >= deferMaxMs;
      if (!overdue && due.length < PRICE_BATCH && waited < batchWaitMs) return;
      spare ??= await this.#turnsSpare();
      // Without spare turns, one request a pass for the calls due longest: the rate dialling gives up stays 1 per 100.
      if (!spare && (!overdue || n > 0)) return;
      if (!(await this.#askPriceBatch(due, now, signal))) return;
    }
  }

  #mode(): 'rehearsal' | 'live' {
    return this.dialer.rehearsal ? 'rehearsal' : 'live';
  }

  async #turnsSpare(): Promise<boolean> {
    try {
      return !(await this.pacer.busy());
    } catch (error) {
      this.log.debug({ err: error }, 'could not tell whether dialling leaves turns spare; prices wait');
      return false;
    }
  }

  /** One list request for these checks' prices; false when Exotel could not be asked. */
  async #askPriceBatch(due: PriceCheckFields[], now: Date, signal: AbortSignal): Promise<boolean> {
    const since = Math.min(...due.map((c) => c.sent_at?.getTime() ?? c.check_after.getTime() - UNKNOWN_SENT_LOOKBACK_MS));
    let reports: CallReport[] = [];
    let asked = true;
    try {
      reports = await this.dialer.finalCallsBySid(
        due.map((c) => c.sid),
        new Date(since - this.settings.clockSkewMs),
        signal,
      );
    } catch (error) {
      if (signal.aborted) return false;
      asked = false;
      this.log.debug({ err: error, calls: due.length }, 'could not ask Exotel for prices; will ask again');
    }
    const prices = new Map(reports.map((r) => [r.sid, r.price]));
    for (const check of due) {
      if (signal.aborted) return false;
      const price = prices.get(check.sid);
      if (price != null) await this.state.priced(check._id, price);
      else if (check.tries + 1 >= this.settings.priceTries) await this.state.priceMissing(check._id);
      else
        await this.store.PriceCheck.updateOne(
          { _id: check._id },
          { $set: { check_after: new Date(now.getTime() + this.settings.priceEveryMs) }, $inc: { tries: 1 } },
        );
    }
    return asked;
  }

  /** The live attempt holding a line, or null after giving back a line whose attempt is over. */
  async #attemptOf(line: LiveLineFields): Promise<ContactFields | null> {
    const attempt = parseAttemptKey(line.holder);
    const contact = attempt ? ((await this.store.Contact.findById(attempt.contactId).lean()) as ContactFields | null) : null;
    const live = contact && attempt && contact.tries === attempt.try && LIVE_BUCKETS.includes(bucketOf(contact));
    if (live) return contact;
    // The gate takes the line just before it claims the contact: leave a young line alone.
    const young = line.since && this.now().getTime() - line.since.getTime() < 60_000 && contact && attempt && contact.tries < attempt.try;
    if (!young) {
      await this.lines.release(line._id, line.holder!);
      this.log.info({ line: line._id }, 'gave back a live-call line whose attempt is over');
    }
    return null;
  }

  async #checkDialing(contact: ContactFields): Promise<void> {
    const sent = contact.sent_at ?? contact.updated_at;
    const staleAt = sent.getTime() + this.settings.staleDialingMs;
    if (this.now().getTime() < staleAt) {
      await this.state.checkLater(contact, new Date(staleAt));
      return;
    }
    this.log.warn({ contact: contact._id }, 'an attempt was left dialling by a process that stopped; checking it with Exotel');
    await this.state.unknown(
      contact,
      'The process dialling this number stopped; checking with Exotel whether the call was placed.',
      this.now(),
    );
  }

  async #checkBySid(contact: ContactFields, signal: AbortSignal): Promise<void> {
    let report: CallReport | null;
    try {
      report = await this.dialer.callDetails(contact.call_sid!, signal);
    } catch (error) {
      if (signal.aborted) return;
      await this.#unreachable([contact], error);
      return;
    }
    if (report?.final) {
      await this.#final(contact, report);
      return;
    }
    // Not final yet, or not known to Exotel yet (a sid we got but details lag): look again later.
    await this.state.checkLater(contact, new Date(this.now().getTime() + this.settings.pollEveryMs));
  }

  async #checkInList(group: ContactFields[], signal: AbortSignal): Promise<void> {
    const askedAt = this.now();
    const since = new Date(Math.min(...group.map((c) => (c.sent_at ?? c.updated_at).getTime())) - this.settings.clockSkewMs);
    let calls: CallReport[];
    try {
      calls = await this.dialer.finalCalls(
        group.map((c) => c.phone),
        since,
        signal,
      );
    } catch (error) {
      if (signal.aborted) return;
      await this.#unreachable(group, error);
      return;
    }
    for (const contact of group) {
      const match = matchAttempt(contact, calls, this.settings.clockSkewMs);
      if (match) {
        this.log.info({ contact: contact._id, call_sid: match.sid }, 'attempt found in Exotel’s call list');
        const placed = await this.state.placed(contact, match.sid, match.createdAt, askedAt);
        if (placed) await this.#final(placed, match);
        continue;
      }
      const absentAt = this.absentAfter(contact.sent_at ?? contact.updated_at);
      if (askedAt.getTime() >= absentAt.getTime()) {
        this.log.info({ contact: contact._id }, 'attempt absent from Exotel’s call list after it could no longer be live; queued again');
        await this.state.absent(contact, askedAt);
      } else {
        const next = Math.min(absentAt.getTime(), askedAt.getTime() + this.settings.pollEveryMs);
        await this.state.checkLater(contact, new Date(next), 'Checking with Exotel whether this call was placed.');
      }
    }
  }

  async #final(contact: ContactFields, report: CallReport): Promise<void> {
    await this.state.outcome({
      contactId: contact._id,
      try: contact.tries,
      callSid: report.sid,
      status: report.outcome!,
      startedAt: report.startedAt,
      endedAt: report.endedAt,
      durationSeconds: report.durationSeconds,
      price: report.price,
      answeredBy: report.answeredBy,
      error: report.outcome === 'failed' ? 'Exotel reported the call failed.' : null,
    });
  }

  async #unreachable(group: ContactFields[], error: unknown): Promise<void> {
    const why = error instanceof DialerUnavailableError ? error.message : error instanceof Error ? error.message : String(error);
    this.log.warn({ err: error, attempts: group.length }, 'could not ask Exotel about live attempts; will ask again');
    const retryAt = new Date(this.now().getTime() + this.settings.unreachableRetryMs);
    for (const c of group) {
      const note =
        c.call_status === 'unknown'
          ? `Could not ask Exotel whether this call was placed (${why.slice(0, 200)}); checking again.`
          : undefined;
      await this.state.checkLater(c, retryAt, note);
    }
  }
}

/**
 * The listed call that is this attempt: the one carrying its CustomField; when Exotel leaves CustomField out, a call
 * to the same number created after the request was sent, the earliest such.
 */
export function matchAttempt(contact: ContactFields, calls: readonly CallReport[], skewMs: number): CallReport | null {
  const key = `${contact._id}:${contact.tries}`;
  const byKey = calls.find((c) => c.attemptKey === key);
  if (byKey) return byKey;
  const sent = (contact.sent_at ?? contact.updated_at).getTime();
  const candidates = calls
    .filter((c) => c.attemptKey === null && c.phone === contact.phone && (c.createdAt === null || c.createdAt.getTime() >= sent - skewMs))
    .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
  return candidates[0] ?? null;
}
