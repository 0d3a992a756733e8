// The Slack surface end to end: the real app on a free port, the fake Slack recording every call, the fake Exotel,
// the real database, and every request signed as Slack signs it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/pacer.js';
import { ActionId } from '../../src/slack/ids.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import type { SlackCall } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, phoneNumbers, placedPerNumber, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let prefix = 10;

const FAST_PROGRESS = { updatesPerMinute: 600, minIntervalMs: 200, loopMs: 100, failureIntervalMs: 300, failureMaxWaitMs: 1_000, refreshMs: 500, staleMs: 1_000 };

beforeAll(async () => {
  store = await testStore('start_flow');
  fake = await startFakeExotel({ callsPerMinute: 600, windowMs: 10_000, callbackDelayMs: [50, 400], seed: 11 });
  app = await startTestApp(
    store,
    exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'slack-flow-webhook-secret-0123', CAMPAIGN_ADMINS: 'U0ADMIN' }),
    {
      runtime: {
        settings: FAST_SETTINGS,
        pacer: new Pacer({ callsPerMinute: 200, windowMs: 2_000, maxInFlight: 5 }),
        progress: FAST_PROGRESS,
      },
    },
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
  const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand(text, { user_id: user, response_url: responseUrl }), secret());
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

function progressPosts(channel = 'C0001') {
  return app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts);
}

describe('/campaign start → Confirm → live progress', () => {
  it('shows a summary, starts on Confirm, edits one message as calls progress and lists failures in its thread', async () => {
    const campaign = await newCampaign(40, { name: 'emi-reminder', title: 'EMI reminder — November' });

    const { body, ackMs } = await command('start EMI-Reminder');
    expect(ackMs).toBeLessThan(3_000);
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('40 contacts to call');
    const actions = body.blocks!.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ActionId.startConfirm, ActionId.startCancel]);
    expect(fake.calls).toHaveLength(0);

    const before = app.slack.calls.length;
    const { responseUrl } = await click(ActionId.startConfirm, actions.elements[0]!.value);
    const replaced = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]!);
    expect(replaced.args.replace_original).toBe(true);
    expect(String(replaced.args.text)).toContain('Started `emi-reminder`');

    const done = await waitForStatus(store, campaign._id, 'completed', 60_000);
    const final = await app.slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === done.progress_ts && String(c.args.text).includes('Completed'),
      20_000,
    );
    await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.progress_final, 20_000, 'final progress');

    // One progress message, edited in place.
    const posts = app.slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts);
    expect(posts).toHaveLength(1);
    const updates = app.slack.calls.slice(before).filter((c) => c.method === 'chat.update' && c.args.ts === done.progress_ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(final.args.blocks)).toContain('Finished');

    // Every number placed once; every unsuccessful number in the thread, once.
    const perNumber = placedPerNumber(fake);
    const mine = [...perNumber.entries()].filter(([phone]) => phone.startsWith(`91${prefix}`));
    expect(mine).toHaveLength(40);
    expect(mine.every(([, n]) => n === 1)).toBe(true);
    const replies = app.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === done.progress_ts);
    const lines = replies.flatMap((r) => String(r.args.text).split('\n'));
    const failedContacts = await store.Contact.find({ campaign_id: campaign._id, call_status: { $in: ['busy', 'no-answer', 'failed', 'canceled'] } }).lean();
    expect(failedContacts.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(failedContacts.length);
    for (const c of failedContacts) {
      const shown = `+91 ${c.phone.slice(2, 7)} ${c.phone.slice(7)}`;
      expect(lines.filter((l) => l.includes(shown))).toHaveLength(1);
    }
    expect(String(final.args.text)).toContain(`${40}/40 (${failedContacts.length} failed)`);
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
    expect((await command(`start ${running.name}`)).body.text).toBe(`\`${running.name}\` is paused. \`/campaign resume ${running.name}\` continues it.`);
    await store.Campaign.updateOne({ _id: running._id }, { $set: { status: 'running', runner_id: 'someone-else', lease_expires_at: new Date(Date.now() + 3_600_000) } });
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
    const pausedMessage = await app.slack.waitFor((c) => c.method === 'chat.update' && String(c.args.text).includes('Paused'), 10_000);
    expect(JSON.stringify(pausedMessage.args.blocks)).toContain(ActionId.resume);

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
      fake.requests.filter((r) => r.path.endsWith('/connect.json') && r.at.getTime() > stoppedAt + 300 && r.form.From?.includes(`${prefix}`)),
    ).toEqual([]);
    const pending = await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'pending' });
    expect(pending).toBeGreaterThan(0);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id, call_status: 'dialing' })).toBe(0);
    await app.slack.waitFor((c) => c.method === 'chat.update' && String(c.args.text).includes('Stopped'), 10_000);
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
    expect(String(caughtUp.args.text)).toContain('60/60');
  }, 90_000);
});
