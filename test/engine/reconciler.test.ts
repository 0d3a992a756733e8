// The reconciler against the real test database and a stub Dialer, on a test clock with production timings
// (TimeOut 30 s, TimeLimit 600 s, settle 300 s): an attempt whose fate is unknown is resolved from Exotel's answers
// and never guessed — absent from the call list counts only when the list was asked after the call could no longer
// be live — and lines whose attempt is over are given back.
import { beforeAll, describe, expect, it } from 'vitest';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import { DialerUnavailableError } from '../../src/engine/dialer.js';
import { Reconciler, type ReconcilerSettings } from '../../src/engine/reconciler.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { dncId } from '../../src/store/dnc-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers } from '../helpers/engine-fixtures.js';
import { engineParts, readCampaign, readContact, runningCampaign, silentLog, type EngineParts } from '../helpers/engine-parts.js';
import { callReport, StubDialer } from '../helpers/stub-dialer.js';

const SETTINGS: ReconcilerSettings = {
  ringSeconds: 30,
  maxCallSeconds: 600,
  settleMs: 300_000,
  pollEveryMs: 30_000,
  unreachableRetryMs: 20_000,
  staleDialingMs: 60_000,
  clockSkewMs: 60_000,
  priceEveryMs: 120_000,
  priceTries: 15,
};
/** sent + TimeOut + TimeLimit + settle. */
const GRACE_MS = (30 + 600) * 1000 + 300_000;

const pacerSaying = (state: { busy: boolean }) => ({ busy: async () => state.busy });

let store: Store;
beforeAll(async () => {
  store = await testStore('reconciler');
});

let block = 60;
const numbers = (n: number) => {
  block += 1;
  return phoneNumbers(n, String(block));
};

interface World extends EngineParts {
  dialer: StubDialer;
  /** What the account's pacer says: dialling uses every turn. */
  pacer: { busy: boolean };
  reconciler: Reconciler;
  clock: { now: Date };
  campaign: CampaignFields;
  ids: string[];
  phones: string[];
  /** When the gate claimed (the attempts' sent_at). */
  t0: Date;
  at(ms: number): Date;
  /** The gate claims the contact now (t0): it is dialing, sent at t0, holding a line. */
  claim(id: string): Promise<ContactFields>;
  reconcile(atMs: number): Promise<void>;
}

async function world(contacts = 1, fields: Partial<CampaignFields> = {}): Promise<World> {
  const parts = engineParts(store, { cap: 10, firstCheckMs: SETTINGS.staleDialingMs });
  const dialer = new StubDialer();
  const t0 = new Date();
  const clock = { now: t0 };
  const pacer = { busy: false };
  const reconciler = new Reconciler(store, parts.state, dialer, parts.lines, pacerSaying(pacer), silentLog, SETTINGS, () => clock.now);
  const phones = numbers(contacts);
  const { campaign, run, ids } = await runningCampaign(store, phones, fields, undefined, t0);
  const at = (ms: number) => new Date(t0.getTime() + ms);
  return {
    ...parts,
    dialer,
    pacer,
    reconciler,
    clock,
    campaign,
    ids,
    phones,
    t0,
    at,
    async claim(id) {
      const d = await parts.gate.pass(run, campaign, id, t0);
      if (!d.go) throw new Error(`gate refused: ${JSON.stringify(d)}`);
      return d.contact;
    },
    async reconcile(atMs) {
      clock.now = at(atMs);
      await reconciler.reconcile(new AbortController().signal);
    },
  };
}

/** Makes a claimed attempt ambiguous (the request's answer was a 502 or a timeout), first looked at `checkAtMs`. */
async function ambiguous(w: World, contact: ContactFields, checkAtMs = 5_000): Promise<void> {
  expect(await w.state.unknown(contact, 'Checking with Exotel whether this call was placed.', w.at(checkAtMs))).not.toBeNull();
}

describe('a dialing attempt whose process stopped', () => {
  it('is left alone until it is stale, then becomes unknown ("checking") and keeps its line', async () => {
    const parts = engineParts(store, { cap: 4, firstCheckMs: 10_000 });
    const dialer = new StubDialer();
    const t0 = new Date();
    const clock = { now: t0 };
    const reconciler = new Reconciler(
      store,
      parts.state,
      dialer,
      parts.lines,
      pacerSaying({ busy: false }),
      silentLog,
      SETTINGS,
      () => clock.now,
    );
    const { campaign, run, ids } = await runningCampaign(store, numbers(1), {}, undefined, t0);
    const d = await parts.gate.pass(run, campaign, ids[0]!, t0);
    expect(d.go).toBe(true);

    clock.now = new Date(t0.getTime() + 10_000);
    await reconciler.reconcile(new AbortController().signal);
    let contact = await readContact(store, ids[0]!);
    expect(contact.call_status).toBe('dialing');
    expect(contact.check_after).toEqual(new Date(t0.getTime() + SETTINGS.staleDialingMs));
    const [line] = await parts.lines.held();
    expect(line!.check_after).toEqual(new Date(t0.getTime() + SETTINGS.staleDialingMs));

    clock.now = new Date(t0.getTime() + SETTINGS.staleDialingMs);
    await reconciler.reconcile(new AbortController().signal);
    contact = await readContact(store, ids[0]!);
    expect(contact.call_status).toBe('unknown');
    expect(contact.call_error).toMatch(/checking with Exotel/i);
    expect(await parts.lines.held()).toMatchObject([{ holder: attemptKey(ids[0]!, 1) }]);
    expect(dialer.listQueries).toEqual([]);
    expect(dialer.placed).toEqual([]);
    expect((await readCampaign(store, campaign)).counts).toMatchObject({ unknown: 1, dialing: 0 });
  });
});

describe('an accepted call whose callback has not come (by sid)', () => {
  it('a final report ends the attempt with its outcome and gives the line back', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await w.state.placed(contact, 'SID-B1', w.t0, w.at(120_000));
    w.dialer.details.set(
      'SID-B1',
      callReport({ sid: 'SID-B1', outcome: 'busy', attemptKey: attemptKey(w.ids[0]!, 1), phone: w.phones[0]! }),
    );

    await w.reconcile(119_000);
    expect(w.dialer.detailQueries).toEqual([]);
    await w.reconcile(120_000);

    expect(w.dialer.detailQueries).toEqual(['SID-B1']);
    expect(w.dialer.listQueries).toEqual([]);
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'busy', call_sid: 'SID-B1', attempts: 1 });
    expect(await w.lines.held()).toEqual([]);
    const campaign = await readCampaign(store, w.campaign);
    expect(campaign.counts).toMatchObject({ initiated: 0, busy: 1 });
    expect(campaign.calls_failed).toBe(1);
    expect(campaign.stats.placed).toBe(1);
    expect(await countContacts(store, w.campaign._id)).toEqual(campaign.counts);
    expect(await store.Call.findById(attemptKey(w.ids[0]!, 1)).lean()).toMatchObject({ state: 'busy', sid: 'SID-B1' });
  });

  it('a call not final yet, or a sid Exotel does not show yet, is looked at again after pollEveryMs', async () => {
    const w = await world(2);
    const a = await w.claim(w.ids[0]!);
    const b = await w.claim(w.ids[1]!);
    await w.state.placed(a, 'SID-LIVE', w.t0, w.at(1_000));
    await w.state.placed(b, 'SID-LAGGING', w.t0, w.at(1_000));
    w.dialer.details.set('SID-LIVE', callReport({ sid: 'SID-LIVE', outcome: null }));

    await w.reconcile(1_000);

    for (const id of w.ids) {
      const c = await readContact(store, id);
      expect(c.call_status).toBe('initiated');
      expect(c.check_after).toEqual(w.at(1_000 + SETTINGS.pollEveryMs));
    }
    expect(await w.lines.held()).toHaveLength(2);
    expect((await w.lines.held(w.at(1_000 + SETTINGS.pollEveryMs - 1))).length).toBe(0);
  });

  it('is resolved whatever its campaign’s status: paused and stopped campaigns’ calls end too', async () => {
    for (const status of ['paused', 'stopped'] as const) {
      const w = await world(1);
      const contact = await w.claim(w.ids[0]!);
      await w.state.placed(contact, `SID-${status}`, w.t0, w.at(1_000));
      await store.Campaign.updateOne({ _id: w.campaign._id }, { $set: { status, runner_id: null } });
      w.dialer.details.set(`SID-${status}`, callReport({ sid: `SID-${status}`, outcome: 'completed', durationSeconds: 42 }));

      await w.reconcile(1_000);

      expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'completed', call_duration: 42 });
      expect(await w.lines.held()).toEqual([]);
    }
  });
});

describe('an ambiguous attempt without a sid, in the call list', () => {
  it('is found by its CustomField: the attempt takes that call’s sid and outcome', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await ambiguous(w, contact);
    const key = attemptKey(w.ids[0]!, 1);
    w.dialer.listed = [
      callReport({ sid: 'SID-LISTED', outcome: 'no-answer', attemptKey: key, phone: w.phones[0]!, createdAt: w.at(1_000) }),
    ];

    await w.reconcile(5_000);

    expect(w.dialer.listQueries).toHaveLength(1);
    expect(w.dialer.listQueries[0]!.phones).toEqual([w.phones[0]]);
    // The list is asked from before the request was sent (clocks differ; Exotel's times are whole seconds).
    expect(w.dialer.listQueries[0]!.since.getTime()).toBeLessThanOrEqual(w.t0.getTime());
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'no-answer', call_sid: 'SID-LISTED', attempts: 1 });
    expect(await w.lines.held()).toEqual([]);
    const campaign = await readCampaign(store, w.campaign);
    expect(campaign.stats.placed).toBe(1);
    expect(campaign.counts).toMatchObject({ unknown: 0, 'no-answer': 1 });
    expect(await store.Call.findById(key).lean()).toMatchObject({ state: 'no-answer', sid: 'SID-LISTED' });
  });

  it('a listed call that carries an earlier attempt’s CustomField is not this attempt', async () => {
    const w = await world(1);
    // Try 1 was given back as never placed (a 429); try 2 is the ambiguous one.
    const first = await w.claim(w.ids[0]!);
    await w.state.notPlaced(first, null, w.t0);
    const second = await w.claim(w.ids[0]!);
    expect(second.tries).toBe(2);
    await ambiguous(w, second);
    w.dialer.listed = [
      callReport({
        sid: 'SID-TRY1',
        outcome: 'completed',
        attemptKey: attemptKey(w.ids[0]!, 1),
        phone: w.phones[0]!,
        createdAt: w.at(500),
      }),
    ];

    await w.reconcile(5_000);
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'unknown', tries: 2, call_sid: null });

    // Nor after the grace: this attempt is absent, whatever an earlier one did.
    await w.reconcile(GRACE_MS);
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'pending', tries: 2, call_sid: null });
  });

  it('without CustomField, it is the earliest call to the number created after the request was sent (less the clock skew)', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await ambiguous(w, contact);
    const phone = w.phones[0]!;
    w.dialer.listed = [
      // Before the request, beyond the skew: another call to this number (an earlier campaign).
      callReport({ sid: 'SID-OLD', outcome: 'completed', phone, createdAt: w.at(-SETTINGS.clockSkewMs - 30_000) }),
      callReport({ sid: 'SID-LATER', outcome: 'busy', phone, createdAt: w.at(20_000) }),
      callReport({ sid: 'SID-OURS', outcome: 'failed', phone, createdAt: w.at(2_000) }),
    ];

    await w.reconcile(30_000);

    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'failed', call_sid: 'SID-OURS' });
  });

  it('a callback that lands while the list is read wins: the record keeps its outcome, the call is counted once', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await ambiguous(w, contact);
    const key = attemptKey(w.ids[0]!, 1);
    w.dialer.listed = [callReport({ sid: 'SID-RACE', outcome: 'completed', attemptKey: key, phone: w.phones[0]!, createdAt: w.at(1_000) })];
    // Exotel's terminal callback for the same call arrives between the list's answer and the reconciler's writes.
    w.dialer.duringList = async () => {
      await w.state.reported({ attemptKey: key, callSid: 'SID-RACE', status: 'completed', durationSeconds: 31 });
    };

    await w.reconcile(5_000);

    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'completed', call_sid: 'SID-RACE', call_duration: 31 });
    expect(await store.Call.findById(key).lean()).toMatchObject({ state: 'completed', sid: 'SID-RACE', duration: 31 });
    const campaign = await readCampaign(store, w.campaign);
    expect(campaign.stats.placed).toBe(1);
    expect(campaign.counts).toMatchObject({ unknown: 0, initiated: 0, completed: 1 });
    expect(await w.lines.held()).toEqual([]);
  });

  it('more than five numbers are asked five at a time (Exotel’s filter limit)', async () => {
    const w = await world(7);
    for (const id of w.ids) await ambiguous(w, await w.claim(id));

    await w.reconcile(5_000);

    expect(w.dialer.listQueries.map((q) => q.phones.length).sort()).toEqual([2, 5]);
    expect(new Set(w.dialer.listQueries.flatMap((q) => q.phones))).toEqual(new Set(w.phones));
  });
});

describe('an ambiguous attempt absent from the call list', () => {
  it('stays "checking" until the list is asked at or after sent + TimeOut + TimeLimit + settle, then is queued again', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await ambiguous(w, contact);

    // The list omits calls still ringing or connected: early absence proves nothing.
    await w.reconcile(5_000);
    let c = await readContact(store, w.ids[0]!);
    expect(c.call_status).toBe('unknown');
    expect(c.call_error).toMatch(/checking with Exotel/i);
    expect(c.check_after).toEqual(w.at(5_000 + SETTINGS.pollEveryMs));

    // Close to the end of the grace the next look is at its end, not later.
    await w.reconcile(GRACE_MS - 10_000);
    c = await readContact(store, w.ids[0]!);
    expect(c.call_status).toBe('unknown');
    expect(c.check_after).toEqual(w.at(GRACE_MS));

    // Asked 1 ms before the end of the grace, answered after it: still not proof.
    w.dialer.duringList = () => {
      w.clock.now = w.at(GRACE_MS + 5_000);
    };
    w.clock.now = w.at(GRACE_MS - 1);
    await w.reconciler.reconcile(new AbortController().signal);
    w.dialer.duringList = null;
    expect((await readContact(store, w.ids[0]!)).call_status).toBe('unknown');
    expect(await w.lines.held()).toHaveLength(1);

    await w.reconcile(GRACE_MS);
    c = await readContact(store, w.ids[0]!);
    expect(c).toMatchObject({ call_status: 'pending', tries: 1, attempts: 0, call_sid: null });
    expect(c.next_attempt_at).toEqual(w.at(GRACE_MS));
    expect(await w.lines.held()).toEqual([]);
    expect(await store.Call.findById(attemptKey(w.ids[0]!, 1)).lean()).toMatchObject({ state: 'absent' });
    const buckets = await store.RetryBucket.find({ campaign_id: w.campaign._id }).lean();
    expect(buckets.flatMap((b) => b.contacts)).toContain(w.ids[0]);
    const campaign = await readCampaign(store, w.campaign);
    expect(campaign.counts).toMatchObject({ unknown: 0, pending: 1 });
    expect(await countContacts(store, w.campaign._id)).toEqual(campaign.counts);
  });

  it('the grace counts from when the request was sent (sent_at), not from when the attempt became unknown', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    // The process that sent it died; the attempt was found dialling and made unknown a minute later.
    await w.reconcile(SETTINGS.staleDialingMs);
    expect((await readContact(store, w.ids[0]!)).call_status).toBe('unknown');
    expect(contact.sent_at).toEqual(w.t0);

    await w.reconcile(GRACE_MS);
    expect((await readContact(store, w.ids[0]!)).call_status).toBe('pending');
  });

  it('comes back through the dial gate like any other: on the do-not-call list meanwhile, it is skipped, not dialled', async () => {
    const w = await world(1);
    const contact = await w.claim(w.ids[0]!);
    await ambiguous(w, contact);
    await w.reconcile(GRACE_MS);
    await store.Dnc.create({ _id: dncId('T0001', w.phones[0]!), team_id: 'T0001', phone: w.phones[0], added_by: 'U0ADMIN' });

    const run = { campaignId: w.campaign._id, runnerId: 'runner-a', epoch: 1 };
    const d = await w.gate.pass(run, w.campaign, w.ids[0]!, w.at(GRACE_MS));
    expect(d).toMatchObject({ go: false, next: true, why: 'do not call' });
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'skipped', skip_reason: 'dnc' });
  });
});

describe('Exotel cannot be asked', () => {
  it('the attempt stays as it is, says why, and is asked about again later; never declared absent for it', async () => {
    const w = await world(2);
    const unknown = await w.claim(w.ids[0]!);
    await ambiguous(w, unknown);
    const placed = await w.claim(w.ids[1]!);
    await w.state.placed(placed, 'SID-P', w.t0, w.at(5_000));
    w.dialer.failWith = new DialerUnavailableError('connect ECONNREFUSED 127.0.0.1:443');

    // Well past the grace: unreachable is not absence.
    await w.reconcile(GRACE_MS + 60_000);

    const u = await readContact(store, w.ids[0]!);
    expect(u.call_status).toBe('unknown');
    expect(u.call_error).toMatch(/could not ask Exotel/i);
    expect(u.check_after).toEqual(w.at(GRACE_MS + 60_000 + SETTINGS.unreachableRetryMs));
    const p = await readContact(store, w.ids[1]!);
    expect(p.call_status).toBe('initiated');
    expect(p.check_after).toEqual(w.at(GRACE_MS + 60_000 + SETTINGS.unreachableRetryMs));
    expect(await w.lines.held()).toHaveLength(2);

    // Reachable again: the list shows the call after all.
    w.dialer.failWith = null;
    w.dialer.listed = [
      callReport({ sid: 'SID-U', outcome: 'completed', attemptKey: attemptKey(w.ids[0]!, 1), phone: w.phones[0]!, createdAt: w.at(1_000) }),
    ];
    w.dialer.details.set('SID-P', callReport({ sid: 'SID-P', outcome: 'completed' }));
    await w.reconcile(GRACE_MS + 60_000 + SETTINGS.unreachableRetryMs);
    expect(await readContact(store, w.ids[0]!)).toMatchObject({ call_status: 'completed', call_sid: 'SID-U' });
    expect(await readContact(store, w.ids[1]!)).toMatchObject({ call_status: 'completed', call_sid: 'SID-P' });
    expect(await w.lines.held()).toEqual([]);
  });
});

describe('leaked lines', () => {
  it('a line whose attempt is over, or whose holder is no attempt, is given back; a line the gate just took is left alone', async () => {
    const w = await world(3);
    // Contact 0: its call ended and its line was released, then (a crash mid-release, say) the line is held again.
    const done = await w.claim(w.ids[0]!);
    await w.state.outcome({ contactId: w.ids[0]!, try: 1, callSid: 'SID-DONE', status: 'completed' });
    const leaked = await w.lines.acquire(attemptKey(w.ids[0]!, 1), w.campaign._id, w.t0, w.t0);
    expect(leaked).not.toBeNull();
    expect(done.line_id).not.toBeNull();
    // A line held by something that is not an attempt key.
    const junk = await w.lines.acquire('not-an-attempt', w.campaign._id, w.t0, w.t0);
    // Contact 1: the gate took a line for its first try a moment ago and has not claimed it yet.
    const young = await w.lines.acquire(attemptKey(w.ids[1]!, 1), w.campaign._id, w.at(-5_000), w.t0);
    // Contact 2: a live attempt, not due: untouched.
    await w.claim(w.ids[2]!);

    await w.reconcile(0);

    const held = (await w.lines.held()).map((l) => l.holder).sort();
    expect(held).toEqual([attemptKey(w.ids[1]!, 1), attemptKey(w.ids[2]!, 1)].sort());
    expect(held).not.toContain(leaked!.holder);
    expect(held).not.toContain(junk!.holder);

    // The young line, a minute on and still never claimed, is a leak too.
    await store.LiveLine.updateOne({ _id: young!.lineId }, { $set: { since: w.at(-61_000) } });
    await w.reconcile(0);
    expect((await w.lines.held()).map((l) => l.holder)).toEqual([attemptKey(w.ids[2]!, 1)]);
    expect(w.dialer.listQueries).toEqual([]);
    expect(w.dialer.detailQueries).toEqual([]);
  });
});

describe('prices, which Exotel reports minutes after a call ended', () => {
  it('are asked for in one list request by sid, once the oldest due one has waited a minute; a price still missing is asked again later', async () => {
    await store.PriceCheck.deleteMany({});
    const w = await world(3);
    const sids = ['SID-P1', 'SID-P2', 'SID-P3'];
    for (const [i, id] of w.ids.entries()) {
      const contact = await w.claim(id);
      await w.state.placed(contact, sids[i]!, w.t0, w.at(1_000));
      // Final, as the status callback says, but without a price yet.
      w.dialer.details.set(sids[i]!, callReport({ sid: sids[i]!, outcome: i === 2 ? 'busy' : 'completed', createdAt: w.t0 }));
    }
    await w.reconcile(1_000);
    expect(await store.PriceCheck.countDocuments({ sid: { $in: sids } })).toBe(3);
    // Minutes later Exotel has priced two of them.
    w.dialer.details.set('SID-P1', callReport({ sid: 'SID-P1', outcome: 'completed', createdAt: w.t0, price: 1.5 }));
    w.dialer.details.set('SID-P3', callReport({ sid: 'SID-P3', outcome: 'busy', createdAt: w.t0, price: 0 }));

    // Due from about 2 min after the end, but three are not worth a request until the oldest has waited a minute.
    await w.reconcile(150_000);
    expect(w.dialer.sidListQueries).toEqual([]);
    await w.reconcile(185_000);

    expect(w.dialer.sidListQueries).toHaveLength(1);
    expect([...w.dialer.sidListQueries[0]!.sids].sort()).toEqual(sids);
    expect(w.dialer.sidListQueries[0]!.since.getTime()).toBeLessThanOrEqual(w.t0.getTime() - SETTINGS.clockSkewMs);
    // Only the by-sid checks of the live calls asked for details, one request each; the prices took one.
    expect(w.dialer.detailQueries).toEqual(sids);
    expect((await store.Call.findById(attemptKey(w.ids[0]!, 1)).lean())!.price).toBe(1.5);
    const campaign = await readCampaign(store, w.campaign);
    expect([campaign.stats.cost, campaign.stats.cost_pending]).toEqual([1.5, 1]);
    expect(await store.PriceCheck.find({ sid: { $in: sids } }).lean()).toMatchObject([
      { sid: 'SID-P2', tries: 1, check_after: w.at(185_000 + SETTINGS.priceEveryMs) },
    ]);
    // A second report of a price already counted changes nothing.
    expect(await w.state.priced(attemptKey(w.ids[0]!, 1), 2)).toBe(false);
    expect((await readCampaign(store, w.campaign)).stats).toMatchObject({ cost: 1.5, cost_pending: 1 });
  });

  it('a hundred due are asked for at once, the oldest first, without waiting', async () => {
    await store.PriceCheck.deleteMany({});
    const w = await world(1);
    const due = w.at(120_000);
    await store.PriceCheck.insertMany(
      Array.from({ length: 101 }, (_, i) => ({
        _id: `${w.campaign._id.toHexString()}:batch${i}:1`,
        campaign_id: w.campaign._id,
        sid: `SID-BATCH-${i}`,
        sent_at: w.t0,
        mode: 'live',
        check_after: new Date(due.getTime() - 101 + i),
        tries: 0,
      })),
    );

    await w.reconcile(120_000);

    expect(w.dialer.sidListQueries).toHaveLength(1);
    expect(w.dialer.sidListQueries[0]!.sids).toEqual(Array.from({ length: 100 }, (_, i) => `SID-BATCH-${i}`));
    expect(w.dialer.detailQueries).toEqual([]);
    expect(await store.PriceCheck.countDocuments({ tries: 1 })).toBe(100);
    expect(await store.PriceCheck.findOne({ sid: 'SID-BATCH-100' }).lean()).toMatchObject({ tries: 0 });
  });

  /** `n` price checks of `w`'s campaign, due `dueAgoMs` before `atMs` (the oldest first). */
  async function priceChecks(w: World, n: number, atMs: number, dueAgoMs: number): Promise<void> {
    await store.PriceCheck.insertMany(
      Array.from({ length: n }, (_, i) => ({
        _id: `${w.campaign._id.toHexString()}:wait${i}:1`,
        campaign_id: w.campaign._id,
        sid: `SID-WAIT-${i}`,
        sent_at: w.t0,
        mode: 'live',
        check_after: new Date(w.at(atMs).getTime() - dueAgoMs + i),
        tries: 0,
      })),
    );
  }

  it('wait while dialling uses every turn of the account, then go up to ten requests a pass in spare turns', async () => {
    await store.PriceCheck.deleteMany({});
    const w = await world(1);
    await priceChecks(w, 1_050, 600_000, 10 * 60_000);
    w.pacer.busy = true;

    await w.reconcile(600_000);
    expect(w.dialer.sidListQueries).toEqual([]);

    w.pacer.busy = false;
    await w.reconcile(605_000);
    expect(w.dialer.sidListQueries).toHaveLength(10);
    expect(w.dialer.sidListQueries.map((q) => q.sids[0])).toEqual(Array.from({ length: 10 }, (_, k) => `SID-WAIT-${k * 100}`));
    expect(await store.PriceCheck.countDocuments({ tries: 0 })).toBe(50);
  });

  it('due for an hour are asked for even while dialling uses every turn, one request a pass', async () => {
    await store.PriceCheck.deleteMany({});
    const w = await world(1);
    await priceChecks(w, 250, 4_000_000, 3_600_000);
    w.pacer.busy = true;

    await w.reconcile(4_000_000);
    expect(w.dialer.sidListQueries).toHaveLength(1);
    // At 4,000 s the next hundred had waited 100 ms less than an hour; at 4,005 s all 150 are overdue: one pass, one request.
    await w.reconcile(4_005_000);
    expect(w.dialer.sidListQueries.map((q) => q.sids.length)).toEqual([100, 100]);
    await w.reconcile(4_010_000);
    expect(w.dialer.sidListQueries.map((q) => q.sids.length)).toEqual([100, 100, 50]);
    expect(w.dialer.sidListQueries.map((q) => q.sids[0])).toEqual(['SID-WAIT-0', 'SID-WAIT-100', 'SID-WAIT-200']);
  });

  it('wait when the pacer cannot say whether turns are spare', async () => {
    await store.PriceCheck.deleteMany({});
    const w = await world(1);
    await priceChecks(w, 100, 600_000, 5 * 60_000);
    const failing = {
      busy: async (): Promise<boolean> => {
        throw new Error('database unreachable');
      },
    };
    const reconciler = new Reconciler(store, w.state, w.dialer, w.lines, failing, silentLog, SETTINGS, () => w.at(600_000));
    await reconciler.reconcile(new AbortController().signal);
    expect(w.dialer.sidListQueries).toEqual([]);
  });
});
