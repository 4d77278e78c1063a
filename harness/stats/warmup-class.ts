/**
 * Classifies a fork's in-process series (ns/op per fixed window, warm-up and measured phase) into
 * Barrett et al.'s classes — `flat`, `warmup`, `slowdown`, `no-steady-state` — and says where the
 * final steady segment starts. Source: Barrett, Bolz-Tereick, Killick, Mount & Tratt, "Virtual
 * Machine Warmup Blows Hot and Cold", OOPSLA 2017, and their tool softdevteam/warmup_stats
 * (bin/mark_outliers_in_json, bin/mark_changepoints_in_json, warmup/summary_statistics.py).
 *
 * What they do, on ~2,000 in-process iterations, and what is adapted here to 20–60 windows:
 *
 * | step | Barrett et al. / warmup_stats | here (why) |
 * | --- | --- | --- |
 * | scale | seconds per iteration | ln(ns/op) of each window's median batch: changes are relative, one tolerance fits a 30 ns op and a 3 ms one |
 * | outliers | median ± 3·(p90 − p10) over a sliding 200-iteration window, none in the first half-window; excluded from PELT | median ± {@link WarmupClassOptions.outlierSigmas}·σ over a sliding 7-window window (p90 − p10 of 7 values is not robust to the outlier itself), none in the first 3 windows (a short first-window warm-up is real) |
 * | changepoints | PELT, `cpt.meanvar`, penalty 15·ln n | PELT, mean only with a robust σ (see ./changepoint.ts), penalty 15·ln n unchanged: deliberately ~7× BIC, because neighbouring windows share machine drift (autocorrelated) and a lower penalty cuts drift into steps |
 * | noise | each segment's variance | one σ for the series: scaled MAD of first differences / √2 (./changepoint.ts), floored at {@link WarmupClassOptions.noiseFloor} |
 * | equivalent segments | [mean ± var] overlaps [last mean ± max(last var, δ)], δ = 1 ms absolute | adjacent segments merged while |Δ mean| ≤ σ + max(σ, ln(1 + δ)) with δ = 2% relative (Barrett's interval overlap with σ as both spreads; 1 ms is 0.1–1% of their iterations, 2% is the smallest change worth a class here and the old rule's tolerance) |
 * | no steady state | a non-equivalent segment ends in the last 500 of 2,000 iterations (25%) | the final merged segment holds fewer than 25% of the windows |
 * | classes | first non-equivalent segment before the last decides: faster → slowdown, slower → warmup | any earlier non-equivalent segment faster than the final one → slowdown; otherwise warmup; one segment → flat |
 *
 * Added here: a drift check. PELT's model is piecewise constant; a slow trend is fitted as a
 * staircase whose steps depend on the penalty, and merging can chain a staircase of sub-tolerance
 * steps into one segment. So the final segment itself is checked: when its Theil–Sen trend changes
 * it by more than the tolerance from its first window to its last, it is not steady and the series
 * is `no-steady-state` (a series that keeps drifting has none). What a slow linear trend is called
 * (measured on synthetic series, test/harness/stats/warmup-class.test.ts): never `flat`; a strong
 * one (20% over the series) `no-steady-state` — its last PELT step starts in the final quarter, or
 * the final segment drifts; a gentle one (≈ 5% over 60 windows at 1% noise) may end in a final
 * segment that is steady within the tolerance, and is then `slowdown` (or `warmup` when it speeds
 * up): the process did get slower, and its end is as steady as the tolerance can tell. A trend
 * below the tolerance over the whole series (≤ 2–3%) is `flat`, by design.
 */
import { median } from 'simple-statistics';
import type { WarmupClass } from '../../contract/result-schema.js';
import { ChangepointInputError, peltMean, robustNoiseSd } from './changepoint.js';

export interface WarmupClassOptions {
  /** PELT penalty per changepoint = this × ln(n) (Barrett et al.: 15). */
  penaltyPerLogN: number;
  /** δ: smallest relative change of the mean that makes two segments different (0.02 = 2%). */
  minRelativeStep: number;
  /** The final segment must hold at least this share of the windows, or there is no steady state (Barrett: 500/2000). */
  steadyTailFraction: number;
  /** Lower bound of σ in ln units (0.002 ≈ 0.2%): window medians are quantised (the HDR histogram keeps 3 digits). */
  noiseFloor: number;
  /** A window is an outlier when it is more than this many σ from its neighbourhood's median. */
  outlierSigmas: number;
  /** Neighbourhood of the outlier rule, windows (odd). Runs of ≤ (w − 1)/2 windows unlike their neighbours are outliers. */
  outlierWindow: number;
  /** Fewer windows than this cannot show a steady segment: the series is `no-steady-state`. */
  minWindows: number;
}

export const DEFAULT_WARMUP_CLASS_OPTIONS: Readonly<WarmupClassOptions> = {
  penaltyPerLogN: 15,
  minRelativeStep: 0.02,
  steadyTailFraction: 0.25,
  noiseFloor: 0.002,
  outlierSigmas: 5,
  outlierWindow: 7,
  minWindows: 8,
};

export interface WarmupClassification {
  class: WarmupClass;
  /** First window of the final steady segment (0 for flat); absent for `no-steady-state`. */
  steadyFromIndex?: number;
  /** Window indices where the merged segments start (0 excluded), ascending. */
  changepoints: number[];
  /** Geometric mean ns/op of each merged segment (over its non-outlier windows), in order. */
  segmentMeansNs: number[];
  /** Windows left out of the changepoint analysis as outliers. */
  outliers: number[];
  /** σ of one window, ln units (≈ relative). */
  noiseSd: number;
  /** Equivalence tolerance, ln units. */
  tolerance: number;
  /** Why the class was chosen, for people ("final segment starts at window 52 of 60…"). */
  reason: string;
  /** The method and its parameters, for the record. */
  method: string;
}

interface Segment {
  start: number;
  /** Sum and count of the ln values of its non-outlier windows. */
  sum: number;
  count: number;
}

const meanOf = (s: Segment): number => s.sum / s.count;

/**
 * Classifies `nsPerOp` (one positive value per window, in time order). Throws
 * ChangepointInputError (E_CHANGEPOINT_INPUT) for a non-positive or non-finite value.
 */
export function classifyWarmup(nsPerOp: readonly number[], options: Partial<WarmupClassOptions> = {}): WarmupClassification {
  const o = { ...DEFAULT_WARMUP_CLASS_OPTIONS, ...options };
  nsPerOp.forEach((v, i) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new ChangepointInputError(`window ${i} has ns/op ${v}: every window needs a positive finite value`);
  });
  const n = nsPerOp.length;
  const y = nsPerOp.map(Math.log);
  const noiseSd = Math.max(robustNoiseSd(y), o.noiseFloor);
  const tolerance = noiseSd + Math.max(noiseSd, Math.log1p(o.minRelativeStep));
  const tailWindows = Math.ceil(o.steadyTailFraction * n);
  const method =
    `PELT (Killick et al. 2012), Normal mean cost on ln(ns/op) with robust sigma ${lnPercent(noiseSd)} (MAD of first differences), ` +
    `penalty ${o.penaltyPerLogN}*ln(n) (Barrett et al. 2017); outliers beyond ${o.outlierSigmas} sigma of a ${o.outlierWindow}-window median left out; ` +
    `segments within ${lnPercent(tolerance)} merged; no steady state if the final segment holds < ${o.steadyTailFraction * 100}% of ${n} windows or drifts by more (Theil-Sen)`;
  const base = { noiseSd, tolerance, method };
  if (n < o.minWindows) {
    return { ...base, class: 'no-steady-state', changepoints: [], segmentMeansNs: n > 0 ? [Math.exp(median(y))] : [], outliers: [], reason: `${n} windows: at least ${o.minWindows} are needed to find a steady segment` };
  }

  const outliers = slidingMedianOutliers(y, noiseSd * o.outlierSigmas, o.outlierWindow);
  const isOutlier = new Uint8Array(n);
  for (const i of outliers) isOutlier[i] = 1;
  const keptIndex: number[] = [];
  for (let i = 0; i < n; i++) if (isOutlier[i] === 0) keptIndex.push(i);
  const kept = keptIndex.map((i) => y[i]!);
  const pelt = peltMean(kept, { penalty: o.penaltyPerLogN * Math.log(kept.length), sigma: noiseSd });

  // Segments on the original window indices: a segment starts at its first kept window (outliers
  // before it belong to the segment before).
  const starts = [0, ...pelt.changepoints.map((k) => keptIndex[k]!)];
  const bounds = [0, ...pelt.changepoints, kept.length];
  let segments: Segment[] = starts.map((start, s) => {
    let sum = 0;
    for (let k = bounds[s]!; k < bounds[s + 1]!; k++) sum += kept[k]!;
    return { start, sum, count: bounds[s + 1]! - bounds[s]! };
  });
  segments = mergeEquivalent(segments, tolerance);

  const final = segments[segments.length - 1]!;
  const finalMean = meanOf(final);
  const result = {
    ...base,
    changepoints: segments.slice(1).map((s) => s.start),
    segmentMeansNs: segments.map((s) => Math.exp(meanOf(s))),
    outliers,
  };
  const finalWindows = n - final.start;
  if (finalWindows < tailWindows) {
    return { ...result, class: 'no-steady-state', reason: `the final segment starts at window ${final.start} of ${n}: it holds fewer than ${tailWindows} windows (${o.steadyTailFraction * 100}%)` };
  }
  const finalKept = keptIndex.filter((i) => i >= final.start).map((i) => y[i]!);
  const drift = theilSenChange(finalKept);
  if (Math.abs(drift) > tolerance) {
    return {
      ...result,
      class: 'no-steady-state',
      reason: `the final segment (from window ${final.start}) drifts by ${lnPercent(drift, true)} from its start to its end (Theil–Sen; tolerance ${lnPercent(tolerance)})`,
    };
  }
  if (segments.length === 1) return { ...result, class: 'flat', steadyFromIndex: 0, reason: `one segment within ${lnPercent(tolerance)}` };
  const faster = segments.slice(0, -1).find((s) => meanOf(s) < finalMean - tolerance);
  if (faster !== undefined) {
    return {
      ...result,
      class: 'slowdown',
      steadyFromIndex: final.start,
      reason: `the segment from window ${faster.start} is ${lnPercent(finalMean - meanOf(faster))} faster than the final one (from window ${final.start})`,
    };
  }
  return { ...result, class: 'warmup', steadyFromIndex: final.start, reason: `no earlier segment is faster than the final one (from window ${final.start})` };
}

/**
 * Windows more than `threshold` (ln units) from the median of their `width`-window neighbourhood
 * (shifted to stay inside the series, so the ends get a full neighbourhood). The first
 * (width − 1)/2 windows are never outliers, as in warmup_stats: a warm-up of one or two windows at
 * the start is exactly what the classifier is for.
 */
export function slidingMedianOutliers(y: readonly number[], threshold: number, width: number): number[] {
  const n = y.length;
  const half = (width - 1) >> 1;
  const out: number[] = [];
  for (let i = half; i < n; i++) {
    const from = Math.max(0, Math.min(i - half, n - width));
    const neighbourhood = y.slice(from, Math.min(n, from + width));
    if (Math.abs(y[i]! - median(neighbourhood)) > threshold) out.push(i);
  }
  return out;
}

/**
 * Repeatedly merges the adjacent pair of segments whose means are closest while they are within
 * `tolerance`; means are recomputed from the merged windows.
 */
function mergeEquivalent(segments: Segment[], tolerance: number): Segment[] {
  const s = segments.slice();
  for (;;) {
    let bestK = -1;
    let bestGap = Infinity;
    for (let k = 0; k + 1 < s.length; k++) {
      const gap = Math.abs(meanOf(s[k]!) - meanOf(s[k + 1]!));
      if (gap <= tolerance && gap < bestGap) {
        bestGap = gap;
        bestK = k;
      }
    }
    if (bestK < 0) return s;
    const a = s[bestK]!;
    const b = s[bestK + 1]!;
    s.splice(bestK, 2, { start: a.start, sum: a.sum + b.sum, count: a.count + b.count });
  }
}

/**
 * Total change across `y` by its Theil–Sen slope (the median of all pairwise slopes; Theil 1950,
 * Sen 1968, JASA 63(324)) × (length − 1), ln units; 0 for fewer than 6 values. Robust to the odd
 * window the outlier rule let through, and it uses every window, unlike a comparison of two ends.
 */
export function theilSenChange(y: readonly number[]): number {
  const n = y.length;
  if (n < 6) return 0;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) slopes.push((y[j]! - y[i]!) / (j - i));
  return median(slopes) * (n - 1);
}

/** ln units as a percentage change: exp(x) − 1. */
export function lnPercent(x: number, signed = false): string {
  const p = (Math.expm1(x) * 100).toFixed(1);
  return `${signed && x > 0 ? '+' : ''}${p}%`;
}
