// The product's words, defined once: campaign statuses and which actions they allow, contact states, outcomes, the
// buckets the campaign view counts, the name rule and the pace bounds. Everything else imports these; this module
// imports nothing, so the store's schemas can use it too.

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'stopped', 'expired'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Statuses after which nothing more is dialled unless someone starts the campaign again. */
export const ENDED_STATUSES: readonly CampaignStatus[] = ['completed', 'stopped', 'expired'];
/** A start (or a schedule) is allowed from these. */
export const STARTABLE_STATUSES: readonly CampaignStatus[] = ['draft', 'scheduled', 'stopped', 'completed', 'expired'];
/** Delete is allowed from these, and only once no call of the campaign may still be live. */
export const DELETABLE_STATUSES: readonly CampaignStatus[] = ['draft', 'completed', 'stopped', 'expired'];
/** Contacts may be added and rules edited while the campaign is in one of these. */
export const EDITABLE_STATUSES: readonly CampaignStatus[] = ['draft', 'scheduled', 'paused', 'completed', 'stopped', 'expired'];

/** A contact's `call_status` (the original system's field name). */
export const CALL_STATUSES = [
  'pending',
  'dialing',
  'initiated',
  'unknown',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'skipped',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** How Exotel says a call ended. */
export const OUTCOMES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that mean the person was not reached ("failed" on the progress line). */
export const NOT_REACHED: readonly Outcome[] = ['busy', 'no-answer', 'failed', 'canceled'];
/** Outcomes a retry policy may name. */
export const RETRY_OUTCOMES = ['busy', 'no-answer', 'failed'] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

export const SKIP_REASONS = ['invalid', 'dnc', 'duplicate'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * What the campaign view counts: every contact is in exactly one bucket. `retrying` is a pending contact that already
 * had an attempt and waits for its next one; `unknown` shows as "checking with Exotel".
 */
export type Bucket = CallStatus | 'retrying';
export const BUCKETS: readonly Bucket[] = ['pending', 'retrying', ...CALL_STATUSES.filter((s) => s !== 'pending')];
export type Counts = Record<Bucket, number>;

/** Buckets whose contacts still need the engine or Exotel: a campaign is finished when all of them are empty. */
export const OUTSTANDING_BUCKETS: readonly Bucket[] = ['pending', 'retrying', 'dialing', 'initiated', 'unknown'];
/** Buckets whose contacts may have a call live at Exotel now. */
export const LIVE_BUCKETS: readonly Bucket[] = ['dialing', 'initiated', 'unknown'];

export function emptyCounts(): Counts {
  return Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Counts;
}

/** The bucket a contact is counted in. */
export function bucketOf(contact: { call_status: CallStatus; last_outcome?: Outcome | null }): Bucket {
  return contact.call_status === 'pending' && contact.last_outcome ? 'retrying' : contact.call_status;
}

/** The name people type: lowercase letters, digits and dashes. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Why a name cannot be used, or null. */
export function nameProblem(name: string): string | null {
  if (name === '') return 'Give the campaign a name.';
  if (!NAME_PATTERN.test(name)) return 'Use lowercase letters, digits and dashes, starting with a letter or digit (e.g. emi-reminder).';
  return null;
}

/** Calls a minute a campaign or an account may be given. Exotel's default is 200 for an account; it raises it on request. */
export const PACE_MIN = 1;
export const PACE_MAX = 1000;
/** Exotel's documented per-account limit; above it the bot warns (the account must have been raised). */
export const EXOTEL_DEFAULT_LIMIT = 200;

/** Attempts per contact a retry policy may allow, first call included. */
export const MAX_ATTEMPTS_MIN = 1;
export const MAX_ATTEMPTS_MAX = 5;
