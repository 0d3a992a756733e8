// Campaigns and contacts from Slack, end to end: the real app on a free port, the fake Slack recording every call
// (and serving uploaded files only to the bot token), the real database, every request signed as Slack signs it.
// Create and add-contacts modal submissions, the import report, the do-not-call list, export and delete.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountCampaign } from '../../src/campaigns/campaign-view.js';
import { insertContacts } from '../../src/campaigns/contact-insert.js';
import { fieldsOf } from '../../src/campaigns/campaign-hours.js';
import { EXPORT_COLUMNS } from '../../src/campaigns/contacts-export.js';
import { emptyCounts } from '../../src/campaigns/vocabulary.js';
import { ActionId, BlockId, InputId, ViewId } from '../../src/slack/ids.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { botChannel, DEFAULT_CHANNELS, type SlackCall } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { buttonClick, postPayload, postToSlackEndpoint, slashCommand, viewSubmission } from '../helpers/slack-signing.js';
import { formValues } from '../helpers/slack-session.js';
import { createModal } from '../../src/slack/blocks/create-modal-blocks.js';

let store: Store;
let app: TestApp;

beforeAll(async () => {
  store = await testStore('create_import');
  app = await startTestApp(store, { CAMPAIGN_ADMINS: 'U0ADMIN' }, { slack: { channels: [...DEFAULT_CHANNELS, botChannel('C0002')] } });
});
afterAll(async () => {
  await app?.stop();
});

const secret = () => app.config.slack.signingSecret!;
const events = () => `${app.url}/slack/events`;

let fileSeq = 0;
/** Puts a file on the fake Slack and returns the file_input value Slack would send for it. */
function upload(content: Buffer | string, name = 'contacts.csv', filetype = 'csv', size?: number) {
  fileSeq += 1;
  const id = `F${String(fileSeq).padStart(8, '0')}`;
  const url = app.slack.addFile(id, content);
  return {
    type: 'file_input',
    files: [
      {
        id,
        name,
        title: name,
        filetype,
        mimetype: filetype === 'csv' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        size: size ?? Buffer.byteLength(content),
        url_private: url,
        url_private_download: url,
      },
    ],
  };
}

const text = (value: string | null) => ({ type: 'plain_text_input', value });

interface CreateForm {
  name?: string;
  title?: string;
  description?: string;
  file?: object | null;
  paste?: string | null;
  callerId?: string | null;
  pace?: string | null;
}

/**
 * `state.values` of the create modal, shaped as Slack sends it: every input of the real modal as it opens (the rules
 * pre-filled with the defaults), then what this test typed (empty optional inputs as null).
 */
function createValues(form: CreateForm) {
  const opened = createModal(
    { channel: null },
    { retry: app.config.retry, calling_hours: fieldsOf(app.config.callingHours), calls_per_minute: null },
  );
  return {
    ...formValues(opened as Parameters<typeof formValues>[0]),
    [BlockId.name]: { [InputId.value]: text(form.name ?? '') },
    [BlockId.title]: { [InputId.value]: text(form.title ?? 'A title') },
    [BlockId.description]: { [InputId.value]: text(form.description ?? null) },
    [BlockId.file]: { [InputId.value]: form.file ?? { type: 'file_input', files: [] } },
    [BlockId.paste]: { [InputId.value]: text(form.paste ?? null) },
    [BlockId.callerId]: { [InputId.value]: text(form.callerId ?? null) },
    [BlockId.pace]: { [InputId.value]: { type: 'number_input', value: form.pace ?? null } },
  };
}

function addValues(form: { file?: object | null; paste?: string | null }) {
  return {
    [BlockId.file]: { [InputId.value]: form.file ?? { type: 'file_input', files: [] } },
    [BlockId.paste]: { [InputId.value]: text(form.paste ?? null) },
  };
}

/** A signed view_submission; returns the HTTP answer (Bolt's ack body). */
async function submit(callbackId: string, values: object, metadata: object, user = 'U0OWNER') {
  const payload = viewSubmission(callbackId, values, JSON.stringify(metadata), user);
  const res = await postPayload(events(), payload, secret());
  expect(res.status).toBe(200);
  const raw = await res.text();
  return raw ? (JSON.parse(raw) as { response_action?: string; errors?: Record<string, string> }) : {};
}

async function command(textArg: string, user = 'U0OWNER') {
  const res = await postToSlackEndpoint(
    events(),
    slashCommand(textArg, { user_id: user, response_url: app.slack.responseUrl() }),
    secret(),
  );
  expect(res.status).toBe(200);
  const raw = await res.text();
  return raw ? (JSON.parse(raw) as { text?: string; blocks?: Array<Record<string, unknown>> }) : {};
}

async function click(actionId: string, value: string, user = 'U0OWNER') {
  const responseUrl = app.slack.responseUrl(`click-${Math.random().toString(36).slice(2)}`);
  const res = await postPayload(events(), buttonClick(actionId, value, { responseUrl, user }), secret());
  expect(res.status).toBe(200);
  return app.slack.waitFor((c) => c.method === 'response_url' && c.path === responseUrl.split('/respond/')[1]!);
}

/** The import summary posted for a campaign (the first message mentioning it that starts with "Imported"). */
function reportFor(name: string, after = 0): Promise<SlackCall> {
  return app.slack.waitFor(
    (c) =>
      app.slack.calls.indexOf(c) >= after &&
      c.method === 'chat.postMessage' &&
      !c.args.thread_ts &&
      String(c.args.text).includes(`\`${name}\``),
    15_000,
  );
}

async function campaignNamed(name: string): Promise<CampaignFields> {
  const c = (await store.Campaign.findOne({ team_id: 'T0001', name }).lean()) as CampaignFields | null;
  expect(c, `campaign ${name}`).not.toBeNull();
  return c!;
}

async function phonesOf(id: CampaignFields['_id']) {
  return (await store.Contact.find({ campaign_id: id }).sort({ phone: 1 }).lean()).map((c) => [c.phone, c.name, c.call_status]);
}

const META = { channel: 'C0001' };

describe('create a campaign from the modal', () => {
  it('with a CSV file: downloads it with the bot token, stores the campaign and its contacts, posts the report', async () => {
    const before = app.slack.calls.length;
    const file = upload('Mobile,Name,Notes\n98765 00001,Asha,owes 2\n+91 98765 00002,Ravi,\n098765-00003,"Rao, K.",x\n');
    const ack = await submit(
      ViewId.create,
      createValues({
        name: 'EMI-Reminder',
        title: 'EMI reminder — November',
        description: 'Nov batch',
        file,
        pace: '30',
        callerId: '080 4711 2345',
      }),
      META,
    );
    expect(ack).toEqual({});
    const report = await reportFor('emi-reminder', before);
    expect(report.args.channel).toBe('C0001');
    expect(report.args.text).toBe('Imported 3 contacts into `emi-reminder`: 0 duplicates, 0 on the do-not-call list, 0 invalid rows.');

    const downloads = app.slack.calls.slice(before).filter((c) => c.method === 'file_download');
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.authorization).toBe(`Bearer ${app.config.slack.botToken}`);
    expect(downloads[0]!.authorization).toMatch(/^Bearer xoxb-/);
    expect(downloads[0]!.status).toBe(200);

    const c = await campaignNamed('emi-reminder');
    expect([c.title, c.description, c.owner, c.channel, c.status, c.calls_per_minute, c.caller_id, c.total_contacts]).toEqual([
      'EMI reminder — November',
      'Nov batch',
      'U0OWNER',
      'C0001',
      'draft',
      30,
      '08047112345',
      3,
    ]);
    expect(await phonesOf(c._id)).toEqual([
      ['919876500001', 'Asha', 'pending'],
      ['919876500002', 'Ravi', 'pending'],
      ['919876500003', 'Rao, K.', 'pending'],
    ]);
    // Counted in the campaign view as they were imported, with the configured default rules.
    expect(c.counts).toEqual({ ...emptyCounts(), pending: 3 });
    expect(c.calling_hours).toEqual(fieldsOf(app.config.callingHours));
    expect(c.retry).toEqual(app.config.retry);
    expect(c.mode).toBeNull();
  });

  it('with a pasted list', async () => {
    const before = app.slack.calls.length;
    expect(
      await submit(ViewId.create, createValues({ name: 'pasted-list', paste: '9876500011, Meena\n9876500012\n9876500011' }), META),
    ).toEqual({});
    const report = await reportFor('pasted-list', before);
    expect(report.args.text).toBe('Imported 2 contacts into `pasted-list`: 1 duplicate, 0 on the do-not-call list, 0 invalid rows.');
    expect(await phonesOf((await campaignNamed('pasted-list'))._id)).toEqual([
      ['919876500011', 'Meena', 'pending'],
      ['919876500012', '', 'pending'],
    ]);
    expect(app.slack.calls.slice(before).filter((c) => c.method === 'file_download')).toHaveLength(0);
  });

  it('answers mistakes inline on their field and creates nothing', async () => {
    await seedCampaign(store, [], { name: 'taken-name' });
    const count = await store.Campaign.countDocuments();
    const cases: Array<[CreateForm, string, RegExp]> = [
      [{ name: 'Bad Name!' }, BlockId.name, /lowercase letters, digits and dashes/],
      [{ name: '' }, BlockId.name, /Give the campaign a name/],
      [{ name: 'Taken-Name' }, BlockId.name, /A campaign named taken-name already exists/],
      [{ name: 'ok-name', file: upload('PK\u0003\u0004', 'contacts.xlsx', 'xlsx') }, BlockId.file, /not a CSV file/],
      [{ name: 'ok-name', file: upload('9876500021\n', 'big.csv', 'csv', 10 * 1024 * 1024 + 1) }, BlockId.file, /larger than 10 MB/],
      [{ name: 'ok-name', pace: '0' }, BlockId.pace, /whole number of calls per minute from 1 to 1000/],
      [{ name: 'ok-name', pace: '1001' }, BlockId.pace, /whole number of calls per minute from 1 to 1000/],
      [{ name: 'ok-name', pace: '2.5' }, BlockId.pace, /whole number of calls per minute from 1 to 1000/],
    ];
    for (const [form, block, message] of cases) {
      const ack = await submit(ViewId.create, createValues(form), META);
      expect(ack.response_action, JSON.stringify(form)).toBe('errors');
      expect(Object.keys(ack.errors!)).toEqual([block]);
      expect(ack.errors![block]).toMatch(message);
    }
    expect(await store.Campaign.countDocuments()).toBe(count);
    // Files with problems were never downloaded.
    expect(app.slack.calls.filter((c) => c.method === 'file_download' && /big|xlsx/.test(c.path))).toHaveLength(0);
  });
});

describe('add contacts to an existing campaign', () => {
  it('adds a file, and the same file again is all duplicates', async () => {
    const campaign = await seedCampaign(store, ['919876500031'], { name: 'add-more' });
    const csv = 'phone\n9876500031\n9876500032\n9876500033\n';
    const meta = { channel: 'C0002', id: String(campaign._id) };
    let before = app.slack.calls.length;
    expect(await submit(ViewId.addContacts, addValues({ file: upload(csv) }), meta)).toEqual({});
    let report = await reportFor('add-more', before);
    expect(report.args).toMatchObject({
      channel: 'C0002',
      text: 'Imported 2 contacts into `add-more`: 1 duplicate, 0 on the do-not-call list, 0 invalid rows.',
    });

    before = app.slack.calls.length;
    expect(await submit(ViewId.addContacts, addValues({ file: upload(csv) }), meta)).toEqual({});
    report = await reportFor('add-more', before);
    expect(report.args.text).toBe('Imported 0 contacts into `add-more`: 3 duplicates, 0 on the do-not-call list, 0 invalid rows.');
    expect((await phonesOf(campaign._id)).map(([p]) => p)).toEqual(['919876500031', '919876500032', '919876500033']);
    const after = await store.Campaign.findById(campaign._id).lean();
    // Duplicates are taken back off the view: three contacts, all waiting.
    expect([after?.total_contacts, after?.counts.pending]).toEqual([3, 3]);
    expect(await recountCampaign(store, campaign._id)).toEqual({ drift: null, applied: true });
  });

  it('refuses a running campaign, someone else’s campaign and an empty form, inline', async () => {
    const running = await seedCampaign(store, [], { name: 'add-running', status: 'running' });
    const other = await seedCampaign(store, [], { name: 'add-other' });
    const paste = addValues({ paste: '9876500041' });
    let ack = await submit(ViewId.addContacts, paste, { channel: 'C0001', id: String(running._id) });
    expect(ack.errors?.[BlockId.paste]).toMatch(/is running. Pause it first/);
    ack = await submit(ViewId.addContacts, paste, { channel: 'C0001', id: String(other._id) }, 'U0STRANGER');
    expect(ack.errors?.[BlockId.paste]).toContain('Only <@U0OWNER>');
    ack = await submit(ViewId.addContacts, addValues({}), { channel: 'C0001', id: String(other._id) });
    expect(ack.errors?.[BlockId.paste]).toBe('Upload a CSV file or paste at least one number.');
    expect(await store.Contact.countDocuments({ campaign_id: { $in: [running._id, other._id] } })).toBe(0);
  });
});

describe('the import report names every bad row', () => {
  const BAD_KINDS = [
    [',empty number', 'No number in this row.'],
    ['98765abcde,letters', 'contains letters'],
    ['98765,too short', 'too short'],
    ['98765432101234,too long', 'too long'],
    ['+44 7911 123456,not indian', 'not an Indian number'],
    ['080 2345 6789,landline', 'Indian landline'],
    ['"9876500059,unbalanced quote', 'a quote (") is not closed'],
    [`9876500060,${'z'.repeat(70 * 1024)}`, 'longer than 64 KB'],
  ] as const;

  it('in a thread reply, with row number and reason, when there are up to 20', async () => {
    const lines = ['number,name', '9876500051,good one'];
    for (const [row] of BAD_KINDS) lines.push(row);
    lines.push('9876500052,good two');
    const before = app.slack.calls.length;
    await submit(ViewId.create, createValues({ name: 'bad-rows', file: upload(lines.join('\n')) }), META);
    const report = await reportFor('bad-rows', before);
    expect(report.args.text).toBe(
      'Imported 2 contacts into `bad-rows`: 0 duplicates, 0 on the do-not-call list, 8 invalid rows. The invalid rows are listed in the thread.',
    );
    const thread = await app.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        !!c.args.thread_ts &&
        c.args.channel === 'C0001' &&
        app.slack.calls.indexOf(c) > app.slack.calls.indexOf(report),
    );
    const replyLines = String(thread.args.text).split('\n');
    expect(replyLines).toHaveLength(BAD_KINDS.length);
    BAD_KINDS.forEach(([, reason], i) => {
      expect(replyLines[i]).toMatch(new RegExp(`^• Row ${i + 3}: `));
      expect(replyLines[i]).toContain(reason);
    });
    expect(replyLines[1]).toContain('`98765abcde`');
    expect((await phonesOf((await campaignNamed('bad-rows'))._id)).map(([p]) => p)).toEqual(['919876500051', '919876500052']);
  });

  it('in an attached CSV when there are more than 20', async () => {
    const lines = ['number'];
    for (let i = 0; i < 3; i++) for (const [row] of BAD_KINDS) lines.push(row);
    lines.push('9876500071');
    const before = app.slack.calls.length;
    const uploadsBefore = new Set(app.slack.uploads.keys());
    await submit(ViewId.create, createValues({ name: 'many-bad-rows', file: upload(lines.join('\r\n')) }), META);
    const report = await reportFor('many-bad-rows', before);
    expect(report.args.text).toBe(
      'Imported 1 contact into `many-bad-rows`: 0 duplicates, 0 on the do-not-call list, 24 invalid rows. The invalid rows are in the attached file.',
    );
    const completed = await app.slack.waitFor((c) => c.method === 'files.completeUploadExternal' && app.slack.calls.indexOf(c) > before);
    expect(completed.args.thread_ts).toBeTruthy();
    const id = [...app.slack.uploads.keys()].find((k) => !uploadsBefore.has(k))!;
    const rows = parse(uploadedCsv(app.slack.uploads.get(id)!), { bom: true }) as string[][];
    expect(rows[0]).toEqual(['row', 'value', 'reason']);
    expect(rows).toHaveLength(1 + 24);
    rows.slice(1).forEach(([row, , reason], i) => {
      expect(Number(row)).toBe(i + 2);
      expect(reason).toContain(BAD_KINDS[i % BAD_KINDS.length]![1]);
    });
  });
});

/** The CSV inside an upload body (the SDK may send it raw or as a multipart form). */
function uploadedCsv(body: Buffer): string {
  const s = body.toString('utf8');
  const m = /\r\n\r\n([\s\S]*?)\r\n--[^\r\n]+--\r\n?$/.exec(s);
  return m && s.startsWith('--') ? m[1]! : s;
}

describe('the do-not-call list', () => {
  it('numbers an admin adds with /campaign dnc add are imported as skipped and counted', async () => {
    const refused = await command('dnc add 9876500081', 'U0OWNER');
    expect(refused.text).toContain('Only campaign admins');
    const added = await command('dnc add 9876500081, +91 98765 00082', 'U0ADMIN');
    expect(added.text).toContain('Added to the do-not-call list');
    expect(await store.Dnc.countDocuments({ team_id: 'T0001' })).toBe(2);

    const before = app.slack.calls.length;
    await submit(ViewId.create, createValues({ name: 'with-dnc', file: upload('9876500081\n9876500082\n9876500083\n') }), META);
    const report = await reportFor('with-dnc', before);
    expect(report.args.text).toBe('Imported 1 contact into `with-dnc`: 0 duplicates, 2 on the do-not-call list, 0 invalid rows.');
    const c = await campaignNamed('with-dnc');
    expect(await phonesOf(c._id)).toEqual([
      ['919876500081', '', 'skipped'],
      ['919876500082', '', 'skipped'],
      ['919876500083', '', 'pending'],
    ]);
    expect([c.total_contacts, c.counts.skipped, c.counts.pending]).toEqual([3, 2, 1]);
  });
});

describe('/campaign export', () => {
  it('uploads every contact as CSV, cell by cell, with formula cells neutralised', async () => {
    const campaign = await seedCampaign(store, [], { name: 'export-me', title: 'Export me' });
    const started = new Date('2024-05-01T10:00:00.000Z');
    await insertContacts(store, campaign._id, [
      { phone: '919876500091', name: '=HYPERLINK("http://evil","x")', description: '+1+1' },
      { phone: '919876500092', name: '-2', description: '@SUM(A1)' },
      { phone: '919876500093', name: 'Plain, "quoted"', description: 'line\nbreak', skip: 'dnc' },
    ]);
    // Where the calls left them (a fixture: the engine's transitions are tested elsewhere), then the view recounted.
    const [first, second] = (await store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean()).map((c) => c._id);
    await store.Contact.updateOne(
      { _id: first },
      {
        $set: {
          call_status: 'completed',
          attempts: 1,
          tries: 1,
          call_sid: 'sid1',
          call_started_at: started,
          call_ended_at: new Date(started.getTime() + 42_000),
          call_duration: 42,
          last_outcome: 'completed',
        },
      },
    );
    await store.Contact.updateOne(
      { _id: second },
      {
        $set: {
          call_status: 'pending',
          attempts: 1,
          tries: 1,
          last_outcome: 'busy',
          call_error: '=bad',
          next_attempt_at: new Date(started.getTime() + 1_800_000),
        },
      },
    );
    await recountCampaign(store, campaign._id);
    expect((await store.Campaign.findById(campaign._id).lean())?.counts).toEqual({
      ...emptyCounts(),
      completed: 1,
      retrying: 1,
      skipped: 1,
    });
    const uploadsBefore = new Set(app.slack.uploads.keys());
    const reply = await command('export export-me');
    expect(reply.text).toBe('Exported 3 contacts of `export-me` in your direct messages with me.');
    const id = [...app.slack.uploads.keys()].find((k) => !uploadsBefore.has(k))!;
    const raw = app.slack.uploads.get(id)!;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(raw, { bom: true }) as string[][];
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1)).toEqual([
      [
        '919876500091',
        `'=HYPERLINK("http://evil","x")`,
        "'+1+1",
        'completed',
        '1',
        'sid1',
        'completed',
        '',
        '',
        '',
        '2024-05-01T10:00:00.000Z',
        '2024-05-01T10:00:42.000Z',
        '42',
        '',
        '',
      ],
      ['919876500092', "'-2", "'@SUM(A1)", 'retrying', '1', '', 'busy', '', '', '', '', '', '', '2024-05-01T10:30:00.000Z', "'=bad"],
      ['919876500093', 'Plain, "quoted"', 'line\nbreak', 'skipped (dnc)', '0', '', '', '', '', '', '', '', '', '', ''],
    ]);
    const complete = app.slack.callsTo('files.completeUploadExternal').at(-1)!;
    expect(complete.args.channel_id).toBe('DU0OWNER');
  });
});

describe('/campaign delete', () => {
  it('asks first; Delete removes the campaign and its contacts', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(5, '93'), { name: 'delete-me', status: 'completed' });
    const reply = await command('delete delete-me');
    expect(reply.text).toBe('Delete delete-me?');
    const actions = reply.blocks!.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ActionId.deleteConfirm, ActionId.deleteCancel]);
    // Asking deleted nothing; Cancel deletes nothing.
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id })).toBe(5);
    expect((await click(ActionId.deleteCancel, String(campaign._id))).args.text).toBe('Nothing was deleted.');
    expect(await store.Campaign.countDocuments({ _id: campaign._id })).toBe(1);

    const done = await click(ActionId.deleteConfirm, actions.elements[0]!.value);
    expect(done.args).toMatchObject({ replace_original: true, text: 'Deleted `delete-me` and its contacts.' });
    expect(await store.Campaign.countDocuments({ _id: campaign._id })).toBe(0);
    expect(await store.Contact.countDocuments({ campaign_id: campaign._id })).toBe(0);
  });

  it('refuses a running campaign and someone who does not own it, at the command and at the button', async () => {
    const running = await seedCampaign(store, phoneNumbers(2, '94'), { name: 'delete-running', status: 'running' });
    expect((await command('delete delete-running')).text).toContain('running');
    expect(String((await click(ActionId.deleteConfirm, String(running._id))).args.text)).toContain('running');

    const owned = await seedCampaign(store, phoneNumbers(2, '95'), { name: 'delete-owned' });
    expect((await command('delete delete-owned', 'U0STRANGER')).text).toContain('Only <@U0OWNER>');
    expect(String((await click(ActionId.deleteConfirm, String(owned._id), 'U0STRANGER')).args.text)).toContain('Only <@U0OWNER>');

    for (const c of [running, owned]) {
      expect(await store.Campaign.countDocuments({ _id: c._id })).toBe(1);
      expect(await store.Contact.countDocuments({ campaign_id: c._id })).toBe(2);
    }
    // An admin may delete someone else's draft.
    expect((await click(ActionId.deleteConfirm, String(owned._id), 'U0ADMIN')).args.text).toBe('Deleted `delete-owned` and its contacts.');
  });

  it('refuses a stopped campaign while one of its calls may still be live at Exotel, and says to wait', async () => {
    const stopped = await seedCampaign(store, phoneNumbers(2, '96'), { name: 'delete-live', status: 'stopped' });
    const [live] = await store.Contact.find({ campaign_id: stopped._id }).sort({ _id: 1 }).lean();
    await store.Contact.updateOne({ _id: live!._id }, { $set: { call_status: 'initiated', tries: 1, attempts: 1, call_sid: 'sid-live' } });
    await recountCampaign(store, stopped._id);
    expect((await command('delete delete-live')).text).toBe('Delete delete-live?');
    const refused = await click(ActionId.deleteConfirm, String(stopped._id));
    expect(refused.args.text).toBe(
      '`delete-live` still has a call that may be live at Exotel. Delete it once its calls have ended (a few minutes).',
    );
    expect(await store.Contact.countDocuments({ campaign_id: stopped._id })).toBe(2);

    // Once the call has ended, it can go.
    await store.Contact.updateOne({ _id: live!._id }, { $set: { call_status: 'completed', last_outcome: 'completed' } });
    await recountCampaign(store, stopped._id);
    expect((await click(ActionId.deleteConfirm, String(stopped._id))).args.text).toBe('Deleted `delete-live` and its contacts.');
  });
});
