// The App Home tab over real signed HTTP: app_home_opened publishes the campaign table; View opens the contacts
// modal; Next and Previous inside the modal update it in place (views.update with the view's id and hash).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountCampaign } from '../../src/campaigns/campaign-view.js';
import { homeView } from '../../src/slack/blocks/home-blocks.js';
import { ActionId, BlockId, InputId, ViewId } from '../../src/slack/ids.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { DEFAULT_CHANNELS } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign, waitFor } from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, slackSignature, viewSubmission } from '../helpers/slack-signing.js';

let store: Store;
let app: TestApp;
let big: CampaignFields;
let small: CampaignFields;
const secret = () => app.config.slack.signingSecret!;

/** POSTs an Events API JSON body signed as Slack signs it. */
function postEvent(body: object): Promise<Response> {
  const raw = JSON.stringify(body);
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${app.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret(), timestamp, raw),
    },
    body: raw,
  });
}

function homeOpened(user: string, tab = 'home') {
  return {
    token: 'legacy-verification-token',
    team_id: 'T0001',
    api_app_id: 'A0001',
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0001', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
    event: { type: 'app_home_opened', user, channel: 'D0HOME', tab, event_ts: `${Date.now() / 1000}` },
  };
}

/** A block_actions payload for a button inside an open modal (Slack sends the view with its id and hash). */
function modalButtonClick(actionId: string, value: string, view: { id: string; hash: string; private_metadata: string }) {
  return {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: 'U0OWNER', username: 'owner', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: view.id },
    trigger_id: `trigger.modal.${Date.now()}`,
    view: {
      id: view.id,
      hash: view.hash,
      type: 'modal',
      callback_id: 'campaign_contacts',
      private_metadata: view.private_metadata,
      team_id: 'T0001',
      app_id: 'A0001',
      bot_id: 'B0BOT',
      blocks: [],
      state: { values: {} },
      title: { type: 'plain_text', text: 'Contacts' },
    },
    actions: [
      {
        action_id: actionId,
        block_id: 'contacts_nav',
        text: { type: 'plain_text', text: 'x' },
        value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

type Block = { type: string; text?: { text: string }; elements?: Array<{ action_id: string; value: string }> };
const sectionTexts = (blocks: Block[]) => blocks.filter((b) => b.type === 'section').map((b) => b.text!.text);

beforeAll(async () => {
  store = await testStore('slack_home');
  // #progress is public and the bot is not in it yet: a start there joins it first.
  app = await startTestApp(store, {}, { slack: { channels: [...DEFAULT_CHANNELS, { id: 'C0PROGRESS', name: 'progress' }] } });
  small = await seedCampaign(store, phoneNumbers(3, '91'), { title: 'Renewals <Q4>', status: 'completed' });
  big = await seedCampaign(store, phoneNumbers(60, '92'), { title: 'Diwali offer', status: 'draft' });
  // One number Exotel refused (a fixture: the engine's transitions are tested elsewhere), then the view recounted.
  await store.Contact.updateOne(
    { campaign_id: big._id, phone: phoneNumbers(60, '92')[0] },
    { $set: { call_status: 'failed', call_error: 'Invalid number', attempts: 1, tries: 1, last_outcome: 'failed' } },
  );
  await recountCampaign(store, big._id);
  // Another workspace's campaign never shows.
  await seedCampaign(store, phoneNumbers(1, '93'), { team_id: 'T0OTHER', title: 'Elsewhere' });
});
afterAll(async () => {
  await app?.stop();
});

describe('App Home', () => {
  it('app_home_opened publishes the campaign table for that user', async () => {
    const res = await postEvent(homeOpened('U0VIEWER'));
    expect(res.status).toBe(200);
    const call = await app.slack.waitFor((c) => c.method === 'views.publish');
    expect(call.args.user_id).toBe('U0VIEWER');
    const view = call.args.view as { type: string; blocks: Block[] };
    // Exactly what homeView draws for this workspace's campaigns, newest change first.
    const campaigns = (await store.Campaign.find({ team_id: 'T0001' }).sort({ updated_at: -1 }).lean()) as CampaignFields[];
    expect(view).toEqual(JSON.parse(JSON.stringify(homeView(campaigns))));
    const texts = sectionTexts(view.blocks).join('\n');
    expect(texts).toContain(`*Diwali offer*  \`${big.name}\`\n:memo: Draft · 0/60 (1 failed)`);
    expect(texts).toContain(':white_check_mark: Completed · 0/3 (0 failed)');
    expect(texts).toContain('*Renewals &lt;Q4&gt;*');
    expect(texts).not.toContain('Elsewhere');
    const buttons = view.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements!);
    expect(
      buttons
        .filter((b) => b.action_id === ActionId.homeView)
        .map((b) => b.value)
        .sort(),
    ).toEqual([String(big._id), String(small._id)].sort());
  });

  it('an app_home_opened for the Messages tab publishes nothing', async () => {
    const before = app.slack.callsTo('views.publish').length;
    const res = await postEvent(homeOpened('U0OTHER', 'messages'));
    expect(res.status).toBe(200);
    // A later Home event is answered, so the Messages one had its chance to publish first.
    await postEvent(homeOpened('U0LATER'));
    await app.slack.waitFor((c) => c.method === 'views.publish' && c.args.user_id === 'U0LATER');
    expect(app.slack.callsTo('views.publish').filter((c) => c.args.user_id === 'U0OTHER')).toEqual([]);
    expect(app.slack.callsTo('views.publish').length).toBe(before + 1);
  });

  it('View opens the contacts modal with the trigger id; Next and Previous update it in place', async () => {
    const click = buttonClick(ActionId.homeView, String(big._id), { responseUrl: app.slack.responseUrl('home-view') }) as {
      trigger_id: string;
    };
    const res = await postPayload(`${app.url}/slack/events`, click, secret());
    expect(res.status).toBe(200);
    const opened = await app.slack.waitFor((c) => c.method === 'views.open');
    expect(opened.args.trigger_id).toBe(click.trigger_id);
    const first = opened.args.view as { callback_id: string; private_metadata: string; blocks: Block[] };
    expect(first.callback_id).toBe('campaign_contacts');
    expect(JSON.parse(first.private_metadata)).toEqual({ id: String(big._id), page: 0 });
    expect(sectionTexts(first.blocks)[0]).toBe(`*Diwali offer* \`${big.name}\`\nContacts 1–25 of 60`);
    expect(sectionTexts(first.blocks)[1]).toBe('+91 92000 00000 · Contact 0\n:x: Failed · attempt 1\n_Invalid number_');
    expect(sectionTexts(first.blocks)).toHaveLength(26);
    const nav = first.blocks.find((b) => b.type === 'actions')!.elements!;
    expect(nav.map((e) => e.action_id)).toEqual(['contacts_page_next']);

    // Next, clicked inside the modal.
    const next = modalButtonClick(nav[0]!.action_id, nav[0]!.value, {
      id: 'V0MODAL1',
      hash: '1700000000.abc',
      private_metadata: first.private_metadata,
    });
    expect((await postPayload(`${app.url}/slack/events`, next, secret())).status).toBe(200);
    const updated = await app.slack.waitFor((c) => c.method === 'views.update');
    expect(updated.args.view_id).toBe('V0MODAL1');
    expect(updated.args.hash).toBe('1700000000.abc');
    const second = updated.args.view as { private_metadata: string; blocks: Block[] };
    expect(JSON.parse(second.private_metadata)).toEqual({ id: String(big._id), page: 1 });
    expect(sectionTexts(second.blocks)[0]).toBe(`*Diwali offer* \`${big.name}\`\nContacts 26–50 of 60`);
    expect(sectionTexts(second.blocks)[1]).toBe('+91 92000 00025 · Contact 25\n:hourglass_flowing_sand: Pending');
    const nav2 = second.blocks.find((b) => b.type === 'actions')!.elements!;
    expect(nav2.map((e) => e.action_id)).toEqual(['contacts_page_prev', 'contacts_page_next']);

    // Next again: the last page, 10 contacts, Previous only.
    const last = modalButtonClick(nav2[1]!.action_id, nav2[1]!.value, {
      id: 'V0MODAL1',
      hash: '1700000001.def',
      private_metadata: second.private_metadata,
    });
    await postPayload(`${app.url}/slack/events`, last, secret());
    const third = await app.slack.waitFor((c) => c.method === 'views.update' && c.args.hash === '1700000001.def');
    const thirdView = third.args.view as { blocks: Block[] };
    expect(sectionTexts(thirdView.blocks)[0]).toBe(`*Diwali offer* \`${big.name}\`\nContacts 51–60 of 60`);
    expect(sectionTexts(thirdView.blocks)).toHaveLength(11);
    expect(thirdView.blocks.find((b) => b.type === 'actions')!.elements!.map((e) => e.action_id)).toEqual(['contacts_page_prev']);

    // A stale or forged page number past the end shows the last page, not an empty one.
    const forged = modalButtonClick('contacts_page_next', JSON.stringify({ id: String(big._id), page: 99 }), {
      id: 'V0MODAL1',
      hash: 'h-forged',
      private_metadata: '',
    });
    await postPayload(`${app.url}/slack/events`, forged, secret());
    const clamped = await app.slack.waitFor((c) => c.method === 'views.update' && c.args.hash === 'h-forged');
    expect(sectionTexts((clamped.args.view as { blocks: Block[] }).blocks)[0]).toContain('Contacts 51–60 of 60');
  });

  it('Start opens the start summary with a channel picker; Start in it starts the campaign and posts its progress there', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(4, '94'), { title: 'Home start', channel: 'C0HOME' });
    const click = buttonClick(ActionId.homeStart, String(campaign._id), { responseUrl: app.slack.responseUrl('home-start') }) as {
      trigger_id: string;
    };
    expect((await postPayload(`${app.url}/slack/events`, click, secret())).status).toBe(200);
    const opened = await app.slack.waitFor((c) => c.method === 'views.open' && c.args.trigger_id === click.trigger_id);
    const modal = opened.args.view as {
      callback_id: string;
      private_metadata: string;
      blocks: Array<Block & { element?: Record<string, unknown> }>;
    };
    expect(modal.callback_id).toBe(ViewId.startModal);
    expect(sectionTexts(modal.blocks)[0]).toBe(
      '*Start Home start?*\n• *Calls:* 4 contacts\n• *Caller id:* the rehearsal caller id\n' +
        '• *Pace:* 60 calls a minute, shared with other running campaigns\n• *Estimated duration:* less than a minute\n' +
        '• *Calling hours:* every day 00:00–24:00 IST\n• *Retries:* no retries\n' +
        '• :test_tube: *Rehearsal mode:* nobody is really called; outcomes are simulated.',
    );
    expect(modal.blocks[1]!.element).toMatchObject({ initial_conversation: 'C0HOME' });

    const values = { [BlockId.startChannel]: { [InputId.channel]: { type: 'conversations_select', selected_conversation: 'C0PROGRESS' } } };
    const submission = viewSubmission(ViewId.startModal, values, modal.private_metadata);
    const res = await postPayload(`${app.url}/slack/events`, submission, secret());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    // The bot joined the public channel before anything was dialled, then posted there.
    const joined = app.slack.callsTo('conversations.join');
    expect(joined.map((c) => [c.args.channel, (c.response as { ok: boolean }).ok])).toEqual([['C0PROGRESS', true]]);
    const posted = await app.slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0PROGRESS');
    expect(posted.response).toMatchObject({ ok: true });
    expect(app.slack.calls.indexOf(joined[0]!)).toBeLessThan(app.slack.calls.indexOf(posted));
    expect(posted.args.text).toBe('Home start: Running, 0/4 (0 failed)');
    // The message's ts is recorded once Slack has answered the post.
    const started = await waitFor(
      async () => {
        const c = await store.Campaign.findById(campaign._id).lean();
        return c?.progress_ts ? c : null;
      },
      5_000,
      'the progress message ts',
    );
    // The campaign records who started it, where its progress goes and, from this process's dialer, its mode.
    expect([started.status, started.mode, started.started_by, started.progress_channel]).toEqual([
      'running',
      'rehearsal',
      'U0OWNER',
      'C0PROGRESS',
    ]);
    expect(started.progress_ts).toMatch(/^\d+\.\d{6}$/);

    // Start again on the same (now running) campaign: the modal says why not.
    const again = buttonClick(ActionId.homeStart, String(campaign._id), { responseUrl: app.slack.responseUrl('home-start-2') }) as {
      trigger_id: string;
    };
    await postPayload(`${app.url}/slack/events`, again, secret());
    const refused = await app.slack.waitFor((c) => c.method === 'views.open' && c.args.trigger_id === again.trigger_id);
    expect(sectionTexts((refused.args.view as { blocks: Block[] }).blocks)).toEqual([
      `\`${campaign.name}\` is already running. \`/campaign status ${campaign.name}\` shows its progress.`,
    ]);
  });

  it('View on a campaign that no longer exists says so in the modal', async () => {
    const click = buttonClick(ActionId.homeView, '64b0000000000000000000ff', { responseUrl: app.slack.responseUrl('gone') }) as {
      trigger_id: string;
    };
    await postPayload(`${app.url}/slack/events`, click, secret());
    const opened = await app.slack.waitFor((c) => c.method === 'views.open' && c.args.trigger_id === click.trigger_id);
    expect((opened.args.view as { blocks: Block[] }).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'That campaign no longer exists.' } },
    ]);
  });
});
