/**
 * The Wilcoxon signed-rank test, two-sided, for paired samples (one difference per pair).
 *
 * Why this test, and when: a paired run (`npm run bench -- --baseline REF`, calibrate, the
 * validation experiment) runs base fork i and head fork i back to back (A B, then B A in the next
 * round), so both see the same machine state. On a shared or virtual machine that state moves a lot
 * — the same integer loop ran 12% slower in some forks than in others here, within one minute —
 * and a two-sample test (Mann-Whitney U) must treat all of that as noise. The differences within a
 * pair cancel it: measured here, the per-pair log ratios of an A/A run stayed within about ±1.5%
 * while the forks themselves spread over 12%. The signed-rank test is the rank test of those
 * differences, assuming nothing about their distribution but symmetry under the null hypothesis
 * (Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., §3.1).
 *
 * - Zero differences are dropped before ranking (Wilcoxon's original convention; scipy's
 *   zero_method="wilcox").
 * - exact (n <= EXACT_MAX_PAIRS non-zero differences): the permutation distribution of W+ over all
 *   2^n sign assignments, conditional on the observed ranks (midranks for tied |d|), counted by
 *   dynamic programming on doubled ranks (integers). Without ties this is the classic null
 *   distribution (scipy's method="exact" gives the same p-values); with ties it is the conditional
 *   exact test (Lehmann, "Nonparametrics", 1975, §3.3), which scipy does not compute.
 *   Two-sided p = 2·min(P(W+ <= w), P(W+ >= w)), capped at 1.
 * - more pairs: normal approximation with the tie-corrected variance
 *   n(n+1)(2n+1)/24 − Σ(t³−t)/48 and a continuity correction of 0.5 (Hollander et al. §3.1, eq. 3.11
 *   and 3.13; scipy's method="approx", correction=True).
 * Note the smallest two-sided p-value n pairs can give is 2/2^n: 6 pairs are needed to reach 0.05.
 */
import { midranks, normalUpperTail, twoSidedExactP } from './mann-whitney.js';

export const EXACT_MAX_PAIRS = 50;

export interface SignedRankResult {
  /** Sum of the ranks of |d| over positive differences (zeros dropped). */
  wPlus: number;
  /** Non-zero differences ranked. */
  n: number;
  /** Two-sided p-value (1 when every difference is zero). */
  pValue: number;
  method: 'exact' | 'normal';
}

/** The smallest two-sided p-value `n` pairs can produce (no ties, no zeros). */
export function minimumSignedRankP(n: number): number {
  return Math.min(1, 2 / 2 ** n);
}

/**
 * Two-sided signed-rank test of the differences `d` (e.g. log(head_i / base_i)) against a
 * distribution symmetric about 0. `method` forces one computation ('auto': exact up to
 * EXACT_MAX_PAIRS non-zero differences).
 */
export function wilcoxonSignedRank(d: readonly number[], method: 'auto' | 'exact' | 'normal' = 'auto'): SignedRankResult {
  for (const v of d) {
    if (!Number.isFinite(v)) throw new RangeError(`wilcoxonSignedRank: a difference is not finite (${v}); drop the pair first`);
  }
  const nonZero = d.filter((v) => v !== 0);
  const n = nonZero.length;
  if (n === 0) return { wPlus: 0, n: 0, pValue: 1, method: 'exact' };
  const { ranks, tieSizes } = midranks(nonZero.map((v) => Math.abs(v)));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (nonZero[i]! > 0) wPlus += ranks[i]!;
  if (method === 'exact' || (method === 'auto' && n <= EXACT_MAX_PAIRS)) return { wPlus, n, pValue: exactPValue(ranks, wPlus), method: 'exact' };
  return { wPlus, n, pValue: normalPValue(wPlus, n, tieSizes), method: 'normal' };
}

/**
 * count[s] = number of sign assignments whose doubled W+ is s: each item either adds its doubled
 * rank or not, independently (2^n assignments, equally likely under the null hypothesis).
 */
function exactPValue(ranks: readonly number[], wPlus: number): number {
  const doubled = ranks.map((r) => Math.round(r * 2));
  const maxSum = doubled.reduce((a, b) => a + b, 0);
  const count = new Float64Array(maxSum + 1);
  count[0] = 1;
  for (const r of doubled) {
    for (let s = maxSum; s >= r; s--) count[s]! += count[s - r]!;
  }
  return twoSidedExactP(count, Math.round(wPlus * 2));
}

function normalPValue(wPlus: number, n: number, tieSizes: readonly number[]): number {
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieSizes.reduce((acc, t) => acc + (t * t * t - t), 0) / 48;
  if (variance <= 0) return 1;
  const z = Math.max(0, Math.abs(wPlus - mean) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * normalUpperTail(z));
}
