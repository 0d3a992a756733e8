import { describe, expect, it } from 'vitest';
import { fairShares } from '../../src/engine/fair-share.js';

const sum = (shares: Map<string, number>) => [...shares.values()].reduce((a, b) => a + b, 0);

describe('fair shares', () => {
  it('scales caps that do not fit in proportion: 120 and 60 sharing 90 → 60 and 30', () => {
    expect(
      fairShares(90, [
        { id: 'a', cap: 120 },
        { id: 'b', cap: 60 },
      ]),
    ).toEqual(
      new Map([
        ['a', 60],
        ['b', 30],
      ]),
    );
  });

  it('gives every campaign its cap when the caps fit', () => {
    expect(
      fairShares(200, [
        { id: 'a', cap: 60 },
        { id: 'b', cap: 100 },
      ]),
    ).toEqual(
      new Map([
        ['a', 60],
        ['b', 100],
      ]),
    );
  });

  it('treats a missing cap as the account rate', () => {
    expect(fairShares(200, [{ id: 'a', cap: null }])).toEqual(new Map([['a', 200]]));
    expect(
      fairShares(200, [
        { id: 'a', cap: null },
        { id: 'b', cap: null },
      ]),
    ).toEqual(
      new Map([
        ['a', 100],
        ['b', 100],
      ]),
    );
    expect(
      fairShares(200, [
        { id: 'a', cap: null },
        { id: 'b', cap: 50 },
      ]),
    ).toEqual(
      new Map([
        ['a', 160],
        ['b', 40],
      ]),
    );
  });

  it('never gives a campaign more than the account, whatever its cap', () => {
    expect(fairShares(200, [{ id: 'a', cap: 500 }])).toEqual(new Map([['a', 200]]));
    expect(
      fairShares(200, [
        { id: 'a', cap: 500 },
        { id: 'b', cap: 300 },
      ]),
    ).toEqual(
      new Map([
        ['a', 125],
        ['b', 75],
      ]),
    );
  });

  it('never exceeds a cap nor, together, the account rate, and keeps the proportions', () => {
    const campaigns = [
      { id: 'a', cap: null },
      { id: 'b', cap: 7 },
      { id: 'c', cap: 133 },
      { id: 'd', cap: 61.5 },
      { id: 'e', cap: null },
    ];
    const shares = fairShares(200, campaigns);
    expect(sum(shares)).toBeLessThanOrEqual(200);
    expect(sum(shares)).toBeGreaterThan(199.95);
    const total = 200 + 7 + 133 + 61.5 + 200;
    for (const { id, cap } of campaigns) {
      expect(shares.get(id)!).toBeLessThanOrEqual(cap ?? 200);
      // In proportion to the cap, rounded down to 0.01 a minute.
      const exact = ((cap ?? 200) * 200) / total;
      expect(shares.get(id)!).toBeLessThanOrEqual(exact);
      expect(shares.get(id)!).toBeGreaterThan(exact - 0.01);
    }
  });

  it('splits evenly when shares do not divide: three campaigns sharing 200', () => {
    const shares = fairShares(
      200,
      ['a', 'b', 'c'].map((id) => ({ id, cap: null })),
    );
    expect([...shares.values()]).toEqual([66.66, 66.66, 66.66]);
  });

  it('returns nothing for no campaigns', () => {
    expect(fairShares(200, [])).toEqual(new Map());
  });

  it('fails at once on bad input', () => {
    expect(() => fairShares(0, [])).toThrow('Expected `accountRate` to be a finite number > 0, got 0');
    expect(() => fairShares(200, [{ id: 'a', cap: 0 }])).toThrow('Expected the cap of `a` to be null or a finite number > 0, got 0');
    expect(() =>
      fairShares(200, [
        { id: 'a', cap: 1 },
        { id: 'a', cap: 2 },
      ]),
    ).toThrow('Expected campaign ids to be unique');
    expect(() => fairShares(200, [{ id: '', cap: 1 }])).toThrow('Expected `id` to be a non-empty string');
  });
});
