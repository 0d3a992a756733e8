// Rehearsal mode (EXOTEL_DRY_RUN=true): a campaign runs end to end on the real engine and database with simulated
// outcomes, and nothing ever reaches Exotel, even with EXOTEL_API_URL pointing at a live (fake) Exotel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { Pacer } from '../../src/engine/pacer.js';
import { rehearsalDialer } from '../../src/engine/rehearsal-dialer.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { startFakeExotel, type FakeExotel } from '../fakes/fake-exotel.js';
import { testStore } from '../helpers/database.js';
import { FAST_SETTINGS, phoneNumbers, seedCampaign, waitForStatus, exotelEnv } from '../helpers/engine-fixtures.js';
import { testEnv } from '../helpers/test-env.js';

const log = createLogger({ level: 'silent', pretty: false });
let store: Store;
let fake: FakeExotel;
let config: Config;
const runtimes: Runtime[] = [];

beforeAll(async () => {
  store = await testStore('rehearsal');
  fake = await startFakeExotel();
  // testEnv is a dry run; the live variables are set anyway, so a leak to the network would land on the fake.
  config = loadConfig(testEnv(exotelEnv(fake, { EXOTEL_DRY_RUN: 'true' })));
});
afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  await fake?.close();
});

describe('rehearsal mode', () => {
  it('is what the runtime chooses by itself when EXOTEL_DRY_RUN is true, and it never touches the network', async () => {
    expect(config.exotel.dryRun).toBe(true);
    expect(config.exotel.baseUrl).toBe(fake.url);
    const runtime = createRuntime(config, store, log, { settings: FAST_SETTINGS });
    runtimes.push(runtime);
    expect(runtime.dialer.rehearsal).toBe(true);

    const call = await runtime.dialer.placeCall({ phone: '919800000001', callerId: 'rehearsal', flowUrl: 'http://rehearsal.invalid/flow', customField: 'x' });
    expect(call.sid).toMatch(/^rehearsal-/);
    expect(['in-progress', 'completed', 'busy', 'no-answer', 'failed']).toContain((await runtime.dialer.getCall(call.sid)).status);
    expect(await runtime.dialer.listCalls(['919800000001'], new Date(0))).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it('runs a whole campaign to completion with simulated outcomes and zero requests to Exotel', async () => {
    const runtime = createRuntime(config, store, log, {
      dialer: rehearsalDialer({ latencyMs: [5, 20], callMs: [50, 300] }),
      // The rehearsal is paced like the live account (call details polls included); a test pace keeps it short.
      pacer: new Pacer({ callsPerMinute: 200, windowMs: 1_000 }),
      // Rehearsed outcomes come from call details, as live without PUBLIC_URL: look soon after a rehearsed call ends.
      settings: { ...FAST_SETTINGS, pollAfterMs: 300 },
    });
    runtimes.push(runtime);
    runtime.engine.start();

    const phones = phoneNumbers(40, '97');
    const campaign = await seedCampaign(store, phones);
    expect((await runtime.transitions.apply(campaign._id, 'start')).ok).toBe(true);
    const done = await waitForStatus(store, campaign._id, 'completed', 40_000);

    expect(fake.requests).toEqual([]);
    expect(fake.calls).toEqual([]);

    const contacts = (await store.Contact.find({ campaign_id: campaign._id }).lean()) as ContactFields[];
    expect(contacts).toHaveLength(40);
    const outcomes = new Map<string, number>();
    for (const contact of contacts) {
      expect(['completed', 'busy', 'no-answer', 'failed']).toContain(contact.call_status);
      // The sid encodes the number the rehearsal "dialled": each contact's own, once.
      expect(contact.call_sid).toMatch(new RegExp(`^rehearsal-[0-9a-z]+-[0-9a-z]+-[cbnf]-${contact.phone}-[0-9a-f]{6}$`));
      expect(contact.attempts).toBe(1);
      expect(contact.outcome_at).toBeInstanceOf(Date);
      outcomes.set(contact.call_status, (outcomes.get(contact.call_status) ?? 0) + 1);
    }
    // A mix, not one outcome for everyone (65/12/15/8 by default: all 40 alike has odds below 1e-7).
    expect(outcomes.size).toBeGreaterThan(1);
    expect(outcomes.get('completed') ?? 0).toBeGreaterThan(0);
    expect({
      completed: done.calls_completed,
      busy: done.calls_busy,
      'no-answer': done.calls_no_answer,
      failed: done.calls_failed,
    }).toEqual({
      completed: outcomes.get('completed') ?? 0,
      busy: outcomes.get('busy') ?? 0,
      'no-answer': outcomes.get('no-answer') ?? 0,
      failed: outcomes.get('failed') ?? 0,
    });
    expect(done.total_contacts).toBe(40);
  }, 60_000);
});
