// Calls are never made with nobody able to see them. End to end (the real app, the fake Slack refusing what Slack
// refuses, the fake Exotel, the real database): before anything is dialled the bot makes sure it can post in the
// chosen channel — joining a public one, or telling the person the exact /invite line — on Confirm, on the Home tab's
// Start, when scheduling and again at the scheduled time; and a progress message Slack later refuses pauses the
// campaign and tells whoever started it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId, BlockId, InputId, ViewId } from '../../src/slack/ids.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { DEFAULT_CHANNELS, FAKE_BOT, type SlackCall } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import {
  exotelEnv,
  FAST_PROGRESS as FAST_PROGRESS_BASE,
  FAST_SETTINGS,
  numberOf,
  phoneNumbers,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, viewSubmission } from '../helpers/slack-signing.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let prefix = 30;

const INVITE = '`/invite @campaign-bot`';
const bot = FAKE_BOT.user_id;
const FAST_PROGRESS = {
  ...FAST_PROGRESS_BASE,
  refusalRetryMs: 300,
  refusalPauseMs: 1_500,
};

beforeAll(async () => {
  store = await testStore('channel_access');
  fake = await startFakeExotel({ callsPerMinute: 600, windowMs: 10_000, callbackDelayMs: [50, 400], seed: 5, secondMs: 1000 });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'channel-access-webhook-secret-01' }), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 60, windowMs: 10_000 }, progress: FAST_PROGRESS },
    slack: {
      channels: [
        ...DEFAULT_CHANNELS,
        { id: 'C0SECRET', name: 'secret', private: true, members: ['U0OWNER'] },
        { id: 'C0OPEN', name: 'open' },
        { id: 'C0OLD', name: 'old', archived: true, members: [bot] },
        { id: 'C0LATER', name: 'later', private: true, members: ['U0OWNER', bot] },
        { id: 'C0ROOM', name: 'room', private: true, members: ['U0OWNER', bot] },
      ],
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const secret = () => app.config.slack.signingSecret!;

async function newCampaign(contacts: number, fields: Partial<CampaignFields> = {}) {
  prefix += 1;
  const campaign = await seedCampaign(store, phoneNumbers(contacts, String(prefix)), fields);
  return { campaign, mine: prefix };
}

const dialled = (mine: number) => fake.calls.filter((c) => numberOf(c).startsWith(`91${mine}`));

/** Clicks a button in `channel`; returns the path of its response_url. */
async function press(actionId: string, value: string, channel: string): Promise<string> {
  const responseUrl = app.slack.responseUrl(`click-${Math.random().toString(36).slice(2)}`);
  const res = await postPayload(`${app.url}/slack/events`, buttonClick(actionId, value, { responseUrl, channel }), secret());
  expect(res.status).toBe(200);
  return responseUrl.split('/respond/')[1]!;
}

/** Clicks a button in `channel` and returns what the bot answered through the response_url. */
async function click(actionId: string, value: string, channel: string): Promise<SlackCall> {
  const path = await press(actionId, value, channel);
  return app.slack.waitFor((c) => c.method === 'response_url' && c.path === path);
}

function postsIn(channel: string): SlackCall[] {
  return app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
}

function dmsTo(user: string, about: string): SlackCall[] {
  return app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === user && String(c.args.text).includes(about));
}

/** A second for anything wrongly started to have dialled. */
const settle = () => new Promise((r) => setTimeout(r, 1_000));

describe('Confirm', () => {
  it('in a private channel the bot is not in: nothing is dialled, and the person is told the /invite line', async () => {
    const { campaign, mine } = await newCampaign(3);
    const reply = await click(ActionId.startConfirm, String(campaign._id), 'C0SECRET');
    expect(reply.args.replace_original).toBe(true);
    expect(reply.args.text).toBe(
      `Not started, nobody was called: I cannot post in <#C0SECRET>: it is a private channel I am not in (or it no longer exists). To use it, type ${INVITE} in <#C0SECRET>, then try again.`,
    );
    await settle();
    expect(dialled(mine)).toEqual([]);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
    expect(postsIn('C0SECRET')).toEqual([]);
  });

  it('in a public channel the bot is not in: it joins, then starts and posts its progress there', async () => {
    const { campaign, mine } = await newCampaign(3);
    const reply = await click(ActionId.startConfirm, String(campaign._id), 'C0OPEN');
    expect(reply.args.text).toBe(`Started \`${campaign.name}\`. Progress is posted in this channel.`);
    const join = app.slack.callsTo('conversations.join').find((c) => c.args.channel === 'C0OPEN')!;
    expect(join.response).toMatchObject({ ok: true });
    const post = postsIn('C0OPEN').find((c) => !c.args.thread_ts)!;
    expect(post.response).toMatchObject({ ok: true, channel: 'C0OPEN' });
    expect(app.slack.calls.indexOf(join)).toBeLessThan(app.slack.calls.indexOf(post));
    await waitForStatus(store, campaign._id, 'completed', 60_000);
    expect(dialled(mine)).toHaveLength(3);
  }, 90_000);

  it('in an archived or unknown channel: nothing is dialled, each with its reason', async () => {
    const { campaign, mine } = await newCampaign(2);
    const archived = await click(ActionId.startConfirm, String(campaign._id), 'C0OLD');
    expect(archived.args.text).toBe(
      'Not started, nobody was called: <#C0OLD> is archived, so I cannot post there. Choose another channel (if it is private, type `/invite @campaign-bot` in it first).',
    );
    const unknown = await click(ActionId.startConfirm, String(campaign._id), 'C0GONE');
    expect(String(unknown.args.text)).toContain(
      `it is a private channel I am not in (or it no longer exists). To use it, type ${INVITE} in <#C0GONE>`,
    );
    await settle();
    expect(dialled(mine)).toEqual([]);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });

  it('when Slack cannot be asked: nothing is dialled, and the person is told to try again', async () => {
    const { campaign, mine } = await newCampaign(2);
    app.slack.override('conversations.info', () => ({ status: 500, body: { ok: false, error: 'internal_error' } }));
    try {
      const reply = await click(ActionId.startConfirm, String(campaign._id), 'C0001');
      expect(String(reply.args.text)).toMatch(
        /^Not started, nobody was called: I could not check with Slack that I can post in <#C0001> \(.+\)\. Try again in a minute\.$/,
      );
    } finally {
      app.slack.clearOverrides();
    }
    await settle();
    expect(dialled(mine)).toEqual([]);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });
});

describe('the Home tab start modal', () => {
  it('a channel the bot cannot post in is answered on the channel field; nothing is dialled', async () => {
    const { campaign, mine } = await newCampaign(2);
    const values = { [BlockId.startChannel]: { [InputId.channel]: { type: 'conversations_select', selected_conversation: 'C0SECRET' } } };
    const res = await postPayload(
      `${app.url}/slack/events`,
      viewSubmission(ViewId.startModal, values, JSON.stringify({ id: String(campaign._id) })),
      secret(),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      response_action: 'errors',
      errors: {
        [BlockId.startChannel]:
          'I cannot post in this channel: it is a private channel I am not in (or it no longer exists). To use it, type /invite @campaign-bot in this channel, then try again.',
      },
    });
    await settle();
    expect(dialled(mine)).toEqual([]);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });

  it('when Slack is slow to answer, the modal says it is starting, then shows how it ended', async () => {
    const { campaign, mine } = await newCampaign(2);
    // conversations.info takes longer than the 3 s Slack waits for the ack.
    app.slack.override('conversations.info', () => ({ delayMs: 3_500 }));
    try {
      const values = { [BlockId.startChannel]: { [InputId.channel]: { type: 'conversations_select', selected_conversation: 'C0SECRET' } } };
      const submission = viewSubmission(ViewId.startModal, values, JSON.stringify({ id: String(campaign._id) })) as {
        view: { id: string };
      };
      const res = await postPayload(`${app.url}/slack/events`, submission, secret());
      const acked = (await res.json()) as { response_action: string; view: { blocks: Array<{ text: { text: string } }> } };
      expect(acked.response_action).toBe('update');
      expect(acked.view.blocks[0]!.text.text).toBe('Checking that I can post in <#C0SECRET>, then starting…');
      const updated = await app.slack.waitFor((c) => c.method === 'views.update' && c.args.view_id === submission.view.id, 10_000);
      const text = (updated.args.view as { blocks: Array<{ text: { text: string } }> }).blocks[0]!.text.text;
      expect(text).toMatch(/^Not started, nobody was called: I cannot post in <#C0SECRET>/);
      expect(text).toContain(INVITE);
    } finally {
      app.slack.clearOverrides();
    }
    await settle();
    expect(dialled(mine)).toEqual([]);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });
});

describe('a scheduled start', () => {
  it('is refused at scheduling time in a channel the bot cannot post in', async () => {
    const { campaign } = await newCampaign(2);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const reply = await click(ActionId.scheduleConfirm, JSON.stringify({ id: String(campaign._id), at }), 'C0SECRET');
    expect(String(reply.args.text)).toMatch(/^Not scheduled: I cannot post in <#C0SECRET>/);
    expect(String(reply.args.text)).toContain(INVITE);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });

  it('is checked again when its time comes: the bot was removed meanwhile, so nothing is dialled and its scheduler is told', async () => {
    const { campaign, mine } = await newCampaign(3);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await click(ActionId.scheduleConfirm, JSON.stringify({ id: String(campaign._id), at }), 'C0LATER');
    expect(String(scheduled.args.text)).toMatch(/^Scheduled/);
    // Then the bot is removed from the channel, and the time comes (moved to now: the clock does what is overdue).
    app.slack.channels.get('C0LATER')!.members = ['U0OWNER'];
    const due = new Date(Date.now() - 1_000);
    await store.Campaign.updateOne({ _id: campaign._id }, { $set: { scheduled_at: due } });
    await app.runtime.clockwork.refresh();
    const held = await waitForStatus(store, campaign._id, 'draft', 10_000);
    expect(held.status_reason).toBe(
      `Did not start as scheduled: I cannot post in <#C0LATER>: it is a private channel I am not in (or it no longer exists). To use it, type ${INVITE} in <#C0LATER>, then try again.`,
    );
    expect(held.scheduled_at).toBeNull();
    const dm = await app.slack.waitFor(
      (c) => c.method === 'chat.postMessage' && c.args.channel === 'U0OWNER' && String(c.args.text).includes(campaign.name),
    );
    expect(dm.response).toMatchObject({ ok: true });
    expect(String(dm.args.text)).toMatch(
      new RegExp(
        `^\`${campaign.name}\` did not start <!date\\^\\d+\\^[^>]+> as scheduled, and nobody was called: I cannot post in <#C0LATER>`,
      ),
    );
    expect(String(dm.args.text)).toContain(INVITE);
    await settle();
    expect(dialled(mine)).toEqual([]);
  });

  it('starts when its time comes in a channel the bot can post in', async () => {
    const { campaign, mine } = await newCampaign(2, {
      status: 'scheduled',
      scheduled_at: new Date(Date.now() - 1_000),
      started_by: 'U0OWNER',
      progress_channel: 'C0001',
      mode: 'live',
    });
    await app.runtime.clockwork.refresh();
    await waitForStatus(store, campaign._id, 'completed', 60_000);
    expect(dialled(mine)).toHaveLength(2);
  }, 90_000);
});

describe('a progress message Slack later refuses', () => {
  it('is tried again, then the campaign pauses and its starter is told; Resume waits until the bot is back', async () => {
    const { campaign, mine } = await newCampaign(200);
    const started = await click(ActionId.startConfirm, String(campaign._id), 'C0ROOM');
    expect(started.args.text).toBe(`Started \`${campaign.name}\`. Progress is posted in this channel.`);
    const ts = await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.progress_ts, 10_000, 'the progress message');
    await waitFor(async () => dialled(mine).length >= 3, 20_000, 'first calls');

    // The bot is removed from the private channel: Slack now hides it (channel_not_found).
    const removedAt = Date.now();
    app.slack.channels.get('C0ROOM')!.members = ['U0OWNER'];
    const paused = await waitForStatus(store, campaign._id, 'paused', 20_000);
    expect(paused.status_reason).toBe(
      'Paused: Slack refuses the progress message in <#C0ROOM> (channel_not_found), so nobody could follow the calls.',
    );
    // Tried again before pausing, over refusalPauseMs.
    const refused = app.slack.calls.filter(
      (c) => c.method === 'chat.update' && c.args.ts === ts && c.at >= removedAt && (c.response as { ok: boolean }).ok === false,
    );
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.at(-1)!.at - refused[0]!.at).toBeGreaterThanOrEqual(FAST_PROGRESS.refusalPauseMs - FAST_PROGRESS.refusalRetryMs);

    const dm = await app.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.args.channel === 'U0OWNER' && String(c.args.text).includes(`I paused \`${campaign.name}\``),
    );
    expect(dm.response).toMatchObject({ ok: true });
    expect(dm.args.text).toBe(
      `I paused \`${campaign.name}\`: Slack refuses its progress message in <#C0ROOM> (channel_not_found), and calls nobody can follow are not made. Type ${INVITE} in <#C0ROOM>, then \`/campaign resume ${campaign.name}\`.`,
    );
    // Paused: nothing new is dialled (a request already in flight may still land just after).
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(
      fake.requests.filter(
        (r) => r.path.endsWith('/connect.json') && r.at.getTime() > pausedAt + 300 && r.form.From?.includes(`91${mine}`),
      ),
    ).toEqual([]);
    expect(dmsTo('U0OWNER', `I paused \`${campaign.name}\``)).toHaveLength(1);

    // Resume while the bot is still out: refused, with the /invite line; still paused.
    const notYet = await click(ActionId.resume, String(campaign._id), 'C0ROOM');
    expect(String(notYet.args.text)).toMatch(/^Not resumed, nobody was called: I cannot post in <#C0ROOM>/);
    expect(String(notYet.args.text)).toContain(INVITE);
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('paused');

    // Invited back: Resume works, and the message is edited again.
    app.slack.channels.get('C0ROOM')!.members.push(bot);
    const before = dialled(mine).length;
    const resumedAt = Date.now();
    await press(ActionId.resume, String(campaign._id), 'C0ROOM');
    await waitForStatus(store, campaign._id, 'running', 5_000);
    await waitFor(async () => dialled(mine).length > before, 20_000, 'dialling to resume');
    await app.slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === ts && c.at > resumedAt && (c.response as { ok: boolean }).ok,
      10_000,
    );
    await press(ActionId.stop, String(campaign._id), 'C0ROOM');
    await waitForStatus(store, campaign._id, 'stopped', 5_000);
  }, 90_000);
});
