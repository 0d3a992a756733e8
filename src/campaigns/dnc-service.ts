// The workspace's do-not-call list. Numbers on it are imported as skipped and never dialled: the dial gate reads the
// list immediately before every call, so a number added is never dialled after the add is acknowledged. Adding a
// number also marks it skipped wherever it is still waiting in this workspace's campaigns, so the breakdown says so.
import { dncId } from '../store/dnc-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import type { ContactState } from './contact-state.js';
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
  constructor(
    private readonly store: Store,
    private readonly state: ContactState,
  ) {}

  /** True when the number is on the workspace's list (one lookup by `_id`). */
  async has(teamId: string, phone: string): Promise<boolean> {
    return (await this.store.Dnc.exists({ _id: dncId(teamId, phone) })) !== null;
  }

  async add(teamId: string, typed: string[], by: string): Promise<DncChange> {
    const result: DncChange = { changed: [], unchanged: [], invalid: [] };
    for (const phone of normalizeAll(typed, result)) {
      try {
        await this.store.Dnc.create({ _id: dncId(teamId, phone), team_id: teamId, phone, added_by: by });
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
      const removed = await this.store.Dnc.deleteOne({ _id: dncId(teamId, phone) });
      (removed.deletedCount > 0 ? result.changed : result.unchanged).push(phone);
    }
    return result;
  }

  async list(teamId: string, limit = 200): Promise<{ phones: string[]; total: number }> {
    const total = await this.store.Dnc.countDocuments({ team_id: teamId });
    const phones = (await this.store.Dnc.find({ team_id: teamId }, { phone: 1 }).sort({ phone: 1 }).limit(limit).lean()).map(
      (d) => d.phone,
    );
    return { phones, total };
  }

  /** Pending contacts with these numbers, in this workspace's campaigns, become skipped (one conditional update each). */
  async #skipWaiting(teamId: string, phones: string[]): Promise<void> {
    const campaigns = await this.store.Campaign.find({ team_id: teamId }, { _id: 1 }).lean();
    const waiting = (await this.store.Contact.find({
      campaign_id: { $in: campaigns.map((c) => c._id) },
      phone: { $in: phones },
      call_status: 'pending',
    }).lean()) as ContactFields[];
    for (const contact of waiting) await this.state.skip(contact, 'dnc');
  }
}
