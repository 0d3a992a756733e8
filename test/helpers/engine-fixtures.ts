import type { Types } from 'mongoose';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import type { RuntimeOverrides } from '../../src/runtime.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { expect } from 'vitest';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { FakeCall, FakeExotel, FakeRequest } from '../fakes/fake-exotel.js';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import type { CallFields } from '../../src/store/call-model.js';

/**
 * Engine timings for tests: ticks and checks in fractions of a second, a short lease, and calls that ring at most
 * 1 s and last at most 2 s (with the fake's `secondMs: 1000`, a test Exotel second is a real one), so an attempt whose
 * fate is unknown may be declared absent 3.5 s after it was sent. A run with nothing to do compares its campaign's
 * view with the contacts every 8 s (more than the 5 s a failed write may wait before it is retried).
 */
export const FAST_SETTINGS: NonNullable<RuntimeOverrides['settings']> = {
  tickMs: 200,
  leaseMs: 4_000,
  reconcileEveryMs: 300,
  idleMs: 100,
  statusCheckMs: 200,
  pollAfterMs: 3_000,
  retryableDelayMs: 200,
  recountEveryMs: 8_000,
  ringSeconds: 1,
  maxCallSeconds: 2,
  reconciler: {
    ringSeconds: 1,
    maxCallSeconds: 2,
    settleMs: 500,
    pollEveryMs: 500,
    unreachableRetryMs: 300,
    staleDialingMs: 3_000,
    priceBatchWaitMs: 0,
  },
};

/** The progress reporter at test speed: an edit every 200 ms at most, failures replied within a second. */
export const FAST_PROGRESS: NonNullable<RuntimeOverrides['progress']> = {
  updatesPerMinute: 600,
  minIntervalMs: 200,
  loopMs: 100,
  failureIntervalMs: 300,
  failureMaxWaitMs: 1_000,
  refreshMs: 500,
  staleMs: 1_000,
};

/** Every day, all day: tests that are not about calling hours never wait for them. */
export const ALWAYS_OPEN = { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00', tz: 'Asia/Kolkata', skip: [] };

/** One attempt per contact, unless a test is about retries. */
export const NO_RETRIES = { on: [], max_attempts: 1, delays: { busy: 1800, 'no-answer': 7200, failed: 1800 }, exponential: false };

/** The environment of a live (not rehearsal) bot talking to the fake Exotel. */
export function exotelEnv(fake: FakeExotel, extra: Record<string, string> = {}): Record<string, string> {
  return {
    EXOTEL_DRY_RUN: 'false',
    EXOTEL_API_URL: fake.url,
    EXOTEL_ACCOUNT_SID: fake.accountSid,
    EXOTEL_AUTH_KEY: fake.apiKey,
    EXOTEL_AUTH_TOKEN: fake.apiToken,
    EXOTEL_CALLER_ID: '08047112345',
    EXOTEL_URL: 'http://my.exotel.com/ACfake/exoml/start_voice/12345',
    EXOTEL_MAX_LIVE_CALLS: '50',
    ...extra,
  };
}

/** `n` distinct valid Indian mobile numbers, 91XXXXXXXXXX. */
export function phoneNumbers(n: number, prefix = '98'): string[] {
  return Array.from({ length: n }, (_, i) => `91${prefix}${String(i).padStart(8, '0')}`);
}

let seq = 0;
/** A draft campaign with these numbers as contacts (sequence-numbered, counted in the campaign view). */
export async function seedCampaign(store: Store, phones: string[], fields: Partial<CampaignFields> = {}): Promise<CampaignFields> {
  seq += 1;
  const campaign = await store.Campaign.create({
    team_id: 'T0001',
    name: `campaign-${seq}-${Date.now().toString(36)}`,
    title: `Campaign ${seq}`,
    owner: 'U0OWNER',
    channel: 'C0001',
    calling_hours: ALWAYS_OPEN,
    retry: NO_RETRIES,
    ...fields,
  });
  await insertContacts(
    store,
    campaign._id,
    phones.map((phone, i) => ({ phone, name: `Contact ${i}`, description: '' })),
  );
  return (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForStatus(store: Store, id: Types.ObjectId, status: string, timeoutMs = 60_000): Promise<CampaignFields> {
  return waitFor(
    async () => {
      const c = (await store.Campaign.findById(id).lean()) as CampaignFields | null;
      return c?.status === status ? c : null;
    },
    timeoutMs,
    `campaign ${String(id)} to be ${status}`,
  );
}

/** The normalised number (91XXXXXXXXXX) a fake call went to. */
export function numberOf(call: { fromEcho: string }): string {
  return `91${call.fromEcho.slice(-10)}`;
}

/** Calls each number received from the fake, by normalised number. */
export function placedPerNumber(fake: FakeExotel): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.calls) counts.set(numberOf(call), (counts.get(numberOf(call)) ?? 0) + 1);
  return counts;
}

/**
 * Every call the fake placed ended on its own contact: the fake's outcome and sid, after `attempts` attempts.
 * Returns the contacts by number for further checks.
 */
export function expectContactsMatchCalls(
  contacts: readonly ContactFields[],
  calls: readonly FakeCall[],
  attempts = 1,
): Map<string, ContactFields> {
  const byPhone = new Map(contacts.map((c) => [c.phone, c]));
  for (const call of calls) {
    const contact = byPhone.get(numberOf(call));
    expect({ phone: numberOf(call), status: contact?.call_status, sid: contact?.call_sid, attempts: contact?.attempts }).toEqual({
      phone: numberOf(call),
      status: call.outcome,
      sid: call.sid,
      attempts,
    });
  }
  return byPhone;
}

export type OutcomeCounts = Record<'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled', number>;

/** How the fake's calls ended, counted by outcome: the truth the campaign's counters must equal. */
export function outcomeTruth(calls: ReadonlyArray<{ outcome: keyof OutcomeCounts }>): OutcomeCounts {
  const truth: OutcomeCounts = { completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0 };
  for (const call of calls) truth[call.outcome] += 1;
  return truth;
}

/** A campaign's outcome counters in the shape of {@link outcomeTruth}. */
export function outcomeCounters(c: CampaignFields): OutcomeCounts {
  return {
    completed: c.counts.completed,
    busy: c.counts.busy,
    'no-answer': c.counts['no-answer'],
    failed: c.counts.failed,
    canceled: c.counts.canceled,
  };
}

/** The connect.json requests the fake received (placed or not), in arrival order. */
export function connectRequests(fake: FakeExotel): FakeRequest[] {
  return fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls/connect.json'));
}

/** Call-list requests (Calls.json) whose From filter named this number (91XXXXXXXXXX), in arrival order. */
export function listRequestsFor(fake: FakeExotel, phone: string): FakeRequest[] {
  const asked = `0${phone.slice(-10)}`;
  return fake.requests.filter(
    (r) => r.method === 'GET' && r.path.endsWith('/Calls.json') && (r.query['From'] ?? '').split(',').includes(asked),
  );
}

/** Call-details requests (Calls/<sid>.json) for this sid. */
export function detailsRequestsFor(fake: FakeExotel, sid: string): FakeRequest[] {
  return fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/Calls/${sid}.json`));
}

/** A campaign's contacts, in sequence order. */
export async function contactsOf(store: Store, campaignId: Types.ObjectId): Promise<ContactFields[]> {
  return (await store.Contact.find({ campaign_id: campaignId }).sort({ seq: 1 }).lean()) as ContactFields[];
}

/** Every request made for a campaign's contacts (one record per attempt, `_id` = the CustomField sent). */
export async function callRecordsOf(store: Store, campaignId: Types.ObjectId): Promise<CallFields[]> {
  return (await store.Call.find({ campaign_id: campaignId }).lean()) as CallFields[];
}

/**
 * What a failed engine test should print: the campaign's status, lease and view beside the counts read from its
 * contacts, and the contacts that are not final yet.
 */
export async function campaignReport(store: Store, campaignId: Types.ObjectId): Promise<string> {
  const c = (await store.Campaign.findById(campaignId).lean()) as CampaignFields | null;
  if (!c) return `campaign ${String(campaignId)} is gone`;
  const open = await store.Contact.find({ campaign_id: campaignId, call_status: { $in: ['dialing', 'initiated', 'unknown'] } }).lean();
  return JSON.stringify({
    campaign: {
      status: c.status,
      reason: c.status_reason,
      runner: c.runner_id,
      epoch: c.lease_epoch,
      lease: c.lease_expires_at,
      wait: c.dial_wait,
    },
    view: c.counts,
    truth: await countContacts(store, campaignId),
    open: open.map((o) => ({ id: o._id, status: o.call_status, tries: o.tries, sent_at: o.sent_at, sid: o.call_sid, note: o.call_error })),
    lines: await store.LiveLine.find({ holder: { $ne: null } }).lean(),
  });
}
