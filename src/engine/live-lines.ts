// The account's live-call cap (EXOTEL_MAX_LIVE_CALLS), across every process: one document per line. An attempt takes
// a free line at the dial gate, before its request is sent, and the line is given back when the attempt is over
// (final, or proven not placed). A call whose fate is unknown keeps its line, because it may really be live.
import type { Types } from 'mongoose';
import type { LiveLineFields } from '../store/live-line-model.js';
import type { Store } from '../store/store.js';

export interface HeldLine {
  lineId: string;
  holder: string;
}

export class LiveLines {
  #ready: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    /** Exotel account (or `rehearsal`). */
    readonly account: string,
    /** Lines in use at most. */
    readonly cap: number,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new TypeError(`Expected \`cap\` to be an integer ≥ 1, got ${String(cap)}`);
  }

  /** Creates the account's missing line documents (idempotent: whoever starts first creates them). */
  #ensure(): Promise<void> {
    this.#ready ??= (async () => {
      const existing = new Set((await this.store.LiveLine.find({ account: this.account }, { _id: 1 }).lean()).map((l) => l._id));
      const missing = Array.from({ length: this.cap }, (_, index) => ({
        _id: `${this.account}:${index}`,
        account: this.account,
        index,
      })).filter((l) => !existing.has(l._id));
      if (missing.length > 0) await this.store.LiveLine.insertMany(missing, { ordered: false }).catch(() => {});
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Takes a free line for an attempt, or returns null when every line is in use. */
  async acquire(holder: string, campaignId: Types.ObjectId, now: Date, checkAfter: Date): Promise<HeldLine | null> {
    await this.#ensure();
    const line = await this.store.LiveLine.findOneAndUpdate(
      { account: this.account, holder: null, index: { $lt: this.cap } },
      { $set: { holder, campaign_id: campaignId, since: now, check_after: checkAfter, sid: null } },
      { returnDocument: 'after' },
    ).lean();
    return line ? { lineId: line._id, holder } : null;
  }

  /** Gives a line back, if `holder` still holds it. */
  async release(lineId: string, holder: string): Promise<void> {
    await this.store.LiveLine.updateOne(
      { _id: lineId, holder },
      { $set: { holder: null, campaign_id: null, since: null, check_after: null, sid: null } },
    );
  }

  /** Lines free now (for waiting without spending a pacing slot). */
  async free(): Promise<number> {
    await this.#ensure();
    return this.store.LiveLine.countDocuments({ account: this.account, holder: null, index: { $lt: this.cap } });
  }

  /** Lines in use now (all of them, also those beyond a lowered cap), for metrics and the reconciler. */
  async held(dueBy?: Date): Promise<LiveLineFields[]> {
    const filter: Record<string, unknown> = { account: this.account, holder: { $ne: null } };
    if (dueBy) filter.check_after = { $lte: dueBy };
    return (await this.store.LiveLine.find(filter).lean()) as LiveLineFields[];
  }
}
