import { describe, expect, it } from 'vitest';
import { driftModel, MIN_OTHER_CELLS, type DriftCell } from '../../../harness/stats/drift.js';
import { withDriftAdjustment } from '../../../harness/stats/summarize.js';
import { seededRandom } from '../../../harness/stats/prng.js';
import { relativeHalfWidth } from '../../../harness/stats/bootstrap.js';
import type { CellResult, ForkRecord } from '../../../contract/result-schema.js';

/** Normal deviate (Box–Muller) from a seeded uniform source. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * `cells` cells × `blocks` blocks (fork i of every cell in block `blockBase + i`): cell c runs at
 * `1000 × (c + 1)` ops/s, block b's machine at `effects[b]`, each fork with its own lognormal noise.
 */
function synthetic(cells: number, effects: readonly number[], noise: number, seed: number, prefix = 'c', blockBase = 0): DriftCell[] {
  const rng = seededRandom(seed);
  return Array.from({ length: cells }, (_, c) => ({
    id: `${prefix}${c}`,
    forks: effects.map((e, i) => ({ forkIndex: i, block: blockBase + i, opsPerSec: 1000 * (c + 1) * e * Math.exp(noise * normal(rng)) })),
  }));
}

const spread = (xs: number[]): number => {
  const l = xs.map(Math.log);
  const m = l.reduce((s, v) => s + v, 0) / l.length;
  return Math.sqrt(l.reduce((s, v) => s + (v - m) ** 2, 0) / (l.length - 1));
};

describe('drift model (median polish over cells × blocks, leave-one-out block effects)', () => {
  const effects = [1, 0.7, 1.25, 0.9, 1.1, 0.6, 1.3, 1, 0.85, 1.15];

  it('divides the blocks’ shared effect out of each cell’s forks, leaving the forks’ own spread', () => {
    const cells = synthetic(12, effects, 0.03, 7);
    const model = driftModel(cells);
    expect(model.adjustedForks).toBe(120);
    expect(model.blocks).toBe(10);
    for (const c of cells) {
      const raw = c.forks.map((f) => f.opsPerSec);
      const adjusted = raw.map((x, i) => x * model.factors.get(c.id)![i]!);
      expect(spread(raw)).toBeGreaterThan(0.2);
      // own noise 3%, plus the error of effects estimated from 11 other cells (≈ 1.25 × 3% / √11)
      expect(spread(adjusted)).toBeLessThan(0.05);
    }
    // the scale is the median block's: the effects' median is 1.05, so the median cell level is 1.05 × its rate
    const c5 = cells[5]!.forks.map((f, i) => f.opsPerSec * model.factors.get('c5')![i]!);
    const sorted = c5.sort((a, b) => a - b);
    expect((sorted[4]! + sorted[5]!) / 2 / (6000 * 1.05)).toBeCloseTo(1, 1);
    expect(model.effectSd).toBeGreaterThan(0.15);
  });

  it('estimates a fork’s block effect without its own cell: a fork’s own value never moves its factor', () => {
    const cells = synthetic(10, effects, 0.05, 3);
    const before = driftModel(cells).factors.get('c4')![2]!;
    const changed = cells.map((c) => (c.id !== 'c4' ? c : { ...c, forks: c.forks.map((f, i) => (i === 2 ? { ...f, opsPerSec: f.opsPerSec * 3 } : f)) }));
    // c4's level moves a little with one of its ten forks tripled; its block-2 factor stays within that
    expect(driftModel(changed).factors.get('c4')![2]!).toBeCloseTo(before, 1);
    // a cell whose every fork is in a mode of its own (3× slower) is not pulled toward the others
    const slow = cells.map((c) => (c.id !== 'c0' ? c : { ...c, forks: c.forks.map((f) => ({ ...f, opsPerSec: f.opsPerSec / 3 })) }));
    const m = driftModel(slow);
    const adjusted = slow[0]!.forks.map((f, i) => f.opsPerSec * m.factors.get('c0')![i]!);
    expect(spread(adjusted)).toBeLessThan(0.1);
  });

  it(`adjusts nothing where a block holds fewer than ${MIN_OTHER_CELLS} other cells (a small run is left as measured)`, () => {
    const few = synthetic(MIN_OTHER_CELLS, effects, 0.03, 5);
    const model = driftModel(few);
    expect(model.adjustedForks).toBe(0);
    expect(model.blocks).toBe(0);
    expect(model.factors.size).toBe(0);
    // one more cell and every fork has MIN_OTHER_CELLS others
    expect(driftModel(synthetic(MIN_OTHER_CELLS + 1, effects, 0.03, 5)).adjustedForks).toBe((MIN_OTHER_CELLS + 1) * effects.length);
  });

  it('zeroes each connected set of cells at its own median block (two slice-group keys never share a block)', () => {
    // set A runs on a machine twice as fast as set B throughout: that is not drift inside either set
    const a = synthetic(8, effects, 0.02, 11, 'a', 0);
    const b = synthetic(8, effects.map((e) => e / 2), 0.02, 12, 'b', 100);
    const model = driftModel([...a, ...b]);
    const level = (c: DriftCell): number => {
      const xs = c.forks.map((f, i) => f.opsPerSec * model.factors.get(c.id)![i]!).sort((p, q) => p - q);
      return (xs[4]! + xs[5]!) / 2;
    };
    // b0 runs at half a0's rate at every moment: its adjusted level stays half (not pulled to a0's)
    expect(level(b[0]!) / level(a[0]!)).toBeCloseTo(0.5, 1);
  });

  it('withDriftAdjustment adds a narrower conditional interval beside the measured one, recomputed on every call', () => {
    const cells = synthetic(12, effects, 0.03, 21);
    const results: CellResult[] = cells.map((c) => {
      const forks = c.forks.map((f) => ({ ...f, bytesPerSec: f.opsPerSec * 100 }) as unknown as ForkRecord);
      const ops = forks.map((f) => f.opsPerSec).sort((p, q) => p - q);
      const med = (ops[4]! + ops[5]!) / 2;
      const interval = { median: med, mean: med, ci95: [ops[0]!, ops[9]!] as [number, number], meanCi95: [ops[0]!, ops[9]!] as [number, number] };
      return { id: c.id, state: 'completed', forks, warnings: [], summary: { opsPerSec: interval, bytesPerSec: interval } } as unknown as CellResult;
    });
    const once = withDriftAdjustment(results, 1, 500);
    expect(once.drift?.adjustedForks).toBe(120);
    for (const [i, c] of once.cells.entries()) {
      // the cell's own figure stays as measured
      expect(c.summary!.opsPerSec).toEqual(results[i]!.summary!.opsPerSec);
      const adjusted = relativeHalfWidth(c.summary!.driftAdjusted!.opsPerSec.median, c.summary!.driftAdjusted!.opsPerSec.ci95);
      const measured = relativeHalfWidth(results[i]!.summary!.opsPerSec.median, results[i]!.summary!.opsPerSec.ci95);
      expect(adjusted).toBeLessThan(measured / 2);
    }
    expect(withDriftAdjustment(once.cells, 1, 500).cells).toEqual(once.cells);
    // cells the model cannot adjust (too few per block) lose a stale adjusted figure
    const small = withDriftAdjustment(once.cells.slice(0, 3), 1, 500);
    expect(small.drift).toBeNull();
    expect(small.cells.map((c) => c.summary)).toEqual(results.slice(0, 3).map((c) => c.summary));
  });

  it('adjusts a cell all or nothing: one fork in a block of too few cells leaves the whole cell as measured', () => {
    const cells = synthetic(8, effects, 0.03, 9);
    // c0's last fork ran in a block of its own
    const odd = cells.map((c) => (c.id !== 'c0' ? c : { ...c, forks: c.forks.map((f, i) => (i === 9 ? { ...f, block: 999 } : f)) }));
    const model = driftModel(odd);
    expect(model.factors.has('c0')).toBe(false);
    expect(model.factors.has('c1')).toBe(true);
    expect(model.adjustedForks).toBe(70);
  });
});
