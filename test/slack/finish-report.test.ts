// What a campaign says when it ends, end to end over real signed HTTP: the real app and engine, the fake Exotel
// (whose prices come seconds after each call, as Exotel's come minutes after), the fake Slack keeping every upload.
// The progress line `completed/total (N failed)` counts the calls Exotel completed; the finish report in the thread
// mentions whoever started the campaign and carries its figures, first without the cost, then edited with it; a PNG
// chart goes into the same thread, and on demand with /campaign chart; the report's Export button uploads the CSV.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS } from '../../src/campaigns/contacts-export.js';
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
  outcomeTruth,
  phoneNumbers,
  seedCampaign,
  waitFor,
  waitForStatus,
} from '../helpers/engine-fixtures.js';
import { SlackSession } from '../helpers/slack-session.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The person who starts the campaigns: an admin, not their owner, so a mention of the owner would be wrong. */
const STARTER = 'U0ASHA';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let asha: SlackSession;

beforeAll(async () => {
  store = await testStore('finish_report');
  // Prices (and durations) show in call details 6 s after each call ends: the report goes out before them.
  fake = await startFakeExotel({
    callsPerMinute: 600,
    windowMs: 10_000,
    callbackDelayMs: [300, 800],
    seed: 23,
    secondMs: 1000,
    detailsDelayMs: 6_000,
  });
  app = await startTestApp(
    store,
    exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'finish-report-webhook-secret-01', CAMPAIGN_ADMINS: STARTER }),
    {
      runtime: {
        settings: { ...FAST_SETTINGS, reconciler: { ...FAST_SETTINGS.reconciler, priceEveryMs: 1_000, priceTries: 60 } },
        pacing: { callsPerMinute: 300, windowMs: 10_000 },
        progress: FAST_PROGRESS,
      },
    },
  );
  asha = new SlackSession(app, STARTER);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

/** Width and height from a PNG's IHDR, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The bytes of the file an upload completed (files.completeUploadExternal names the file id the upload URL got). */
function uploaded(complete: SlackCall): Buffer {
  const [file] = complete.args.files as Array<{ id: string }>;
  const bytes = app.slack.uploads.get(file!.id);
  expect(bytes, `upload ${file!.id}`).toBeDefined();
  return bytes!;
}

function fields(message: SlackCall): Record<string, string> {
  const blocks = message.args.blocks as Array<{ fields?: Array<{ text: string }> }>;
  return Object.fromEntries(
    (blocks.find((b) => b.fields)?.fields ?? []).map((f) => {
      const [label, ...value] = f.text.split('\n');
      return [label!.replace(/\*/g, ''), value.join('\n')];
    }),
  );
}

const firstText = (message: SlackCall) => (message.args.blocks as Array<{ text?: { text: string } }>)[0]?.text?.text ?? '';

async function startAndFinish(campaign: CampaignFields): Promise<CampaignFields> {
  const { body } = await asha.command(`start ${campaign.name}`);
  expect(body.text).toContain('contacts to call');
  const started = await asha.click(ActionId.startConfirm, String(campaign._id));
  expect(started.args.text).toBe(`Started \`${campaign.name}\`. Progress is posted in this channel.`);
  await waitForStatus(store, campaign._id, 'completed', 60_000);
  return waitFor(
    async () => {
      const c = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
      return c.progress_final && c.report_ts && c.chart_posted ? c : null;
    },
    30_000,
    'the finish report and chart',
  );
}

describe('a campaign that completes', () => {
  let done: CampaignFields;
  let report: SlackCall;

  it('its message shows completed/total (N failed) with completed = the calls Exotel completed', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(30, '61'), { title: 'Finish <report>', name: 'finish-report' });
    done = await startAndFinish(campaign);
    const calls = fake.calls.filter((c) => numberOf(c).startsWith('9161'));
    const truth = outcomeTruth(calls);
    const failed = truth.busy + truth['no-answer'] + truth.failed + truth.canceled;
    expect(calls).toHaveLength(30);
    expect(truth.completed).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    const final = app.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === done.progress_ts)
      .at(-1)!;
    expect(final.args.text).toBe(`Finish &lt;report&gt;: Completed, ${truth.completed}/30 (${failed} failed)`);
    expect(JSON.stringify(final.args.blocks)).toContain(`*${truth.completed}/30 (${failed} failed)*`);
    expect(JSON.stringify(final.args.blocks)).toContain(`started by <@${STARTER}>`);
  }, 90_000);

  it('the finish reply in the thread mentions the starter and carries the figures; the cost is "not reported yet"', async () => {
    const calls = fake.calls.filter((c) => numberOf(c).startsWith('9161'));
    const truth = outcomeTruth(calls);
    const failed = 30 - truth.completed;
    report = app.slack
      .callsTo('chat.postMessage')
      .find((c) => c.args.thread_ts === done.progress_ts && c.args.text && String(c.args.text).includes(' finished: '))!;
    expect(report).toBeDefined();
    expect(report.args.channel).toBe('C0001');
    expect(firstText(report)).toBe(
      `<@${STARTER}> *Finish &lt;report&gt;* finished: ${truth.completed} of 30 calls completed, ${failed} not reached.`,
    );
    const f = fields(report);
    expect(f).toMatchObject({
      Completed: String(truth.completed),
      Busy: String(truth.busy),
      'No answer': String(truth['no-answer']),
      'Could not connect': String(truth.failed + truth.canceled),
      // The fake says a person answered every completed call.
      'Answer rate': `${Math.round((truth.completed / 30) * 100)}% of 30 calls answered by a person`,
    });
    // Talk time: one Exotel second per completed call here; the run took seconds.
    expect(done.stats.talk_seconds).toBe(calls.reduce((n, c) => n + (c.duration ?? 0), 0));
    expect(f['Talk time']).toBe('under a minute');
    expect(f['Ran for']).toBe('under a minute');
    expect(f.Cost).toMatch(/^cost not reported yet \(Exotel reports prices a few minutes after each call; \d+ to come\)$/);
    expect(report.args.text).toMatch(/^Finish &lt;report&gt; finished: \d+ of 30 calls completed, \d+ not reached, cost not reported yet/);
    const exportButton = (report.args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find(
      (b) => b.type === 'actions',
    )!.elements![0]!;
    expect(exportButton).toMatchObject({ action_id: ActionId.reportExport, value: String(done._id) });
    // The numbers not reached came before it, in the same thread.
    const replies = app.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === done.progress_ts);
    const failureLines = replies.slice(0, replies.indexOf(report)).flatMap((r) => String(r.args.text).split('\n'));
    expect(failureLines).toHaveLength(failed);
  });

  it('is edited with the final cost once Exotel has reported every price', async () => {
    const priced = await waitFor(
      async () =>
        app.slack.callsTo('chat.update').find((c) => c.args.ts === done.report_ts && !String(c.args.text).includes('not reported yet')),
      60_000,
      'the report edited with the cost',
    );
    // The fake bills Rs 0.50 a started minute of a completed call, nothing for the others.
    const cost = fake.calls.filter((c) => numberOf(c).startsWith('9161')).reduce((sum, c) => sum + Number(c.price), 0);
    expect(cost).toBeGreaterThan(0);
    const rupees = `Rs ${cost.toFixed(2)}`;
    expect(fields(priced).Cost).toBe(rupees);
    expect(String(priced.args.text).endsWith(`, ${rupees}.`)).toBe(true);
    expect(priced.args.channel).toBe('C0001');
    expect(firstText(priced)).toBe(firstText(report));
    const after = await waitFor(
      async () => {
        const c = (await store.Campaign.findById(done._id).lean()) as CampaignFields;
        return c.report_cost_final ? c : null;
      },
      10_000,
      'the report marked as showing the final cost',
    );
    expect([after.stats.cost, after.stats.cost_pending]).toEqual([cost, 0]);
  }, 90_000);

  it('a PNG chart went into the progress thread: a real PNG of a plausible size', async () => {
    const complete = app.slack.callsTo('files.completeUploadExternal').find((c) => c.args.thread_ts === done.progress_ts)!;
    expect(complete).toBeDefined();
    expect(complete.args.channel_id).toBe('C0001');
    const png = uploaded(complete);
    const { width, height } = pngSize(png);
    expect(width).toBeGreaterThanOrEqual(320);
    expect(width).toBeLessThanOrEqual(4000);
    expect(height).toBeGreaterThanOrEqual(200);
    expect(height).toBeLessThanOrEqual(4000);
    expect(png.length).toBeGreaterThan(2_000);
    const asked = app.slack
      .callsTo('files.getUploadURLExternal')
      .find((c) => String(c.args.filename) === 'finish-report-calls-per-hour.png')!;
    expect(Number(asked.args.length)).toBe(png.length);
    expect((complete.args.files as Array<{ title: string }>)[0]!.title).toBe('Finish <report> — calls per hour');
  });

  it('/campaign chart uploads the chart again, on demand, into the thread', async () => {
    const before = app.slack.calls.length;
    const { body } = await asha.command('chart finish-report');
    expect(body.text).toBe('Posted the chart of `finish-report` in the thread of its progress message.');
    const complete = app.slack.callsTo('files.completeUploadExternal').find((c) => app.slack.calls.indexOf(c) >= before)!;
    expect([complete.args.channel_id, complete.args.thread_ts]).toEqual(['C0001', done.progress_ts]);
    expect(complete.args.initial_comment).toBe(`Calls per hour by outcome, requested by <@${STARTER}>.`);
    pngSize(uploaded(complete));
  });

  it('Export on the report uploads every contact as CSV into the thread', async () => {
    const before = app.slack.calls.length;
    const answer = await asha.click(ActionId.reportExport, String(done._id));
    expect(answer.args).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Exported 30 contacts of `finish-report` in the thread of its progress message.',
    });
    const complete = app.slack.callsTo('files.completeUploadExternal').find((c) => app.slack.calls.indexOf(c) >= before)!;
    expect([complete.args.channel_id, complete.args.thread_ts]).toEqual(['C0001', done.progress_ts]);
    const rows = parse(uploaded(complete), { bom: true }) as string[][];
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(31);
    const outcomes = new Map(fake.calls.filter((c) => numberOf(c).startsWith('9161')).map((c) => [numberOf(c), c.outcome]));
    for (const row of rows.slice(1)) expect(row[6], row[0]).toBe(outcomes.get(row[0]!));
  });
});

describe('a campaign that is stopped before everyone was called', () => {
  it('lists the numbers never called just above its report, which says so', async () => {
    // 30 calls a minute: one every two seconds, so a stop leaves most numbers uncalled.
    const campaign = await seedCampaign(store, phoneNumbers(20, '62'), {
      title: 'Stopped early',
      name: 'stopped-early',
      calls_per_minute: 30,
    });
    await asha.command(`start ${campaign.name}`);
    await asha.click(ActionId.startConfirm, String(campaign._id));
    await waitFor(async () => fake.calls.filter((c) => numberOf(c).startsWith('9162')).length >= 1, 20_000, 'a first call');
    await asha.press(ActionId.stop, String(campaign._id));
    await waitForStatus(store, campaign._id, 'stopped', 10_000);
    const ended = await waitFor(
      async () => {
        const c = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
        return c.progress_final && c.report_ts ? c : null;
      },
      30_000,
      'the report of the stopped campaign',
    );
    const placedNumbers = new Set(fake.calls.filter((c) => numberOf(c).startsWith('9162')).map(numberOf));
    const never = phoneNumbers(20, '62').filter((p) => !placedNumbers.has(p));
    expect(never.length).toBeGreaterThan(0);

    const replies = app.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ended.progress_ts);
    const report = replies.find((c) => String(c.args.text).includes(' was stopped: '))!;
    const list = replies.find((c) => String(c.args.text).startsWith('*Never called*'))!;
    expect(replies.indexOf(list)).toBeLessThan(replies.indexOf(report));
    // Numbers in the channel are masked unless SHOW_FULL_NUMBERS.
    expect(
      String(list.args.text)
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/ · .*$/, '')),
    ).toEqual(never.map((p) => `• +91 ••••• •${p.slice(-4)}`));
    expect(firstText(report)).toMatch(new RegExp(`^<@${STARTER}> \\*Stopped early\\* was stopped: `));
    expect(fields(report)['Never called']).toBe(String(never.length));
    // Calls ringing at the stop finished before the report: it counts how they ended.
    const reached = outcomeTruth(fake.calls.filter((c) => numberOf(c).startsWith('9162')));
    expect(fields(report)).toMatchObject({
      Completed: String(reached.completed),
      Busy: String(reached.busy),
      'No answer': String(reached['no-answer']),
    });
    expect(ended.counts).toMatchObject({ dialing: 0, initiated: 0, unknown: 0, pending: never.length });
    expect(JSON.stringify(report.args.blocks)).toContain('Numbers never called are listed just above this report.');
  }, 90_000);
});
