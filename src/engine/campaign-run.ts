// One run per running campaign, in the process that holds the campaign's lease. It claims contacts one at a time,
// waits for the account's pacer, dials, and records what Exotel said. Pause and stop abort its signal: nothing new
// is claimed or dialled, requests already sent finish and are recorded.
import type { Types } from 'mongoose';
import type { CallingWindow } from '../config.js';
import { outstanding, recountCampaign, statusBreakdown, type CounterBuffer } from '../campaigns/campaign-counters.js';
import type { CampaignEvents } from '../campaigns/campaign-events.js';
import type { CampaignTransitions } from '../campaigns/campaign-transitions.js';
import type { ContactState } from '../campaigns/contact-state.js';
import { ContactClaimer } from '../campaigns/contact-claims.js';
import type { ExotelCall } from '../exotel/exotel-call.js';
import { isExotelError } from '../exotel/exotel-error.js';
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { ContactDoc, ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import { campaignWindow, windowStatus } from './calling-window.js';
import type { Dialer } from './dialer.js';
import type { PacerPermit } from './pacer.js';
import type { CallPacer } from './shared-pacer.js';
import { persist, sleep } from './persist.js';
import type { Reconciler } from './reconciler.js';

export interface RunSettings {
  callerId: string;
  flowUrl: string;
  /** Base of the status callback URL (`<PUBLIC_URL>/exotel/status/<secret>`), or undefined to poll. */
  statusCallbackUrl: string | undefined;
  callingWindow: CallingWindow;
  /** First look at an initiated call's details after this long without a callback. */
  pollAfterMs: number;
  /** A request that never reached Exotel (5xx, refused) is tried again after this long. */
  retryableDelayMs: number;
  /** Pause between checks when nothing is due (waiting for outcomes or retries). */
  idleMs: number;
  /** Re-read the campaign's status at least this often while dialling. */
  statusCheckMs: number;
  /** How often to look for unknown or overdue calls to check with Exotel. */
  reconcileEveryMs: number;
}

export interface RunDeps {
  store: Store;
  state: ContactState;
  transitions: CampaignTransitions;
  counters: CounterBuffer;
  events: CampaignEvents;
  dialer: Dialer;
  pacer: CallPacer;
  reconciler: Reconciler;
  log: Logger;
  runnerId: string;
  settings: RunSettings;
  /** False once this process may no longer be sure it holds the lease; then nothing is dialled. */
  leaseValid: () => boolean;
}

/** Exotel refused the account, not the number: every call would fail the same way. */
const ACCOUNT_ERRORS = new Set([401, 402, 403]);

export class CampaignRun {
  readonly campaignId: Types.ObjectId;
  readonly #deps: RunDeps;
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();
  readonly #log: Logger;
  #done: Promise<void> | undefined;

  constructor(campaignId: Types.ObjectId, deps: RunDeps) {
    this.campaignId = campaignId;
    this.#deps = deps;
    this.#log = deps.log.child({ campaign: String(campaignId) });
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

  /** Stops claiming and dialling; resolves when requests in flight are recorded. */
  async stop(reason: string): Promise<void> {
    if (!this.aborted) {
      this.#log.info({ reason }, 'stopping campaign run');
      this.#abort.abort(new Error(reason));
    }
    await this.#done;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    await this.#recover();
    const reconcileLoop = this.#reconcileLoop(signal);
    try {
      await this.#dialLoop(signal);
    } finally {
      // Also when the loop failed (the database went away): requests already sent are recorded and the reconcile
      // loop ends before the engine may start another run of this campaign.
      await Promise.allSettled([...this.#inflight]);
      this.#abort.abort(new Error('run ended'));
      await reconcileLoop;
    }
    await this.#releaseLease();
  }

  async #dialLoop(signal: AbortSignal): Promise<void> {
    const { store, state, settings, pacer, runnerId } = this.#deps;
    const claimer = new ContactClaimer(store, this.campaignId, runnerId);
    let campaign: CampaignFields | null = null;
    let checkedAt = 0;
    while (!signal.aborted) {
      if (Date.now() - checkedAt >= settings.statusCheckMs || !campaign) {
        campaign = (await store.Campaign.findById(this.campaignId).lean()) as CampaignFields | null;
        checkedAt = Date.now();
        if (!campaign || campaign.status !== 'running') break;
        const window = windowStatus(new Date(), campaignWindow(campaign.calling_window, settings.callingWindow));
        if (!window.open) {
          this.#log.info({ until: window.changesAt }, 'outside the calling window; waiting');
          this.#deps.events.emit('status', { campaignId: this.campaignId, status: 'running', reason: `waiting for the calling window (opens ${window.changesAt.toISOString()})` });
          await sleep(Math.min(window.changesAt.getTime() - Date.now() + 1_000, 60_000), signal).catch(() => {});
          checkedAt = 0;
          continue;
        }
      }
      if (!this.#deps.leaseValid()) {
        await sleep(250, signal).catch(() => {});
        checkedAt = 0;
        continue;
      }

      const contact = await claimer.next();
      if (!contact) {
        if (await this.#finished()) break;
        await sleep(settings.idleMs, signal).catch(() => {});
        continue;
      }

      let permit: PacerPermit;
      try {
        permit = await pacer.acquire(signal);
      } catch {
        await persist(() => state.released(contact, runnerId, new Date(), null), { log: this.#log, what: 'release a claim' });
        break;
      }
      if (!this.#deps.leaseValid()) {
        permit.release();
        await persist(() => state.released(contact, runnerId, new Date(), null), { log: this.#log, what: 'release a claim' });
        continue;
      }
      const dial = this.#dial(contact, campaign, permit).finally(() => this.#inflight.delete(dial));
      this.#inflight.add(dial);
    }
  }

  /** After a crash or a takeover: attempts a dead runner left claimed are checked before anything is redialled. */
  async #recover(): Promise<void> {
    const { state, store, counters, runnerId } = this.#deps;
    // No run of this campaign is left in this process (the engine starts one only after the last one ended), so
    // claims under this runner's own id are leftovers too.
    const orphans = await persist(() => state.orphansToUnknown(this.campaignId, runnerId, new Date(), true), {
      log: this.#log,
      what: 'recover orphaned attempts',
    });
    if (orphans > 0) this.#log.warn({ orphans }, 'attempts left dialling by a stopped runner will be checked with Exotel');
    await counters.flush(store, this.campaignId).catch(() => {});
    await persist(() => recountCampaign(store, this.campaignId), { log: this.#log, what: 'recount' });
    counters.discard(this.campaignId);
  }

  async #reconcileLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#deps.reconciler.reconcile(this.campaignId, signal);
      } catch (error) {
        if (!signal.aborted) this.#log.warn({ err: error }, 'reconciliation pass failed');
      }
      await sleep(this.#deps.settings.reconcileEveryMs, signal).catch(() => {});
    }
  }

  /** True (and the campaign marked completed) when no contact needs anything more. */
  async #finished(): Promise<boolean> {
    if (this.#inflight.size > 0) return false;
    const { store, counters, transitions } = this.#deps;
    if (outstanding(await statusBreakdown(store, this.campaignId)) > 0) return false;
    await counters.flush(store, this.campaignId).catch(() => {});
    await recountCampaign(store, this.campaignId);
    counters.discard(this.campaignId);
    const result = await transitions.apply(this.campaignId, 'complete');
    if (result.ok) this.#log.info('campaign completed');
    return true;
  }

  async #dial(contact: ContactDoc, campaign: CampaignFields, permit: PacerPermit): Promise<void> {
    const { dialer, pacer, state, settings, runnerId } = this.#deps;
    const log = this.#log.child({ contact: String(contact._id) });
    const fields = contact.toObject() as ContactFields;
    let call: ExotelCall;
    try {
      call = await dialer.placeCall({
        phone: contact.phone,
        callerId: campaign.caller_id ?? settings.callerId,
        flowUrl: settings.flowUrl,
        customField: String(contact._id),
        ...(settings.statusCallbackUrl ? { statusCallbackUrl: settings.statusCallbackUrl } : {}),
      });
      pacer.noteSuccess();
    } catch (error) {
      permit.release();
      await this.#recordFailure(fields, error, log);
      return;
    }
    permit.release();
    const now = new Date();
    log.debug({ call_sid: call.sid }, 'call placed');
    const recorded = await persist(
      () => state.initiated(fields, runnerId, call.sid, call.dateCreated ?? now, new Date(now.getTime() + settings.pollAfterMs)),
      { log, what: 'record a placed call' },
    ).catch((error: unknown) => {
      log.error({ err: error, call_sid: call.sid }, 'could not record a placed call; it will be reconciled from Exotel');
      return null;
    });
    if (!recorded) log.warn({ call_sid: call.sid }, 'placed call not recorded as initiated (claim no longer held)');
  }

  async #recordFailure(contact: ContactFields, error: unknown, log: Logger): Promise<void> {
    const { state, pacer, settings, runnerId, transitions } = this.#deps;
    const now = new Date();
    const what = { log, what: 'record a failed request' };
    if (isExotelError(error) && error.kind === 'definite' && error.status !== undefined && ACCOUNT_ERRORS.has(error.status)) {
      const reason = `Exotel refused the account (HTTP ${error.status}${error.exotelMessage ? `: ${error.exotelMessage}` : ''}). Check EXOTEL_AUTH_KEY, EXOTEL_AUTH_TOKEN, EXOTEL_ACCOUNT_SID and the plan, then resume.`;
      log.error({ status: error.status }, 'Exotel refused the account; pausing the campaign');
      await persist(() => state.released(contact, runnerId, now, null), what);
      await transitions.apply(this.campaignId, 'pause', { reason });
      return;
    }
    if (isExotelError(error) && error.kind === 'definite') {
      const message = error.exotelMessage ?? error.message;
      log.info({ status: error.status }, 'Exotel rejected the number');
      await persist(() => state.rejected(contact, runnerId, message, now), what);
      return;
    }
    if (isExotelError(error) && error.kind === 'retryable') {
      const held = error.status === 429 ? pacer.holdFor(error.retryAfterMs) : pacer.holdFor(error.retryAfterMs ?? undefined);
      const notBefore = new Date(now.getTime() + Math.max(held, error.status === 429 ? 0 : settings.retryableDelayMs));
      log.warn({ status: error.status, hold_ms: held }, 'request did not reach Exotel; will try again');
      await persist(() => state.released(contact, runnerId, notBefore, `Exotel was unavailable (${error.status ? `HTTP ${error.status}` : 'no connection'}); trying again.`), what);
      return;
    }
    // Ambiguous, or anything unexpected: the call may exist. Never redial before checking.
    log.warn({ err: error }, 'outcome of the request is unknown; will check with Exotel');
    await persist(
      () => state.unknown(contact, runnerId, 'No answer from Exotel after the request was sent; checking whether the call was placed.', now),
      what,
    );
  }

  async #releaseLease(): Promise<void> {
    const { store, runnerId } = this.#deps;
    await store.Campaign.updateOne({ _id: this.campaignId, runner_id: runnerId }, { $set: { runner_id: null, lease_expires_at: null } }).catch(
      (error: unknown) => this.#log.warn({ err: error }, 'could not release the lease; it will expire'),
    );
  }
}
