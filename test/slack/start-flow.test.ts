// The Slack surface end to end: the real app on a free port, the fake Slack recording every call, the fake Exotel,
// the real database, and every request signed as Slack signs it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/ids.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import type { SlackCall } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  exotelEnv,
  FAST_PROGRESS,
  FAST_SETTINGS,
  numberOf,
  outcomeCounters,
  outcomeTruth,
  phoneNumbers,
  placedPerNumber,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let prefix = 10;

beforeAll(async () => {
  store = await testStore('start_flow');
  // A test Exotel second is a real one (`secondMs`), so the calls' TimeOut and TimeLimit match FAST_SETTINGS.
  fake = await startFakeExotel({ callsPerMinute: 600, windowMs: 10_000, callbackDelayMs: [50, 400], seed: 11, secondMs: 1000 });
  app = await startTestApp(
    store,
    exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'slack-flow-webhook-secret-0123', CAMPAIGN_ADMINS: 'U0ADMIN' }),
    { runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 300, windowMs: 10_000 }, progress: FAST_PROGRESS } },
  );
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});
beforeEach(() => {
  app.slack.clearOverrides();
});

const secret = () => app.config.slack.signingSecret!;

async function command(text: string, user = 'U0OWNER') {
  const responseUrl = app.slack.responseUrl(`cmd-${Math.random().toString(36).slice(2)}`);
  const started = Date.now();
  const res = await postToSlackEndpoint(
    `${app.url}/slack/events`,
    slashCommand(text, { user_id: user, response_url: responseUrl }),
    secret(),
  );
  const ackMs = Date.now() - started;
  expect(res.status).toBe(200);
  const raw = await res.text();
  const body = raw ? (JSON.parse(raw) as { text?: string; blocks?: Array<Record<string, unknown>>; response_type?: string }) : {};
  return { body, ackMs, responseUrl };
}

async function click(actionId: string, value: string, user = 'U0OWNER') {
  const responseUrl = app.slack.responseUrl(`click-${Math.random().toString(36).slice(2)}`);
  const started = Date.now();
  const res = await postPayload(`${app.url}/slack/events`, buttonClick(actionId, value, { responseUrl, user }), secret());
  expect(res.status).toBe(200);
  return { responseUrl, ackMs: Date.now() - started };
}

function responsesTo(url: string): SlackCall[] {
  const path = url.split('/respond/')[1];
  return app.slack.calls.filter((c) => c.method === 'response_url' && c.path === path);
}

async function newCampaign(contacts: number, fields: Partial<CampaignFields> = {}) {
  prefix += 1;
  return seedCampaign(store, phoneNumbers(contacts, String(prefix)), fields);
}

/** The fake's calls to this campaign's numbers (each campaign here gets its own two-digit prefix). */
function callsOf(campaignPrefix: number) {
  return fake.calls.filter((c) => numberOf(c).startsWith(`91${campaignPrefix}`));
}

function progressPosts(channel = 'C0001') {
  return app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts);
}

describe('/campaign start → Confirm → live progress', () => {
  it('shows a summary, starts on Confirm, edits one message as calls progress and lists failures in its thread', async () => {
    const campaign = await newCampaign(40, { name: 'emi-reminder', title: 'EMI reminder — November' });
    const mine = prefix;

    const { body, ackMs } = await command('start EMI-Reminder');
    expect(ackMs).toBeLessThan(3_000);
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toBe('Start EMI reminder — November? 40 contacts to call.');
    const summary = (body.blocks![0] as { text: { text: string } }).text.text;
    expect(summary).toContain('• *Calling hours:* every day 00:00–24:00 IST');
    expect(summary).toContain('• *Retries:* no retries');
    const actions = body.blocks!.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ActionId.startConfirm, ActionId.startCancel]);
    expect(fake.calls).toHaveLength(0);

    const before = app.slack.calls.length;
    const { responseUrl } = await click(ActionId.startConfirm, actions.elements[0]!.value);
    const replaced = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]!);
    expect(replaced.args.replace_original).toBe(true);
    expect(String(replaced.args.text)).toBe('Started `emi-reminder`. Progress is posted in this channel.');

    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);
    expect([done.mode, done.started_by]).toEqual(['live', 'U0OWNER']);
    await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.progress_final, 20_000, 'final progress');

    // Confirm posted one progress message, edited in place from then on.
    const posts = app.slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe('C0001');
    expect(String(posts[0]!.args.text)).toMatch(/^EMI reminder — November: Running, \d+\/40 \(\d+ failed\)$/);
    const updates = app.slack.calls.slice(before).filter((c) => c.method === 'chat.update' && c.args.ts === done.progress_ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const final = updates.at(-1)!;

    // Every number placed once; the view's outcomes are what the fake Exotel reported.
    const calls = callsOf(mine);
    expect(calls).toHaveLength(40);
    expect([...placedPerNumber(fake).entries()].filter(([phone]) => phone.startsWith(`91${mine}`)).every(([, n]) => n === 1)).toBe(true);
    const truth = outcomeTruth(calls);
    expect(outcomeCounters(done)).toEqual(truth);
    const notReached = truth.busy + truth['no-answer'] + truth.failed + truth.canceled;
    expect(truth.completed).toBeGreaterThan(0);
    expect(notReached).toBeGreaterThan(0);

    // The last edit: completed = calls Exotel completed, failed = numbers finally not reached.
    expect(final.args.text).toBe(`EMI reminder — November: Completed, ${truth.completed}/40 (${notReached} failed)`);
    const finalBlocks = JSON.stringify(final.args.blocks);
    expect(finalBlocks).toContain(`*${truth.completed}/40 (${notReached} failed)*`);
    expect(finalBlocks).toContain('100% finished');
    expect(finalBlocks).toContain('started by <@U0OWNER>');
    expect(finalBlocks).toContain(
      `: ${truth.completed} completed, ${truth.busy} busy, ${truth['no-answer']} not answered, ${truth.failed + truth.canceled} could not connect.`,
    );

    // `/campaign status` and `/campaign list` read the same view.
    expect((await command('status emi-reminder')).body.text).toBe(final.args.text);
    const listed = JSON.stringify((await command('list')).body.blocks);
    expect(listed).toContain(`\`emi-reminder\` — EMI reminder — November · Completed · ${truth.completed}/40 (${notReached} failed)`);

    // Every number not reached is in the thread, once, with its reason and attempt, its number masked (the finish
    // report is in the thread too, after them).
    const replies = app.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === done.progress_ts);
    const lines = replies.flatMap((r) => String(r.args.text).split('\n')).filter((l) => l.startsWith('• +91'));
    expect(lines).toHaveLength(notReached);
    const reason = { busy: 'busy', 'no-answer': 'no answer', failed: 'could not connect', canceled: 'canceled' } as const;
    for (const call of calls.filter((c) => c.outcome !== 'completed')) {
      const phone = numberOf(call);
      const shown = `+91 ••••• •${phone.slice(-4)}`;
      const matching = lines.filter((l) => l.includes(shown));
      expect(matching, shown).toHaveLength(1);
      expect(matching[0]).toContain(`*${reason[call.outcome as keyof typeof reason]}*`);
      expect(matching[0]).toMatch(/ · attempt 1$/);
    }
  }, 90_000);

  it('Cancel replaces the summary with "Not started" and dials nothing', async () => {
    const campaign = await newCampaign(3);
    const { body } = await command(`start ${campaign.name}`);
    expect(body.text).toContain('3 contacts');
    const { responseUrl } = await click(ActionId.startCancel, String(campaign._id));
    const reply = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]!);
    expect(reply.args).toMatchObject({ replace_original: true, text: 'Not started.' });
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });
});

describe('start refusals', () => {
  it('an unknown name gets a sentence with the closest names', async () => {
    await newCampaign(1, { name: 'loan-followup' });
    const { body } = await command('start loan-folowup');
    expect(body.text).toBe('No campaign named `loan-folowup`. Did you mean `loan-followup`? `/campaign list` shows every campaign.');
  });

  it('already running, nothing to call and not the owner each get their sentence; nothing is dialled', async () => {
    const placed = fake.calls.length;
    const running = await newCampaign(2, { status: 'paused' });
    expect((await command(`start ${running.name}`)).body.text).toBe(
      `\`${running.name}\` is paused. \`/campaign resume ${running.name}\` continues it.`,
    );
    await store.Campaign.updateOne(
      { _id: running._id },
      { $set: { status: 'running', runner_id: 'someone-else', lease_expires_at: new Date(Date.now() + 3_600_000) } },
    );
    expect((await command(`start ${running.name}`)).body.text).toBe(
      `\`${running.name}\` is already running. \`/campaign status ${running.name}\` shows its progress.`,
    );

    const empty = await newCampaign(0);
    expect((await command(`start ${empty.name}`)).body.text).toContain('has nobody left to call');

    const other = await newCampaign(2);
    expect((await command(`start ${other.name}`, 'U0STRANGER')).body.text).toBe(
      `Only <@U0OWNER>, who owns \`${other.name}\`, or a campaign admin (CAMPAIGN_ADMINS) can start it.`,
    );
    // A click on a stale Confirm by someone else is refused the same way.
    const { responseUrl } = await click(ActionId.startConfirm, String(other._id), 'U0STRANGER');
    const reply = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]!);
    expect(String(reply.args.text)).toContain('Only <@U0OWNER>');
    // An admin may.
    expect((await command(`start ${other.name}`, 'U0ADMIN')).body.text).toContain('2 contacts');

    await new Promise((r) => setTimeout(r, 500));
    expect(fake.calls.length).toBe(placed);
    expect((await store.Campaign.findById(other._id).lean())?.status).toBe('draft');
  });
});

describe('two Confirm clicks at once', () => {
  it('start one run; the other click is told it is already running', async () => {
    const campaign = await newCampaign(10);
    const [a, b] = await Promise.all([
      click(ActionId.startConfirm, String(campaign._id)),
      click(ActionId.startConfirm, String(campaign._id), 'U0ADMIN'),
    ]);
    const replies = await waitFor(
      async () => {
        const r = [...responsesTo(a.responseUrl), ...responsesTo(b.responseUrl)];
        return r.length === 2 ? r : null;
      },
      10_000,
      'both answers',
    );
    const texts = replies.map((r) => String(r.args.text)).sort();
    expect(texts.filter((t) => t.startsWith('Started'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('is already running'))).toHaveLength(1);
    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);
    expect(progressPosts().filter((p) => String(p.args.text).startsWith(done.title))).toHaveLength(1);
    const perNumber = placedPerNumber(fake);
    expect([...perNumber.entries()].filter(([p]) => p.startsWith(`91${prefix}`)).every(([, n]) => n === 1)).toBe(true);
  }, 90_000);
});

describe('Pause, Resume and Stop buttons', () => {
  it('do what they say, and nothing is dialled while paused or after stop', async () => {
    fake.options.latencyMs = 30;
    const campaign = await newCampaign(120);
    await click(ActionId.startConfirm, String(campaign._id));
    await waitFor(async () => fake.calls.filter((c) => c.fromEcho.startsWith(`0${prefix}`)).length >= 10, 20_000, 'first calls');

    await click(ActionId.pause, String(campaign._id));
    await waitForStatus(store, campaign._id, 'paused', 5_000);
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    const sentWhilePaused = fake.requests.filter(
      (r) => r.path.endsWith('/connect.json') && r.at.getTime() > pausedAt + 300 && r.form.From?.includes(`${prefix}`),
    );
    expect(sentWhilePaused).toEqual([]);
    const pausedMessage = await app.slack.waitFor(
      (c) => c.method === 'chat.update' && String(c.args.text).startsWith(`${campaign.title}: Paused`),
      10_000,
    );
    expect(JSON.stringify(pausedMessage.args.blocks)).toContain(ActionId.resume);
    expect(JSON.stringify(pausedMessage.args.blocks)).toContain('paused by <@U0OWNER> at');

    // Someone who may not act gets a sentence, only for them, and nothing changes.
    const stranger = await click(ActionId.resume, String(campaign._id), 'U0STRANGER');
    const refusal = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === stranger.responseUrl.split('/respond/')[1]!);
    expect(refusal.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('paused');

    await click(ActionId.resume, String(campaign._id));
    const before = fake.calls.length;
    await waitFor(async () => fake.calls.length > before, 10_000, 'dialling to resume');

    await click(ActionId.stop, String(campaign._id));
    await waitForStatus(store, campaign._id, 'stopped', 5_000);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(
      fake.requests.filter(
        (r) => r.path.endsWith('/connect.json') && r.at.getTime() > stoppedAt + 300 && r.form.From?.includes(`${prefix}`),
      ),
    ).toEqual([]);
    const pending = await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending' });
    expect(pending).toBeGreaterThan(0);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing' })).toBe(0);
    const stoppedMessage = await app.slack.waitFor(
      (c) => c.method === 'chat.update' && String(c.args.text).startsWith(`${campaign.title}: Stopped`),
      10_000,
    );
    const stoppedBlocks = JSON.stringify(stoppedMessage.args.blocks);
    expect(stoppedBlocks).toContain('stopped by <@U0OWNER> at');
    expect(stoppedBlocks).toMatch(/\d+ not called\./);
    expect(stoppedBlocks).not.toContain(ActionId.pause);
    fake.options.latencyMs = 0;
  }, 90_000);
});

describe('Slack rate limits never slow dialling', () => {
  it('chat.update answering 429 for 10 s: calls go on, and the message catches up afterwards', async () => {
    let limitedUntil = 0;
    let limited = 0;
    app.slack.override('chat.update', () => {
      if (Date.now() < limitedUntil) {
        limited += 1;
        return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
      }
      return undefined;
    });
    const campaign = await newCampaign(60);
    const mine = prefix;
    await click(ActionId.startConfirm, String(campaign._id));
    await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.progress_ts, 10_000, 'progress message');
    limitedUntil = Date.now() + 10_000;
    const placedBefore = fake.calls.length;
    await new Promise((r) => setTimeout(r, 10_000));
    // Dialling went on at its pace while every edit was refused.
    expect(fake.calls.length - placedBefore).toBeGreaterThanOrEqual(5);
    expect(limited).toBeGreaterThan(0);
    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);
    const caughtUp = await app.slack.waitFor(
      (c) => c.method === 'chat.update' && c.status === 200 && c.args.ts === done.progress_ts && String(c.args.text).includes('Completed'),
      20_000,
    );
    const truth = outcomeTruth(callsOf(mine));
    expect(outcomeCounters(done)).toEqual(truth);
    expect(caughtUp.args.text).toBe(`${campaign.title}: Completed, ${truth.completed}/60 (${60 - truth.completed} failed)`);
  }, 90_000);
});
