// Every change of a contact's call_status after it was imported. Each is one conditional update that names the
// state and the attempt it expects, so a late or repeated writer — a second callback, an outcome of an earlier
// attempt, a runner whose lease was taken over — changes nothing. What must follow a change is written around it in
// a crash-safe order (see campaign-view.ts): the campaign view's counters, the retry bucket (before a contact becomes
// pending), the failure outbox (before a contact is finally not reached), the call record and the live-call line
// (given back once the attempt is over).
import type { Types } from 'mongoose';
import type { Logger } from '../logger.js';
import { attemptKey, parseAttemptKey } from '../store/call-model.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { ContactFields } from '../store/contact-model.js';
import { persist } from '../store/persist.js';
import type { Store } from '../store/store.js';
import type { CampaignEvents } from './campaign-events.js';
import { applyDelta, callStatsDelta, mergeDelta, moveDelta, type ViewDelta } from './campaign-view.js';
import { scheduleContacts } from './contact-queue.js';
import { nextAttemptAt } from './retry-policy.js';
import { bucketOf, LIVE_BUCKETS, NOT_REACHED, type Bucket, type CallStatus, type Outcome } from './vocabulary.js';

/** A finished call, from a status callback or from call details. */
export interface AttemptOutcome {
  contactId: string;
  /** The attempt (from CustomField); null when only the sid is known. */
  try: number | null;
  callSid: string;
  status: Outcome;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationSeconds?: number | null;
  price?: number | null;
  answeredBy?: string | null;
  /** Exotel's words for a failed call. */
  error?: string | null;
}

export interface OutcomeResult {
  contact: ContactFields;
  from: CallStatus;
  /** The outcome earned another attempt: the contact waits in the retry queue. */
  retrying: boolean;
}

/** Gives a live-call line back (the engine's LiveLines). */
export type ReleaseLine = (lineId: string, holder: string) => Promise<void>;

type Update = { $set?: Record<string, unknown>; $inc?: Record<string, number>; $unset?: Record<string, 1> };

export class ContactState {
  #releaseLine: ReleaseLine = async () => {};

  constructor(
    private readonly store: Store,
    private readonly events: CampaignEvents,
    private readonly log: Logger,
    /** The clock for business time (due times, outcome times); tests inject one. */
    private readonly clock: () => Date = () => new Date(),
    /** First ask for a price this long after a call ended (Exotel reports it 2–5 minutes later). */
    private readonly priceDelayMs = 120_000,
  ) {}

  /** Set by the engine, which owns the lines. */
  useLines(release: ReleaseLine): void {
    this.#releaseLine = release;
  }

  /**
   * pending → dialing, the last write before the request is sent: `sent_at` is set now, so from here on the attempt
   * counts as possibly placed. The campaign's counters were already moved by the dial gate's fencing write.
   */
  async claim(
    candidate: ContactFields,
    run: { runnerId: string; epoch: number },
    lineId: string,
    now: Date,
    checkAfter: Date,
  ): Promise<ContactFields | null> {
    return (await this.store.Contact.findOneAndUpdate(
      { _id: candidate._id, call_status: 'pending', tries: candidate.tries, next_attempt_at: { $lte: now } },
      {
        $set: {
          call_status: 'dialing',
          runner_id: run.runnerId,
          lease_epoch: run.epoch,
          sent_at: now,
          line_id: lineId,
          check_after: checkAfter,
          call_error: null,
          call_sid: null,
          call_ended_at: null,
          call_duration: null,
        },
        $inc: { tries: 1, attempts: 1 },
      },
      { returnDocument: 'after' },
    ).lean()) as ContactFields | null;
  }

  /** dialing (or unknown) → initiated: Exotel accepted the call. The sid is stored whatever else happened meanwhile. */
  async placed(c: ContactFields, sid: string, createdAt: Date | null, checkAfter: Date): Promise<ContactFields | null> {
    const key = attemptKey(c._id, c.tries);
    await persist(() => this.#placedRecord(c, sid), { log: this.log, what: 'store a placed call' });
    const after = await this.#move(
      c,
      ['dialing', 'unknown'],
      {
        $set: {
          call_status: 'initiated',
          call_sid: sid,
          call_started_at: createdAt ?? c.sent_at,
          call_error: null,
          check_after: checkAfter,
        },
      },
      { 'stats.placed': 1, 'stats.cost_pending': 1 },
    );
    if (after && c.line_id)
      await this.store.LiveLine.updateOne({ _id: c.line_id, holder: key }, { $set: { check_after: checkAfter, sid } });
    return after;
  }

  /**
   * A report of a call's end (a status callback): finds its attempt by CustomField (`<contact>:<try>`), or, when
   * Exotel left CustomField out, by the sid on the live-call line the attempt holds. Null when no attempt matches.
   */
  async reported(
    report: Omit<AttemptOutcome, 'contactId' | 'try'> & { attemptKey: string | null },
    now = this.clock(),
  ): Promise<OutcomeResult | null> {
    const { attemptKey: key, ...rest } = report;
    const parsed = parseAttemptKey(key);
    if (parsed) return this.outcome({ ...rest, contactId: parsed.contactId, try: parsed.try }, now);
    const line = await this.store.LiveLine.findOne({ sid: report.callSid }).lean();
    const held = parseAttemptKey(line?.holder);
    return held ? this.outcome({ ...rest, contactId: held.contactId, try: held.try }, now) : null;
  }

  /** dialing → pending: the request provably never placed a call; the attempt is given back and comes again at `notBefore`. */
  async notPlaced(c: ContactFields, reason: string | null, notBefore: Date): Promise<ContactFields | null> {
    await persist(() => this.#callRecord(c, { state: 'not-placed' }), { log: this.log, what: 'record a request that placed no call' });
    return this.#requeueOne(c, ['dialing'], notBefore, reason);
  }

  /** unknown → pending: Exotel's call list, read after the grace period, shows no call for this attempt. */
  async absent(c: ContactFields, now: Date): Promise<ContactFields | null> {
    await persist(() => this.#callRecord(c, { state: 'absent' }), { log: this.log, what: 'record an attempt Exotel never placed' });
    return this.#requeueOne(c, ['unknown'], now, null);
  }

  /** dialing → failed for good: Exotel refused this number (a 4xx); no call was placed. */
  async rejected(c: ContactFields, reason: string, now: Date): Promise<ContactFields | null> {
    await this.#outbox(c, 'failed', reason, now);
    await persist(() => this.#callRecord(c, { state: 'not-placed' }), { log: this.log, what: 'record a refused request' });
    return this.#move(c, ['dialing'], {
      $set: { call_status: 'failed', call_error: reason, outcome_at: now, last_outcome: 'failed', check_after: null, runner_id: null },
      $inc: { attempts: -1 },
    });
  }

  /**
   * dialing → unknown: the request may have reached Exotel; nothing happens to this number until Exotel says. The
   * reconciler walks the lines, so the line's check moves to `checkAfter` too (else the first look waits for the
   * check the gate set when it claimed).
   */
  async unknown(c: ContactFields, reason: string, checkAfter: Date): Promise<ContactFields | null> {
    const after = await this.#move(c, ['dialing'], { $set: { call_status: 'unknown', call_error: reason, check_after: checkAfter } });
    if (after && c.line_id)
      await this.store.LiveLine.updateOne({ _id: c.line_id, holder: attemptKey(c._id, c.tries) }, { $set: { check_after: checkAfter } });
    return after;
  }

  /** Keeps a live attempt as it is, to be checked again at `checkAfter`, saying why. */
  async checkLater(c: ContactFields, checkAfter: Date, note?: string): Promise<void> {
    const set: Record<string, unknown> = { check_after: checkAfter };
    if (note !== undefined) set.call_error = note;
    await this.store.Contact.updateOne({ _id: c._id, tries: c.tries, call_status: c.call_status }, { $set: set });
    if (c.line_id)
      await this.store.LiveLine.updateOne({ _id: c.line_id, holder: attemptKey(c._id, c.tries) }, { $set: { check_after: checkAfter } });
  }

  /** pending → skipped at the dial gate: the number went on the do-not-call list after it was imported. */
  skip(c: ContactFields, reason: 'dnc'): Promise<ContactFields | null> {
    return this.#move(c, ['pending'], {
      $set: {
        call_status: 'skipped',
        skip_reason: reason,
        call_error: 'On the do-not-call list; not called.',
        next_attempt_at: new Date(0),
      },
    });
  }

  /** A pending contact at its attempt cap (the policy changed, or a manual retry raced): it keeps its last outcome. */
  async capReached(c: ContactFields, now: Date): Promise<ContactFields | null> {
    const outcome = c.last_outcome ?? 'failed';
    if (NOT_REACHED.includes(outcome)) await this.#outbox(c, outcome, 'No attempts left under the campaign’s retry rules.', now);
    // last_outcome too: a contact that never had one would otherwise be counted back as pending, not retrying, by a requeue.
    return this.#move(c, ['pending'], {
      $set: { call_status: outcome, last_outcome: outcome, outcome_at: now, call_error: c.call_error ?? 'No attempts left.' },
    });
  }

  /**
   * A call ended. Applied only to the attempt it belongs to (its try, or its sid): a late or repeated outcome of an
   * earlier attempt only completes that attempt's call record. Returns null when nothing about the contact changed.
   */
  async outcome(o: AttemptOutcome, now = this.clock()): Promise<OutcomeResult | null> {
    const contact = (await this.store.Contact.findById(o.contactId).lean()) as ContactFields | null;
    if (!contact) return null;
    const current = (o.try === null ? contact.call_sid === o.callSid : contact.tries === o.try) && LIVE_BUCKETS.includes(bucketOf(contact));
    if (!current) {
      if (o.try !== null) await this.#lateOutcome(contact, o);
      return null;
    }
    const campaign = (await this.store.Campaign.findById(contact.campaign_id, {
      retry: 1,
      call_until: 1,
      calling_hours: 1,
      mode: 1,
    }).lean()) as Pick<CampaignFields, 'retry' | 'call_until' | 'calling_hours' | 'mode'> | null;
    const retryAt = campaign ? nextAttemptAt(campaign.retry, o.status, contact.attempts, now, campaign.call_until) : null;
    const record = {
      state: o.status,
      sid: o.callSid,
      outcome_at: now,
      duration: o.durationSeconds ?? null,
      answered_by: o.answeredBy ?? null,
    };
    await persist(() => this.#callRecord(contact, record), { log: this.log, what: 'record a call outcome' });
    const details = {
      call_sid: o.callSid,
      call_ended_at: o.endedAt ?? now,
      call_duration: o.durationSeconds ?? null,
      call_error: o.status === 'completed' ? null : (o.error ?? null),
      outcome_at: now,
      last_outcome: o.status,
      answered_by: o.answeredBy ?? null,
      check_after: null,
      runner_id: null,
      ...(o.startedAt ? { call_started_at: o.startedAt } : {}),
    };
    const callStats = callStatsDelta(
      o.status,
      o.endedAt ?? now,
      o.durationSeconds ?? null,
      o.answeredBy ?? null,
      campaign?.calling_hours.tz,
    );
    // The call ended before its acceptance was recorded (or while it was being checked): it was placed all the same.
    // Decided on the document the update matched, not the one read above: `placed` may have counted it in between.
    const stats = (before: ContactFields): ViewDelta =>
      before.call_status === 'initiated' ? callStats : mergeDelta(callStats, { 'stats.placed': 1, 'stats.cost_pending': 1 });
    let after: ContactFields | null;
    if (retryAt) {
      await persist(() => scheduleContacts(this.store, contact.campaign_id, [contact._id], retryAt, now), {
        log: this.log,
        what: 'queue a retry',
      });
      after = await this.#move(
        contact,
        ['dialing', 'initiated', 'unknown'],
        { $set: { ...details, call_status: 'pending', next_attempt_at: retryAt } },
        stats,
      );
    } else {
      if (NOT_REACHED.includes(o.status)) await this.#outbox(contact, o.status, o.error ?? null, now);
      after = await this.#move(contact, ['dialing', 'initiated', 'unknown'], { $set: { ...details, call_status: o.status } }, stats);
    }
    if (after) await this.#expectPrice(contact, o, campaign?.mode ?? 'live', now);
    return after ? { contact: after, from: contact.call_status, retrying: retryAt !== null } : null;
  }

  /**
   * Records an attempt's price once (Exotel reports it minutes after the call ended) and adds it to the campaign's
   * cost. Returns false when the price was already recorded.
   */
  async priced(key: string, price: number): Promise<boolean> {
    const call = await this.store.Call.findOneAndUpdate({ _id: key, price: null }, { $set: { price } }, { returnDocument: 'after' }).lean();
    if (!call) {
      // Priced already (a second report of the same call): the cost counted it, and its check has no more to do.
      if (await this.store.Call.exists({ _id: key })) await this.store.PriceCheck.deleteOne({ _id: key });
      // No record of the call to hold a price: it can never be counted, so it stops counting as pending.
      else await this.priceMissing(key);
      return false;
    }
    await persist(() => applyDelta(this.store, call.campaign_id, { 'stats.cost': price, 'stats.cost_pending': -1 }), {
      log: this.log,
      what: 'add a call price',
    });
    await this.store.PriceCheck.deleteOne({ _id: key });
    return true;
  }

  /** Exotel never reported a price for this call: it no longer counts as pending. */
  async priceMissing(key: string): Promise<void> {
    const check = await this.store.PriceCheck.findOneAndDelete({ _id: key }).lean();
    if (check) await applyDelta(this.store, check.campaign_id, { 'stats.cost_pending': -1, 'stats.cost_missing': 1 });
  }

  async #expectPrice(contact: ContactFields, o: AttemptOutcome, mode: 'live' | 'rehearsal' | null, now: Date): Promise<void> {
    const key = attemptKey(contact._id, contact.tries);
    if (o.price != null) {
      await this.priced(key, o.price);
      return;
    }
    await this.store.PriceCheck.updateOne(
      { _id: key },
      {
        $setOnInsert: {
          campaign_id: contact.campaign_id,
          sid: o.callSid,
          sent_at: contact.sent_at ?? null,
          mode: mode ?? 'live',
          check_after: new Date(now.getTime() + this.priceDelayMs),
          tries: 0,
        },
      },
      { upsert: true },
    ).catch((error: unknown) => this.log.warn({ err: error }, 'could not note a price to ask for later'));
  }

  /**
   * Final contacts (busy, no answer, failed, canceled) queued again by a person. Counters first (a campaign must not
   * complete while contacts come back), then the bucket, then each contact, one conditional update each.
   */
  async requeue(campaignId: Types.ObjectId, contacts: readonly ContactFields[], now: Date): Promise<number> {
    let moved = 0;
    for (const from of NOT_REACHED) {
      const group = contacts.filter((c) => c.call_status === from);
      if (group.length === 0) continue;
      await persist(() => applyDelta(this.store, campaignId, moveDelta(from, 'retrying', group.length)), {
        log: this.log,
        what: 'count a requeue',
      });
      await persist(
        () =>
          scheduleContacts(
            this.store,
            campaignId,
            group.map((c) => c._id),
            now,
            now,
          ),
        { log: this.log, what: 'queue a requeue' },
      );
      const result = await this.store.Contact.bulkWrite(
        group.map((c) => ({
          updateOne: {
            filter: { _id: c._id, call_status: from, tries: c.tries },
            update: { $set: { call_status: 'pending', next_attempt_at: now, check_after: null, call_error: null } },
          },
        })),
        { ordered: false },
      );
      const missed = group.length - result.modifiedCount;
      if (missed > 0)
        await persist(() => applyDelta(this.store, campaignId, moveDelta('retrying', from, missed)), {
          log: this.log,
          what: 'undo a requeue count',
        });
      moved += result.modifiedCount;
    }
    if (moved > 0) this.events.emit('contact', { campaignId });
    return moved;
  }

  /** Back to pending through the retry queue (bucket first), giving the attempt back. */
  async #requeueOne(c: ContactFields, from: CallStatus[], notBefore: Date, reason: string | null): Promise<ContactFields | null> {
    await persist(() => scheduleContacts(this.store, c.campaign_id, [c._id], notBefore, this.clock()), {
      log: this.log,
      what: 'queue a contact again',
    });
    return this.#move(c, from, {
      $set: { call_status: 'pending', next_attempt_at: notBefore, runner_id: null, check_after: null, call_error: reason },
      $inc: { attempts: -1 },
    });
  }

  async #lateOutcome(contact: ContactFields, o: AttemptOutcome): Promise<void> {
    const key = attemptKey(contact._id, o.try!);
    const set: Record<string, unknown> = { sid: o.callSid };
    if (o.durationSeconds != null) set.duration = o.durationSeconds;
    if (o.answeredBy) set.answered_by = o.answeredBy;
    await this.store.Call.updateOne(
      { _id: key, state: { $in: ['sent', 'placed', 'absent'] } },
      { $set: { ...set, state: o.status, outcome_at: this.clock() } },
    );
    this.log.info(
      { contact: contact._id, try: o.try, current_try: contact.tries },
      'outcome of an earlier attempt; the current attempt is unchanged',
    );
  }

  async #outbox(c: ContactFields, outcome: Outcome, reason: string | null, at: Date): Promise<void> {
    const key = attemptKey(c._id, c.tries);
    await persist(
      () =>
        this.store.Failure.updateOne(
          { _id: key },
          {
            $setOnInsert: {
              campaign_id: c.campaign_id,
              contact_id: c._id,
              try: c.tries,
              phone: c.phone,
              name: c.name,
              outcome,
              reason,
              at,
            },
          },
          { upsert: true },
        ),
      { log: this.log, what: 'note a failure for the thread' },
    );
  }

  #callRecord(c: ContactFields, set: Record<string, unknown>, onInsert: Record<string, unknown> = {}) {
    return this.store.Call.updateOne(
      { _id: attemptKey(c._id, c.tries) },
      {
        $set: set,
        $setOnInsert: { campaign_id: c.campaign_id, contact_id: c._id, try: c.tries, sent_at: c.sent_at ?? this.clock(), ...onInsert },
      },
      { upsert: true },
    );
  }

  /**
   * The sid always; the state `placed` only over one that says less, because the call's end may have been recorded
   * first (a status callback can overtake the answer to the request) and must not be undone.
   */
  async #placedRecord(c: ContactFields, sid: string): Promise<void> {
    await this.#callRecord(c, { sid }, { state: 'placed' });
    await this.store.Call.updateOne({ _id: attemptKey(c._id, c.tries), state: { $in: ['sent', 'absent'] } }, { $set: { state: 'placed' } });
  }

  /**
   * One conditional update of the attempt `c` describes (same try, one of `from`), then the counters and the line.
   * Returns the contact after the change, or null when it was not in the expected state.
   */
  async #move(
    c: ContactFields,
    from: CallStatus[],
    update: Update,
    extra: ViewDelta | ((before: ContactFields) => ViewDelta) = {},
  ): Promise<ContactFields | null> {
    const before = (await this.store.Contact.findOneAndUpdate({ _id: c._id, tries: c.tries, call_status: { $in: from } }, update, {
      returnDocument: 'before',
    }).lean()) as ContactFields | null;
    if (!before) return null;
    const after = applied(before, update);
    const fromBucket = bucketOf(before);
    const toBucket = bucketOf(after);
    // Every move here stays within outstanding work or leaves it, so the contact is written first (campaign-view.ts).
    const delta = mergeDelta(moveDelta(fromBucket, toBucket), typeof extra === 'function' ? extra(before) : extra);
    await persist(() => applyDelta(this.store, c.campaign_id, delta), { log: this.log, what: 'update campaign counters' }).catch(
      (error: unknown) =>
        this.log.error({ err: error, campaign: String(c.campaign_id) }, 'campaign counters not updated; the next recount corrects them'),
    );
    if (before.line_id && !LIVE_BUCKETS.includes(toBucket)) {
      await this.#releaseLine(before.line_id, attemptKey(before._id, before.tries)).catch((error: unknown) =>
        this.log.warn({ err: error, line: before.line_id }, 'could not give a live-call line back; the reconciler will'),
      );
    }
    this.events.emit('contact', { campaignId: c.campaign_id, from: before.call_status, contact: after });
    return after;
  }
}

/** The document an update produces from `before` ($set and $inc on top-level fields). */
function applied(before: ContactFields, update: Update): ContactFields {
  const after = { ...before, ...(update.$set ?? {}) } as Record<string, unknown>;
  for (const [k, n] of Object.entries(update.$inc ?? {})) after[k] = ((after[k] as number | undefined) ?? 0) + n;
  return after as unknown as ContactFields;
}

export type { Bucket };
