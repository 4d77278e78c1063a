import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mannWhitneyU, midranks, normalUpperTail } from '../../../harness/compare/mann-whitney.js';

/**
 * Reference: the exact two-sided permutation p-value of the rank sum, by enumerating every way of
 * choosing which n1 of the N pooled values are "x" (C(N, n1) relabellings), with midranks for ties.
 * Written independently of the DP in the implementation.
 */
function enumeratedPValue(x: number[], y: number[]): number {
  const all = [...x, ...y];
  const { ranks } = midranks(all);
  const n1 = x.length;
  const observed = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  let total = 0;
  let lower = 0;
  let upper = 0;
  const choose = (start: number, left: number, sum: number): void => {
    if (left === 0) {
      total++;
      if (sum <= observed + 1e-9) lower++;
      if (sum >= observed - 1e-9) upper++;
      return;
    }
    for (let i = start; i <= all.length - left; i++) choose(i + 1, left - 1, sum + ranks[i]!);
  };
  choose(0, n1, 0);
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

describe('mannWhitneyU', () => {
  it('matches the scipy.stats.mannwhitneyu documentation example (exact: U1 = 17, p = 1/9)', () => {
    // scipy docs: males = [19, 22, 16, 29, 24], females = [20, 11, 17, 12];
    // mannwhitneyu(males, females, method="exact") -> U1 = 17.0, p = 0.1111111111111111
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.method).toBe('exact');
    expect(r.u1).toBe(17);
    expect(r.pValue).toBeCloseTo(0.1111111111111111, 12);
  });

  it('matches the same example with the normal approximation (scipy "asymptotic": p = 0.11134688653314041)', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12], 'normal');
    expect(r.method).toBe('normal');
    expect(r.pValue).toBeCloseTo(0.11134688653314041, 6);
  });

  it('gives the textbook exact minima 2/C(N, n1) for completely separated samples', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6]).pValue).toBeCloseTo(2 / 20, 12);
    expect(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).pValue).toBeCloseTo(2 / 70, 12);
    expect(mannWhitneyU([10, 11, 12, 13, 14], [1, 2, 3, 4, 5]).pValue).toBeCloseTo(2 / 252, 12);
  });

  it('is 1 when every value is tied', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5], 'normal').pValue).toBe(1);
  });

  it('equals the fully enumerated permutation p-value, ties included (property)', () => {
    const sample = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 });
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        expect(mannWhitneyU(x, y).pValue).toBeCloseTo(enumeratedPValue(x, y), 12);
      }),
      { numRuns: 300 },
    );
  });

  it('is symmetric in its two samples, and U1 + U2 = n1·n2 (property)', () => {
    const sample = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const a = mannWhitneyU(x, y);
        const b = mannWhitneyU(y, x);
        expect(a.pValue).toBeCloseTo(b.pValue, 12);
        expect(a.u1 + b.u1).toBeCloseTo(x.length * y.length, 9);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the normal approximation for 25 + 25 values (exact vs asymptotic within 0.01)', () => {
    const x = Array.from({ length: 25 }, (_, i) => i * 1.3 + ((i * 17) % 7));
    const y = Array.from({ length: 25 }, (_, i) => i * 1.3 + 4 + ((i * 11) % 5));
    const exact = mannWhitneyU(x, y, 'exact').pValue;
    const normal = mannWhitneyU(x, y, 'normal').pValue;
    expect(exact).toBeGreaterThan(0.001);
    expect(Math.abs(exact - normal)).toBeLessThan(0.01);
  });

  it('uses the normal approximation above 50 values in all', () => {
    const x = Array.from({ length: 30 }, (_, i) => i);
    const y = Array.from({ length: 30 }, (_, i) => i + 0.5);
    expect(mannWhitneyU(x, y).method).toBe('normal');
  });

  it('refuses empty or non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/x is empty/);
    expect(() => mannWhitneyU([1], [Number.NaN])).toThrow(/non-finite/);
  });
});

describe('normalUpperTail', () => {
  it('matches standard normal table values', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 7);
    expect(normalUpperTail(1)).toBeCloseTo(0.15865525393145707, 7);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413447460685429, 7);
  });
});

describe('midranks', () => {
  it('averages the ranks of ties', () => {
    expect(midranks([10, 20, 20, 30]).ranks).toEqual([1, 2.5, 2.5, 4]);
    expect(midranks([3, 1, 3, 3]).tieSizes).toEqual([1, 3]);
  });
});
