// Who may do what, end to end over signed HTTP: guests (restricted accounts, as Slack's users.info says) and people
// outside CAMPAIGN_OPERATORS (user ids and a user group, resolved through usergroups.users.list) are refused create,
// start and export; operators may; the thread masks numbers, the export keeps them whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/ids.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_PROGRESS, FAST_SETTINGS, phoneNumbers, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;

const GUEST = 'U0GUEST';
const STRANGER = 'U0STRANGER';
const OPERATOR = 'U0OPS';
const GROUP_MEMBER = 'U0GRP';

beforeAll(async () => {
  store = await testStore('permissions');
  fake = await startFakeExotel({
    callbackDelayMs: [50, 300],
    seed: 5,
    secondMs: 1000,
    outcome: (from) => (from.endsWith('1') ? 'busy' : 'completed'),
  });
  app = await startTestApp(
    store,
    exotelEnv(fake, {
      PUBLIC_URL: 'self',
      EXOTEL_WEBHOOK_SECRET: 'permissions-webhook-secret-012345',
      CAMPAIGN_OPERATORS: `${OPERATOR},S0OPERATORS,${GUEST}`,
    }),
    {
      runtime: {
        settings: FAST_SETTINGS,
        pacing: { callsPerMinute: 300, windowMs: 10_000 },
        progress: { ...FAST_PROGRESS, failureMaxWaitMs: 500 },
      },
    },
  );
  app.slack.override('users.info', (call) => ({
    body: { ok: true, user: { id: call.args.user, is_restricted: call.args.user === GUEST } },
  }));
  app.slack.override('usergroups.users.list', (call) => ({
    body: { ok: true, users: call.args.usergroup === 'S0OPERATORS' ? [GROUP_MEMBER] : [] },
  }));
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

async function send(text: string, user: string) {
  const responseUrl = app.slack.responseUrl(`cmd-${Math.random().toString(36).slice(2)}`);
  const res = await postToSlackEndpoint(
    `${app.url}/slack/events`,
    slashCommand(text, { user_id: user, response_url: responseUrl }),
    app.config.slack.signingSecret!,
  );
  expect(res.status).toBe(200);
  return { raw: await res.text(), responseUrl };
}

async function command(text: string, user: string) {
  const { raw, responseUrl } = await send(text, user);
  if (raw) return JSON.parse(raw) as { text?: string };
  const later = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]);
  return later.args as { text?: string };
}

describe('create', () => {
  it('refuses a guest and a non-operator, and opens the form for an operator and a member of the operators group', async () => {
    expect((await command('create', GUEST)).text).toContain('Guest accounts cannot create campaigns');
    expect((await command('create', STRANGER)).text).toContain('Only campaign operators (CAMPAIGN_OPERATORS) can create campaigns');
    const opened = app.slack.callsTo('views.open').length;
    expect((await send('create', OPERATOR)).raw).toBe('');
    expect((await send('create', GROUP_MEMBER)).raw).toBe('');
    expect(app.slack.callsTo('views.open')).toHaveLength(opened + 2);
  });
});

describe('start', () => {
  it('refuses a guest owner and a non-operator owner, and shows an operator owner the summary', async () => {
    const byGuest = await seedCampaign(store, phoneNumbers(2, '71'), { owner: GUEST });
    const byStranger = await seedCampaign(store, phoneNumbers(2, '72'), { owner: STRANGER });
    const byMember = await seedCampaign(store, phoneNumbers(2, '73'), { owner: GROUP_MEMBER });
    expect((await command(`start ${byGuest.name}`, GUEST)).text).toContain('Guest accounts cannot start campaigns');
    expect((await command(`start ${byStranger.name}`, STRANGER)).text).toContain(
      'Only campaign operators (CAMPAIGN_OPERATORS) can start campaigns',
    );
    expect((await command(`start ${byMember.name}`, GROUP_MEMBER)).text).toContain('contacts to call');
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses a Confirm clicked by a guest even with a button from someone else', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(2, '74'), { owner: OPERATOR });
    const responseUrl = app.slack.responseUrl('guest-confirm');
    await postPayload(
      `${app.url}/slack/events`,
      buttonClick(ActionId.startConfirm, String(campaign._id), { responseUrl, user: GUEST }),
      app.config.slack.signingSecret!,
    );
    const answer = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === 'guest-confirm');
    expect(String(answer.args.text)).toContain('Guest accounts cannot start campaigns');
    expect((await store.Campaign.findById(campaign._id).lean())?.status).toBe('draft');
  });
});

describe('export and the thread', () => {
  it('masks numbers in the thread, refuses the export to a guest and a stranger, and gives an operator every number whole', async () => {
    const phones = phoneNumbers(6, '75');
    const campaign = await seedCampaign(store, phones, { owner: OPERATOR });
    const started = await app.runtime.service.start(campaign._id, { userId: OPERATOR }, { channel: 'C0001', progress_channel: 'C0001' });
    expect(started.ok).toBe(true);
    if (started.ok) await app.runtime.progress.post(started.campaign);
    await waitForStatus(store, campaign._id, 'completed', 60_000);
    await waitFor(async () => (await store.Campaign.findById(campaign._id).lean())?.progress_final, 30_000, 'the thread and the report');

    const thread = app.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts)
      .map((c) => String(c.args.text))
      .join('\n');
    const busy = phones.filter((p) => p.endsWith('1'));
    expect(busy.length).toBeGreaterThan(0);
    for (const phone of busy) {
      expect(thread).toContain(`+91 ••••• •${phone.slice(-4)}`);
      expect(thread).not.toContain(phone.slice(2));
    }

    const fresh = (await store.Campaign.findById(campaign._id).lean())!;
    expect((await command(`export ${fresh.name}`, GUEST)).text).toContain('Guest accounts cannot export campaigns');
    expect((await command(`export ${fresh.name}`, STRANGER)).text).toContain('campaign operators and admins can export it');
    const uploads = app.slack.uploads.size;
    expect((await command(`export ${fresh.name}`, OPERATOR)).text).toContain('Exported 6 contacts');
    expect(app.slack.uploads.size).toBe(uploads + 1);
    const csv = [...app.slack.uploads.values()].at(-1)!.toString('utf8');
    for (const phone of phones) expect(csv).toContain(phone);
  }, 120_000);
});
