import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { midranks } from '../../../harness/compare/mann-whitney.js';
import { minimumSignedRankP, wilcoxonSignedRank } from '../../../harness/compare/wilcoxon-signed-rank.js';

/**
 * Reference: the exact two-sided p-value by enumerating all 2^n sign assignments of the midranks
 * of |d| (zeros dropped). Written independently of the DP in the implementation.
 */
function enumeratedPValue(d: number[]): number {
  const nz = d.filter((v) => v !== 0);
  const { ranks } = midranks(nz.map(Math.abs));
  const observed = nz.reduce((acc, v, i) => acc + (v > 0 ? ranks[i]! : 0), 0);
  let lower = 0;
  let upper = 0;
  const total = 2 ** nz.length;
  for (let mask = 0; mask < total; mask++) {
    let w = 0;
    for (let i = 0; i < nz.length; i++) if (mask & (1 << i)) w += ranks[i]!;
    if (w <= observed + 1e-9) lower++;
    if (w >= observed - 1e-9) upper++;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

const diff = (x: number[], y: number[]): number[] => y.map((v, i) => v - x[i]!);

describe('wilcoxonSignedRank', () => {
  // Reference values: scipy 1.17.1, scipy.stats.wilcoxon(d, zero_method="wilcox", method=...,
  // correction=(method == "approx")), run on this machine and written in here.
  it('matches scipy on the Hollander & Wolfe depression data (exact p = 0.0390625, W+ = 5)', () => {
    // Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, Example 3.1 (Hamilton scale).
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = wilcoxonSignedRank(diff(x, y));
    expect(r.method).toBe('exact');
    expect(r.wPlus).toBe(5);
    expect(r.n).toBe(9);
    expect(r.pValue).toBeCloseTo(0.0390625, 12);
    expect(wilcoxonSignedRank(diff(x, y), 'normal').pValue).toBeCloseTo(0.04401098401295143, 6);
  });

  it('matches scipy on tie-free samples of 5, 12 and 20 differences, exact and normal', () => {
    expect(wilcoxonSignedRank([0.1, 0.2, 0.3, 0.4, 0.5]).pValue).toBeCloseTo(0.0625, 12);
    expect(wilcoxonSignedRank([0.1, 0.2, 0.3, 0.4, 0.5], 'normal').pValue).toBeCloseTo(0.05905822909053671, 6);
    const d12 = [0.013, 0.005, -0.031, 0.11, 0.006, -0.026, 0.002, 0.007, 0.0145, 0.0071, -0.0141, -0.0072];
    expect(wilcoxonSignedRank(d12).pValue).toBeCloseTo(0.791015625, 12);
    expect(wilcoxonSignedRank(d12, 'normal').pValue).toBeCloseTo(0.7836523115344085, 6);
    const d20 = [0.026, 0.034, 0.028, 0.031, -0.005, 0.025, 0.032, 0.035, 0.082, 0.036, 0.0261, 0.013, -0.012, 0.041, 0.0205, 0.0335, -0.0221, 0.0296, 0.0188, 0.0107];
    const r20 = wilcoxonSignedRank(d20);
    expect(r20.wPlus).toBe(210 - 11);
    expect(r20.pValue).toBeCloseTo(0.0001049041748046875, 14);
    expect(wilcoxonSignedRank(d20, 'normal').pValue).toBeCloseTo(0.00048192889671815975, 7);
  });

  it('drops zero differences (scipy zero_method="wilcox": p = 0.03125 for 6 non-zero of 8)', () => {
    const r = wilcoxonSignedRank(diff([1, 2, 3, 4, 5, 6, 7, 8], [1, 2.5, 3, 4.7, 5.2, 6.9, 7.1, 8.8]));
    expect(r.n).toBe(6);
    expect(r.pValue).toBeCloseTo(0.03125, 12);
  });

  it('uses the tie-corrected variance in the normal approximation (scipy: 0.2401706846106948)', () => {
    const r = wilcoxonSignedRank(diff([1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 3, 6, 5, 9]), 'normal');
    expect(r.wPlus).toBe(21);
    expect(r.pValue).toBeCloseTo(0.2401706846106948, 6);
  });

  it('with ties, gives the exact conditional p-value of all 2^n sign assignments (enumerated: 46/128)', () => {
    // |d| = 1 six times (midrank 3.5) and 2 once (rank 7); W- = 7. scipy's exact method ignores the
    // ties here (it gives 38/128); the conditional distribution gives 2 * 23 / 128.
    const d = diff([1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 3, 6, 5, 9]);
    expect(wilcoxonSignedRank(d).pValue).toBeCloseTo(46 / 128, 12);
    expect(enumeratedPValue(d)).toBeCloseTo(46 / 128, 12);
  });

  it('agrees with enumeration of every sign assignment on random small samples with ties and zeros (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 1, maxLength: 12 }), (ints) => {
        const d = ints.map((v) => v / 4);
        expect(wilcoxonSignedRank(d, 'exact').pValue).toBeCloseTo(enumeratedPValue(d), 10);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same p-value when every difference changes sign (base and head swapped)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }), (d) => {
        const a = wilcoxonSignedRank(d);
        const b = wilcoxonSignedRank(d.map((v) => -v));
        expect(b.pValue).toBeCloseTo(a.pValue, 12);
        expect(a.pValue).toBeGreaterThan(0);
        expect(a.pValue).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('switches to the normal approximation above 50 pairs, and the two agree there', () => {
    const d = Array.from({ length: 60 }, (_, i) => ((i * 37) % 61) / 61 - 0.3);
    const auto = wilcoxonSignedRank(d);
    expect(auto.method).toBe('normal');
    expect(auto.pValue).toBeCloseTo(wilcoxonSignedRank(d, 'exact').pValue, 3);
  });

  it('says p = 1 when every difference is zero, refuses non-finite differences', () => {
    expect(wilcoxonSignedRank([0, 0, 0])).toEqual({ wPlus: 0, n: 0, pValue: 1, method: 'exact' });
    expect(() => wilcoxonSignedRank([0.1, Number.NaN])).toThrow(/not finite/);
  });

  it('knows the floor 2/2^n: 5 pairs cannot reach 0.05, 6 can', () => {
    expect(minimumSignedRankP(5)).toBe(0.0625);
    expect(minimumSignedRankP(6)).toBe(0.03125);
    expect(wilcoxonSignedRank([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).pValue).toBe(minimumSignedRankP(6));
  });
});
