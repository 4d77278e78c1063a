/**
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided.
 *
 * Why this test: compare has 3–10 forks per side, one number per fork. A rank test assumes nothing
 * about the shape of the fork distribution (timings are skewed and have outliers from a noisy
 * neighbour), and with so few forks the *exact* null distribution matters: the normal approximation
 * is poor below about 10 per side, and with 3 forks per side the smallest two-sided p-value that
 * exists is 2/C(6,3) = 0.1, which an approximation would hide. So:
 *
 * - exact (N = n1 + n2 <= EXACT_MAX_N): the permutation distribution of the rank sum conditional on
 *   the observed ranks (midranks for ties), counted by dynamic programming over subsets — the same
 *   answer as enumerating all C(N, n1) relabellings, i.e. an exact permutation test on ranks
 *   (Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., §4.1; with ties this
 *   is the conditional exact test of Lehmann, "Nonparametrics", 1975, §1.4). Two-sided p-value:
 *   2·min(P(W <= w), P(W >= w)) capped at 1, as scipy.stats.mannwhitneyu(method="exact") does.
 * - larger samples: normal approximation with the tie-corrected variance
 *   σ² = n1·n2/12 · ((N+1) − Σ(t³−t)/(N(N−1))) and a continuity correction of 0.5
 *   (Hollander et al. §4.1, eq. 4.6–4.8; scipy's method="asymptotic").
 */

export const EXACT_MAX_N = 50;

export interface MannWhitneyResult {
  /** U statistic of the first sample: the number of pairs (x, y) with x > y, ties counting 1/2. */
  u1: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'normal';
}

/** Midranks (1-based) of `values`, and the sizes of tie groups. */
export function midranks(values: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length).fill(0);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

function checkSample(name: string, sample: readonly number[]): void {
  if (sample.length === 0) throw new RangeError(`mannWhitney: ${name} is empty; both samples need at least one value`);
  for (const v of sample) {
    if (!Number.isFinite(v)) throw new RangeError(`mannWhitney: ${name} holds a non-finite value (${v}); drop it first`);
  }
}

/**
 * Two-sided Mann-Whitney U test of `x` against `y` (see the module comment for the method).
 * `method` forces one computation ('auto': exact up to EXACT_MAX_N values in all).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], method: 'auto' | 'exact' | 'normal' = 'auto'): MannWhitneyResult {
  checkSample('x', x);
  checkSample('y', y);
  const n1 = x.length;
  const n2 = y.length;
  const all = [...x, ...y];
  const { ranks, tieSizes } = midranks(all);
  let rankSumX = 0;
  for (let i = 0; i < n1; i++) rankSumX += ranks[i]!;
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  if (method === 'exact' || (method === 'auto' && n <= EXACT_MAX_N)) return { u1, pValue: exactPValue(ranks, n1, rankSumX), method: 'exact' };
  return { u1, pValue: normalPValue(u1, n1, n2, tieSizes), method: 'normal' };
}

/**
 * Exact conditional null distribution of the rank sum of n1 items drawn from `ranks`.
 * Ranks are midranks (multiples of 1/2), so work with doubled ranks, which are integers.
 * count[k][s] = number of k-subsets of the items seen so far whose doubled rank sum is s.
 */
function exactPValue(ranks: readonly number[], n1: number, rankSumX: number): number {
  const doubled = ranks.map((r) => Math.round(r * 2));
  const maxSum = doubled.reduce((a, b) => a + b, 0);
  const count: Float64Array[] = [];
  for (let k = 0; k <= n1; k++) count.push(new Float64Array(maxSum + 1));
  count[0]![0] = 1;
  for (const d of doubled) {
    for (let k = n1; k >= 1; k--) {
      const prev = count[k - 1]!;
      const cur = count[k]!;
      for (let s = maxSum; s >= d; s--) cur[s]! += prev[s - d]!;
    }
  }
  return twoSidedExactP(count[n1]!, Math.round(rankSumX * 2));
}

/**
 * Two-sided p-value from an exact null distribution given as counts: `dist[s]` arrangements give the
 * (doubled) statistic `s`; p = 2·min(P(S <= observed), P(S >= observed)), capped at 1. Shared by the
 * rank-sum test here and the signed-rank test (wilcoxon-signed-rank.ts).
 */
export function twoSidedExactP(dist: Float64Array, observed: number): number {
  let total = 0;
  let lower = 0;
  let upper = 0;
  for (let s = 0; s < dist.length; s++) {
    const c = dist[s]!;
    total += c;
    if (s <= observed) lower += c;
    if (s >= observed) upper += c;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

function normalPValue(u1: number, n1: number, n2: number, tieSizes: readonly number[]): number {
  const n = n1 + n2;
  const tieTerm = tieSizes.reduce((acc, t) => acc + (t * t * t - t), 0) / (n * (n - 1));
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm);
  if (variance <= 0) return 1; // every value tied: no evidence of a difference at all
  const mean = (n1 * n2) / 2;
  const z = Math.max(0, Math.abs(u1 - mean) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * normalUpperTail(z));
}

/**
 * P(Z > z) for a standard normal Z, via the complementary error function `erfcc` of Numerical
 * Recipes in C (2nd ed., §6.2: a Chebyshev fit with fractional error below 1.2e-7 everywhere) —
 * ample for a p-value printed with 3 significant digits.
 */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
