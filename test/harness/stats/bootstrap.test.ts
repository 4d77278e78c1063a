import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mean, median } from 'simple-statistics';
import { bootstrapInterval, checkedSamples, estimate } from '../../../harness/stats/bootstrap.js';
import { seededRandom, shuffled } from '../../../harness/stats/prng.js';

describe('seededRandom', () => {
  it('is reproducible per seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    // roughly uniform: the mean of 1000 draws is within 0.05 of 0.5
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(0.05);
  });

  it('shuffled is a permutation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (items, seed) => {
        const s = shuffled(items, seededRandom(seed));
        expect(s.slice().sort((x, y) => x - y)).toEqual(items.slice().sort((x, y) => x - y));
      }),
    );
  });
});

describe('checkedSamples', () => {
  it('refuses empty and non-finite samples', () => {
    expect(() => checkedSamples([], 'ops')).toThrow('ops: no samples');
    expect(() => checkedSamples([1, NaN], 'ops')).toThrow('ops: non-finite sample NaN');
  });
});

describe('bootstrapInterval', () => {
  it('one sample: the degenerate interval [x, x]', () => {
    expect(bootstrapInterval(checkedSamples([5], 't'), median)).toEqual([5, 5]);
  });

  it('two samples: the bootstrap median is a (p 1/4), midpoint (1/2) or b (1/4), so the 95% interval is [a, b]', () => {
    expect(bootstrapInterval(checkedSamples([10, 20], 't'), median, { seed: 3 })).toEqual([10, 20]);
  });

  it('the interval of the mean matches normal theory: mean ± 1.96 σ̂/√n (plug-in σ̂), within 10%', () => {
    const xs = Array.from({ length: 40 }, (_, i) => 100 + ((i * 37) % 23));
    const m = mean(xs);
    const plugInSd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
    const half = (1.96 * plugInSd) / Math.sqrt(xs.length);
    const [lo, hi] = bootstrapInterval(checkedSamples(xs, 't'), mean, { seed: 9, resamples: 4000 });
    expect(Math.abs(m - half - lo) / half).toBeLessThan(0.1);
    expect(Math.abs(m + half - hi) / half).toBeLessThan(0.1);
  });

  it('is reproducible with a seed and contains the median (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12 }), fc.nat(), (xs, seed) => {
        const s = checkedSamples(xs, 't');
        const a = bootstrapInterval(s, median, { seed, resamples: 200 });
        expect(bootstrapInterval(s, median, { seed, resamples: 200 })).toEqual(a);
        expect(a[0]).toBeLessThanOrEqual(a[1]);
        expect(a[0]).toBeGreaterThanOrEqual(Math.min(...xs));
        expect(a[1]).toBeLessThanOrEqual(Math.max(...xs));
      }),
      { numRuns: 50 },
    );
  });
});

describe('estimate', () => {
  it('hand-computed median and mean; intervals contain them', () => {
    const e = estimate(checkedSamples([900, 1000, 1100, 1050, 950], 'ops'), 1);
    expect(e.median).toBe(1000);
    expect(e.mean).toBe(1000);
    expect(e.ci95[0]).toBeLessThanOrEqual(1000);
    expect(e.ci95[1]).toBeGreaterThanOrEqual(1000);
    expect(e.meanCi95[0]).toBeLessThan(1000);
    expect(e.meanCi95[1]).toBeGreaterThan(1000);
  });
});
