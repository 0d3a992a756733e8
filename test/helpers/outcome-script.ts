// Scripted outcomes for the fake Exotel's `outcome` option: the n-th call placed to a number ends with the n-th
// outcome written for it, so a test knows in advance which attempt of which contact is busy, unanswered or answered.
import type { FakeCallOutcome } from '../fakes/fake-exotel.js';

/**
 * @param script outcomes per number (any form Exotel accepts; matched on the last ten digits), in call order.
 * @param otherwise the outcome of calls beyond a number's script, and of numbers not in it. Default `completed`.
 */
export function outcomeScript(
  script: Record<string, readonly FakeCallOutcome[]>,
  otherwise: FakeCallOutcome = 'completed',
): (from: string) => FakeCallOutcome {
  const plans = new Map(Object.entries(script).map(([number, outcomes]) => [number.slice(-10), outcomes]));
  const placed = new Map<string, number>();
  return (from) => {
    const key = from.slice(-10);
    const n = placed.get(key) ?? 0;
    placed.set(key, n + 1);
    return plans.get(key)?.[n] ?? otherwise;
  };
}
