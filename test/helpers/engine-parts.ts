// The engine's parts wired as engine.ts wires them (ContactState releasing lines through LiveLines, a DialGate over
// both), without an Engine or a run around them, for unit tests of the gate and the reconciler on the real database.
import { randomBytes } from 'node:crypto';
import { CampaignEvents } from '../../src/campaigns/campaign-events.js';
import { campaignHoursStatus } from '../../src/campaigns/campaign-hours.js';
import { ContactState } from '../../src/campaigns/contact-state.js';
import { DialGate, type HoursCheck, type RunIdentity } from '../../src/engine/dial-gate.js';
import { LiveLines } from '../../src/engine/live-lines.js';
import { createLogger } from '../../src/logger.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { ContactFields } from '../../src/store/contact-model.js';
import { contactId } from '../../src/store/contact-model.js';
import type { Store } from '../../src/store/store.js';
import { seedCampaign } from './engine-fixtures.js';

export const silentLog = createLogger({ level: 'silent', pretty: false });

export interface EngineParts {
  events: CampaignEvents;
  state: ContactState;
  lines: LiveLines;
  gate: DialGate;
  /** The account the lines belong to (unique per call, so tests sharing a database never share lines). */
  account: string;
}

export interface EnginePartsOptions {
  /** Live-call lines. Default 10. */
  cap?: number;
  /** Default: the campaign's calling hours (campaignHoursStatus). */
  hours?: HoursCheck;
  /** Default 3000. */
  firstCheckMs?: number;
  /** Default 2000. */
  leaseMarginMs?: number;
}

export function engineParts(store: Store, options: EnginePartsOptions = {}): EngineParts {
  const account = `AC${randomBytes(4).toString('hex')}`;
  const events = new CampaignEvents();
  const state = new ContactState(store, events, silentLog);
  const lines = new LiveLines(store, account, options.cap ?? 10);
  state.useLines((lineId, holder) => lines.release(lineId, holder));
  const gate = new DialGate(
    store,
    state,
    lines,
    options.hours ?? campaignHoursStatus,
    { firstCheckMs: options.firstCheckMs ?? 3_000, leaseMarginMs: options.leaseMarginMs ?? 2_000 },
    silentLog,
  );
  return { events, state, lines, gate, account };
}

/** A campaign with these numbers, running under `runner` at `epoch` with a lease valid for a minute from `now`. */
export async function runningCampaign(
  store: Store,
  phones: string[],
  fields: Partial<CampaignFields> = {},
  runner = { runnerId: 'runner-a', epoch: 1 },
  now = new Date(),
): Promise<{ campaign: CampaignFields; run: RunIdentity; ids: string[] }> {
  const seeded = await seedCampaign(store, phones, fields);
  await store.Campaign.updateOne(
    { _id: seeded._id },
    {
      $set: {
        status: 'running',
        mode: 'live',
        runner_id: runner.runnerId,
        lease_epoch: runner.epoch,
        lease_expires_at: new Date(now.getTime() + 60_000),
      },
    },
  );
  const campaign = (await store.Campaign.findById(seeded._id).lean()) as CampaignFields;
  const ids = phones.map((_, i) => contactId(campaign._id, i + 1));
  return { campaign, run: { campaignId: campaign._id, ...runner }, ids };
}

export async function readContact(store: Store, id: string): Promise<ContactFields> {
  return (await store.Contact.findById(id).lean()) as ContactFields;
}

export async function readCampaign(store: Store, campaign: Pick<CampaignFields, '_id'>): Promise<CampaignFields> {
  return (await store.Campaign.findById(campaign._id).lean()) as CampaignFields;
}
