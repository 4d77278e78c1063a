/**
 * From A/A comparisons (the same code on both sides) to a noise threshold per metric, the observed
 * false-positive rate, and the smallest change the current plan can detect.
 *
 * Under A/A the true ratio is 1, so the log ratios of medians are pure noise with mean 0; their
 * root-mean-square s estimates the standard error of one comparison's log ratio. Then:
 * - noise threshold = exp(1.96·s) − 1: an A/A point estimate exceeds it about 5% of the time, and a
 *   verdict also needs p < alpha, so the false-positive rate stays below 5% per metric and cell;
 * - smallest detectable change ≈ exp((1.96 + 0.84)·s) − 1: a true change of that size puts the point
 *   estimate beyond the threshold with probability about 80% (one-sided normal power calculation;
 *   Cohen, "Statistical Power Analysis for the Behavioral Sciences", 1988, ch. 2).
 * Both rest on as many A/A comparisons as were run (runs × cells); with few, they are rough, and the
 * output says how many there were.
 */
import { belowResolutionBoth, decideVerdict, type ComparisonReport } from '../compare/compare-results.js';
import { METRIC_NAMES, METRICS, type MetricName } from '../../contract/metrics.js';

/** Thresholds are never set below this: sub-0.5% changes are below what forks on a shared machine resolve. */
export const MIN_THRESHOLD = 0.005;

export interface MetricNoise {
  metric: MetricName;
  comparisons: number;
  /** RMS of the A/A log ratios. */
  rmsLogRatio: number;
  threshold: number;
  smallestDetectable: number;
  /** Significant verdicts among the A/A comparisons, as they ran (default/--threshold thresholds). */
  falsePositivesAsRun: number;
  /** Significant verdicts the calibrated threshold would have given. */
  falsePositivesCalibrated: number;
}

export interface NoiseEstimate {
  perMetric: MetricNoise[];
  comparisons: number;
  falsePositiveRateAsRun: number;
  falsePositiveRateCalibrated: number;
}

export function estimateNoise(reports: readonly ComparisonReport[], alpha = 0.05): NoiseEstimate {
  const perMetric: MetricNoise[] = [];
  let total = 0;
  let fpRun = 0;
  let fpCal = 0;
  for (const metric of METRIC_NAMES) {
    // Rows whose medians both lie below the metric's resolution are left out: their ratios (e.g.
    // 0.01 vs 0.03 heap B/op) are not noise of the metric but of numbers next to zero.
    const rows = reports.flatMap((r) => r.cells.flatMap((c) => c.metrics.filter((m) => m.metric === metric && m.ratio !== null && !belowResolutionBoth(m))));
    if (rows.length === 0) continue;
    const rms = Math.sqrt(rows.reduce((acc, m) => acc + Math.log(m.ratio!.ratio) ** 2, 0) / rows.length);
    const threshold = Math.max(MIN_THRESHOLD, Math.expm1(1.96 * rms));
    const smallestDetectable = Math.max(threshold, Math.expm1((1.96 + 0.84) * rms));
    const significant = (v: string): boolean => v === 'improved' || v === 'regressed';
    const asRun = rows.filter((m) => significant(m.verdict)).length;
    const calibrated = rows.filter((m) => significant(decideVerdict(m.ratio, m.pAdjusted, alpha, threshold, METRICS[metric].higherIsBetter))).length;
    perMetric.push({ metric, comparisons: rows.length, rmsLogRatio: rms, threshold, smallestDetectable, falsePositivesAsRun: asRun, falsePositivesCalibrated: calibrated });
    total += rows.length;
    fpRun += asRun;
    fpCal += calibrated;
  }
  return {
    perMetric,
    comparisons: total,
    falsePositiveRateAsRun: total === 0 ? 0 : fpRun / total,
    falsePositiveRateCalibrated: total === 0 ? 0 : fpCal / total,
  };
}

export function formatNoise(estimate: NoiseEstimate, plan: { forks: number; durationMs: number; repeats: number }): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const rows = [['metric', 'A/A comparisons', 'noise (rms)', 'threshold', 'smallest detectable', 'false positives (as run -> calibrated)']];
  for (const m of estimate.perMetric) {
    rows.push([METRICS[m.metric].label, String(m.comparisons), pct(Math.expm1(m.rmsLogRatio)), pct(m.threshold), pct(m.smallestDetectable), `${m.falsePositivesAsRun} -> ${m.falsePositivesCalibrated}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  return [
    `A/A calibration: ${plan.repeats} paired run(s), ${plan.forks} forks per side, ${plan.durationMs} ms measured per fork`,
    ...table,
    `false-positive rate over all metrics: ${pct(estimate.falsePositiveRateAsRun)} as run, ${pct(estimate.falsePositiveRateCalibrated)} with the calibrated thresholds`,
  ].join('\n') + '\n';
}
