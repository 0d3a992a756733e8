// /metrics against the truth: a campaign dialled through the fake Exotel (which rate-limits some requests and gives one
// ambiguous answer), and the counters compared with what the fake itself recorded. No status callbacks: every outcome
// is read from call details, and the ambiguous attempt is found in the call list, so all three operations are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { loadConfig } from '../../src/config.js';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { Metrics } from '../../src/ops/metrics.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { slackClient } from '../../src/slack/slack-client.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel, type FakeRequest } from '../fakes/fake-exotel.js';
import { startFakeSlack } from '../fakes/fake-slack.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { testStore } from '../helpers/database.js';
import { exotelEnv, FAST_SETTINGS, outcomeTruth, phoneNumbers, seedCampaign, waitFor, waitForStatus } from '../helpers/engine-fixtures.js';
import { testEnv } from '../helpers/test-env.js';

let store: Store;
let fake: FakeExotel;
let app: TestApp;
let campaign: CampaignFields;
const CONTACTS = 40;

beforeAll(async () => {
  store = await testStore('metrics');
  fake = await startFakeExotel({
    // Every 6th request refused with 429, the 9th answered with a gateway error after the call was placed.
    fault: (n) => (n % 6 === 0 ? '429' : n === 9 ? 'accept-then-502' : 'ok'),
    callbackDelayMs: [800, 1500],
    seed: 3,
    secondMs: 1000,
  });
  // A campaign left running by a process that died: its lease is another runner's and has expired.
  campaign = await seedCampaign(store, phoneNumbers(CONTACTS, '61'));
  await store.Campaign.updateOne(
    { _id: campaign._id },
    {
      $set: {
        status: 'running',
        mode: 'live',
        started_at: new Date(),
        runner_id: 'dead-host:1:abc',
        lease_expires_at: new Date(Date.now() - 60_000),
        lease_epoch: 1,
      },
    },
  );
  app = await startTestApp(store, exotelEnv(fake), {
    runtime: { settings: FAST_SETTINGS, pacing: { callsPerMinute: 600, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series in the exposition text, e.g. value(text, 'x_total', { status: 'busy' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2] ? match[2].split(',') : [];
    if (have.length === wanted.length && wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  throw new Error(`no series ${name}${JSON.stringify(labels)} in /metrics`);
}

function operationOf(request: FakeRequest): string {
  if (request.path.endsWith('/Calls/connect.json')) return 'place-call';
  if (request.path.endsWith('/Calls.json')) return 'call-list';
  return 'call-details';
}

describe('/metrics after a campaign against the fake Exotel', () => {
  it('shows live calls and the queue while the campaign runs', async () => {
    const during = await waitFor(
      async () => {
        const text = await scrape();
        return value(text, 'campaign_bot_live_calls') > 0 && value(text, 'campaign_bot_running_campaigns') === 1 ? text : null;
      },
      30_000,
      'a scrape with live calls',
    );
    expect(value(during, 'campaign_bot_queue_depth')).toBeGreaterThan(0);
    expect(value(during, 'campaign_bot_database_up')).toBe(1);
    expect(value(during, 'campaign_bot_engine_tick_age_seconds')).toBeLessThan(30);
  }, 40_000);

  it('counts what the fake Exotel counted: calls placed, outcomes, requests and 429s by operation, and the takeover', async () => {
    await waitForStatus(store, campaign._id, 'completed', 90_000);
    await fake.settled();
    // No request in flight while both sides are counted.
    await app.runtime.engine.stop();
    const text = await scrape();

    expect(fake.calls.length).toBe(CONTACTS);
    expect(value(text, 'campaign_bot_calls_placed_total')).toBe(fake.calls.length);
    const truth = outcomeTruth(fake.calls);
    for (const [status, n] of Object.entries(truth))
      expect({ status, n: value(text, 'campaign_bot_call_outcomes_total', { status }) }).toEqual({ status, n });

    const refused = fake.requests.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const operation of ['place-call', 'call-details', 'call-list']) {
      const sent = fake.requests.filter((r) => operationOf(r) === operation);
      expect(sent.length, operation).toBeGreaterThan(0);
      expect({ operation, requests: value(text, 'campaign_bot_exotel_requests_total', { operation }) }).toEqual({
        operation,
        requests: sent.length,
      });
      expect({ operation, limited: value(text, 'campaign_bot_exotel_rate_limited_total', { operation }) }).toEqual({
        operation,
        limited: sent.filter((r) => r.status === 429).length,
      });
    }
    expect(fake.requests.some((r) => r.outcome === 'accept-then-502')).toBe(true);

    expect(value(text, 'campaign_bot_lease_takeovers_total')).toBe(1);
    expect(value(text, 'campaign_bot_running_campaigns')).toBe(0);
    expect(value(text, 'campaign_bot_live_calls')).toBe(0);
    expect(value(text, 'campaign_bot_queue_depth')).toBe(0);
    // Process metrics come along (memory, event loop), under the same prefix.
    expect(value(text, 'campaign_bot_process_resident_memory_bytes')).toBeGreaterThan(0);
  }, 120_000);
});

describe('Slack errors', () => {
  it('are counted by method and Slack error, from the client the progress messages use', async () => {
    const slack = await startFakeSlack();
    try {
      slack.override('chat.postMessage', () => ({ body: { ok: false, error: 'not_in_channel' } }));
      slack.override('chat.update', () => ({ status: 429, headers: { 'retry-after': '3' }, body: { ok: false, error: 'ratelimited' } }));
      const metrics = new Metrics();
      const config = loadConfig(testEnv({ SLACK_API_URL: slack.apiUrl }));
      const client = slackClient(config, createLogger({ level: 'silent', pretty: false }), (method, error) =>
        metrics.slackError(method, error),
      );
      await expect(client.chat.postMessage({ channel: 'C0001', text: 'x' })).rejects.toThrow(/not_in_channel/);
      await expect(client.chat.postMessage({ channel: 'C0001', text: 'y' })).rejects.toThrow(/not_in_channel/);
      await expect(client.chat.update({ channel: 'C0001', ts: '1.2', text: 'z' })).rejects.toThrow();
      await client.auth.test();
      const text = await metrics.render();
      expect(value(text, 'campaign_bot_slack_errors_total', { method: 'chat.postMessage', error: 'not_in_channel' })).toBe(2);
      expect(value(text, 'campaign_bot_slack_errors_total', { method: 'chat.update', error: 'ratelimited' })).toBe(1);
      expect(text).not.toMatch(/slack_errors_total\{method="auth\.test"/);
    } finally {
      await slack.close();
    }
  });
});

describe('calls counted from contact changes', () => {
  it('counts a call placed once, whether it became initiated or ended straight from an ambiguous answer', async () => {
    const events = new CampaignEvents();
    const metrics = new Metrics();
    const stop = metrics.countCalls(events);
    const campaignId = campaign._id;
    const change = (from: ContactFields['call_status'], contact: Partial<ContactFields>) =>
      events.emit('contact', { campaignId, from, contact: { call_sid: null, last_outcome: null, ...contact } as ContactFields });
    change('dialing', { call_status: 'initiated', call_sid: 'sid-1' }); // accepted
    change('initiated', { call_status: 'busy', call_sid: 'sid-1', last_outcome: 'busy' }); // ended
    change('dialing', { call_status: 'unknown' }); // a 502 after sending
    change('unknown', { call_status: 'completed', call_sid: 'sid-2', last_outcome: 'completed' }); // its callback
    change('dialing', { call_status: 'pending', last_outcome: 'busy' }); // a 429: not placed (an earlier try's outcome stays)
    change('dialing', { call_status: 'failed', last_outcome: 'failed' }); // refused with a 4xx: not placed
    change('initiated', { call_status: 'pending', call_sid: 'sid-3', last_outcome: 'no-answer' }); // ended, retry queued
    change('pending', { call_status: 'skipped' }); // do-not-call at the gate
    stop();
    change('dialing', { call_status: 'initiated', call_sid: 'sid-4' }); // after unsubscribing: not counted
    const text = await metrics.render();
    expect(value(text, 'campaign_bot_calls_placed_total')).toBe(2);
    expect(value(text, 'campaign_bot_call_outcomes_total', { status: 'busy' })).toBe(1);
    expect(value(text, 'campaign_bot_call_outcomes_total', { status: 'completed' })).toBe(1);
    expect(value(text, 'campaign_bot_call_outcomes_total', { status: 'no-answer' })).toBe(1);
    expect(value(text, 'campaign_bot_call_outcomes_total', { status: 'failed' })).toBe(0);
  });
});
