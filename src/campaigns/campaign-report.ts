// What a finished campaign achieved, from its view alone: outcomes, answer rate, talk time, how long it ran, the cost
// Exotel reported, the keys people pressed, and its calls per hour for the chart.
import type { CampaignFields } from '../store/campaign-model.js';
import { OUTCOMES, type Outcome } from './vocabulary.js';

export interface HourOutcomes {
  /** Start of the campaign's local hour. */
  hour: Date;
  counts: Record<Outcome, number>;
  /** Calls answered by a person, when Exotel said who answered. */
  human: number;
}

export interface CampaignReport {
  completed: number;
  busy: number;
  noAnswer: number;
  couldNotConnect: number;
  /** Contacts finally not reached (busy, no answer, could not connect). */
  notReached: number;
  /** Contacts never called: the campaign ended (stopped, or its end date passed) before their turn. */
  neverCalled: number;
  skipped: number;
  placed: number;
  /** Share of placed calls answered by a person (by Exotel's AnsweredBy when it said; else completed calls). */
  answerRate: number | null;
  /** True when the answer rate counts people (Exotel said who answered). */
  answerRateByPerson: boolean;
  talkSeconds: number;
  ranMs: number | null;
  cost: { amount: number; pending: number; missing: number };
  keys: Array<{ key: string; meaning: string | null; presses: number }>;
  hours: HourOutcomes[];
}

export function reportOf(c: CampaignFields): CampaignReport {
  const k = c.counts;
  const s = c.stats;
  const detected = s.answered_human + s.answered_machine > 0;
  const answered = detected ? s.answered_human : k.completed;
  const keys = Object.entries(s.keys ?? {})
    .map(([key, presses]) => ({ key, meaning: c.keys?.[key] ?? null, presses: Number(presses) }))
    .sort((a, b) => a.key.localeCompare(b.key));
  return {
    completed: k.completed,
    busy: k.busy,
    noAnswer: k['no-answer'],
    couldNotConnect: k.failed + k.canceled,
    notReached: c.calls_failed,
    neverCalled: k.pending + k.retrying + k.dialing + k.initiated + k.unknown,
    skipped: k.skipped,
    placed: s.placed,
    answerRate: s.placed > 0 ? answered / s.placed : null,
    answerRateByPerson: detected,
    talkSeconds: s.talk_seconds,
    ranMs: c.started_at && c.completed_at ? c.completed_at.getTime() - c.started_at.getTime() : null,
    cost: { amount: s.cost, pending: s.cost_pending, missing: s.cost_missing ?? 0 },
    keys,
    hours: hoursOf(c),
  };
}

/** The campaign's calls per local hour, oldest first. */
export function hoursOf(c: Pick<CampaignFields, 'stats'>): HourOutcomes[] {
  return Object.entries(c.stats.hours ?? {})
    .map(([minute, byOutcome]) => {
      const counts = Object.fromEntries(OUTCOMES.map((o) => [o, Number(byOutcome?.[o] ?? 0)])) as Record<Outcome, number>;
      return { hour: new Date(Number(minute) * 60_000), counts, human: Number(byOutcome?.human ?? 0) };
    })
    .sort((a, b) => a.hour.getTime() - b.hour.getTime());
}
