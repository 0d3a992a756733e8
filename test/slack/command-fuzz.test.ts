// 10,000 random `/campaign` texts sent to the real app as signed slash commands: every one is answered (200 and a
// sentence, in the ack or, for a slow subcommand, on the response_url), nothing changes, nothing is posted to a
// channel, no answer carries a raw channel-wide mention or breaks out of its code span, and the app still serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountCampaign } from '../../src/campaigns/campaign-view.js';
import type { Store } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { postToSlackEndpoint, slashCommand } from '../helpers/slack-signing.js';

const COUNT = 10_000;
const CONCURRENCY = 8;
const SUBCOMMANDS = ['help', 'list', 'status', 'start', 'pause', 'resume', 'stop', 'retry'];

let store: Store;
let app: TestApp;
const names: string[] = [];

// A small seeded PRNG, so a failure can be replayed.
let seed = 20261125;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const PIECES = [
  '$where',
  '$ne',
  '{"$gt":""}',
  '{"$where":"sleep(1000)"}',
  '$regex',
  '.*',
  '"',
  "'",
  '`',
  '```',
  '``` x ```',
  '\\',
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '<#C123|general>',
  '<https://evil.example|click>',
  '&amp;',
  '&lt;',
  '>',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u200b',
  '\u200f',
  '\u202e',
  '\ufeff',
  'مرحبا',
  'שלום',
  '😀',
  '👨‍👩‍👧',
  '🇮🇳',
  'ß',
  'İ',
  '\ud800',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '*bold*',
  '_x_',
  '~s~',
  ':tada:',
  '%00',
  '%s',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${x} is one of the hostile texts sent
  '${x}',
  '../',
];

function junkWord(): string {
  const n = 1 + Math.floor(rnd() * 4);
  let word = '';
  for (let i = 0; i < n; i++) {
    word += rnd() < 0.6 ? pick(PIECES) : String.fromCodePoint(Math.floor(rnd() * 0x2ffff) % 0xd800);
  }
  return word;
}

function randomText(i: number): string {
  if (i % 500 === 7) return `${pick(SUBCOMMANDS)} ${'x'.repeat(4000 + Math.floor(rnd() * 1000))}`;
  if (i % 500 === 8) return Array.from({ length: 800 }, () => pick(PIECES)).join(rnd() < 0.5 ? ' ' : '');
  const words: string[] = [];
  const r = rnd();
  if (r < 0.55) words.push(pick(SUBCOMMANDS));
  else if (r < 0.65) words.push(pick(SUBCOMMANDS).toUpperCase());
  else if (r < 0.7) words.push('');
  else words.push(junkWord());
  if (rnd() < 0.35 && names.length > 0) words.push(pick(names));
  const extra = Math.floor(rnd() * 4);
  for (let k = 0; k < extra; k++) words.push(junkWord());
  return words.join(pick([' ', '  ', '\n', '\t', ' \u200b ']));
}

beforeAll(async () => {
  store = await testStore('command_fuzz');
  app = await startTestApp(store);
  // Owned by someone else: every control from the fuzzing users is refused; status finds them.
  for (const status of ['draft', 'paused', 'running'] as const) {
    const c = await seedCampaign(store, phoneNumbers(5, '97'), { status, owner: 'U0OWNER' });
    names.push(c.name);
  }
  // Owned by the fuzzing user: `start` shows the summary (and changes nothing); stop/pause/resume are refused.
  const stopped = await seedCampaign(store, phoneNumbers(5, '96'), { status: 'stopped', owner: 'U0FUZZ' });
  const completed = await seedCampaign(store, phoneNumbers(3, '95'), { status: 'completed', owner: 'U0FUZZ' });
  // Every contact reached (a fixture: the engine's transitions are tested elsewhere), and the view recounted.
  await store.Contact.updateMany(
    { campaign_id: completed._id },
    { $set: { call_status: 'completed', last_outcome: 'completed', tries: 1, attempts: 1 } },
  );
  await recountCampaign(store, completed._id);
  names.push(stopped.name, completed.name);
});
afterAll(async () => {
  await app?.stop();
});

interface Answer {
  text: string;
  status: number;
  via: 'ack' | 'response_url';
}

async function send(i: number, text: string): Promise<Answer> {
  const responseUrl = app.slack.responseUrl(`fuzz-${i}`);
  const res = await postToSlackEndpoint(
    `${app.url}/slack/events`,
    slashCommand(text, { user_id: i % 2 ? 'U0FUZZ' : `U0RAND${i % 7}`, response_url: responseUrl }),
    app.config.slack.signingSecret!,
  );
  const raw = await res.text();
  if (raw) {
    const body = JSON.parse(raw) as { text?: string };
    return { text: body.text ?? '', status: res.status, via: 'ack' };
  }
  // An empty ack: the reply follows on the response_url.
  const posted = await app.slack.waitFor((c) => c.method === 'response_url' && c.path === `fuzz-${i}`, 15_000);
  return { text: String(posted.args.text ?? ''), status: res.status, via: 'response_url' };
}

/** Problems with one answer: raw broadcast mentions, input mentions echoed, unbalanced code spans. */
function answerProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.trim()) problems.push('empty answer');
  if (/<!(channel|here|everyone|subteam)/i.test(text)) problems.push('raw broadcast mention');
  if (/<@U123>|<#C123/.test(text)) problems.push('echoed a user or channel mention from the input');
  for (const line of text.split('\n')) {
    const ticks = (line.match(/`/g) ?? []).length;
    if (ticks % 2 !== 0) problems.push(`odd backticks in line ${JSON.stringify(line.slice(0, 120))}`);
  }
  return problems;
}

describe(`${COUNT} random /campaign texts`, () => {
  it('are all answered, change nothing, echo nothing dangerous, and the app still serves', async () => {
    const before = await store.Campaign.find({}, { name: 1, status: 1, updated_at: 1, counts: 1, lease_epoch: 1 }).sort({ name: 1 }).lean();
    const contactsBefore = await store.Contact.find({}, { call_status: 1, attempts: 1, tries: 1 }).sort({ _id: 1 }).lean();
    const texts = Array.from({ length: COUNT }, (_, i) => randomText(i));
    expect(texts.filter((t) => t.length >= 4000).length).toBeGreaterThanOrEqual(20);

    const started = Date.now();
    const failures: Array<{ i: number; text: string; problems: string[] }> = [];
    const via = { ack: 0, response_url: 0 };
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= COUNT) return;
        const text = texts[i]!;
        let answer: Answer;
        try {
          answer = await send(i, text);
        } catch (error) {
          failures.push({ i, text, problems: [`request failed: ${(error as Error).message}`] });
          continue;
        }
        via[answer.via] += 1;
        const problems = answerProblems(answer.text);
        if (answer.status !== 200) problems.push(`HTTP ${answer.status}`);
        if (problems.length > 0) failures.push({ i, text, problems });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;
    console.log(
      `command fuzz: ${COUNT} requests in ${elapsed} ms (${Math.round(COUNT / (elapsed / 1000))}/s); ack ${via.ack}, response_url ${via.response_url}`,
    );

    expect(failures.slice(0, 5).map((f) => ({ ...f, text: JSON.stringify(f.text.slice(0, 200)) }))).toEqual([]);
    expect(via.ack + via.response_url).toBe(COUNT);

    // Nothing started, stopped or dialled; no channel message, no modal.
    expect(
      await store.Campaign.find({}, { name: 1, status: 1, updated_at: 1, counts: 1, lease_epoch: 1 }).sort({ name: 1 }).lean(),
    ).toEqual(before);
    expect(await store.Contact.find({}, { call_status: 1, attempts: 1, tries: 1 }).sort({ _id: 1 }).lean()).toEqual(contactsBefore);
    // Only lookups (who is asking: a guest? an operator?); nothing posted, opened, joined or uploaded.
    const lookups = new Set(['response_url', 'auth.test', 'users.info', 'usergroups.users.list', 'conversations.info']);
    expect(app.slack.calls.filter((c) => !lookups.has(c.method)).map((c) => c.method)).toEqual([]);

    // Still alive.
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    const help = await postToSlackEndpoint(`${app.url}/slack/events`, slashCommand('help'), app.config.slack.signingSecret!);
    expect(((await help.json()) as { text: string }).text).toContain('`/campaign help` — show these commands');
  }, 180_000);
});
