// The workspace's do-not-call list. Numbers on it are imported as skipped and never dialled; adding a number also
// skips it wherever it is still waiting to be called in this workspace's campaigns.
import type { Store } from '../store/store.js';
import { recountCampaign } from './campaign-counters.js';
import { normalizePhone } from './phone.js';

export interface DncChange {
  changed: string[];
  unchanged: string[];
  invalid: Array<{ value: string; reason: string }>;
}

/** Splits "9876543210, +91 98765 43211 ; 098765-43212" into the numbers typed. */
export function splitNumbers(text: string): string[] {
  return text
    .split(/[,;\n]+|\s{2,}/)
    .flatMap((part) => (/^[\d\s()+-]+$/.test(part.trim()) && part.replace(/\D/g, '').length > 12 ? part.trim().split(/\s+/) : [part]))
    .map((p) => p.trim())
    .filter(Boolean);
}

function normalizeAll(typed: string[], result: DncChange): string[] {
  const valid: string[] = [];
  for (const value of typed) {
    const n = normalizePhone(value);
    if (n.ok) valid.push(n.phone);
    else result.invalid.push({ value, reason: n.reason });
  }
  return valid;
}

export class DncService {
  constructor(private readonly store: Store) {}

  async add(teamId: string, typed: string[], by: string): Promise<DncChange> {
    const result: DncChange = { changed: [], unchanged: [], invalid: [] };
    for (const phone of normalizeAll(typed, result)) {
      try {
        await this.store.Dnc.create({ team_id: teamId, phone, added_by: by });
        result.changed.push(phone);
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
        result.unchanged.push(phone);
      }
    }
    if (result.changed.length > 0) await this.#skipWaiting(teamId, result.changed);
    return result;
  }

  async remove(teamId: string, typed: string[]): Promise<DncChange> {
    const result: DncChange = { changed: [], unchanged: [], invalid: [] };
    for (const phone of normalizeAll(typed, result)) {
      const removed = await this.store.Dnc.deleteOne({ team_id: teamId, phone });
      (removed.deletedCount > 0 ? result.changed : result.unchanged).push(phone);
    }
    return result;
  }

  async list(teamId: string, limit = 200): Promise<{ phones: string[]; total: number }> {
    const total = await this.store.Dnc.countDocuments({ team_id: teamId });
    const phones = (await this.store.Dnc.find({ team_id: teamId }, { phone: 1 }).sort({ phone: 1 }).limit(limit).lean()).map((d) => d.phone);
    return { phones, total };
  }

  /** Pending contacts with these numbers, in this workspace's campaigns, become skipped (one update each). */
  async #skipWaiting(teamId: string, phones: string[]): Promise<void> {
    const campaigns = await this.store.Campaign.find({ team_id: teamId }, { _id: 1 }).lean();
    const ids = campaigns.map((c) => c._id);
    const touched = new Set<string>();
    const waiting = await this.store.Contact.find({ campaign_id: { $in: ids }, phone: { $in: phones }, call_status: 'pending' }, { _id: 1, campaign_id: 1 }).lean();
    for (const c of waiting) {
      const res = await this.store.Contact.updateOne(
        { _id: c._id, call_status: 'pending' },
        { $set: { call_status: 'skipped', skip_reason: 'dnc' } },
      );
      if (res.modifiedCount > 0) touched.add(String(c.campaign_id));
    }
    for (const id of touched) await recountCampaign(this.store, campaigns.find((c) => String(c._id) === id)!._id);
  }
}
