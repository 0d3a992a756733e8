/**
 * Each running campaign's calls per minute: proportional to its own cap (null cap = the account rate), never above
 * its cap, summing to at most the account rate. E.g. caps 120 and 60 sharing 90 → 60 and 30.
 *
 * When the caps fit in the account rate every campaign runs at its cap. Otherwise every cap is scaled by the same
 * factor (account rate ÷ sum of caps < 1), which keeps each share under its cap without a second pass, and a cap
 * above the account rate still counts in full (120 against 60 is two to one, whatever the account allows). Shares are
 * rounded down to 0.01 a minute so that their sum never exceeds the account rate through floating-point error.
 */
export function fairShares(accountRate: number, campaigns: ReadonlyArray<{ id: string; cap: number | null }>): Map<string, number> {
  if (!(typeof accountRate === 'number' && Number.isFinite(accountRate) && accountRate > 0)) {
    throw new TypeError(`Expected \`accountRate\` to be a finite number > 0, got ${String(accountRate)}`);
  }
  if (!Array.isArray(campaigns)) {
    throw new TypeError(`Expected \`campaigns\` to be an array, got ${typeof campaigns}`);
  }
  const caps = new Map<string, number>();
  for (const { id, cap } of campaigns) {
    if (typeof id !== 'string' || id === '') throw new TypeError(`Expected \`id\` to be a non-empty string, got ${String(id)}`);
    if (caps.has(id)) throw new TypeError(`Expected campaign ids to be unique, got \`${id}\` twice`);
    if (cap !== null && !(typeof cap === 'number' && Number.isFinite(cap) && cap > 0)) {
      throw new TypeError(`Expected the cap of \`${id}\` to be null or a finite number > 0, got ${String(cap)}`);
    }
    // A campaign without a cap may use the whole account.
    caps.set(id, cap ?? accountRate);
  }

  const total = [...caps.values()].reduce((sum, cap) => sum + cap, 0);
  // Each cap is then at most the total, so at most the account rate.
  if (total <= accountRate) return caps;
  const shares = new Map<string, number>();
  for (const [id, cap] of caps) shares.set(id, roundDown((cap * accountRate) / total));
  return shares;
}

function roundDown(perMinute: number): number {
  // The epsilon keeps an exact result such as 30 from landing on 29.99 through 29.999999999999996.
  return Math.floor(perMinute * 100 + 1e-9) / 100;
}
