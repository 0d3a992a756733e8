// Brings contacts whose outcome is not known yet in line with Exotel:
// - `unknown` (an ambiguous request, or a runner that died while dialling) is looked up in Exotel's call list by
//   number and time: found → initiated with that sid; absent after a grace period → pending (never dialled twice);
//   Exotel unreachable → stays unknown and is checked again.
// - `initiated` calls whose outcome has not arrived (no PUBLIC_URL, or a lost callback) are asked about by sid.
// Every request goes through the account's pacer: Exotel's limit counts all API requests.
import type { Types } from 'mongoose';
import { comparablePhone } from '../campaigns/phone.js';
import type { ContactState } from '../campaigns/contact-state.js';
import type { ExotelCall } from '../exotel/exotel-call.js';
import { FINAL_CALL_STATUSES } from '../exotel/exotel-call.js';
import { isExotelError } from '../exotel/exotel-error.js';
import type { Logger } from '../logger.js';
import type { ContactFields, TerminalCallStatus } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import type { Dialer } from './dialer.js';
import type { CallPacer } from './shared-pacer.js';

export interface ReconcilerSettings {
  /** An unknown attempt absent from Exotel's call list this long after it was claimed was never placed. */
  unknownGraceMs: number;
  /** Ask again about an initiated call still in progress after this long. */
  pollEveryMs: number;
  /** Re-check an unknown contact after Exotel could not be asked. */
  unreachableRetryMs: number;
  /** Exotel's timestamps are whole seconds in IST; accept calls created this much before the claim. */
  clockSkewMs: number;
}

export const DEFAULT_RECONCILER_SETTINGS: ReconcilerSettings = {
  unknownGraceMs: 120_000,
  pollEveryMs: 30_000,
  unreachableRetryMs: 30_000,
  clockSkewMs: 60_000,
};

const BATCH = 50;
/** Exotel's call list filters by at most five numbers. */
const LIST_FILTER_MAX = 5;

export class Reconciler {
  constructor(
    private readonly store: Store,
    private readonly state: ContactState,
    private readonly dialer: Dialer,
    private readonly pacer: CallPacer,
    private readonly log: Logger,
    private readonly settings: ReconcilerSettings = DEFAULT_RECONCILER_SETTINGS,
  ) {}

  /** One pass: every unknown or initiated contact of the campaign whose check is due. One query finds them all. */
  async reconcile(campaignId: Types.ObjectId, signal: AbortSignal): Promise<void> {
    const due = (await this.store.Contact.find({
      campaign_id: campaignId,
      call_status: { $in: ['unknown', 'initiated'] },
      check_after: { $lte: new Date() },
    })
      .sort({ check_after: 1 })
      .limit(BATCH)
      .lean()) as ContactFields[];
    if (due.length === 0) return;
    await this.#checkUnknown(due.filter((c) => c.call_status === 'unknown'), signal);
    await this.#pollInitiated(due.filter((c) => c.call_status === 'initiated'), signal);
  }

  async #ask<T>(request: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const permit = await this.pacer.acquire(signal);
    try {
      const result = await request();
      this.pacer.noteSuccess();
      return result;
    } catch (error) {
      if (isExotelError(error) && error.status === 429) this.pacer.holdFor(error.retryAfterMs);
      throw error;
    } finally {
      permit.release();
    }
  }

  async #checkUnknown(due: ContactFields[], signal: AbortSignal): Promise<void> {
    for (let i = 0; i < due.length && !signal.aborted; i += LIST_FILTER_MAX) {
      const group = due.slice(i, i + LIST_FILTER_MAX);
      const since = new Date(Math.min(...group.map((c) => claimTime(c).getTime())) - this.settings.clockSkewMs);
      let calls: ExotelCall[];
      try {
        calls = await this.#ask(() => this.dialer.listCalls(group.map((c) => c.phone), since, signal), signal);
      } catch (error) {
        if (signal.aborted) return;
        this.log.warn({ err: error, contacts: group.length }, 'could not ask Exotel whether unknown calls were placed');
        const retryAt = new Date(Date.now() + this.settings.unreachableRetryMs);
        const note = `Could not ask Exotel whether this call was placed (${describe(error)}); checking again.`;
        for (const c of group) await this.state.checkLater(c, retryAt, note);
        continue;
      }
      for (const contact of group) await this.#settleUnknown(contact, calls);
    }
  }

  async #settleUnknown(contact: ContactFields, calls: ExotelCall[]): Promise<void> {
    const claimedAt = claimTime(contact).getTime();
    const match = calls
      .filter(
        (call) =>
          comparablePhone(call.from ?? '') === contact.phone &&
          call.sid !== contact.call_sid &&
          (call.customField === undefined || call.customField === '' || call.customField === String(contact._id)) &&
          (call.dateCreated === null || call.dateCreated.getTime() >= claimedAt - this.settings.clockSkewMs),
      )
      .sort((a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0))[0];
    const now = new Date();
    if (match) {
      this.log.info({ contact: String(contact._id), call_sid: match.sid }, 'unknown attempt found in Exotel call list');
      const found = await this.state.foundOnExotel(contact, match.sid, match.dateCreated, now);
      if (found && FINAL_CALL_STATUSES.has(match.status)) await this.#recordFinal(match, contact);
      return;
    }
    if (now.getTime() - claimedAt >= this.settings.unknownGraceMs) {
      this.log.info({ contact: String(contact._id) }, 'unknown attempt absent from Exotel call list; queued again');
      await this.state.absentOnExotel(contact, now);
    } else {
      const remaining = this.settings.unknownGraceMs - (now.getTime() - claimedAt);
      await this.state.checkLater(contact, new Date(now.getTime() + Math.min(remaining, 5_000)));
    }
  }

  async #pollInitiated(due: ContactFields[], signal: AbortSignal): Promise<void> {
    for (const contact of due) {
      if (signal.aborted) return;
      try {
        const call = await this.#ask(() => this.dialer.getCall(contact.call_sid!, signal), signal);
        if (FINAL_CALL_STATUSES.has(call.status)) await this.#recordFinal(call, contact);
        else await this.state.checkLater(contact, new Date(Date.now() + this.settings.pollEveryMs));
      } catch (error) {
        if (signal.aborted) return;
        this.log.warn({ err: error, call_sid: contact.call_sid }, 'could not fetch call details');
        await this.state.checkLater(contact, new Date(Date.now() + this.settings.unreachableRetryMs));
      }
    }
  }

  async #recordFinal(call: ExotelCall, contact: ContactFields): Promise<void> {
    await this.state.outcome({
      contactId: String(contact._id),
      callSid: call.sid,
      status: call.status as TerminalCallStatus,
      startedAt: call.startTime,
      endedAt: call.endTime,
      durationSeconds: call.duration,
      error: call.status === 'failed' ? 'Exotel reported the call failed.' : null,
    });
  }
}

function claimTime(contact: ContactFields): Date {
  return contact.claimed_at ?? contact.updated_at;
}

function describe(error: unknown): string {
  if (isExotelError(error)) return error.status ? `HTTP ${error.status}` : error.message;
  return error instanceof Error ? error.message : String(error);
}
