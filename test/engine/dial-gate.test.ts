// The dial gate against the real test database: every refusal leaves the contact, the campaign view and the live-call
// lines as they were (or moves them exactly as the refusal says), a run whose lease epoch is old never gets through,
// and a claim lost at the last moment gives back everything the gate had taken.
import { beforeAll, describe, expect, it } from 'vitest';
import { countContacts } from '../../src/campaigns/campaign-view.js';
import { ContactState } from '../../src/campaigns/contact-state.js';
import { applyDelta, moveDelta } from '../../src/campaigns/campaign-view.js';
import { DialGate, type GateDecision } from '../../src/engine/dial-gate.js';
import type { LiveLines } from '../../src/engine/live-lines.js';
import { campaignHoursStatus } from '../../src/campaigns/campaign-hours.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { dncId } from '../../src/store/dnc-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { engineParts, readCampaign, readContact, runningCampaign, silentLog } from '../helpers/engine-parts.js';
import { phoneNumbers } from '../helpers/engine-fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('dial_gate');
});

/** Distinct numbers for every campaign of this file (the do-not-call list is per workspace, not per campaign). */
let block = 60;
const numbers = (n: number) => {
  block += 1;
  return phoneNumbers(n, String(block));
};

const expectGo = (d: GateDecision) => {
  expect(d).toMatchObject({ go: true });
  return d as Extract<GateDecision, { go: true }>;
};

/** What a refusal must not have changed. */
async function snapshot(campaignId: Parameters<typeof readCampaign>[1], ids: string[], lines: LiveLines) {
  const campaign = await readCampaign(store, campaignId);
  const contacts = await Promise.all(ids.map((id) => readContact(store, id)));
  return {
    counts: campaign.counts,
    contacts: contacts.map((c) => ({ status: c.call_status, tries: c.tries, attempts: c.attempts, sent_at: c.sent_at, line: c.line_id })),
    free: await lines.free(),
  };
}

describe('the dial gate lets a number through', () => {
  it('claims a pending contact: dialing, sent now, one try and one attempt, a line held for it, counted as dialing', async () => {
    const { gate, lines } = engineParts(store, { cap: 3, firstCheckMs: 3_000 });
    const { campaign, run, ids } = await runningCampaign(store, numbers(2));
    const now = new Date();

    const d = expectGo(await gate.pass(run, campaign, ids[0]!, now));

    const contact = await readContact(store, ids[0]!);
    expect(contact).toMatchObject({
      call_status: 'dialing',
      tries: 1,
      attempts: 1,
      runner_id: 'runner-a',
      lease_epoch: 1,
      line_id: d.line.lineId,
    });
    expect(contact.sent_at).toEqual(now);
    expect(contact.check_after).toEqual(new Date(now.getTime() + 3_000));
    expect(d.contact._id).toBe(ids[0]);
    expect(d.line.holder).toBe(attemptKey(ids[0]!, 1));
    const line = await store.LiveLine.findById(d.line.lineId).lean();
    expect(line).toMatchObject({ holder: attemptKey(ids[0]!, 1), campaign_id: campaign._id });
    expect(await lines.free()).toBe(2);
    const after = await readCampaign(store, campaign);
    expect(after.counts).toMatchObject({ pending: 1, dialing: 1 });
    expect(await countContacts(store, campaign._id)).toEqual(after.counts);
  });
});

describe('the dial gate refuses', () => {
  it('outside the calling hours: waits until they open, and reads or takes nothing', async () => {
    const { gate, lines } = engineParts(store);
    // 09:00–10:00 UTC every day; 11:00 UTC is after the end, so the next opening is 09:00 the next day.
    const hours = { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '10:00', tz: 'UTC', skip: [] };
    const { campaign, run, ids } = await runningCampaign(store, numbers(1), { calling_hours: hours });
    const before = await snapshot(campaign, ids, lines);
    const at = new Date('2030-03-04T11:00:00Z');

    expect(await gate.pass(run, campaign, ids[0]!, at)).toEqual({
      go: false,
      wait: 'outside-hours',
      until: new Date('2030-03-05T09:00:00Z'),
    });
    expect(campaignHoursStatus(campaign, at).open).toBe(false);
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('calling hours that close before a request let through now could be sent: waits for the close, touching nothing', async () => {
    const now = new Date();
    const closesAt = new Date(now.getTime() + 1_500);
    const { gate, lines } = engineParts(store, { leaseMarginMs: 2_000, hours: () => ({ open: true, changesAt: closesAt }) });
    const { campaign, run, ids } = await runningCampaign(store, numbers(1));
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, now)).toEqual({ go: false, wait: 'outside-hours', until: closesAt });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);

    // Closing after the margin: the request goes.
    const later = engineParts(store, { leaseMarginMs: 2_000, hours: () => ({ open: true, changesAt: new Date(now.getTime() + 2_500) }) });
    expectGo(await later.gate.pass(run, campaign, ids[0]!, now));
  });

  it('an end date within the margin counts as passed: the run must stop', async () => {
    const { gate, lines } = engineParts(store, { leaseMarginMs: 2_000 });
    const now = new Date();
    const { campaign, run, ids } = await runningCampaign(store, numbers(1), { call_until: new Date(now.getTime() + 1_000) });
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, now)).toEqual({ go: false, stop: 'expired' });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('after the campaign’s end date: the run must stop', async () => {
    const { gate, lines } = engineParts(store);
    const now = new Date();
    const { campaign, run, ids } = await runningCampaign(store, numbers(1), { call_until: new Date(now.getTime() - 1_000) });
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, now)).toEqual({ go: false, stop: 'expired' });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('a contact that is not pending, or not there: passed over untouched', async () => {
    const { gate, lines } = engineParts(store);
    const { campaign, run, ids } = await runningCampaign(store, numbers(2));
    await store.Contact.updateOne({ _id: ids[0] }, { $set: { call_status: 'completed' } });
    await applyDelta(store, campaign._id, moveDelta('pending', 'completed'));
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, new Date())).toMatchObject({ go: false, next: true, why: 'not pending' });
    expect(await gate.pass(run, campaign, `${String(campaign._id)}:9999999`, new Date())).toMatchObject({ go: false, next: true });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('a contact not due yet: passed over untouched', async () => {
    const { gate, lines } = engineParts(store);
    const now = new Date();
    const { campaign, run, ids } = await runningCampaign(store, numbers(1));
    await store.Contact.updateOne({ _id: ids[0] }, { $set: { next_attempt_at: new Date(now.getTime() + 60_000) } });
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, now)).toMatchObject({ go: false, next: true, why: 'not due yet' });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('a contact at its attempt cap: never dialled, it keeps its last outcome and is noted for the thread', async () => {
    const { gate, lines } = engineParts(store);
    const retry = { on: ['busy' as const], max_attempts: 2, delays: { busy: 0, 'no-answer': 0, failed: 0 }, exponential: false };
    const { campaign, run, ids } = await runningCampaign(store, numbers(1), { retry });
    // A contact waiting for a retry (pending with a last outcome) whose attempts already reached the cap, as after
    // the policy was lowered or a manual retry raced an automatic one.
    await store.Contact.updateOne({ _id: ids[0] }, { $set: { attempts: 2, tries: 2, last_outcome: 'busy', call_error: 'Busy.' } });
    await applyDelta(store, campaign._id, moveDelta('pending', 'retrying'));
    const free = await lines.free();

    expect(await gate.pass(run, campaign, ids[0]!, new Date())).toMatchObject({ go: false, next: true, why: 'attempt cap reached' });

    const contact = await readContact(store, ids[0]!);
    expect(contact).toMatchObject({ call_status: 'busy', tries: 2, attempts: 2, sent_at: null });
    expect(await store.Failure.findById(attemptKey(ids[0]!, 2)).lean()).toMatchObject({ outcome: 'busy', phone: contact.phone });
    const after = await readCampaign(store, campaign);
    expect(after.counts).toMatchObject({ retrying: 0, busy: 1 });
    expect(after.calls_failed).toBe(1);
    expect(await countContacts(store, campaign._id)).toEqual(after.counts);
    expect(await lines.free()).toBe(free);
  });

  it('a number on the workspace’s do-not-call list: skipped (dnc) without taking a line; another workspace’s list does not count', async () => {
    const { gate, lines } = engineParts(store);
    const phones = numbers(2);
    const { campaign, run, ids } = await runningCampaign(store, phones);
    await store.Dnc.create({ _id: dncId('T0001', phones[0]!), team_id: 'T0001', phone: phones[0], added_by: 'U0ADMIN' });
    await store.Dnc.create({ _id: dncId('T0OTHER', phones[1]!), team_id: 'T0OTHER', phone: phones[1], added_by: 'U0ADMIN' });
    const free = await lines.free();

    expect(await gate.pass(run, campaign, ids[0]!, new Date())).toMatchObject({ go: false, next: true, why: 'do not call' });
    expect(await readContact(store, ids[0]!)).toMatchObject({
      call_status: 'skipped',
      skip_reason: 'dnc',
      tries: 0,
      attempts: 0,
      sent_at: null,
    });
    expect(await lines.free()).toBe(free);

    expectGo(await gate.pass(run, campaign, ids[1]!, new Date()));
    const after = await readCampaign(store, campaign);
    expect(after.counts).toMatchObject({ pending: 0, skipped: 1, dialing: 1 });
    expect(await countContacts(store, campaign._id)).toEqual(after.counts);
  });

  it('every live-call line in use: waits for one, touching nothing', async () => {
    const { gate, lines } = engineParts(store, { cap: 1 });
    const { campaign, run, ids } = await runningCampaign(store, numbers(2));
    expectGo(await gate.pass(run, campaign, ids[0]!, new Date()));
    const before = await snapshot(campaign, ids, lines);
    expect(before.free).toBe(0);

    expect(await gate.pass(run, campaign, ids[1]!, new Date())).toEqual({ go: false, wait: 'live-cap', until: null });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });
});

describe('fencing: only the current lease may dial', () => {
  it('a run whose lease was taken over (older epoch) stops; the line goes back and nothing is counted; the new run passes', async () => {
    const { gate, lines } = engineParts(store, { cap: 2 });
    const { campaign, run: old, ids } = await runningCampaign(store, numbers(1));
    // Another process adopted the campaign: new runner, epoch + 1 (engine.ts #adopt).
    await store.Campaign.updateOne({ _id: campaign._id }, { $set: { runner_id: 'runner-b' }, $inc: { lease_epoch: 1 } });
    const before = await snapshot(campaign, ids, lines);
    const version = (await readCampaign(store, campaign)).view_version;

    expect(await gate.pass(old, campaign, ids[0]!, new Date())).toEqual({ go: false, stop: 'not-running' });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
    expect((await readCampaign(store, campaign)).view_version).toBe(version);

    const current = { campaignId: campaign._id, runnerId: 'runner-b', epoch: 2 };
    const d = expectGo(await gate.pass(current, campaign, ids[0]!, new Date()));
    expect(d.contact).toMatchObject({ runner_id: 'runner-b', lease_epoch: 2 });
  });

  it('the same process with an older epoch of its own (it adopted the campaign again) is fenced out too', async () => {
    const { gate, lines } = engineParts(store);
    const { campaign, run, ids } = await runningCampaign(store, numbers(1));
    await store.Campaign.updateOne({ _id: campaign._id }, { $inc: { lease_epoch: 1 } });
    const before = await snapshot(campaign, ids, lines);

    expect(await gate.pass(run, campaign, ids[0]!, new Date())).toEqual({ go: false, stop: 'not-running' });
    expect(await snapshot(campaign, ids, lines)).toEqual(before);
  });

  it('a campaign no longer running (paused, stopped) stops the run; the line goes back', async () => {
    const { gate, lines } = engineParts(store);
    for (const status of ['paused', 'stopped'] as const) {
      const { campaign, run, ids } = await runningCampaign(store, numbers(1));
      await store.Campaign.updateOne({ _id: campaign._id }, { $set: { status } });
      const before = await snapshot(campaign, ids, lines);
      // The run's copy of the campaign still says running: the gate reads the truth in its fencing write.
      expect(await gate.pass(run, campaign, ids[0]!, new Date())).toEqual({ go: false, stop: 'not-running' });
      expect(await snapshot(campaign, ids, lines)).toEqual(before);
    }
  });

  it('a lease that expires within the margin before the send, or has expired, stops the run', async () => {
    const { gate, lines } = engineParts(store, { leaseMarginMs: 2_000 });
    for (const leftMs of [1_000, -5_000]) {
      const now = new Date();
      const { campaign, run, ids } = await runningCampaign(store, numbers(1));
      await store.Campaign.updateOne({ _id: campaign._id }, { $set: { lease_expires_at: new Date(now.getTime() + leftMs) } });
      const before = await snapshot(campaign, ids, lines);
      expect(await gate.pass(run, campaign, ids[0]!, now)).toEqual({ go: false, stop: 'not-running' });
      expect(await snapshot(campaign, ids, lines)).toEqual(before);
    }
  });
});

describe('a claim lost at the last moment', () => {
  it('undoes the count of the fencing write and gives the line back', async () => {
    const parts = engineParts(store, { cap: 2 });
    // Another writer claims the contact between the gate's read and its claim (a second run after a takeover, or a
    // requeue racing this one): it moves the contact on before the gate's own conditional claim runs.
    class RacedState extends ContactState {
      override async claim(...args: Parameters<ContactState['claim']>): Promise<ContactFields | null> {
        await store.Contact.updateOne(
          { _id: args[0]._id },
          { $set: { call_status: 'dialing', runner_id: 'runner-z' }, $inc: { tries: 1, attempts: 1 } },
        );
        return super.claim(...args);
      }
    }
    const state = new RacedState(store, parts.events, silentLog);
    state.useLines((lineId, holder) => parts.lines.release(lineId, holder));
    const gate = new DialGate(store, state, parts.lines, campaignHoursStatus, { firstCheckMs: 3_000, leaseMarginMs: 2_000 }, silentLog);
    const { campaign, run, ids } = await runningCampaign(store, numbers(1));
    const before = await readCampaign(store, campaign);

    expect(await gate.pass(run, campaign, ids[0]!, new Date())).toMatchObject({ go: false, next: true, why: 'claimed elsewhere' });

    expect((await readCampaign(store, campaign)).counts).toEqual(before.counts);
    expect(await parts.lines.free()).toBe(2);
    expect(await parts.lines.held()).toEqual([]);
    expect(await readContact(store, ids[0]!)).toMatchObject({ runner_id: 'runner-z', tries: 1, line_id: null });
  });

  it('of many passes for one contact at once, exactly one claims it and one line is held', async () => {
    const { gate, lines } = engineParts(store, { cap: 8 });
    const { campaign, run, ids } = await runningCampaign(store, numbers(3));
    const decisions = await Promise.all(Array.from({ length: 6 }, () => gate.pass(run, campaign, ids[1]!, new Date())));

    expect(decisions.filter((d) => d.go)).toHaveLength(1);
    for (const d of decisions.filter((d) => !d.go)) expect(d).toMatchObject({ go: false, next: true });
    expect(await lines.held()).toHaveLength(1);
    expect(await readContact(store, ids[1]!)).toMatchObject({ call_status: 'dialing', tries: 1, attempts: 1 });
    const after = await readCampaign(store, campaign);
    expect(after.counts).toMatchObject({ pending: 2, dialing: 1 });
    expect(await countContacts(store, campaign._id)).toEqual(after.counts);
  });
});
