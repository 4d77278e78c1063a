/**
 * Changepoints in the mean of a series: PELT, "Pruned Exact Linear Time" (Killick, Fearnhead &
 * Eckley, "Optimal detection of changepoints with a linear computational cost", JASA 107(500),
 * 2012, 1590–1598), and the robust noise scale it is run with.
 *
 * PELT finds the segmentation that minimises Σ C(segment) + β · (number of changepoints) exactly
 * (the optimal-partitioning recursion of Jackson et al. 2005), and prunes every candidate start τ
 * that can never again be optimal: once F(τ) + C(y(τ..t]) > F(t), τ is dropped (their Theorem 3.1,
 * with K = 0, valid for costs where splitting a segment never raises its cost, as here). Expected
 * cost O(n) when changepoints keep occurring; O(n²) at worst — trivial for the ≤ a few thousand
 * windows of a fork.
 *
 * Cost: −2 × the Normal log-likelihood of a segment with its own mean and a known, shared σ,
 * C(y(a..b]) = Σ (yᵢ − ȳ)² / σ² (constants dropped). Mean only, not mean and variance (Barrett et
 * al.'s `cpt.meanvar`): a fork has 20–60 windows, and with segments of 2–5 windows a per-segment
 * variance is a wild estimate whose log rewards short, accidentally quiet segments; a burst of
 * machine noise is a change of variance that is not a change of speed. The penalty β is in the
 * same units (−2 log-likelihood) as R changepoint's, so Barrett et al.'s 15·ln n carries over.
 */
import { median } from 'simple-statistics';
import { BuflabError } from '../errors.js';

/** Bad input to a changepoint routine (a caller's bug: the message names the value). */
export class ChangepointInputError extends BuflabError {
  constructor(message: string) {
    super('E_CHANGEPOINT_INPUT', message);
  }
}

export interface PeltMeanOptions {
  /** β, the cost of one more changepoint, in −2 log-likelihood units (≥ 0). */
  penalty: number;
  /** Standard deviation of one value around its segment's mean, in the values' unit (> 0). */
  sigma: number;
  /** Shortest allowed segment, values (integer ≥ 1; default 1). */
  minSegmentLength?: number;
}

export interface PeltResult {
  /** Indices where a new segment starts, ascending, each in [1, n); empty when the series is one segment. */
  changepoints: number[];
  /** The minimised penalised cost Σ C + β · changepoints.length. */
  cost: number;
  /** Candidate evaluations made (n(n+1)/2 without pruning): for tests of the pruning. */
  evaluations: number;
}

/**
 * PELT for changes in mean under Normal noise of known `sigma`. Throws ChangepointInputError for a
 * non-finite value, a non-positive sigma, a negative penalty or a bad minimum segment length. An
 * empty series has no changepoints.
 */
export function peltMean(values: readonly number[], options: PeltMeanOptions): PeltResult {
  const { penalty, sigma } = options;
  const m = options.minSegmentLength ?? 1;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ChangepointInputError(`sigma must be a positive finite number, got ${sigma}`);
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new ChangepointInputError(`penalty must be a finite number >= 0, got ${penalty}`);
  if (!Number.isInteger(m) || m < 1) throw new ChangepointInputError(`minSegmentLength must be an integer >= 1, got ${m}`);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new ChangepointInputError(`value ${i} is ${values[i]}: every value must be finite`);
  }
  if (n === 0) return { changepoints: [], cost: 0, evaluations: 0 };

  // Prefix sums of centred values (centring keeps Σy² well conditioned for values like ln(ns) ≈ 10).
  const centre = values[0]!;
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const y = values[i]! - centre;
    s1[i + 1] = s1[i]! + y;
    s2[i + 1] = s2[i]! + y * y;
  }
  const inverseVariance = 1 / (sigma * sigma);
  /** C(y(a..b]) for the segment of values a..b−1. */
  const cost = (a: number, b: number): number => {
    const sum = s1[b]! - s1[a]!;
    // Rounding can make the difference a hair negative for a constant segment.
    return Math.max(0, s2[b]! - s2[a]! - (sum * sum) / (b - a)) * inverseVariance;
  };

  // F[t]: optimal penalised cost of the first t values; F[0] = −β so that k segments pay (k−1)·β.
  const best = new Float64Array(n + 1).fill(Infinity);
  const previous = new Int32Array(n + 1);
  best[0] = -penalty;
  let candidates: number[] = [0];
  let evaluations = 0;
  for (let t = m; t <= n; t++) {
    // Candidate τ = t − m becomes usable now (a segment (τ..t] of exactly m values).
    const fresh = t - m;
    if (fresh > 0 && Number.isFinite(best[fresh]!)) candidates.push(fresh);
    let bestCost = Infinity;
    let bestTau = 0;
    const total = new Float64Array(candidates.length);
    for (let k = 0; k < candidates.length; k++) {
      const tau = candidates[k]!;
      const c = best[tau]! + cost(tau, t);
      total[k] = c;
      evaluations++;
      if (c + penalty < bestCost) {
        bestCost = c + penalty;
        bestTau = tau;
      }
    }
    best[t] = bestCost;
    previous[t] = bestTau;
    // Pruning (Killick et al. 2012, Theorem 3.1 with K = 0).
    const kept: number[] = [];
    for (let k = 0; k < candidates.length; k++) if (total[k]! <= bestCost) kept.push(candidates[k]!);
    candidates = kept;
  }
  const changepoints: number[] = [];
  for (let t = n; t > 0; t = previous[t]!) if (previous[t]! > 0) changepoints.push(previous[t]!);
  changepoints.reverse();
  return { changepoints, cost: best[n]!, evaluations };
}

/** 1.4826: the MAD of a Normal sample times this estimates its standard deviation (Hampel 1974). */
const MAD_TO_SD = 1.482602218505602;

/**
 * Robust standard deviation of the noise of a series whose mean moves in steps or slowly: the
 * scaled median absolute deviation of its first differences, / √2 (a difference of two independent
 * values has variance 2σ²). Steps spoil only the few differences that straddle them, a slow trend
 * only shifts the differences' median (which the MAD removes), and a lone spike spoils two
 * differences — so none of them inflates σ the way a plain standard deviation would. This is the
 * estimator of wild binary segmentation (Fryzlewicz, Ann. Statist. 42(6), 2014; R `wbs`:
 * `mad(diff(x) / sqrt(2))`). Returns 0 for fewer than 3 values.
 */
export function robustNoiseSd(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const diffs = new Array<number>(values.length - 1);
  for (let i = 1; i < values.length; i++) diffs[i - 1] = values[i]! - values[i - 1]!;
  const centre = median(diffs);
  const deviations = diffs.map((d) => Math.abs(d - centre));
  return (MAD_TO_SD * median(deviations)) / Math.SQRT2;
}
