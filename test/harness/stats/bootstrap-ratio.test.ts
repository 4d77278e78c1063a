import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bootstrapGeometricMeanRatio, bootstrapPairedRatio, bootstrapRatioOfMedians } from '../../../harness/stats/bootstrap-ratio.js';
import { seededRandom } from '../../../harness/stats/prng.js';

const positive = fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 10 });

describe('bootstrapRatioOfMedians', () => {
  it('gives the ratio of medians as its point estimate', () => {
    const r = bootstrapRatioOfMedians([100, 102, 98], [110, 111, 109])!;
    expect(r.ratio).toBeCloseTo(110 / 100, 12);
    expect(r.ci95[0]).toBeLessThanOrEqual(r.ratio);
    expect(r.ci95[1]).toBeGreaterThanOrEqual(r.ratio);
  });

  it('is degenerate at the point when every fork is equal', () => {
    const r = bootstrapRatioOfMedians([5, 5, 5], [10, 10, 10])!;
    expect(r.ratio).toBe(2);
    expect(r.ci95[0]).toBeCloseTo(2, 12);
    expect(r.ci95[1]).toBeCloseTo(2, 12);
  });

  it('bounds the interval by the extreme resampled medians (min/max ratios)', () => {
    const base = [90, 100, 110];
    const head = [95, 100, 105];
    const r = bootstrapRatioOfMedians(base, head)!;
    expect(r.ci95[0]).toBeGreaterThanOrEqual(95 / 110 - 1e-12);
    expect(r.ci95[1]).toBeLessThanOrEqual(105 / 90 + 1e-12);
  });

  it('returns null when a median is zero (no ratio to zero)', () => {
    expect(bootstrapRatioOfMedians([0, 0, 1], [1, 2, 3])).toBeNull();
  });

  it('always contains the point estimate (property)', () => {
    fc.assert(
      fc.property(positive, positive, fc.integer({ min: 1, max: 1000 }), (base, head, seed) => {
        const r = bootstrapRatioOfMedians(base, head, { resamples: 200, seed })!;
        expect(r.ci95[0]).toBeLessThanOrEqual(r.ratio);
        expect(r.ratio).toBeLessThanOrEqual(r.ci95[1]);
      }),
      { numRuns: 200 },
    );
  });

  it('inverts exactly when base and head are swapped (property)', () => {
    fc.assert(
      fc.property(positive, positive, (base, head) => {
        const ab = bootstrapRatioOfMedians(base, head, { resamples: 200 })!;
        const ba = bootstrapRatioOfMedians(head, base, { resamples: 200 })!;
        // Compared on the log scale: the values span 1e-6..1e6.
        expect(Math.log(ba.ratio)).toBeCloseTo(-Math.log(ab.ratio), 9);
        expect(Math.log(ba.ci95[0])).toBeCloseTo(-Math.log(ab.ci95[1]), 9);
        expect(Math.log(ba.ci95[1])).toBeCloseTo(-Math.log(ab.ci95[0]), 9);
      }),
      { numRuns: 200 },
    );
  });

  it('covers the true ratio in about 95% of simulated experiments (10 forks per side)', () => {
    // Log-normal forks with 2% spread; true ratio of medians 1.05. Percentile intervals under-cover a
    // little with small samples (Efron & Tibshirani §13.3), hence the wide acceptance band.
    const rng = seededRandom(42);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const base = Array.from({ length: 10 }, () => 1000 * Math.exp(0.02 * gauss()));
      const head = Array.from({ length: 10 }, () => 1050 * Math.exp(0.02 * gauss()));
      const r = bootstrapRatioOfMedians(base, head, { resamples: 500, seed: t })!;
      if (r.ci95[0] <= 1.05 && 1.05 <= r.ci95[1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.85);
    expect(covered / trials).toBeLessThan(0.995);
  });
});

describe('bootstrapGeometricMeanRatio', () => {
  it('is the geometric mean of the per-cell ratios', () => {
    const g = bootstrapGeometricMeanRatio([
      { base: [100, 100, 100], head: [200, 200, 200] },
      { base: [100, 100, 100], head: [50, 50, 50] },
    ])!;
    expect(g.ratio).toBeCloseTo(1, 12);
    expect(g.ci95[0]).toBeCloseTo(1, 12);
    expect(g.ci95[1]).toBeCloseTo(1, 12);
  });

  it('contains its point estimate and inverts when sides are swapped (property)', () => {
    const pair = fc.record({ base: positive, head: positive });
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 4 }), (pairs) => {
        const ab = bootstrapGeometricMeanRatio(pairs, { resamples: 100 })!;
        const ba = bootstrapGeometricMeanRatio(pairs.map((p) => ({ base: p.head, head: p.base })), { resamples: 100 })!;
        expect(ab.ci95[0]).toBeLessThanOrEqual(ab.ratio * (1 + 1e-12));
        expect(ab.ci95[1]).toBeGreaterThanOrEqual(ab.ratio * (1 - 1e-12));
        expect(Math.log(ba.ratio)).toBeCloseTo(-Math.log(ab.ratio), 9);
        expect(Math.log(ba.ci95[0])).toBeCloseTo(-Math.log(ab.ci95[1]), 9);
      }),
      { numRuns: 100 },
    );
  });

  it('returns null with no cells', () => {
    expect(bootstrapGeometricMeanRatio([])).toBeNull();
  });
});

/** n pairs of equal length with positive values. */
const pairedSamples = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc.record({
      base: fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: n, maxLength: n }),
      head: fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: n, maxLength: n }),
    }),
  );

describe('bootstrapPairedRatio', () => {
  it('is the median of the per-pair ratios, not the ratio of medians', () => {
    // Drift: every fork round is slower than the last, and head is 3% slower within each round.
    const base = [100, 110, 120, 130, 140];
    const head = base.map((b) => b * 1.03);
    const r = bootstrapPairedRatio(base, head)!;
    expect(r.ratio).toBeCloseTo(1.03, 12);
    expect(r.ci95[0]).toBeCloseTo(1.03, 12);
    expect(r.ci95[1]).toBeCloseTo(1.03, 12);
    // The same numbers unpaired: the drift swamps the change.
    const u = bootstrapRatioOfMedians(base, head)!;
    expect(u.ci95[0]).toBeLessThan(0.95);
    expect(u.ci95[1]).toBeGreaterThan(1.1);
  });

  it('keeps one pair hit by a burst of load from moving the estimate', () => {
    const r = bootstrapPairedRatio([100, 100, 100, 100, 100], [102, 103, 101, 102, 500])!;
    expect(r.ratio).toBeCloseTo(1.02, 12);
  });

  it('contains its point estimate and inverts exactly when base and head are swapped (property)', () => {
    fc.assert(
      fc.property(pairedSamples, fc.integer({ min: 1, max: 1000 }), ({ base, head }, seed) => {
        const ab = bootstrapPairedRatio(base, head, { resamples: 200, seed })!;
        const ba = bootstrapPairedRatio(head, base, { resamples: 200, seed })!;
        expect(ab.ci95[0]).toBeLessThanOrEqual(ab.ratio);
        expect(ab.ratio).toBeLessThanOrEqual(ab.ci95[1]);
        expect(Math.log(ba.ratio)).toBeCloseTo(-Math.log(ab.ratio), 9);
        expect(Math.log(ba.ci95[0])).toBeCloseTo(-Math.log(ab.ci95[1]), 9);
        expect(Math.log(ba.ci95[1])).toBeCloseTo(-Math.log(ab.ci95[0]), 9);
      }),
      { numRuns: 200 },
    );
  });

  it('returns null when a value is not positive, refuses samples of different lengths', () => {
    expect(bootstrapPairedRatio([1, 0], [1, 1])).toBeNull();
    expect(() => bootstrapPairedRatio([1, 2], [1])).toThrow(/differ in length/);
  });

  it('geometric mean: a paired cell contributes its median paired ratio and inverts on swap', () => {
    const base = [100, 110, 120, 130, 140];
    const g = bootstrapGeometricMeanRatio([
      { base, head: base.map((b) => b * 1.04), paired: true },
      { base: [10, 10, 10], head: [10, 10, 10] },
    ])!;
    expect(g.ratio).toBeCloseTo(Math.sqrt(1.04), 12);
    fc.assert(
      fc.property(pairedSamples, ({ base: b, head: h }) => {
        const ab = bootstrapGeometricMeanRatio([{ base: b, head: h, paired: true }], { resamples: 100 })!;
        const ba = bootstrapGeometricMeanRatio([{ base: h, head: b, paired: true }], { resamples: 100 })!;
        expect(Math.log(ba.ratio)).toBeCloseTo(-Math.log(ab.ratio), 9);
        expect(Math.log(ba.ci95[0])).toBeCloseTo(-Math.log(ab.ci95[1]), 9);
      }),
      { numRuns: 100 },
    );
  });
});
