// A Dialer (the engine's port) whose answers a test sets: call details by sid, the final calls the list shows, or an
// error for either. Every question it was asked is recorded, so a test can say what the engine looked up and when.
import type { CallReport, Dialer, DialRequest, DialResult } from '../../src/engine/dialer.js';
import type { Outcome } from '../../src/campaigns/vocabulary.js';

export interface StubListQuery {
  phones: string[];
  since: Date;
}

export class StubDialer implements Dialer {
  readonly rehearsal = false;
  /** What `placeCall` answers (tests of the gate and reconciler never send). */
  placeResult: DialResult = { kind: 'unknown', message: 'stub: not configured' };
  /** Details by sid; a missing sid answers null (Exotel does not know it). */
  readonly details = new Map<string, CallReport>();
  /** Every final call the list may show; `finalCalls` filters them by number and creation time like Exotel. */
  listed: CallReport[] = [];
  /** When set, `callDetails` / `finalCalls` throw it (Exotel unreachable). */
  failWith: Error | null = null;
  /** Runs inside `finalCalls` before it answers (moves the test clock as a slow answer would, or lets a callback in). */
  duringList: (() => void | Promise<void>) | null = null;

  readonly placed: DialRequest[] = [];
  readonly detailQueries: string[] = [];
  readonly listQueries: StubListQuery[] = [];
  readonly sidListQueries: Array<{ sids: string[]; since: Date }> = [];

  async placeCall(request: DialRequest): Promise<DialResult> {
    this.placed.push(request);
    return this.placeResult;
  }

  async callDetails(sid: string): Promise<CallReport | null> {
    this.detailQueries.push(sid);
    if (this.failWith) throw this.failWith;
    return this.details.get(sid) ?? null;
  }

  async finalCalls(phones: readonly string[], since: Date): Promise<CallReport[]> {
    this.listQueries.push({ phones: [...phones], since });
    if (this.failWith) throw this.failWith;
    await this.duringList?.();
    return this.listed.filter(
      (c) => c.final && c.phone !== null && phones.includes(c.phone) && (c.createdAt === null || c.createdAt.getTime() >= since.getTime()),
    );
  }

  async finalCallsBySid(sids: readonly string[], since: Date): Promise<CallReport[]> {
    this.sidListQueries.push({ sids: [...sids], since });
    if (this.failWith) throw this.failWith;
    return sids.flatMap((sid) => {
      const call = this.details.get(sid);
      return call?.final && (call.createdAt === null || call.createdAt.getTime() >= since.getTime()) ? [call] : [];
    });
  }

  async close(): Promise<void> {}
}

/** A call report as the Exotel dialer would give it; `final` follows from the outcome. */
export function callReport(fields: Partial<CallReport> & { sid: string; outcome?: Outcome | null }): CallReport {
  const outcome = fields.outcome ?? null;
  return {
    status: outcome ?? 'in-progress',
    final: outcome !== null,
    attemptKey: null,
    phone: null,
    createdAt: null,
    startedAt: null,
    endedAt: null,
    durationSeconds: null,
    price: null,
    answeredBy: null,
    ...fields,
    outcome,
  };
}
