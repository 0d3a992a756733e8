// EXOTEL_DRY_RUN: a dialer that never touches the network. Each "call" takes a realistic request latency, then
// rings and ends after a while with an outcome drawn from a realistic mix. Everything about the call is encoded in
// its sid, so call details still answer after a restart and the engine runs exactly as it does live (outcomes come
// from polling call details, as they do live without PUBLIC_URL).
import { randomBytes, randomInt } from 'node:crypto';
import type { Outcome as TerminalCallStatus } from '../campaigns/vocabulary.js';
import type { CallReport, Dialer } from '../engine/dialer.js';

export interface RehearsalOptions {
  /** Request latency, uniform in [min, max] ms. Default [150, 600]. */
  latencyMs?: [number, number];
  /** How long a call lasts from acceptance to its outcome, uniform in [min, max] ms. Default [5000, 40000]. */
  callMs?: [number, number];
  /** Outcome weights. Default: 65% completed, 12% busy, 15% no-answer, 8% failed. */
  mix?: Partial<Record<TerminalCallStatus, number>>;
}

const CODES: Record<TerminalCallStatus, string> = { completed: 'c', busy: 'b', 'no-answer': 'n', failed: 'f', canceled: 'x' };
const FROM_CODE = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k])) as Record<string, TerminalCallStatus>;

function between([min, max]: [number, number]): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export function rehearsalDialer(options: RehearsalOptions = {}): Dialer {
  const latency = options.latencyMs ?? [150, 600];
  const callMs = options.callMs ?? [5_000, 40_000];
  const mix = { completed: 65, busy: 12, 'no-answer': 15, failed: 8, canceled: 0, ...options.mix };
  const total = Object.values(mix).reduce((a, b) => a + b, 0);

  const draw = (): TerminalCallStatus => {
    let r = randomInt(Math.max(total, 1));
    for (const [status, weight] of Object.entries(mix)) {
      if (r < weight) return status as TerminalCallStatus;
      r -= weight;
    }
    return 'completed';
  };

  const details = (sid: string): CallReport => {
    const [, created36, end36, code, phone, key] = sid.split('-');
    const createdAt = new Date(parseInt(created36 ?? '0', 36));
    const endsAt = new Date(parseInt(end36 ?? '0', 36));
    const ended = Date.now() >= endsAt.getTime();
    const outcome = FROM_CODE[code ?? 'c'] ?? 'completed';
    return {
      sid,
      status: ended ? outcome : 'in-progress',
      final: ended,
      outcome: ended ? outcome : null,
      attemptKey: key ? Buffer.from(key, 'hex').toString() : null,
      phone: phone ?? null,
      createdAt,
      startedAt: createdAt,
      endedAt: ended ? endsAt : null,
      durationSeconds: ended ? Math.round((endsAt.getTime() - createdAt.getTime()) / 1000) : null,
      // A rehearsed price: Rs 0.50 a started minute of a completed call, as a typical Indian plan charges.
      price: ended
        ? outcome === 'completed'
          ? 0.5 * Math.ceil(Math.max(1, (endsAt.getTime() - createdAt.getTime()) / 1000) / 60)
          : 0
        : null,
      answeredBy: ended && outcome === 'completed' ? 'human' : null,
    };
  };

  return {
    rehearsal: true,
    async placeCall(request, signal) {
      await sleep(between(latency), signal);
      const now = Date.now();
      const outcome = draw();
      const endsAt = now + (outcome === 'completed' ? between(callMs) : between([callMs[0], Math.max(callMs[0], callMs[1] / 2)]));
      const key = Buffer.from(request.attemptKey).toString('hex');
      const sid = `rehearsal-${now.toString(36)}-${endsAt.toString(36)}-${CODES[outcome]}-${request.phone}-${key}-${randomBytes(3).toString('hex')}`;
      return { kind: 'placed', sid, createdAt: new Date(now) };
    },
    async callDetails(sid) {
      return sid.startsWith('rehearsal-') ? details(sid) : null;
    },
    async finalCallsBySid(sids) {
      return sids
        .filter((sid) => sid.startsWith('rehearsal-'))
        .map(details)
        .filter((report) => report.final);
    },
    async finalCalls() {
      // Nothing was ever placed anywhere, so no rehearsed call can be found: an interrupted attempt is simply queued again.
      return [];
    },
    async close() {},
  };
}
