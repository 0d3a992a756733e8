// The campaign view (counters on the campaign document): the deltas every transition applies, the hour key of the
// stats, the recount that corrects drift, and a property test: random sequences of transitions — with duplicates,
// late and out-of-order outcomes, concurrent callbacks and claims, pauses and simulated crashes — after which the
// view equals the contacts, and during which it never under-counts outstanding work.
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyDelta,
  callStatsDelta,
  countContacts,
  driftOf,
  hourKey,
  mergeDelta,
  moveDelta,
  outstandingOf,
  recountCampaign,
} from '../../src/campaigns/campaign-view.js';
import { emptyCounts } from '../../src/campaigns/vocabulary.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { capturingLogger, contactsOf, gateClaim, loadCampaign, nonZero, stateHarness, viewOf } from './state-fixtures.js';
import { runSequence } from './view-property.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('campaign_view');
});

const MINUTE = 60_000;

describe('moveDelta', () => {
  it('moves n contacts between buckets, and keeps the completed and failed totals with them', () => {
    expect(moveDelta('pending', 'dialing')).toEqual({ 'counts.pending': -1, 'counts.dialing': 1 });
    expect(moveDelta('initiated', 'completed')).toEqual({ 'counts.initiated': -1, 'counts.completed': 1, calls_completed: 1 });
    expect(moveDelta('unknown', 'no-answer')).toEqual({ 'counts.unknown': -1, 'counts.no-answer': 1, calls_failed: 1 });
    expect(moveDelta('failed', 'retrying', 3)).toEqual({ 'counts.failed': -3, 'counts.retrying': 3, calls_failed: -3 });
    expect(moveDelta('completed', 'canceled')).toEqual({
      'counts.completed': -1,
      calls_completed: -1,
      'counts.canceled': 1,
      calls_failed: 1,
    });
  });

  it('counts contacts in and out of the campaign in total_contacts', () => {
    expect(moveDelta(null, 'pending', 5)).toEqual({ 'counts.pending': 5, total_contacts: 5 });
    expect(moveDelta('skipped', null, 2)).toEqual({ 'counts.skipped': -2, total_contacts: -2 });
  });

  it('is empty for no move', () => {
    expect(moveDelta('busy', 'busy')).toEqual({});
    expect(moveDelta('pending', 'dialing', 0)).toEqual({});
    expect(moveDelta(null, null)).toEqual({});
  });
});

describe('mergeDelta and applyDelta', () => {
  it('mergeDelta adds deltas key by key', () => {
    expect(mergeDelta(moveDelta('initiated', 'completed'), { 'stats.placed': 1 }, moveDelta('dialing', 'initiated'))).toEqual({
      'counts.initiated': 0,
      'counts.completed': 1,
      calls_completed: 1,
      'counts.dialing': -1,
      'stats.placed': 1,
    });
  });

  it('applyDelta writes one $inc with a new view_version, and nothing at all for a delta that nets to zero', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '61'));
    const after = await applyDelta(store, campaign._id, mergeDelta(moveDelta('pending', 'dialing'), { 'stats.placed': 1 }));
    expect(after).toMatchObject({ counts: { pending: 1, dialing: 1 }, view_version: campaign.view_version + 1, stats: { placed: 1 } });
    expect(await applyDelta(store, campaign._id, mergeDelta(moveDelta('dialing', 'pending'), moveDelta('pending', 'dialing')))).toBeNull();
    expect(await applyDelta(store, campaign._id, {})).toBeNull();
    expect((await loadCampaign(store, campaign._id)).view_version).toBe(campaign.view_version + 1);
    expect(await applyDelta(store, new Types.ObjectId(), moveDelta('pending', 'dialing'))).toBeNull();
  });
});

describe('hourKey and callStatsDelta', () => {
  const at = new Date('2026-03-02T04:50:00Z'); // 10:20 in Kolkata (+05:30), 10:35 in Kathmandu (+05:45)

  it('keys an hour by the epoch minute its local start falls on, in the campaign’s zone', () => {
    expect(hourKey(at, 'Asia/Kolkata')).toBe(String(Date.UTC(2026, 2, 2, 4, 30) / MINUTE)); // the 10:00 IST bucket
    expect(hourKey(at, 'Asia/Kathmandu')).toBe(String(Date.UTC(2026, 2, 2, 4, 15) / MINUTE));
    expect(hourKey(at, 'UTC')).toBe(String(Date.UTC(2026, 2, 2, 4, 0) / MINUTE));
    // Two calls in the same local hour share a key; 10:59 and 11:00 IST do not.
    expect(hourKey(new Date('2026-03-02T05:29:59Z'), 'Asia/Kolkata')).toBe(hourKey(at, 'Asia/Kolkata'));
    expect(hourKey(new Date('2026-03-02T05:30:00Z'), 'Asia/Kolkata')).not.toBe(hourKey(at, 'Asia/Kolkata'));
    // An unknown zone falls back to the UTC hour rather than failing the outcome.
    expect(hourKey(at, 'Not/A_Zone')).toBe(String(Date.UTC(2026, 2, 2, 4, 0) / MINUTE));
  });

  it('adds the outcome to its hour, talk time, and who answered a completed call', () => {
    const ist = hourKey(at, 'Asia/Kolkata');
    expect(callStatsDelta('completed', at, 42, 'Human', 'Asia/Kolkata')).toEqual({
      [`stats.hours.${ist}.completed`]: 1,
      [`stats.hours.${ist}.human`]: 1,
      'stats.talk_seconds': 42,
      'stats.answered_human': 1,
    });
    expect(callStatsDelta('completed', at, 0, 'machine', 'Asia/Kolkata')).toEqual({
      [`stats.hours.${ist}.completed`]: 1,
      'stats.answered_machine': 1,
    });
    expect(callStatsDelta('busy', at, null, 'human', 'Asia/Kolkata')).toEqual({ [`stats.hours.${ist}.busy`]: 1 });
    expect(callStatsDelta('no-answer', at, null, null)).toEqual({ [`stats.hours.${hourKey(at, 'UTC')}.no-answer`]: 1 });
  });
});

describe('countContacts, outstandingOf, driftOf', () => {
  it('counts a campaign’s contacts by bucket, retrying apart from pending, other campaigns left out', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(7, '62'));
    await seedCampaign(store, phoneNumbers(3, '62'));
    const ids = (await contactsOf(store, campaign._id)).map((c) => c._id);
    const set = (i: number, fields: Record<string, unknown>) => store.Contact.updateOne({ _id: ids[i] }, { $set: fields });
    await set(1, { last_outcome: 'busy' });
    await set(2, { call_status: 'dialing' });
    await set(3, { call_status: 'unknown' });
    await set(4, { call_status: 'completed', last_outcome: 'completed' });
    await set(5, { call_status: 'busy', last_outcome: 'busy' });
    await set(6, { call_status: 'skipped', skip_reason: 'dnc' });
    const counts = await countContacts(store, campaign._id);
    expect(nonZero(counts)).toEqual({ pending: 1, retrying: 1, dialing: 1, unknown: 1, completed: 1, busy: 1, skipped: 1 });
    expect(outstandingOf(counts)).toBe(4);
    expect(await countContacts(store, new Types.ObjectId())).toEqual(emptyCounts());
  });

  it('driftOf gives what must be added to the view to match the contacts', () => {
    const view = { ...emptyCounts(), pending: 3, completed: 1 };
    expect(driftOf(view, { ...emptyCounts(), pending: 1, completed: 2, busy: 1 })).toEqual({ pending: -2, completed: 1, busy: 1 });
    expect(driftOf(view, { ...view })).toBeNull();
  });
});

/** `store` whose first count of contacts lets `meanwhile` run first: a transition racing a recount. */
function racing(base: Store, meanwhile: () => Promise<void>): Store {
  let raced = false;
  const Contact = new Proxy(base.Contact, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'countDocuments' && !raced) {
        raced = true;
        return async (...args: unknown[]) => {
          await meanwhile();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...base, Contact } as Store;
}

describe('recountCampaign', () => {
  it('corrects counters that drifted from the contacts, totals included, and logs the drift', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '63'));
    const [first] = await contactsOf(store, campaign._id);
    // A crash between a contact's write and its counters: the contact completed, the view still says pending.
    await store.Contact.updateOne({ _id: first!._id }, { $set: { call_status: 'completed', last_outcome: 'completed' } });
    await store.Campaign.updateOne({ _id: campaign._id }, { $inc: { 'counts.busy': 2, calls_failed: 2, total_contacts: 2 } });
    const { log, lines } = capturingLogger();
    const result = await recountCampaign(store, campaign._id, log);
    expect(result).toEqual({ drift: { pending: -1, completed: 1, busy: -2 }, applied: true });
    const after = await loadCampaign(store, campaign._id);
    expect(await viewOf(store, campaign._id)).toEqual({
      counts: { pending: 2, completed: 1 },
      completed: 1,
      failed: 0,
      total: 3,
      version: campaign.view_version + 1,
    });
    expect(after.counts).toEqual(await countContacts(store, campaign._id));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        campaign: String(campaign._id),
        drift: { pending: -1, completed: 1, busy: -2 },
        msg: expect.stringContaining('drifted'),
      }),
    ]);
  });

  it('writes nothing when the view is right', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '64'));
    const { log, lines } = capturingLogger();
    expect(await recountCampaign(store, campaign._id, log)).toEqual({ drift: null, applied: true });
    expect((await loadCampaign(store, campaign._id)).view_version).toBe(campaign.view_version);
    expect(lines).toEqual([]);
    expect(await recountCampaign(store, new Types.ObjectId(), log)).toEqual({ drift: null, applied: false });
  });

  it('refuses to write when a transition moved the view while it counted, and corrects it the next time', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(3, '65'), { status: 'running' });
    const contacts = await contactsOf(store, campaign._id);
    await store.Contact.updateOne({ _id: contacts[0]!._id }, { $set: { call_status: 'skipped', skip_reason: 'dnc' } });
    const drifted = await loadCampaign(store, campaign._id);
    const h = stateHarness(store, 'acct-view-race');
    const { log, lines } = capturingLogger();
    // A claim lands between the recount's read of the view and its write.
    const result = await recountCampaign(
      racing(store, async () => void (await gateClaim(h, contacts[1]!, new Date()))),
      campaign._id,
      log,
    );
    expect(result.applied).toBe(false);
    expect(result.drift).not.toBeNull();
    const after = await loadCampaign(store, campaign._id);
    expect(after.view_version).toBe(drifted.view_version + 1); // the claim's write only
    expect(nonZero(after.counts)).toEqual({ pending: 2, dialing: 1 });
    expect(lines).toEqual([]);
    expect(await recountCampaign(store, campaign._id, log)).toEqual({ drift: { pending: -1, skipped: 1 }, applied: true });
    expect(nonZero((await loadCampaign(store, campaign._id)).counts)).toEqual({ pending: 1, dialing: 1, skipped: 1 });
  });
});

describe('property: the view follows random transitions', () => {
  // VIEW_SEED=n VIEW_RUNS=1 replays one sequence; VIEW_RUNS / VIEW_STEPS make a longer search.
  const SEED = Number(process.env.VIEW_SEED ?? 20_260_301);
  const RUNS = Number(process.env.VIEW_RUNS ?? 6);
  const STEPS = Number(process.env.VIEW_STEPS ?? 30);

  it(
    `${RUNS} sequences of ${STEPS} steps: never under-counts outstanding work, and equals the contacts afterwards`,
    async () => {
      const kinds = new Map<string, number>();
      const t0 = performance.now();
      // A few sequences at a time (each has its own campaign, workspace and lines): they mostly wait on the database.
      let next = 0;
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          while (next < RUNS) {
            const seen = await runSequence(store, SEED + next++, STEPS);
            for (const [k, v] of seen) kinds.set(k, (kinds.get(k) ?? 0) + v);
          }
        }),
      );
      console.log(`view property: ${RUNS}×${STEPS} steps in ${Math.round(performance.now() - t0)} ms`, Object.fromEntries(kinds));
      // The generator reached every kind of step that changes something.
      if (RUNS * STEPS >= 180) {
        const kindsOfStep = [
          'claim',
          'claim-race',
          'placed',
          'unknown',
          'absent',
          'notPlaced',
          'rejected',
          'outcome',
          'outcome-earlier-try',
          'outcome-twice',
          'outcome-by-sid',
          'race',
          'requeue',
          'import',
          'dnc',
          'pause',
          'recount',
        ];
        for (const kind of kindsOfStep) expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
        for (const family of ['crash-between-', 'crash-within-'])
          expect(
            [...kinds.keys()].some((k) => k.startsWith(family)),
            family,
          ).toBe(true);
      }
    },
    Math.max(60_000, RUNS * STEPS * 250),
  );
});
