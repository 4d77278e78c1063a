/**
 * "Same within the margin" and "the smallest change this run could have seen": the two halves of
 * compare's three-way verdict that a significance test alone cannot give.
 *
 * Equivalence: the two one-sided tests procedure (TOST; D. J. Schuirmann, "A comparison of the two
 * one-sided tests procedure and the power approach for assessing the equivalence of average
 * bioavailability", J. Pharmacokinet. Biopharm. 15:657–680, 1987) on the log ratio θ = ln(head/base)
 * with the margin δ = ln(1 + threshold), the metric's noise threshold. The null hypothesis is
 * "different" (θ <= −δ or θ >= δ); both one-sided nulls must be rejected at level alpha, so the TOST
 * p-value is the larger of the two one-sided p-values. Each one-sided test is the same rank test
 * compare already uses for significance, on data shifted by the margin (the rank-based TOST of
 * S. Wellek, "Testing Statistical Hypotheses of Equivalence and Noninferiority", 2nd ed., 2010,
 * §6.2 for two samples and §5.4 for paired differences): Mann-Whitney for two samples (head's log
 * values shifted by ±δ against base's), Wilcoxon signed-rank for paired log ratios (shifted by ±δ).
 * Why ranks and not the interval-inclusion form (a 90% bootstrap interval inside ±δ, which is
 * TOST's equivalent for a t interval): with 2–3 forks the percentile bootstrap of a median has far
 * too little coverage, and two forks that happen to agree would be called "same". The rank tests
 * keep their exact level at any n, and their floor makes the limit explicit: one-sided p >= 1/C(2n, n)
 * for n forks per side, >= 1/2^n for n pairs, so 2 forks per side (1/6) can never show equivalence.
 * Equivalence is not corrected across cells: "same" does not pass anything the gate would fail
 * (only "slower" fails it), and the correction is for the gate's false alarms.
 *
 * Minimum detectable effect (MDE): the smallest true change that this run's verdict rule would call
 * significant with 80% probability (H. S. Bloom, "Minimum detectable effects", Evaluation Review
 * 19:547–556, 1995): MDE = (z_{1−α'/2} + z_{0.8}) · SE on the log scale, where α' = α/m is the level
 * of the first Holm step over m cells (the level the most extreme cell must meet) and SE is the
 * standard error of the row's log ratio, read from its bootstrap 95% interval as
 * (ln hi − ln lo) / (2 · 1.96). The z form is the large-sample approximation; the rank tests have an
 * asymptotic relative efficiency of 3/π (0.955) against it under normal noise, so the true MDE is a
 * few percent larger. A verdict also needs the change to exceed the noise threshold, so the MDE is
 * never below it; and when no p-value these forks can produce is below α' (the rank test's floor),
 * nothing is detectable at all and the MDE is null ("none").
 */
import { mannWhitneyU, normalUpperTail } from './mann-whitney.js';
import type { RatioEstimate } from '../stats/bootstrap-ratio.js';
import { wilcoxonSignedRank } from './wilcoxon-signed-rank.js';

/** Power the MDE is stated at (the conventional 80%: Cohen, "Statistical Power Analysis", 1988, §2.4). */
export const MDE_POWER = 0.8;

/**
 * The standard normal quantile: z with P(Z <= z) = p, by bisection on the upper tail compare already
 * uses (mann-whitney.ts, fractional error below 1.2e-7), so the two cannot disagree.
 * (simple-statistics' probit is an approximation off by 3e-3 at 0.975.)
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must lie in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (1 - normalUpperTail(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * One-sided p-value from a two-sided exact p of a statistic with a symmetric null distribution:
 * p2/2 when the statistic lies on the side the alternative predicts (the exact tail there), else 1
 * (the true value is >= 1/2, and TOST only ever rejects on the predicted side).
 */
function oneSided(pTwoSided: number, onPredictedSide: boolean): number {
  return onPredictedSide ? pTwoSided / 2 : 1;
}

/**
 * TOST p-value for two independent samples of positive values: H0 "|ln(head/base)| >= marginLog"
 * (a location shift on the log scale), rejected when both shifted Mann-Whitney tests reject.
 */
export function tostUnpaired(base: readonly number[], head: readonly number[], marginLog: number): number {
  const lb = base.map(Math.log);
  const lh = head.map(Math.log);
  const half = (lb.length * lh.length) / 2;
  // H0 θ <= −δ: head shifted up by δ should exceed base (u1 above its null mean).
  const up = mannWhitneyU(lh.map((v) => v + marginLog), lb);
  // H0 θ >= δ: head shifted down by δ should fall below base.
  const down = mannWhitneyU(lh.map((v) => v - marginLog), lb);
  return Math.max(oneSided(up.pValue, up.u1 > half), oneSided(down.pValue, down.u1 < half));
}

/** TOST p-value for paired log ratios `logRatios` (ln head_i − ln base_i): H0 "|θ| >= marginLog". */
export function tostPaired(logRatios: readonly number[], marginLog: number): number {
  const up = wilcoxonSignedRank(logRatios.map((d) => d + marginLog));
  const down = wilcoxonSignedRank(logRatios.map((d) => d - marginLog));
  const mean = (n: number): number => (n * (n + 1)) / 4;
  return Math.max(oneSided(up.pValue, up.n > 0 && up.wPlus > mean(up.n)), oneSided(down.pValue, down.n > 0 && down.wPlus < mean(down.n)));
}

/**
 * The MDE of one row as a fraction (0.05 = a 5% change), or null when these forks cannot reach
 * significance at all. `minP` is the smallest two-sided p-value the row's test can produce,
 * `alphaFirstStep` the level the most extreme cell must meet (α/m under Holm), `threshold` the
 * metric's noise threshold (fraction). See the module comment for the formula and its source.
 */
export function minimumDetectableEffect(ratio: RatioEstimate | null, minP: number, alphaFirstStep: number, threshold: number): number | null {
  if (ratio === null || minP >= alphaFirstStep) return null;
  const se = standardErrorLog(ratio);
  const multiplier = normalQuantile(1 - alphaFirstStep / 2) + normalQuantile(MDE_POWER);
  return Math.max(threshold, Math.expm1(multiplier * se));
}

/** Standard error of ln(ratio) read from its 95% interval (normal approximation: the interval is ±1.96 SE). */
export function standardErrorLog(ratio: RatioEstimate): number {
  return (Math.log(ratio.ci95[1]) - Math.log(ratio.ci95[0])) / (2 * normalQuantile(0.975));
}

/**
 * Forks per side at which a row with standard error `seLog` at `forks` forks would reach an MDE of
 * `target` (fraction): the standard error of a median shrinks as 1/sqrt(n), so
 * n' = n · (M · se / ln(1 + target))², and never fewer than `floorForks` (the fewest forks whose
 * rank test can reach the level at all). Null when the target is at or below the noise threshold
 * (no number of forks makes a verdict below the threshold possible).
 */
export function forksForTarget(seLog: number, forks: number, alphaFirstStep: number, target: number, threshold: number, floorForks: number): number | null {
  if (target < threshold) return null;
  const multiplier = normalQuantile(1 - alphaFirstStep / 2) + normalQuantile(MDE_POWER);
  const needed = Math.ceil(forks * ((multiplier * seLog) / Math.log1p(target)) ** 2);
  return Math.max(floorForks, needed);
}
