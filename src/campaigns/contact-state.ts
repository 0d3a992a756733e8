// Every change of a contact's call_status after it was imported. Each change is one conditional update that names
// the state it expects (and, for a claimed contact, the runner holding it), so a late or repeated writer — a second
// callback, a runner whose lease was taken over — changes nothing. Counter deltas and in-process events follow
// each change that was actually written.
import type { Types } from 'mongoose';
import type { CallStatus, ContactDoc, ContactFields, TerminalCallStatus } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import type { CampaignEvents } from './campaign-events.js';
import type { CounterBuffer } from './campaign-counters.js';
import { claimNextContact } from './contact-claims.js';
import { nextAttemptAt } from './retry-policy.js';

export interface CallOutcome {
  callSid: string;
  status: TerminalCallStatus;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationSeconds?: number | null;
  /** Exotel's words for a failed call, if any. */
  error?: string | null;
  /** The CustomField Exotel echoed: the contact id, which finds a call whose acceptance is not recorded yet. */
  contactId?: string | null;
}

export interface OutcomeResult {
  /** The contact after the change. */
  contact: ContactFields;
  from: CallStatus;
  /** True when the outcome earned a retry: the contact is pending again. */
  retrying: boolean;
}

/**
 * Call statuses from which an outcome may still arrive. Only `initiated` holds the sid of the current attempt: a
 * `dialing` or `unknown` contact still carries the previous attempt's sid (kept across a retry), so a late repeat of
 * that call's callback must not be taken for the new attempt's outcome.
 */
const AWAITING_OUTCOME: CallStatus[] = ['initiated'];

export class ContactState {
  constructor(
    private readonly store: Store,
    private readonly counters: CounterBuffer,
    private readonly events: CampaignEvents,
  ) {}

  /** pending → dialing, for one attempt. */
  claim(campaignId: Types.ObjectId, runnerId: string, now = new Date()): Promise<ContactDoc | null> {
    return claimNextContact(this.store, campaignId, runnerId, now);
  }

  /** dialing → initiated: Exotel accepted the call. */
  initiated(contact: ContactFields, runnerId: string, callSid: string, at: Date, checkAfter: Date) {
    return this.#move(contact, { call_status: 'dialing', runner_id: runnerId }, 'initiated', {
      $set: { call_sid: callSid, call_started_at: at, call_ended_at: null, call_error: null, check_after: checkAfter },
    });
  }

  /** dialing → failed: Exotel refused this number for good (4xx); the call was not placed. */
  rejected(contact: ContactFields, runnerId: string, message: string, at: Date) {
    return this.#move(contact, { call_status: 'dialing', runner_id: runnerId }, 'failed', {
      $set: { call_error: message, outcome_at: at, last_outcome: 'failed', check_after: null },
    });
  }

  /** dialing → pending: the request never reached Exotel (or was refused before placing); the attempt is given back. */
  released(contact: ContactFields, runnerId: string, notBefore: Date, reason: string | null) {
    return this.#move(contact, { call_status: 'dialing', runner_id: runnerId }, 'pending', {
      $set: { next_attempt_at: notBefore, runner_id: null, claimed_at: null, call_error: reason },
      $inc: { attempts: -1 },
    });
  }

  /** dialing → unknown: the request may have reached Exotel; it must be checked before anything else happens. */
  unknown(contact: ContactFields, runnerId: string, reason: string, checkAfter: Date) {
    return this.#move(contact, { call_status: 'dialing', runner_id: runnerId }, 'unknown', {
      $set: { call_error: reason, check_after: checkAfter },
    });
  }

  /**
   * dialing → unknown for every contact a runner other than `runnerId` left claimed: that runner's lease expired,
   * so it is gone, and whether it sent the request is not known. With `includeOwn`, `runnerId`'s own claims too: a
   * run that is starting has nothing in flight, so a claim it holds was left by an earlier run of this process that
   * failed (e.g. the database dropped the answer to a claim it had made).
   */
  async orphansToUnknown(campaignId: Types.ObjectId, runnerId: string, now: Date, includeOwn = false): Promise<number> {
    const result = await this.store.Contact.updateMany(
      { campaign_id: campaignId, call_status: 'dialing', ...(includeOwn ? {} : { runner_id: { $ne: runnerId } }) },
      { $set: { call_status: 'unknown', check_after: now, call_error: 'The process dialling this number stopped; checking with Exotel.' } },
    );
    return result.modifiedCount;
  }

  /** unknown → initiated: Exotel's call list shows the call. */
  foundOnExotel(contact: ContactFields, callSid: string, createdAt: Date | null, checkAfter: Date) {
    return this.#move(contact, { call_status: 'unknown', attempts: contact.attempts }, 'initiated', {
      $set: { call_sid: callSid, call_started_at: createdAt ?? contact.claimed_at, call_error: null, check_after: checkAfter },
    });
  }

  /** unknown → pending: Exotel's call list proves no call was placed for this attempt; it is given back. */
  absentOnExotel(contact: ContactFields, now: Date) {
    return this.#move(contact, { call_status: 'unknown', attempts: contact.attempts }, 'pending', {
      $set: { next_attempt_at: now, runner_id: null, claimed_at: null, call_error: null, check_after: null },
      $inc: { attempts: -1 },
    });
  }

  /** Keeps an unknown or initiated contact as it is, to be checked again later, saying why. */
  async checkLater(contact: ContactFields, checkAfter: Date, note?: string): Promise<void> {
    const set: Record<string, unknown> = { check_after: checkAfter };
    if (note !== undefined) set.call_error = note;
    await this.store.Contact.updateOne({ _id: contact._id, call_status: contact.call_status }, { $set: set });
  }

  /**
   * A call ended (status callback or call details): records the outcome once per call, and queues a retry when
   * the campaign's policy gives one. Returns null for a repeated or unknown CallSid.
   */
  async outcome(outcome: CallOutcome, now = new Date()): Promise<OutcomeResult | null> {
    const { contact, matchSid } = await this.#findForOutcome(outcome);
    if (!contact) return null;
    const campaign = await this.store.Campaign.findById(contact.campaign_id, { retry: 1 }).lean();
    const retryAt = campaign ? nextAttemptAt(campaign.retry, outcome.status, contact.attempts, now) : null;
    const details = {
      call_ended_at: outcome.endedAt ?? now,
      call_duration: outcome.durationSeconds ?? null,
      call_error: outcome.status === 'completed' ? null : (outcome.error ?? null),
      outcome_at: now,
      last_outcome: outcome.status,
      check_after: null,
      call_sid: outcome.callSid,
      ...(outcome.startedAt ? { call_started_at: outcome.startedAt } : {}),
    };
    const to: CallStatus = retryAt ? 'pending' : outcome.status;
    const update = retryAt
      ? { $set: { ...details, next_attempt_at: retryAt, runner_id: null, claimed_at: null } }
      : { $set: details };
    const after = await this.#move(
      contact,
      { call_status: contact.call_status, ...(matchSid ? { call_sid: matchSid } : {}), attempts: contact.attempts },
      to,
      update,
    );
    return after ? { contact: after, from: contact.call_status, retrying: retryAt !== null } : null;
  }

  /**
   * The contact a call's outcome belongs to. By the contact id Exotel echoes (CustomField) when there is one — an
   * `_id` lookup, cheap on any server — else by CallSid. Only `initiated` holds the current attempt's sid; a contact
   * still `dialing` or `unknown` takes the outcome too (the call ended before its acceptance was written), unless
   * the call started well before this attempt was claimed (a late callback of an earlier attempt).
   */
  async #findForOutcome(outcome: CallOutcome): Promise<{ contact: ContactFields | null; matchSid: string | null }> {
    const byId = outcome.contactId && /^[0-9a-f]{24}$/i.test(outcome.contactId)
      ? ((await this.store.Contact.findById(outcome.contactId).lean()) as ContactFields | null)
      : null;
    if (byId && byId.call_sid === outcome.callSid && AWAITING_OUTCOME.includes(byId.call_status)) return { contact: byId, matchSid: outcome.callSid };
    if (byId && (byId.call_status === 'dialing' || byId.call_status === 'unknown')) {
      const claimed = byId.claimed_at?.getTime();
      const late = claimed !== undefined && outcome.startedAt && outcome.startedAt.getTime() < claimed - 60_000;
      return { contact: late ? null : byId, matchSid: null };
    }
    if (byId) return { contact: null, matchSid: null };
    const bySid = (await this.store.Contact.findOne({ call_sid: outcome.callSid, call_status: { $in: AWAITING_OUTCOME } }).lean()) as ContactFields | null;
    return { contact: bySid, matchSid: outcome.callSid };
  }

  async #move(
    contact: ContactFields,
    expect: Record<string, unknown>,
    to: CallStatus,
    update: { $set?: Record<string, unknown>; $inc?: Record<string, number> },
  ): Promise<ContactFields | null> {
    const after = await this.store.Contact.findOneAndUpdate(
      { _id: contact._id, ...expect },
      { ...update, $set: { ...update.$set, call_status: to } },
      { returnDocument: 'after' },
    ).lean();
    if (!after) return null;
    const from = (expect.call_status as CallStatus | undefined) ?? contact.call_status;
    this.counters.move(contact.campaign_id, from, to);
    this.events.emit('contact', { campaignId: contact.campaign_id, from, contact: after as ContactFields });
    return after as ContactFields;
  }
}
