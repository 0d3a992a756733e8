// One random sequence of transitions over a small campaign, for the property test in campaign-view.test.ts. The steps
// are the product's own code — the dial gate (claims, do-not-call skips, attempt caps, pauses), ContactState (placed,
// unknown, not placed, rejected, absent, outcomes, requeues), DncService, insertContacts — fed stale copies, repeated,
// late and out-of-order outcomes, concurrent duplicates and races of two transitions on one attempt.
//
// Crashes, two kinds:
// - between: the first of a transition's two writes without the second, as campaign-view.ts orders them (a contact
//   leaving outstanding work is written without its counter $inc; a requeue's counters without its contact write);
// - within: a real transition on a store whose k-th write and every later one fail, as if the process died there,
//   so the order the code really uses is what is tested.
// A recount (with the reconciler's giving back of lines whose attempt is over) repairs what a crash left.
//
// Checked after every step: the view never counts less outstanding work than the contacts hold (a campaign cannot
// complete early), and, while no crash awaits its recount, it equals the contacts bucket by bucket. Checked at the
// end: the view equals countContacts(); attempts are within 0..tries; every live attempt holds its line and no line
// is held by an attempt that is over; every contact waiting after an attempt is in a retry bucket (the queue finds it).
import { expect } from 'vitest';
import { applyDelta, countContacts, moveDelta, outstandingOf, recountCampaign } from '../../src/campaigns/campaign-view.js';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import { scheduleContacts } from '../../src/campaigns/contact-queue.js';
import type { AttemptOutcome } from '../../src/campaigns/contact-state.js';
import { DncService } from '../../src/campaigns/dnc-service.js';
import {
  BUCKETS,
  LIVE_BUCKETS,
  NOT_REACHED,
  OUTCOMES,
  RETRY_OUTCOMES,
  bucketOf,
  type Bucket,
  type Counts,
} from '../../src/campaigns/vocabulary.js';
import { DialGate, type GateDecision } from '../../src/engine/dial-gate.js';
import { attemptKey, parseAttemptKey } from '../../src/store/call-model.js';
import type { CampaignFields, RetryPolicy } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { RUN, contactsOf, loadCampaign, loadContact, nonZero, stateHarness, type StateHarness } from './state-fixtures.js';
import { rng, type Rng } from '../helpers/seeded-random.js';

const CONTACTS = 5;
const LINES = 4;

/** Relative weights of the steps. */
const WEIGHTS = {
  claim: 20,
  placed: 11,
  unknown: 7,
  notPlaced: 4,
  rejected: 2,
  absent: 6,
  outcome: 20,
  race: 4,
  requeue: 5,
  import: 2,
  dnc: 2,
  pause: 3,
  policy: 2,
  crash: 7,
  recount: 4,
} as const;
type Step = keyof typeof WEIGHTS;

/** Steps that act on an attempt, and the buckets their transition moves from (an outcome: any live one). */
const ATTEMPT_STEPS: Partial<Record<Step, readonly Bucket[]>> = {
  placed: ['dialing', 'unknown'],
  unknown: ['dialing'],
  notPlaced: ['dialing'],
  rejected: ['dialing'],
  absent: ['unknown'],
  outcome: LIVE_BUCKETS,
};
/** Steps that are one transition (what a crash can interrupt). */
const TRANSITIONS: readonly Step[] = [
  'claim',
  'placed',
  'unknown',
  'notPlaced',
  'rejected',
  'absent',
  'outcome',
  'requeue',
  'import',
  'dnc',
];

function pickStep(r: Rng): Step {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let x = r.next() * total;
  for (const [step, w] of Object.entries(WEIGHTS) as Array<[Step, number]>) {
    x -= w;
    if (x < 0) return step;
  }
  return 'claim';
}

function randomPolicy(r: Rng): RetryPolicy {
  return {
    on: RETRY_OUTCOMES.filter(() => r.chance(0.6)),
    max_attempts: r.int(1, 3),
    delays: { busy: r.pick([0, 30, 90]), 'no-answer': r.pick([0, 30, 90]), failed: r.pick([0, 30]) },
    exponential: r.chance(0.3),
  };
}

/** What a simulated crash throws; named like a validation error so `persist` does not wait to retry it. */
class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash');
    this.name = 'ValidationError';
  }
}

const WRITES = new Set([
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findByIdAndUpdate',
  'bulkWrite',
  'insertMany',
  'create',
  'deleteOne',
  'deleteMany',
  'replaceOne',
]);

/** `base` as seen by a process that dies at its `k`-th write: that write and every later one fail. */
function dyingStore(base: Store, k: number): Store {
  let writes = 0;
  const wrap = <M extends object>(model: M): M =>
    new Proxy(model, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (typeof prop === 'string' && WRITES.has(prop)) {
          return (...args: unknown[]) => {
            writes += 1;
            if (writes >= k) throw new SimulatedCrash();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return {
    ...base,
    Campaign: wrap(base.Campaign),
    Contact: wrap(base.Contact),
    Dnc: wrap(base.Dnc),
    Call: wrap(base.Call),
    LiveLine: wrap(base.LiveLine),
    RetryBucket: wrap(base.RetryBucket),
    Failure: wrap(base.Failure),
  } as Store;
}

/** The parts of a process that make transitions, on one store. */
interface World {
  store: Store;
  h: StateHarness;
  gate: DialGate;
  dnc: DncService;
}

function world(store: Store, account: string): World {
  const h = stateHarness(store, account, LINES);
  const gate = new DialGate(
    store,
    h.state,
    h.lines,
    () => ({ open: true, changesAt: null }),
    { firstCheckMs: 5_000, leaseMarginMs: 0 },
    h.log,
  );
  return { store, h, gate, dnc: new DncService(store, h.state) };
}

class Sequence {
  readonly seen = new Map<string, number>();
  readonly trail: string[] = [];
  /** Copies of attempts as the run or the reconciler saw them: later steps use them, stale or not. */
  readonly attempts: ContactFields[] = [];
  staleFinals: ContactFields[] = [];
  /** A crash left drift that no recount has corrected yet. */
  crashed = false;
  now = new Date();
  imported = 0;
  readonly main: World;

  constructor(
    readonly store: Store,
    readonly r: Rng,
    readonly seed: number,
    readonly campaign: CampaignFields,
    readonly team: string,
    readonly phones: string[],
  ) {
    this.main = world(store, this.account);
  }

  get account(): string {
    return `acct-prop-${this.seed}`;
  }

  get id() {
    return this.campaign._id;
  }

  note(kind: string): void {
    this.seen.set(kind, (this.seen.get(kind) ?? 0) + 1);
  }

  sidOf(c: ContactFields): string {
    return `sid-${c._id.slice(-3)}-${c.tries}`;
  }

  async contactsWhere(test: (c: ContactFields) => boolean): Promise<ContactFields[]> {
    return (await contactsOf(this.store, this.id)).filter(test);
  }

  /**
   * The attempt a step acts on: mostly one its transition applies to, as it is now (what the run or the reconciler
   * would hold), else any copy seen before — stale, of an earlier try, or already finished.
   */
  async pickAttempt(step: Step): Promise<ContactFields | null> {
    const from = ATTEMPT_STEPS[step] ?? LIVE_BUCKETS;
    if (this.r.chance(0.75)) {
      const fit = await this.contactsWhere((c) => from.includes(bucketOf(c)));
      if (fit.length > 0) return this.r.pick(fit);
    }
    return this.attempts.length > 0 ? this.r.pick(this.attempts) : null;
  }

  async step(step: Step): Promise<void> {
    switch (step) {
      case 'pause':
        await this.store.Campaign.updateOne({ _id: this.id, status: 'running' }, { $set: { status: 'paused' } });
        return this.note('pause');
      case 'policy':
        await this.store.Campaign.updateOne({ _id: this.id }, { $set: { 'retry.max_attempts': this.r.int(1, 3) } });
        return this.note('policy');
      case 'race':
        return this.race();
      case 'crash':
        return this.r.chance(0.5) ? this.crashBetween() : this.crashWithin();
      case 'recount':
        return this.repair();
      default:
        return this.transition(this.main, step, ATTEMPT_STEPS[step] ? await this.pickAttempt(step) : null);
    }
  }

  /** One transition by `w`'s process. */
  async transition(w: World, step: Step, c: ContactFields | null): Promise<void> {
    const { state } = w.h;
    const now = this.now;
    switch (step) {
      case 'claim':
        return this.claim(w);
      case 'requeue':
        return this.requeue(w);
      case 'import':
        return this.import(w);
      case 'dnc':
        return this.doNotCall(w);
      case 'outcome':
        return c ? this.outcome(w, c) : undefined;
    }
    if (!c) return;
    if (step === 'placed') return this.keep(await state.placed(c, this.sidOf(c), null, new Date(now.getTime() + 5_000)), step);
    if (step === 'unknown') return this.keep(await state.unknown(c, 'timeout after send', now), step);
    if (step === 'notPlaced') return this.keep(await state.notPlaced(c, null, now), step);
    if (step === 'rejected') return this.keep(await state.rejected(c, 'The number is barred', now), step);
    if (step === 'absent') return this.keep(await state.absent(c, now), step);
  }

  keep(after: ContactFields | null, kind: string): void {
    if (!after) {
      this.note(`${kind}-refused`);
      return;
    }
    this.note(kind);
    this.attempts.push(after);
  }

  async claim(w: World): Promise<void> {
    const campaign = await loadCampaign(this.store, this.id);
    // Mostly a contact that is waiting (as the queue hands them out), sometimes any.
    const contacts = await contactsOf(this.store, this.id);
    const waiting = contacts.filter((c) => c.call_status === 'pending');
    const id = this.r.pick(waiting.length > 0 && this.r.chance(0.8) ? waiting : contacts)._id;
    const run = { campaignId: this.id, runnerId: RUN.runnerId, epoch: RUN.epoch };
    const racing = w === this.main && this.r.chance(0.15);
    const decisions: GateDecision[] = racing
      ? await Promise.all([w.gate.pass(run, campaign, id, this.now), w.gate.pass(run, campaign, id, this.now)])
      : [await w.gate.pass(run, campaign, id, this.now)];
    expect(decisions.filter((d) => d.go).length, 'two gates never both claim one contact').toBeLessThanOrEqual(1);
    if (racing) this.note('claim-race');
    for (const d of decisions) {
      if (d.go) this.keep(d.contact, 'claim');
      else this.note(`gate-${'why' in d ? d.why : 'wait' in d ? d.wait : d.stop}`);
    }
  }

  async outcome(w: World, c: ContactFields): Promise<void> {
    const current = await loadContact(this.store, c._id);
    const o: AttemptOutcome = {
      contactId: c._id,
      try: c.tries,
      callSid: this.sidOf(c),
      status: this.r.pick(OUTCOMES),
      durationSeconds: this.r.int(0, 60),
      answeredBy: this.r.pick(['human', 'machine', null]),
      endedAt: this.now,
    };
    const { state } = w.h;
    const variant = this.r.int(0, 9);
    let applied: number;
    if (variant <= 5) applied = (await state.outcome(o, this.now)) ? 1 : 0;
    else if (variant === 6) {
      this.note('outcome-by-sid');
      applied = (await state.outcome({ ...o, try: null }, this.now)) ? 1 : 0;
    } else if (variant === 7) {
      this.note('outcome-reported');
      const { contactId, try: t, ...report } = o;
      applied = (await state.reported({ ...report, attemptKey: attemptKey(contactId, t!) }, this.now)) ? 1 : 0;
    } else {
      this.note('outcome-twice');
      const results = await Promise.all([state.outcome(o, this.now), state.outcome(o, this.now)]);
      applied = results.filter((x) => x !== null).length;
      expect(applied, 'a callback delivered twice at once applies once').toBeLessThanOrEqual(1);
    }
    if (current.tries > c.tries) {
      this.note('outcome-earlier-try');
      expect(applied, 'an earlier try’s outcome changes nothing on the contact').toBe(0);
    }
    this.note(applied ? 'outcome' : 'outcome-ignored');
  }

  async requeue(w: World): Promise<void> {
    const campaign = await loadCampaign(this.store, this.id);
    let list: ContactFields[];
    if (this.staleFinals.length > 0 && this.r.chance(0.3)) {
      list = this.staleFinals;
      this.note('requeue-stale');
    } else {
      list = (await this.contactsWhere((c) => NOT_REACHED.includes(c.call_status as never))).filter(
        (c) => c.attempts < campaign.retry.max_attempts,
      );
      this.staleFinals = list;
    }
    const moved = await w.h.state.requeue(this.id, list, this.now);
    this.note(moved > 0 ? 'requeue' : 'requeue-none');
  }

  /** One or two new numbers, sometimes with one the campaign already has, sometimes on the do-not-call list. */
  async import(w: World): Promise<void> {
    const fresh = Array.from(
      { length: this.r.int(1, 2) },
      () => `9177${String(this.seed % 1000).padStart(3, '0')}${String(this.imported++).padStart(5, '0')}`,
    );
    const phones = this.r.chance(0.3) ? [...fresh, this.r.pick(this.phones)] : fresh;
    const skip = this.r.chance(0.2) ? ({ skip: 'dnc' } as const) : {};
    const result = await insertContacts(
      w.store,
      this.id,
      phones.map((phone) => ({ phone, name: 'New', description: '', ...skip })),
    );
    this.phones.push(...fresh);
    this.note(result.duplicates > 0 ? 'import-duplicate' : 'import');
  }

  async doNotCall(w: World): Promise<void> {
    const phone = this.r.pick(this.phones);
    if (this.r.chance(0.8)) await w.dnc.add(this.team, [phone], 'U0TEST');
    else await w.dnc.remove(this.team, [phone]);
    this.note('dnc');
  }

  /** Two transitions on one attempt at once (a callback while the run records its answer, or the reconciler acts). */
  async race(): Promise<void> {
    const c = await this.pickAttempt('outcome');
    if (!c) return this.note('race-none');
    const steps = Object.keys(ATTEMPT_STEPS) as Step[];
    await Promise.all([this.transition(this.main, this.r.pick(steps), c), this.transition(this.main, this.r.pick(steps), c)]);
    this.note('race');
  }

  /** The first write of a transition without the second, in the order campaign-view.ts gives them. */
  async crashBetween(): Promise<void> {
    const kind = this.r.pick(['final', 'requeue', 'gate', 'back'] as const);
    const eligible = await this.contactsWhere((c) => {
      if (kind === 'final' || kind === 'back') return LIVE_BUCKETS.includes(bucketOf(c));
      if (kind === 'requeue') return NOT_REACHED.includes(c.call_status as never);
      return c.call_status === 'pending';
    });
    if (eligible.length === 0) return this.note('crash-none');
    const c = this.r.pick(eligible);
    this.trail.push(`(${kind} of ${c._id.slice(-2)})`);
    const same = { _id: c._id, tries: c.tries, call_status: c.call_status };
    if (kind === 'final') {
      // An outcome: the contact is written first (it leaves outstanding work); its counters and line are lost.
      const status = this.r.pick(OUTCOMES);
      await this.store.Contact.updateOne(same, {
        $set: { call_status: status, last_outcome: status, outcome_at: this.now, check_after: null, runner_id: null },
      });
    } else if (kind === 'back') {
      // Not placed / absent: bucket, then contact; its counters and line are lost.
      await scheduleContacts(this.store, this.id, [c._id], this.now);
      await this.store.Contact.updateOne(same, {
        $set: { call_status: 'pending', next_attempt_at: this.now, runner_id: null, check_after: null },
        $inc: { attempts: -1 },
      });
    } else if (kind === 'requeue') {
      // A requeue counts first (the contact comes back into outstanding work); the contact write is lost.
      await applyDelta(this.store, this.id, moveDelta(bucketOf(c), 'retrying'));
    } else {
      // The gate's fencing write counted the contact as dialling; the claim is lost.
      await applyDelta(this.store, this.id, moveDelta(bucketOf(c), 'dialing'));
    }
    this.crashed = true;
    this.note('crash');
    this.note(`crash-between-${kind}`);
  }

  /** A real transition by a process that dies at its k-th write. */
  async crashWithin(): Promise<void> {
    const step = this.r.pick(TRANSITIONS);
    const k = this.r.int(1, 5);
    this.trail.push(`(${step} dies at write ${k})`);
    const dying = world(dyingStore(this.store, k), this.account);
    const c = ATTEMPT_STEPS[step] ? await this.pickAttempt(step) : null;
    await this.transition(dying, step, c).catch((error: unknown) => {
      if (!(error instanceof SimulatedCrash)) throw error;
    });
    this.crashed = true;
    this.note('crash');
    this.note(`crash-within-${step}`);
  }

  /** What runs after a crash: the recount, and the reconciler giving back lines whose attempt is over. */
  async repair(): Promise<void> {
    const result = await recountCampaign(this.store, this.id, this.main.h.log);
    expect(result.applied, 'nothing races the recount here').toBe(true);
    for (const line of await this.main.h.lines.held()) {
      const key = parseAttemptKey(line.holder);
      const c = key ? await loadContact(this.store, key.contactId) : null;
      if (!c || c.tries !== key!.try || !LIVE_BUCKETS.includes(bucketOf(c))) await this.main.h.lines.release(line._id, line.holder!);
    }
    this.crashed = false;
    this.note('recount');
  }

  async check(where: string): Promise<void> {
    const view = await loadCampaign(this.store, this.id);
    const truth = await countContacts(this.store, this.id);
    const say = `${where}: view ${JSON.stringify(nonZero(view.counts))}, contacts ${JSON.stringify(nonZero(truth))}`;
    expect(outstandingOf(view.counts), `${say}: outstanding work under-counted`).toBeGreaterThanOrEqual(outstandingOf(truth));
    if (this.crashed) return;
    expect(nonZero(view.counts), say).toEqual(nonZero(truth));
    expect([view.calls_completed, view.calls_failed, view.total_contacts], `${say}: totals`).toEqual(totals(truth));
  }

  async finalCheck(where: string): Promise<void> {
    if (this.crashed) await this.repair();
    await this.check(`${where} end`);
    const contacts = await contactsOf(this.store, this.id);
    const held = new Map((await this.main.h.lines.held()).map((l) => [l.holder!, l._id]));
    const bucketed = new Set((await this.store.RetryBucket.find({ campaign_id: this.id }).lean()).flatMap((b) => b.contacts));
    for (const c of contacts) {
      expect(c.attempts, `${where}: ${c._id} attempts`).toBeGreaterThanOrEqual(0);
      expect(c.attempts, `${where}: ${c._id} attempts`).toBeLessThanOrEqual(c.tries);
      const live = LIVE_BUCKETS.includes(bucketOf(c));
      expect(held.has(attemptKey(c._id, c.tries)), `${where}: ${c._id} (${c.call_status}) holds its line iff live`).toBe(live);
      if (live) held.delete(attemptKey(c._id, c.tries));
      if (c.call_status === 'pending' && c.tries > 0) expect(bucketed.has(c._id), `${where}: ${c._id} waits in a bucket`).toBe(true);
    }
    expect([...held.keys()], `${where}: lines held by attempts that are over`).toEqual([]);
  }

  async cleanup(): Promise<void> {
    await Promise.all([
      this.store.Contact.deleteMany({ campaign_id: this.id }),
      this.store.Call.deleteMany({ campaign_id: this.id }),
      this.store.Failure.deleteMany({ campaign_id: this.id }),
      this.store.RetryBucket.deleteMany({ campaign_id: this.id }),
      this.store.LiveLine.deleteMany({ account: this.account }),
      this.store.Dnc.deleteMany({ team_id: this.team }),
    ]);
  }
}

function totals(truth: Counts): [number, number, number] {
  return [truth.completed, NOT_REACHED.reduce((n, b) => n + truth[b], 0), BUCKETS.reduce((n, b) => n + truth[b], 0)];
}

/** Runs one sequence of `steps` random steps from `seed`; returns how often each kind of step happened. */
export async function runSequence(store: Store, seed: number, steps: number): Promise<Map<string, number>> {
  const r = rng(seed);
  const team = `TP${seed}`;
  const phones = phoneNumbers(CONTACTS, '78');
  const campaign = await seedCampaign(store, phones, {
    team_id: team,
    retry: randomPolicy(r),
    status: 'running',
    runner_id: RUN.runnerId,
    lease_epoch: RUN.epoch,
    lease_expires_at: new Date('2100-01-01T00:00:00Z'),
  });
  const seq = new Sequence(store, r, seed, campaign, team, [...phones]);
  // The line documents exist before any crash, so a dying process's first write is part of a transition.
  await seq.main.h.lines.free();
  try {
    for (let step = 0; step < steps; step++) {
      seq.now = new Date(seq.now.getTime() + r.int(0, 45) * 1000);
      if (r.chance(0.3)) {
        const resumed = await store.Campaign.updateOne({ _id: campaign._id, status: 'paused' }, { $set: { status: 'running' } });
        if (resumed.modifiedCount > 0) seq.note('resume');
      }
      const next = pickStep(r);
      seq.trail.push(next);
      await seq.step(next);
      await seq.check(`seed ${seed}, step ${step} (${seq.trail.slice(-8).join(' → ')})`);
    }
    await seq.finalCheck(`seed ${seed} (${seq.trail.join(' → ')})`);
  } finally {
    await seq.cleanup();
  }
  return seq.seen;
}
