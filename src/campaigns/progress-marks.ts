// The progress reporter's writes, owned here so that Slack only reads: which message shows a campaign, that it shows
// the campaign's end, which failures were posted in its thread, and that the finish report went out.
import type { Types } from 'mongoose';
import { attemptKey } from '../store/call-model.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { FailureFields } from '../store/failure-model.js';
import type { Store } from '../store/store.js';
import { bucketOf, NOT_REACHED } from './vocabulary.js';

export class ProgressMarks {
  constructor(private readonly store: Store) {}

  /** The campaign view. */
  async view(id: Types.ObjectId): Promise<CampaignFields | null> {
    return (await this.store.Campaign.findById(id).lean()) as CampaignFields | null;
  }

  /** Campaigns whose message still needs updates, whose run is this process's or nobody's. */
  async open(runnerId: string | null): Promise<Types.ObjectId[]> {
    const owners: Array<Record<string, unknown>> = [{ runner_id: null }];
    if (runnerId) owners.push({ runner_id: runnerId });
    const rows = await this.store.Campaign.find({ progress_channel: { $ne: null }, progress_final: false, $or: owners }, { _id: 1 }).lean();
    return rows.map((r) => r._id);
  }

  /** Records the message's ts unless another process posted first; false means "delete yours". */
  async recordMessage(id: Types.ObjectId, ts: string): Promise<boolean> {
    const stored = await this.store.Campaign.findOneAndUpdate(
      { _id: id, progress_ts: null },
      { $set: { progress_ts: ts } },
      { returnDocument: 'after' },
    ).lean();
    return stored !== null;
  }

  /** The message shows the campaign's end (or Slack refused it for good): nothing more to edit. */
  async finish(id: Types.ObjectId): Promise<void> {
    await this.store.Campaign.updateOne({ _id: id }, { $set: { progress_final: true } });
  }

  /** Records the finish report's ts unless another process posted one first; false means "delete yours". */
  async recordReport(id: Types.ObjectId, ts: string, costFinal: boolean): Promise<boolean> {
    const res = await this.store.Campaign.updateOne(
      { _id: id, report_ts: null },
      { $set: { report_ts: ts, report_cost_final: costFinal } },
    );
    return res.modifiedCount > 0;
  }

  /** The report now shows the final cost. */
  async reportCostFinal(id: Types.ObjectId): Promise<void> {
    await this.store.Campaign.updateOne({ _id: id }, { $set: { report_cost_final: true } });
  }

  async chartPosted(id: Types.ObjectId): Promise<void> {
    await this.store.Campaign.updateOne({ _id: id }, { $set: { chart_posted: true } });
  }

  /** Campaigns whose report went out before Exotel had reported every price. */
  async reportsAwaitingCost(): Promise<CampaignFields[]> {
    return (await this.store.Campaign.find({ report_ts: { $ne: null }, report_cost_final: false }).lean()) as CampaignFields[];
  }

  /** Contacts an ended campaign never called (its end date passed, or it was stopped): a scan, once, at the end. */
  async neverCalled(id: Types.ObjectId, limit: number): Promise<ContactFields[]> {
    return (await this.store.Contact.find({ campaign_id: id, call_status: 'pending' }).limit(limit).lean()) as ContactFields[];
  }

  /**
   * The oldest failures not posted yet, each checked against its contact (an outbox entry whose contact was queued
   * again, or whose write never happened, is dropped). Costs O(entries), never a scan of the contacts.
   */
  async unposted(id: Types.ObjectId, limit: number): Promise<FailureFields[]> {
    const entries = (await this.store.Failure.find({ campaign_id: id }).sort({ at: 1 }).limit(limit).lean()) as FailureFields[];
    const real: FailureFields[] = [];
    const stale: string[] = [];
    for (const entry of entries) {
      const contact = (await this.store.Contact.findById(entry.contact_id).lean()) as ContactFields | null;
      const final = contact && attemptKey(contact._id, contact.tries) === entry._id && NOT_REACHED.includes(bucketOf(contact) as never);
      if (final) real.push({ ...entry, reason: contact.call_error ?? entry.reason });
      else if (contact && contact.tries === entry.try && ['dialing', 'initiated', 'unknown'].includes(contact.call_status)) continue;
      else stale.push(entry._id);
    }
    if (stale.length > 0) await this.store.Failure.deleteMany({ _id: { $in: stale } });
    return real;
  }

  /** Failures now posted in the thread. */
  async posted(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.store.Failure.deleteMany({ _id: { $in: [...keys] } });
  }
}
