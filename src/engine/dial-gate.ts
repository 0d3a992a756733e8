// The one place that decides whether a number may be dialled now. A run asks it after the pacer's wait, immediately
// before sending; every path that brings a contact back (a retry, a manual retry, a restart, an attempt Exotel never
// placed) ends here too, because the run's queue is the only way to a request. In order:
//   1. the campaign's calling days and hours are open and its end date has not passed;
//   2. the contact is still pending and due;
//   3. it has attempts left under the campaign's retry rules;
//   4. its number is not on the do-not-call list (read now, by `_id`);
//   5. a live-call line is free (the account's EXOTEL_MAX_LIVE_CALLS);
//   6. the fencing write: the campaign is still running and this run's lease is current (its epoch, not expired),
//      checked by a conditional update of the campaign that also counts the contact as dialling;
//   7. the claim: the contact becomes `dialing` with `sent_at` = the claim's time (possibly placed from here on).
// Anything refused after the line was taken gives it back.
import type { CampaignFields } from '../store/campaign-model.js';
import { attemptKey } from '../store/call-model.js';
import type { ContactFields } from '../store/contact-model.js';
import { dncId } from '../store/dnc-model.js';
import type { Store } from '../store/store.js';
import { applyDelta, moveDelta } from '../campaigns/campaign-view.js';
import type { ContactState } from '../campaigns/contact-state.js';
import { bucketOf } from '../campaigns/vocabulary.js';
import type { Logger } from '../logger.js';
import type { HeldLine, LiveLines } from './live-lines.js';

/** Whether a campaign's calling days and hours are open at `now`, and when that changes. */
export type HoursCheck = (campaign: CampaignFields, now: Date) => { open: boolean; changesAt: Date | null };

export interface RunIdentity {
  campaignId: CampaignFields['_id'];
  runnerId: string;
  epoch: number;
}

export type WaitReason = 'outside-hours' | 'live-cap';

export type GateDecision =
  /** `fencedAt`: performance.now() when the gate began its checks; the run must send within its stall limit of it, or not at all. */
  | { go: true; contact: ContactFields; line: HeldLine; fencedAt: number }
  /** Nothing may be dialled for now; the candidate is untouched and comes again. */
  | { go: false; wait: WaitReason; until: Date | null }
  /** This candidate is done with (skipped, not pending, claimed elsewhere): move on to the next. */
  | { go: false; next: true; why: string }
  /** The run must stop: the campaign is not running any more, its lease is lost, or it has expired. */
  | { go: false; stop: 'not-running' | 'expired' };

export interface DialGateOptions {
  /** How long an attempt may wait for its outcome before the reconciler looks (set on the line and the contact). */
  firstCheckMs: number;
  /** The lease, the calling hours and the end date must hold this long after `now` (the moments before the send; the
   * engine passes its stall limit, beyond which the run does not send). */
  leaseMarginMs: number;
}

export class DialGate {
  constructor(
    private readonly store: Store,
    private readonly state: ContactState,
    private readonly lines: LiveLines,
    private readonly hours: HoursCheck,
    private readonly options: DialGateOptions,
    private readonly log: Logger,
  ) {}

  async pass(run: RunIdentity, campaign: CampaignFields, candidateId: string, now: Date): Promise<GateDecision> {
    // The run sends only within its stall limit of this moment (`fencedAt`), so the hours and the end date must hold
    // until `now + leaseMarginMs` (and the lease as long, in real time): a request let through in the last moment of
    // the window would otherwise reach Exotel after its end.
    const startedAt = performance.now();
    const sendBy = now.getTime() + this.options.leaseMarginMs;
    if (campaign.call_until && sendBy >= campaign.call_until.getTime()) return { go: false, stop: 'expired' };
    const hours = this.hours(campaign, now);
    if (!hours.open) return { go: false, wait: 'outside-hours', until: hours.changesAt };
    if (hours.changesAt && hours.changesAt.getTime() <= sendBy) return { go: false, wait: 'outside-hours', until: hours.changesAt };

    const contact = (await this.store.Contact.findById(candidateId).lean()) as ContactFields | null;
    if (contact?.call_status !== 'pending') return { go: false, next: true, why: 'not pending' };
    if (contact.next_attempt_at.getTime() > now.getTime()) return { go: false, next: true, why: 'not due yet' };
    if (contact.attempts >= campaign.retry.max_attempts) {
      await this.state.capReached(contact, now);
      return { go: false, next: true, why: 'attempt cap reached' };
    }
    if (await this.store.Dnc.exists({ _id: dncId(campaign.team_id, contact.phone) })) {
      await this.state.skip(contact, 'dnc');
      this.log.info({ contact: contact._id }, 'number is on the do-not-call list; skipped');
      return { go: false, next: true, why: 'do not call' };
    }

    const key = attemptKey(contact._id, contact.tries + 1);
    const checkAfter = new Date(now.getTime() + this.options.firstCheckMs);
    const line = await this.lines.acquire(key, campaign._id, now, checkAfter);
    if (!line) return { go: false, wait: 'live-cap', until: null };

    const from = bucketOf(contact);
    const fenced = await this.store.Campaign.findOneAndUpdate(
      {
        _id: run.campaignId,
        status: 'running',
        runner_id: run.runnerId,
        lease_epoch: run.epoch,
        // Leases are about processes being alive: real time, whatever clock the business rules use.
        lease_expires_at: { $gt: new Date(Date.now() + this.options.leaseMarginMs) },
      },
      { $inc: { ...moveDelta(from, 'dialing'), view_version: 1 } },
      { returnDocument: 'after' },
    ).lean();
    if (!fenced) {
      await this.lines.release(line.lineId, key);
      return { go: false, stop: 'not-running' };
    }
    // The stall limit counts from the moment the checks above were made against, not from the fencing write.
    const fencedAt = startedAt;
    // `sent_at` is the `now` the checks were made against. The request leaves at most the stall limit later (else it is
    // not sent); a gate that waited on the database makes that gap no longer, because the stall limit counts from its
    // start. The settle margin before "absent" (minutes) covers those seconds.
    const sentAt = now;
    const claimed = await this.state.claim(contact, { runnerId: run.runnerId, epoch: run.epoch }, line.lineId, sentAt, checkAfter);
    if (!claimed) {
      await applyDelta(this.store, campaign._id, moveDelta('dialing', from));
      await this.lines.release(line.lineId, key);
      return { go: false, next: true, why: 'claimed elsewhere' };
    }
    return { go: true, contact: claimed, line, fencedAt };
  }
}
