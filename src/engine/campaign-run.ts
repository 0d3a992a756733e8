// One run per running campaign, in the process that holds the campaign's lease. It takes the next contact from the
// campaign's queue, waits for the campaign's own pace and the account's pacer, asks the dial gate, sends, and records
// what Exotel said. Pause and stop abort its signal: nothing new is sent, requests already sent finish and are
// recorded, and only then is the lease given back, so another process never runs the campaign while a request of
// this run may still be in flight.
import type { Types } from 'mongoose';
import type { CampaignEvents } from '../campaigns/campaign-events.js';
import type { CampaignTransitions } from '../campaigns/campaign-transitions.js';
import { countContacts, driftOf, outstandingOf, recountCampaign } from '../campaigns/campaign-view.js';
import { ContactQueue, nextBucketDue } from '../campaigns/contact-queue.js';
import type { ContactState } from '../campaigns/contact-state.js';
import type { Logger } from '../logger.js';
import { attemptKey } from '../store/call-model.js';
import type { CampaignFields, DialWait } from '../store/campaign-model.js';
import type { ContactFields } from '../store/contact-model.js';
import { persist, sleep } from '../store/persist.js';
import type { Store } from '../store/store.js';
import { CampaignThrottle } from './campaign-throttle.js';
import type { DialGate } from './dial-gate.js';
import type { Dialer, DialResult } from './dialer.js';
import type { LiveLines } from './live-lines.js';
import type { RequestPacer } from './request-pacer.js';

export interface RunSettings {
  callerId: string;
  flowUrl: string;
  /** `<PUBLIC_URL>/exotel/status/<secret>`, or undefined to learn outcomes from call details. */
  statusCallbackUrl: string | undefined;
  /** Exotel's TimeOut: how long a number rings, seconds. */
  ringSeconds: number;
  /** Exotel's TimeLimit: the longest call, seconds. */
  maxCallSeconds: number;
  /** First look at a placed call's details when no callback came, ms after it was placed. */
  pollAfterMs: number;
  /** A request that never reached Exotel (network, 5xx on a read) is tried again after this long. */
  retryableDelayMs: number;
  /** Pause between checks when nothing is due. */
  idleMs: number;
  /** Re-read the campaign (status, lease, rules) at least this often. */
  statusCheckMs: number;
  /** Longest time between the fencing write and the send: beyond it the process was stalled and must not send. */
  stallLimitMs: number;
  /** The same refusal from Exotel this many times in a row means the account's settings are wrong: pause. */
  sameErrorLimit: number;
  /** While nothing is due, compare the campaign's view with its contacts this often, and correct a drift that stayed
   * the same from one look to the next. More than the longest pause between retries of a failed write (5 s). */
  recountEveryMs: number;
}

export interface RunDeps {
  store: Store;
  state: ContactState;
  transitions: CampaignTransitions;
  events: CampaignEvents;
  dialer: Dialer;
  pacer: RequestPacer;
  gate: DialGate;
  lines: LiveLines;
  log: Logger;
  settings: RunSettings;
  now: () => Date;
  /** This campaign's calls per minute now (its own cap, or its fair share of the account's). */
  rate: (campaign: CampaignFields) => number;
}

export class CampaignRun {
  readonly campaignId: Types.ObjectId;
  readonly runnerId: string;
  readonly epoch: number;
  readonly #deps: RunDeps;
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();
  readonly #log: Logger;
  #done: Promise<void> | undefined;
  #wait: DialWait = { reason: null, until: null };
  #sameError = { signature: '', count: 0 };
  /** The last look at the view while waiting (the run recounts when it starts), and the drift it saw. */
  #lookedAt = Date.now();
  #drift: { version: number; truth: string } | null = null;

  constructor(campaignId: Types.ObjectId, runnerId: string, epoch: number, deps: RunDeps) {
    this.campaignId = campaignId;
    this.runnerId = runnerId;
    this.epoch = epoch;
    this.#deps = deps;
    this.#log = deps.log.child({ campaign: String(campaignId), epoch });
  }

  get aborted(): boolean {
    return this.#abort.signal.aborted;
  }

  start(): Promise<void> {
    this.#done ??= this.#run().catch((error: unknown) => {
      this.#log.error({ err: error }, 'campaign run failed; the next tick will adopt the campaign again');
    });
    return this.#done;
  }

  /** Stops sending; resolves when requests in flight are recorded and the lease is given back. */
  async stop(reason: string): Promise<void> {
    if (!this.aborted) {
      this.#log.info({ reason }, 'stopping campaign run');
      this.#abort.abort(new Error(reason));
    }
    await this.#done;
  }

  /** Wakes a run that waits (a window opened, a line was freed, contacts were queued). */
  nudge(): void {
    this.#wake?.();
  }

  #wake: (() => void) | undefined;

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      // A crash may have left the counters behind the contacts: correct them before the run reads them for a decision.
      // The recount reads every contact (seconds at 100,000), so it runs here, after adoption: the engine's tick goes
      // on renewing this run's lease meanwhile.
      await recountCampaign(this.#deps.store, this.campaignId, this.#log).catch((error: unknown) =>
        this.#log.warn({ err: error }, 'recount at adoption failed; continuing with the counters as they are'),
      );
      await this.#loop(signal);
    } finally {
      await Promise.allSettled([...this.#inflight]);
      this.#abort.abort(new Error('run ended'));
      await this.#releaseLease();
    }
  }

  async #read(): Promise<CampaignFields | null> {
    const c = (await this.#deps.store.Campaign.findById(this.campaignId).lean()) as CampaignFields | null;
    if (c?.status !== 'running' || c.runner_id !== this.runnerId || c.lease_epoch !== this.epoch) return null;
    return c;
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const { settings, pacer, gate, now } = this.#deps;
    let campaign = await this.#read();
    if (!campaign) return;
    const queue = new ContactQueue(this.#deps.store, this.campaignId, campaign.queue_seq);
    const throttle = new CampaignThrottle(this.#deps.rate(campaign), signal);
    let readAt = Date.now();
    let linesBusy = false;
    try {
      while (!signal.aborted) {
        if (Date.now() - readAt >= settings.statusCheckMs) {
          campaign = await this.#read();
          readAt = Date.now();
          if (!campaign) break;
          const rate = this.#deps.rate(campaign);
          if (rate !== throttle.rate) throttle.setRate(rate);
        }
        const candidate = await queue.next(campaign, now());
        if (!candidate) {
          if (await this.#finishIfDone(campaign)) break;
          await this.#recountNowAndThen();
          await this.#idle(campaign, signal);
          queue.recheck();
          readAt = 0;
          continue;
        }
        // A candidate already skipped, finished or not due yet is passed over without spending a pacing turn on it
        // (the gate checks again, after the wait, before anything is sent).
        if (!(await this.#worthATurn(candidate.id, now()))) {
          await queue.done(candidate);
          continue;
        }
        // After the gate found every line busy, wait for a free one before spending a pacing turn on a request.
        if (linesBusy && (await this.#deps.lines.free()) === 0) {
          await this.#waitFor('live-cap', null, signal);
          continue;
        }
        linesBusy = false;
        await throttle.wait();
        await pacer.take(signal);
        const decision = await gate.pass(this, campaign, candidate.id, now());
        if (decision.go) {
          await queue.done(candidate);
          await this.#setWait({ reason: null, until: null });
          const dial = this.#dial(campaign, decision.contact, decision.fencedAt).finally(() => this.#inflight.delete(dial));
          this.#inflight.add(dial);
        } else if ('next' in decision) {
          await queue.done(candidate);
        } else if ('wait' in decision) {
          linesBusy = decision.wait === 'live-cap';
          if (!linesBusy) await this.#waitFor(decision.wait, decision.until, signal);
          readAt = 0;
        } else {
          if (decision.stop === 'expired') await this.#expire();
          else this.#log.info('campaign run ends: the campaign is no longer running here (paused, stopped, or its lease lost)');
          break;
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      await queue
        .save()
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not save the queue position; a restart repeats a few lookups'));
    }
  }

  async #worthATurn(id: string, now: Date): Promise<boolean> {
    const contact = await this.#deps.store.Contact.findById(id, { call_status: 1, next_attempt_at: 1 }).lean();
    return contact?.call_status === 'pending' && contact.next_attempt_at.getTime() <= now.getTime();
  }

  /** Nothing is due now: say why on the campaign, and wait a little (or until nudged). */
  async #idle(campaign: CampaignFields, signal: AbortSignal): Promise<void> {
    const live = campaign.counts.dialing + campaign.counts.initiated + campaign.counts.unknown;
    const nextRetry = campaign.counts.retrying > 0 ? await nextBucketDue(this.#deps.store, this.campaignId) : null;
    if (nextRetry) await this.#setWait({ reason: 'waiting-retries', until: nextRetry });
    else if (live > 0) await this.#setWait({ reason: 'waiting-outcomes', until: null });
    await this.#pause(this.#deps.settings.idleMs, signal);
  }

  async #waitFor(reason: 'outside-hours' | 'live-cap', until: Date | null, signal: AbortSignal): Promise<void> {
    await this.#setWait({ reason, until });
    const ms = until ? Math.min(Math.max(until.getTime() - this.#deps.now().getTime(), 50), 60_000) : 500;
    await this.#pause(ms, signal);
  }

  async #pause(ms: number, signal: AbortSignal): Promise<void> {
    await Promise.race([sleep(ms, signal).catch(() => {}), new Promise<void>((resolve) => (this.#wake = resolve))]);
    this.#wake = undefined;
  }

  async #setWait(wait: DialWait): Promise<void> {
    if (this.#wait.reason === wait.reason && this.#wait.until?.getTime() === wait.until?.getTime()) return;
    this.#wait = wait;
    await this.#deps.store.Campaign.updateOne({ _id: this.campaignId }, { $set: { dial_wait: wait } }).catch(() => {});
    this.#deps.events.emit('status', { campaignId: this.campaignId, status: 'running', reason: null });
  }

  /** Completes the campaign when its view says nothing is outstanding (one conditional update). */
  async #finishIfDone(campaign: CampaignFields): Promise<boolean> {
    if (this.#inflight.size > 0) return false;
    // A counter below zero is drift: a process that froze between a contact's write and its counters' wrote them
    // after a recount had already counted the contact. Then, and before completing at all, recount ("at the end").
    const drifted = Object.values(campaign.counts).some((n) => n < 0);
    if (!drifted && outstandingOf(campaign.counts) > 0) return false;
    await recountCampaign(this.#deps.store, this.campaignId, this.#log).catch((error: unknown) =>
      this.#log.warn({ err: error }, 'recount before completing failed; completing by the counters as they are'),
    );
    const result = await this.#deps.transitions.complete(this.campaignId);
    if (result.ok) this.#log.info('campaign completed');
    return result.ok;
  }

  /**
   * A write whose answer was lost (a dropped connection) and then retried can leave the view's counters off by one
   * — a contact counted in `dialing` that is long final — and then the conditional `complete` never matches. While
   * nothing is due, the run compares the view with the contacts now and then, and recounts when it finds the same
   * drift twice with no transition in between: a drift that is only a transition half done (its contact written, its
   * counters not yet) changes in the meantime and is left alone.
   */
  async #recountNowAndThen(): Promise<void> {
    const { store, settings } = this.#deps;
    if (this.#inflight.size > 0 || Date.now() - this.#lookedAt < settings.recountEveryMs) return;
    this.#lookedAt = Date.now();
    try {
      const view = (await store.Campaign.findById(this.campaignId, { counts: 1, view_version: 1 }).lean()) as Pick<
        CampaignFields,
        'counts' | 'view_version'
      > | null;
      const truth = await countContacts(store, this.campaignId);
      const seen = view && driftOf(view.counts, truth) ? { version: view.view_version, truth: JSON.stringify(truth) } : null;
      const again = seen !== null && seen.version === this.#drift?.version && seen.truth === this.#drift.truth;
      this.#drift = seen;
      if (again) await recountCampaign(store, this.campaignId, this.#log);
    } catch (error) {
      this.#log.warn({ err: error }, 'could not compare the campaign view with its contacts; will look again');
    }
  }

  async #expire(): Promise<void> {
    const result = await this.#deps.transitions.apply(this.campaignId, 'expire', {
      reason: 'Its end date passed; nothing more is dialled.',
    });
    if (result.ok) this.#log.info('campaign expired');
  }

  async #dial(campaign: CampaignFields, contact: ContactFields, fencedAt: number): Promise<void> {
    const { dialer, settings, state, now } = this.#deps;
    const log = this.#log.child({ contact: contact._id, try: contact.tries });
    if (performance.now() - fencedAt > settings.stallLimitMs) {
      // The process stood still between its last check and the send (a pause, a stop signal, a long GC): the lease
      // it checked may be someone else's by now. Give the attempt back unsent.
      log.warn({ stalled_ms: Math.round(performance.now() - fencedAt) }, 'process stalled before sending; the request is not sent');
      await persist(() => state.notPlaced(contact, null, now()), { log, what: 'give back an unsent attempt' });
      return;
    }
    const result = await dialer.placeCall({
      phone: contact.phone,
      callerId: campaign.caller_id ?? settings.callerId,
      flowUrl: settings.flowUrl,
      attemptKey: attemptKey(contact._id, contact.tries),
      ringSeconds: settings.ringSeconds,
      maxCallSeconds: settings.maxCallSeconds,
      ...(settings.statusCallbackUrl ? { statusCallbackUrl: settings.statusCallbackUrl } : {}),
    });
    await this.#record(contact, result, log);
  }

  async #record(contact: ContactFields, result: DialResult, log: Logger): Promise<void> {
    const { state, pacer, settings, now } = this.#deps;
    const at = now();
    if (result.kind === 'placed') {
      pacer.noteSuccess();
      this.#sameError = { signature: '', count: 0 };
      log.debug({ call_sid: result.sid }, 'call placed');
      // Retried for as long as the process lives: a placed call's sid must not be lost.
      await persist(() => state.placed(contact, result.sid, result.createdAt, new Date(at.getTime() + settings.pollAfterMs)), {
        log,
        what: 'record a placed call',
        maxWaitMs: Number.POSITIVE_INFINITY,
      });
      return;
    }
    if (result.kind === 'unknown') {
      log.warn({ reason: result.message }, 'outcome of the request is unknown; checking with Exotel before anything else');
      const firstLook = new Date(at.getTime() + (settings.ringSeconds + 5) * 1000);
      await persist(() => state.unknown(contact, 'Checking with Exotel whether this call was placed.', firstLook), {
        log,
        what: 'record an unknown request',
      });
      return;
    }
    await this.#recordRefusal(contact, result, log, at);
  }

  async #recordRefusal(contact: ContactFields, result: Extract<DialResult, { kind: 'not-placed' }>, log: Logger, at: Date): Promise<void> {
    const { state, pacer, settings, transitions } = this.#deps;
    const what = { log, what: 'record a refused request' };
    if (result.why === 'rate-limited') {
      const held = await pacer.hold(result.retryAfterMs);
      log.warn({ hold_ms: held }, 'Exotel rate limit; every process holds');
      await this.#setWait({ reason: 'rate-held', until: new Date(at.getTime() + held) });
      await persist(() => state.notPlaced(contact, null, new Date(at.getTime() + held)), what);
      return;
    }
    if (result.why === 'unavailable') {
      await persist(
        () =>
          state.notPlaced(
            contact,
            `Exotel was unavailable (${result.message}); trying again.`,
            new Date(at.getTime() + settings.retryableDelayMs),
          ),
        what,
      );
      return;
    }
    const same = result.signature !== undefined && result.signature === this.#sameError.signature;
    this.#sameError = { signature: result.signature ?? '', count: same ? this.#sameError.count + 1 : 1 };
    if (result.why === 'account' || this.#sameError.count >= settings.sameErrorLimit) {
      await persist(() => state.notPlaced(contact, null, at), what);
      const reason =
        result.why === 'account'
          ? `Exotel refused the account (HTTP ${result.httpStatus}: ${result.message}). Check EXOTEL_AUTH_KEY, EXOTEL_AUTH_TOKEN, EXOTEL_ACCOUNT_SID and the plan, then resume.`
          : `Exotel refused ${this.#sameError.count} numbers in a row with the same error: ${result.message}. This usually means the caller id (EXOTEL_CALLER_ID) or the call flow (EXOTEL_URL) is wrong; fix it, then resume.`;
      log.error({ status: result.httpStatus }, 'Exotel refused the account settings; pausing the campaign');
      await transitions.apply(this.campaignId, 'pause', { reason });
      return;
    }
    log.info({ status: result.httpStatus }, 'Exotel refused the number');
    await persist(() => state.rejected(contact, result.message, at), what);
  }

  /** Gives the lease back once nothing of this run can be in flight (only if it is still ours). */
  async #releaseLease(): Promise<void> {
    await this.#deps.store.Campaign.updateOne(
      { _id: this.campaignId, runner_id: this.runnerId, lease_epoch: this.epoch },
      { $set: { runner_id: null, lease_expires_at: null } },
    ).catch((error: unknown) => this.#log.warn({ err: error }, 'could not release the lease; it will expire'));
  }
}
