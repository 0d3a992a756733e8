// When a campaign's progress message is worth an edit: only when what it shows changed, never more often than
// `minIntervalMs`, and — between status changes — only once the finished count moved by a visible step (0.5 % of the
// contacts) or the message has been stale for `staleMs`. So a 10,000-contact campaign costs hundreds of edits, not
// tens of thousands, and the message is never more than a step behind.

export interface Shown {
  /** Everything the message shows, as one string. */
  signature: string;
  status: string;
  finished: number;
  /** When it was last edited (ms). */
  at: number;
}

export interface Wanted {
  signature: string;
  status: string;
  finished: number;
  total: number;
  final: boolean;
}

export interface EditTiming {
  minIntervalMs: number;
  staleMs: number;
}

export function editDue(shown: Shown, wanted: Wanted, now: number, timing: EditTiming): boolean {
  if (wanted.signature === shown.signature) return false;
  const since = now - shown.at;
  if (since < timing.minIntervalMs) return false;
  const step = Math.max(1, Math.ceil(wanted.total * 0.005));
  return wanted.final || wanted.status !== shown.status || Math.abs(wanted.finished - shown.finished) >= step || since >= timing.staleMs;
}
