// The account's live-call lines on the real test database. Several LiveLines objects on one account behave like
// several processes: they share nothing but the line documents, and together never hold more lines than the cap.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LiveLines, type HeldLine } from '../../src/engine/live-lines.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('live_lines');
});

const newAccount = () => `AC${randomBytes(4).toString('hex')}`;
const campaignId = new Types.ObjectId();
const now = () => new Date();

describe('LiveLines', () => {
  it('refuses a cap that is not a whole number ≥ 1, at once', () => {
    for (const cap of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LiveLines(store, newAccount(), cap)).toThrow(/Expected `cap` to be an integer ≥ 1, got/);
    }
  });

  it('hands out distinct lines up to the cap, then none until one is given back', async () => {
    const lines = new LiveLines(store, newAccount(), 3);
    expect(await lines.free()).toBe(3);
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await lines.acquire(`holder-${i}`, campaignId, now(), now()));
    expect(new Set(held.map((l) => l?.lineId)).size).toBe(3);
    expect(await lines.acquire('holder-3', campaignId, now(), now())).toBeNull();
    expect(await lines.free()).toBe(0);

    await lines.release(held[1]!.lineId, 'holder-1');
    expect(await lines.free()).toBe(1);
    const again = await lines.acquire('holder-4', campaignId, now(), now());
    expect(again?.lineId).toBe(held[1]!.lineId);
  });

  it('a release by anyone but the holder changes nothing (a late or repeated release of an older attempt)', async () => {
    const lines = new LiveLines(store, newAccount(), 1);
    const line = (await lines.acquire('contact:1', campaignId, now(), now()))!;
    await lines.release(line.lineId, 'contact:0');
    expect(await lines.free()).toBe(0);
    expect((await lines.held()).map((l) => l.holder)).toEqual(['contact:1']);
    await lines.release(line.lineId, 'contact:1');
    expect(await lines.held()).toEqual([]);
  });

  it('held() lists lines in use, and with a time only those whose check is due', async () => {
    const lines = new LiveLines(store, newAccount(), 3);
    const t = Date.now();
    await lines.acquire('a:1', campaignId, new Date(t), new Date(t + 1_000));
    await lines.acquire('b:1', campaignId, new Date(t), new Date(t + 5_000));
    expect((await lines.held()).map((l) => l.holder).sort()).toEqual(['a:1', 'b:1']);
    expect((await lines.held(new Date(t + 1_000))).map((l) => l.holder)).toEqual(['a:1']);
    expect(await lines.held(new Date(t + 999))).toEqual([]);
  });

  it('a lowered cap leaves the lines above it unused, still listed while held', async () => {
    const account = newAccount();
    const wide = new LiveLines(store, account, 4);
    const all = await Promise.all([0, 1, 2, 3].map((i) => wide.acquire(`w:${i}`, campaignId, now(), now())));
    expect(all.every(Boolean)).toBe(true);
    const narrow = new LiveLines(store, account, 2);
    // Everything is held; giving back the two lines above the new cap frees nothing for the narrow process.
    for (const line of all.filter((l) => Number(l!.lineId.split(':').pop()) >= 2)) await wide.release(line!.lineId, line!.holder);
    expect(await narrow.free()).toBe(0);
    expect(await narrow.acquire('n:1', campaignId, now(), now())).toBeNull();
    expect(await narrow.held()).toHaveLength(2);
  });

  it('never exceeds the cap with many processes taking and giving back lines at once', async () => {
    const account = newAccount();
    const cap = 4;
    // Five "processes", created together so they also race to create the line documents.
    const processes = Array.from({ length: 5 }, () => new LiveLines(store, account, cap));
    let holding = 0;
    let most = 0;
    let granted = 0;
    let refused = 0;

    // Counted after the database granted a line and uncounted before it is given back, so `holding` is never more
    // than the lines the database shows held: above the cap here means above it there.
    const worker = async (lines: LiveLines, w: number) => {
      for (let round = 0; round < 12; round++) {
        const line: HeldLine | null = await lines.acquire(`p${w}:${round}`, campaignId, now(), now());
        if (!line) {
          refused++;
          continue;
        }
        granted++;
        holding++;
        most = Math.max(most, holding);
        expect(holding).toBeLessThanOrEqual(cap);
        await new Promise((r) => setTimeout(r, 5));
        holding--;
        await lines.release(line.lineId, line.holder);
      }
    };
    await Promise.all(processes.flatMap((p, i) => [worker(p, i * 2), worker(p, i * 2 + 1)]));

    expect(most).toBeLessThanOrEqual(cap);
    expect(granted).toBeGreaterThan(cap);
    expect(refused).toBeGreaterThan(0);
    expect(await store.LiveLine.countDocuments({ account })).toBe(cap);
    expect(await processes[0]!.free()).toBe(cap);
  }, 60_000);

  it('all at once, as many acquire as there are lines and each line goes to one holder', async () => {
    const account = newAccount();
    const processes = Array.from({ length: 3 }, () => new LiveLines(store, account, 5));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => processes[i % 3]!.acquire(`race:${i}`, campaignId, now(), now())),
    );
    const won = results.filter((l): l is HeldLine => l !== null);
    expect(won).toHaveLength(5);
    expect(new Set(won.map((l) => l.lineId)).size).toBe(5);
    const held = await processes[0]!.held();
    expect(held.map((l) => l.holder).sort()).toEqual(won.map((l) => l.holder).sort());
  });
});
