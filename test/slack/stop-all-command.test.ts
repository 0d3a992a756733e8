// `/campaign stop-all`: the admins' emergency brake, through the real app and signed requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

let store: Store;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('stop_all');
  app = await startTestApp(store, { CAMPAIGN_ADMINS: 'U0ADMIN' });
});
afterAll(async () => {
  await app?.stop();
});

async function command(text: string, user: string): Promise<string> {
  const res = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand(text, { user_id: user }), app.config.slack.signingSecret!);
  expect(res.status).toBe(200);
  return ((await res.json()) as { text: string }).text;
}

describe('/campaign stop-all', () => {
  it('is refused to anyone but an admin, and changes nothing then', async () => {
    const running = await seedCampaign(store, phoneNumbers(3, '51'), { name: 'refused-running', status: 'running', mode: 'rehearsal' });
    expect(await command('stop-all', 'U0OWNER')).toBe(
      'Only the bot’s admins (`CAMPAIGN_ADMINS`) can stop every campaign at once. Stop your own with `/campaign stop <name>`, or ask an admin.',
    );
    expect((await store.Campaign.findById(running._id).lean())?.status).toBe('running');
  });

  it('stops every running, paused and scheduled campaign of the workspace, and leaves the rest and other workspaces alone', async () => {
    const paused = await seedCampaign(store, phoneNumbers(2, '52'), { name: 'a-paused', status: 'paused' });
    const scheduled = await seedCampaign(store, phoneNumbers(2, '53'), {
      name: 'b-scheduled',
      status: 'scheduled',
      scheduled_at: new Date(Date.now() + 86_400_000),
    });
    const draft = await seedCampaign(store, phoneNumbers(2, '54'), { name: 'c-draft' });
    const completed = await seedCampaign(store, phoneNumbers(2, '55'), { name: 'd-completed', status: 'completed' });
    const elsewhere = await seedCampaign(store, phoneNumbers(2, '56'), { name: 'e-elsewhere', status: 'running', team_id: 'T0999' });

    const text = await command('stop-all', 'U0ADMIN');
    expect(text).toMatch(
      /^Stopped 3 campaigns: `[a-z-]+`, `[a-z-]+`, `[a-z-]+`\. Nobody else will be called; calls already ringing finish\.$/,
    );
    for (const name of ['refused-running', 'a-paused', 'b-scheduled']) expect(text).toContain(`\`${name}\``);
    const status = async (id: unknown) => (await store.Campaign.findById(id).lean())?.status;
    expect(await status(paused._id)).toBe('stopped');
    expect(await status(scheduled._id)).toBe('stopped');
    expect(await status(draft._id)).toBe('draft');
    expect(await status(completed._id)).toBe('completed');
    expect(await status(elsewhere._id)).toBe('running');
    const stopped = await store.Campaign.findOne({ name: 'refused-running' }).lean();
    expect(stopped?.last_action).toMatchObject({ verb: 'stop', by: 'U0ADMIN' });

    expect(await command('stop-all', 'U0ADMIN')).toBe('No campaign is running, paused or scheduled; nothing was stopped.');
  });

  it('is listed in the help', async () => {
    expect(await command('help', 'U0OWNER')).toContain(
      '`/campaign stop-all` — admins: stop every running, paused and scheduled campaign of this workspace',
    );
  });
});
