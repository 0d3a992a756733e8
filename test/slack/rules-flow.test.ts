// Dialling rules set from Slack, end to end over real signed HTTP: the real app on a free port, the fake Slack
// recording every call, the fake Exotel placing the calls, the real database. A campaign is created with its rules
// through the create modal (bad values answered inline, one sentence per field), edited through the same form,
// scheduled and unscheduled (list, status and Home say when), and run: a campaign outside its calling hours says
// when it resumes, and numbers that were busy or not answered show as Retrying and are called again only once their
// delay has passed — on the engine's injected clock, so a one-minute delay takes no real minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId, BlockId, ViewId } from '../../src/slack/ids.js';
import type { CallFields } from '../../src/store/call-model.js';
import { attemptKey } from '../../src/store/call-model.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeCallOutcome, type FakeExotel } from '../fakes/fake-exotel.js';
import type { SlackCall } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_PROGRESS, FAST_SETTINGS, phoneNumbers, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';
import { formValues, SlackSession, type OpenedView, type Typed } from '../helpers/slack-session.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let me: SlackSession;
/** The engine's clock runs this far ahead of the real one. */
let clockAheadMs = 0;

/** How each number's calls end, in order; numbers not listed complete. */
const plans = new Map<string, FakeCallOutcome[]>();
const placed = new Map<string, number>();
function outcomeOf(from: string): FakeCallOutcome {
  const key = from.slice(-10);
  const n = placed.get(key) ?? 0;
  placed.set(key, n + 1);
  return plans.get(key)?.[n] ?? 'completed';
}

beforeAll(async () => {
  store = await testStore('rules_flow');
  fake = await startFakeExotel({
    callsPerMinute: 600,
    windowMs: 10_000,
    callbackDelayMs: [50, 300],
    seed: 5,
    secondMs: 1000,
    outcome: outcomeOf,
  });
  app = await startTestApp(store, exotelEnv(fake, { PUBLIC_URL: 'self', EXOTEL_WEBHOOK_SECRET: 'rules-flow-webhook-secret-0123' }), {
    runtime: {
      settings: FAST_SETTINGS,
      pacing: { callsPerMinute: 300, windowMs: 10_000 },
      progress: FAST_PROGRESS,
      now: () => new Date(Date.now() + clockAheadMs),
    },
  });
  me = new SlackSession(app);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const NEXT_YEAR = new Date().getUTCFullYear() + 1;
const PHONES = phoneNumbers(8, '71');
/** Three numbers busy on their first call, two not answering; the rest, and every second call, complete. */
for (const phone of PHONES.slice(0, 3)) plans.set(phone.slice(-10), ['busy']);
for (const phone of PHONES.slice(3, 5)) plans.set(phone.slice(-10), ['no-answer']);
const RETRIED = PHONES.slice(0, 5);

/** The rules typed into the form for the retry campaign: retries after one minute, every day all day. */
const RULES: Record<string, Typed> = {
  [BlockId.retryOn]: ['busy', 'no-answer'],
  [BlockId.maxAttempts]: '3',
  [BlockId.delayBusy]: '1',
  [BlockId.delayNoAnswer]: '1',
  [BlockId.delayFailed]: '1',
  [BlockId.hours]: 'Mon-Sun 00:00-24:00',
  [BlockId.timeZone]: 'Asia/Kolkata',
  [BlockId.skipDates]: '2099-12-25',
  [BlockId.pace]: '120',
};

async function campaignNamed(name: string): Promise<CampaignFields> {
  return waitFor(
    async () => (await store.Campaign.findOne({ team_id: 'T0001', name }).lean()) as CampaignFields | null,
    10_000,
    `campaign ${name}`,
  );
}

function section(view: { blocks?: Array<Record<string, unknown>> }, i: number): string {
  return (view.blocks?.[i] as { text?: { text: string } } | undefined)?.text?.text ?? '';
}

/** The breakdown fields of a progress message: label → number. */
function breakdown(call: SlackCall): Record<string, number> {
  const blocks = call.args.blocks as Array<{ fields?: Array<{ text: string }> }>;
  const fields = blocks.find((b) => b.fields)?.fields ?? [];
  return Object.fromEntries(
    fields.map((f) => {
      const [label, n] = f.text.split('\n');
      return [label!.replace(/\*/g, ''), Number(n)];
    }),
  );
}

const input = (view: OpenedView, blockId: string) =>
  view.blocks.find((b) => b.block_id === blockId)?.element as Record<string, unknown> | undefined;

describe('create with rules through the modal', () => {
  it('answers every bad value inline on its field, in a sentence, and creates nothing', async () => {
    const view = await me.openModal('create rules-flow', ViewId.create);
    // The form opens pre-filled with the configured defaults.
    expect(input(view, BlockId.name)).toMatchObject({ initial_value: 'rules-flow' });
    expect(input(view, BlockId.hours)).toMatchObject({ initial_value: 'Mon-Sun 09:00-21:00' });
    expect(input(view, BlockId.timeZone)).toMatchObject({ initial_value: 'Asia/Kolkata' });
    expect(input(view, BlockId.maxAttempts)).toMatchObject({ initial_option: { value: String(app.config.retry.max_attempts) } });

    const good: Record<string, Typed> = { ...RULES, [BlockId.title]: 'Rules flow', [BlockId.paste]: PHONES.join('\n') };
    const cases: Array<[Record<string, Typed>, string, RegExp]> = [
      [
        { [BlockId.hours]: 'Mon-Sat 20:00-09:00' },
        BlockId.hours,
        /^Calling hours "20:00-09:00" must end later on the same day than they start .*09:00-21:00\.$/,
      ],
      [
        { [BlockId.hours]: 'Mon-Sat' },
        BlockId.hours,
        /^"Mon-Sat" has no calling hours; write them after the days, like Mon-Sat 09:00-20:00\.$/,
      ],
      [
        { [BlockId.timeZone]: 'India/Mumbai' },
        BlockId.timeZone,
        /^"India\/Mumbai" is not a time zone I know\. Use an IANA name such as Asia\/Kolkata or Asia\/Dubai\.$/,
      ],
      [
        { [BlockId.skipDates]: '2099-12-25, 31 Feb' },
        BlockId.skipDates,
        /^"31 Feb" is not a date or a range of dates; write dates like 2026-12-25, 25 Dec or 2026-12-24\.\.2026-12-26\.$/,
      ],
      [
        { [BlockId.maxAttempts]: '1' },
        BlockId.maxAttempts,
        /^Retries need at least 2 attempts; choose 2 or more, or untick every outcome above\.$/,
      ],
      [
        { [BlockId.startAt]: `${NEXT_YEAR}-03-02 10:00`, [BlockId.callUntil]: `${NEXT_YEAR}-03-01 18:00` },
        BlockId.callUntil,
        /^The end date must come after the start\.$/,
      ],
      [{ [BlockId.callUntil]: '2020-01-01 10:00' }, BlockId.callUntil, /^Call until: "2020-01-01 10:00" is in the past .*\.$/],
      [{ [BlockId.delayBusy]: '0' }, BlockId.delayBusy, /^Give a whole number of minutes from 1 to 10080 \(a week\)\.$/],
    ];
    for (const [bad, block, sentence] of cases) {
      const ack = await me.submit(ViewId.create, formValues(view, { ...good, ...bad }), view.private_metadata);
      expect(ack.response_action, JSON.stringify(bad)).toBe('errors');
      expect(Object.keys(ack.errors!), JSON.stringify(bad)).toEqual([block]);
      expect(ack.errors![block]).toMatch(sentence);
    }
    expect(await store.Campaign.countDocuments({ name: 'rules-flow' })).toBe(0);
  });

  it('creates the campaign with the rules typed, and imports its contacts', async () => {
    const before = app.slack.calls.length;
    const view = await me.openModal('create rules-flow', ViewId.create);
    const ack = await me.submit(
      ViewId.create,
      formValues(view, { ...RULES, [BlockId.title]: 'Rules flow', [BlockId.paste]: PHONES.join('\n') }),
      view.private_metadata,
    );
    expect(ack).toEqual({});
    const report = await app.slack.waitFor(
      (c) => app.slack.calls.indexOf(c) >= before && c.method === 'chat.postMessage' && String(c.args.text).includes('`rules-flow`'),
      15_000,
    );
    expect(report.args.text).toBe('Imported 8 contacts into `rules-flow`: 0 duplicates, 0 on the do-not-call list, 0 invalid rows.');
    const c = await campaignNamed('rules-flow');
    expect([c.status, c.title, c.total_contacts, c.calls_per_minute, c.call_until, c.scheduled_at]).toEqual([
      'draft',
      'Rules flow',
      8,
      120,
      null,
      null,
    ]);
    expect(c.retry).toEqual({
      on: ['busy', 'no-answer'],
      max_attempts: 3,
      delays: { busy: 60, 'no-answer': 60, failed: 60 },
      exponential: false,
    });
    expect(c.calling_hours).toEqual({
      days: [1, 2, 3, 4, 5, 6, 7],
      start: '00:00',
      end: '24:00',
      tz: 'Asia/Kolkata',
      skip: ['2099-12-25'],
    });
  });
});

describe('/campaign edit', () => {
  it('opens the same form pre-filled with the campaign; a bad value is answered inline; saving changes only what was typed', async () => {
    const view = await me.openModal('edit rules-flow', ViewId.edit);
    expect(view.blocks.some((b) => b.block_id === BlockId.startAt)).toBe(false);
    expect(input(view, BlockId.title)).toMatchObject({ initial_value: 'Rules flow' });
    expect(input(view, BlockId.hours)).toMatchObject({ initial_value: 'Mon-Sun 00:00-24:00' });
    expect(input(view, BlockId.skipDates)).toMatchObject({ initial_value: '2099-12-25' });
    expect(input(view, BlockId.delayNoAnswer)).toMatchObject({ initial_value: '1' });
    expect(input(view, BlockId.maxAttempts)).toMatchObject({ initial_option: { value: '3' } });
    expect(input(view, BlockId.pace)).toMatchObject({ initial_value: '120' });
    expect(input(view, BlockId.callUntil)).not.toHaveProperty('initial_value');

    const refused = await me.submit(ViewId.edit, formValues(view, { [BlockId.callUntil]: 'yesterday' }), view.private_metadata);
    expect(refused.response_action).toBe('errors');
    expect(Object.keys(refused.errors!)).toEqual([BlockId.callUntil]);
    expect(refused.errors![BlockId.callUntil]).toMatch(/^Call until: /);

    const before = await campaignNamed('rules-flow');
    const saved = await me.submit(
      ViewId.edit,
      formValues(view, {
        [BlockId.title]: 'Rules flow (edited)',
        [BlockId.exponential]: ['yes'],
        [BlockId.callUntil]: `${NEXT_YEAR}-12-31 18:00`,
      }),
      view.private_metadata,
    );
    expect(saved).toEqual({});
    const after = await campaignNamed('rules-flow');
    expect(after.title).toBe('Rules flow (edited)');
    expect(after.retry).toEqual({ ...before.retry, exponential: true });
    expect(after.call_until).toEqual(new Date(Date.UTC(NEXT_YEAR, 11, 31, 12, 30)));
    expect([after.calling_hours, after.calls_per_minute, after.status]).toEqual([before.calling_hours, before.calls_per_minute, 'draft']);

    // The form opened again and saved untouched keeps every rule, the end date included.
    const again = await me.openModal('edit rules-flow', ViewId.edit);
    expect(await me.submit(ViewId.edit, formValues(again), again.private_metadata)).toEqual({});
    const unchanged = await campaignNamed('rules-flow');
    expect([unchanged.title, unchanged.retry, unchanged.calling_hours, unchanged.call_until, unchanged.calls_per_minute]).toEqual([
      after.title,
      after.retry,
      after.calling_hours,
      after.call_until,
      after.calls_per_minute,
    ]);
  });
});

describe('/campaign schedule and unschedule', () => {
  const at = new Date(Date.UTC(NEXT_YEAR, 2, 2, 5, 0)); // 2 Mar, 10:30 IST
  const shown = `<!date^${at.getTime() / 1000}^{date_short_pretty} {time}|${at.toISOString().replace('.000Z', 'Z')}>`;

  it('shows the start summary with the time and Schedule; Schedule makes it scheduled, and list, status and Home say when', async () => {
    const { body } = await me.command(`schedule rules-flow ${NEXT_YEAR}-03-02 10:30`);
    expect(body.text).toBe('Schedule Rules flow (edited)? 8 contacts to call.');
    const summary = section(body, 0);
    expect(summary).toContain(`*Schedule Rules flow (edited)?*\n• *Starts:* ${shown} (nothing is dialled before)`);
    expect(summary).toContain('• *Calling hours:* every day 00:00–24:00 IST, not on 25 Dec 2099');
    expect(summary).toContain('• *Retries:* retry busy, no answer up to 3 attempts (busy 1 min, no answer 1 min, doubling)');
    expect(summary).toContain('• *Calls until:* <!date^');
    const buttons = (body.blocks!.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> }).elements;
    expect(buttons.map((b) => b.action_id)).toEqual([ActionId.scheduleConfirm, ActionId.scheduleCancel]);
    expect(await store.Campaign.countDocuments({ name: 'rules-flow', status: 'scheduled' })).toBe(0);

    const answer = await me.click(ActionId.scheduleConfirm, buttons[0]!.value);
    expect(answer.args).toMatchObject({
      replace_original: true,
      text: `Scheduled \`rules-flow\` to start ${shown}; its progress will be posted in this channel. \`/campaign unschedule rules-flow\` cancels it.`,
    });
    const c = await campaignNamed('rules-flow');
    expect([c.status, c.scheduled_at, c.progress_channel, c.started_by]).toEqual(['scheduled', at, 'C0001', 'U0OWNER']);

    const list = (await me.command('list')).body;
    expect(JSON.stringify(list.blocks)).toContain(
      JSON.stringify(`\`rules-flow\` — Rules flow (edited) · Scheduled · 0/8 (0 failed) · starts ${shown} · updated`).slice(1, -1),
    );

    const status = (await me.command('status rules-flow')).body;
    expect(status.text).toBe('Rules flow (edited): Scheduled, 0/8 (0 failed)');
    expect(section(status, 1)).toMatch(
      /^:calendar: \*Scheduled\* · pace 120\/min\n:hourglass_flowing_sand: Scheduled — starts \w{3} 2 Mar( \d{4})? 10:30 IST$/,
    );
    const rulesLine = JSON.stringify(status.blocks!.at(-1));
    expect(rulesLine).toContain(
      'Calling hours: every day 00:00–24:00 IST, not on 25 Dec 2099 · Retries: retry busy, no answer up to 3 attempts',
    );
    expect(rulesLine).toContain('Calls until <!date^');

    const home = await me.openHome();
    const row = home.blocks.map((b) => b.text?.text ?? '').find((t) => t.includes('`rules-flow`'));
    expect(row).toContain(`:calendar: Scheduled · 0/8 (0 failed) · starts ${shown} · updated`);
    expect(fake.calls).toHaveLength(0);
  });

  it('unschedule puts it back to a draft that starts only when asked; list no longer shows a start', async () => {
    const { body } = await me.command('unschedule rules-flow');
    expect(body.text).toBe(
      '`rules-flow` will not start by itself any more. `/campaign start rules-flow` or `/campaign schedule` it again.',
    );
    const c = await campaignNamed('rules-flow');
    expect([c.status, c.scheduled_at]).toEqual(['draft', null]);
    expect(JSON.stringify((await me.command('list')).body.blocks)).toContain(
      '`rules-flow` — Rules flow (edited) · Draft · 0/8 (0 failed) · updated',
    );
    // Unscheduling again is refused with a sentence.
    expect((await me.command('unschedule rules-flow')).body.text).toMatch(/rules-flow/);
    expect((await campaignNamed('rules-flow')).status).toBe('draft');
  });
});

describe('a running campaign outside its calling hours', () => {
  it('says on its progress message when it resumes, and dials nobody', async () => {
    // One hour of calling a day that has not begun (or has ended) now, in India.
    const hourNow = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', hourCycle: 'h23' }).format(new Date()),
    );
    const opens = (hourNow + 3) % 23;
    const hh = (h: number) => String(h).padStart(2, '0');
    const closed = phoneNumbers(2, '72');
    const view = await me.openModal('create closed-hours', ViewId.create);
    const ack = await me.submit(
      ViewId.create,
      formValues(view, {
        ...RULES,
        [BlockId.title]: 'Closed hours',
        [BlockId.paste]: closed.join('\n'),
        [BlockId.hours]: `Mon-Sun ${hh(opens)}:00-${hh(opens + 1)}:00`,
      }),
      view.private_metadata,
    );
    expect(ack).toEqual({});
    const campaign = await waitFor(
      async () => {
        const c = (await store.Campaign.findOne({ name: 'closed-hours' }).lean()) as CampaignFields | null;
        return c && c.total_contacts === 2 ? c : null;
      },
      10_000,
      'the closed-hours campaign and its contacts',
    );

    const { body } = await me.command('start closed-hours');
    expect(section(body, 0)).toContain(`• *Calling hours:* every day ${hh(opens)}:00–${hh(opens + 1)}:00 IST`);
    const started = await me.click(ActionId.startConfirm, String(campaign._id));
    expect(started.args.text).toBe('Started `closed-hours`. Progress is posted in this channel.');
    const waiting = new RegExp(`:hourglass_flowing_sand: Waiting for calling hours — resumes (today|tomorrow) ${hh(opens)}:00 IST`);
    const message = await app.slack.waitFor(
      (c) =>
        ['chat.postMessage', 'chat.update'].includes(c.method) &&
        String(c.args.text).startsWith('Closed hours: Running') &&
        waiting.test(JSON.stringify(c.args.blocks)),
      10_000,
    );
    expect(JSON.stringify(message.args.blocks)).not.toContain(' left');
    await waitFor(
      async () => ((await store.Campaign.findById(campaign._id).lean()) as CampaignFields).dial_wait.reason === 'outside-hours',
      10_000,
      'the run to say it waits for hours',
    );
    expect(fake.calls.filter((c) => closed.some((p) => p.endsWith(c.fromEcho.slice(-10))))).toEqual([]);

    await me.press(ActionId.stop, String(campaign._id));
    await waitForStatus(store, campaign._id, 'stopped', 10_000);
    expect(fake.calls.filter((c) => closed.some((p) => p.endsWith(c.fromEcho.slice(-10))))).toEqual([]);
  }, 60_000);
});

describe('retries', () => {
  it("numbers busy or not answered show as Retrying, and are called again only after their delay on the campaign's clock", async () => {
    const campaign = await campaignNamed('rules-flow');
    const { body } = await me.command('start rules-flow');
    expect(section(body, 0)).toContain('• *Retries:* retry busy, no answer up to 3 attempts (busy 1 min, no answer 1 min, doubling)');
    const started = await me.click(ActionId.startConfirm, String(campaign._id));
    expect(started.args.text).toBe('Started `rules-flow`. Progress is posted in this channel.');

    // Every first call ends: three completed, five waiting for their retry.
    const waitingView = await waitFor(
      async () => {
        const c = (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
        return c.counts.completed === 3 && c.counts.retrying === 5 && c.counts.dialing + c.counts.initiated + c.counts.unknown === 0
          ? c
          : null;
      },
      30_000,
      'the first calls to end',
    );
    expect(waitingView.status).toBe('running');
    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    for (const c of contacts.filter((x) => RETRIED.includes(x.phone))) {
      expect([c.phone, c.call_status, c.attempts]).toEqual([c.phone, 'pending', 1]);
      expect(['busy', 'no-answer']).toContain(c.last_outcome);
      // One minute after the outcome, on the engine's clock (the first retry is not doubled).
      expect(c.next_attempt_at.getTime() - c.outcome_at!.getTime()).toBe(60_000);
    }

    // The breakdown counts them as Retrying, and the message says what it waits for.
    const shown = await app.slack.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.args.ts === waitingView.progress_ts &&
        breakdown(c).Retrying === 5 &&
        breakdown(c).Completed === 3 &&
        JSON.stringify(c.args.blocks).includes('Waiting for retries — next at'),
      15_000,
    );
    expect(breakdown(shown)).toMatchObject({ Completed: 3, Busy: 0, 'No answer': 0, 'In progress': 0, Waiting: 0, Retrying: 5 });
    expect(shown.args.text).toBe('Rules flow (edited): Running, 3/8 (0 failed)');

    // Nothing is requested again while the delay runs, however long the run keeps looking.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const phone of PHONES) expect(fake.placedCount(phone), phone).toBe(1);

    // The campaign's clock moves past the delay: each retried number is called once more, and the campaign completes.
    clockAheadMs += 90_000;
    const done = await waitForStatus(store, campaign._id, 'completed', 30_000);
    expect(done.counts).toMatchObject({ completed: 8, retrying: 0, busy: 0, 'no-answer': 0 });
    for (const phone of PHONES) expect(fake.placedCount(phone), phone).toBe(RETRIED.includes(phone) ? 2 : 1);
    const retried = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    for (const c of retried.filter((x) => RETRIED.includes(x.phone))) {
      const first = (await store.Call.findById(attemptKey(c._id, 1)).lean()) as CallFields;
      const second = (await store.Call.findById(attemptKey(c._id, 2)).lean()) as CallFields;
      expect([first.state, second.state]).toEqual([plans.get(c.phone.slice(-10))![0], 'completed']);
      expect(second.sent_at.getTime() - first.outcome_at!.getTime(), c.phone).toBeGreaterThanOrEqual(60_000);
    }
    const final = await app.slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === done.progress_ts && String(c.args.text).includes('Completed'),
      15_000,
    );
    expect(final.args.text).toBe('Rules flow (edited): Completed, 8/8 (0 failed)');
    expect(breakdown(final)).toMatchObject({ Completed: 8, Retrying: 0 });
  }, 90_000);
});
