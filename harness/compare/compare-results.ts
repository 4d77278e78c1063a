/**
 * The comparison itself: per cell (matched by id) and per metric, the ratio of medians head/base
 * with a bootstrap 95% interval, a Mann-Whitney p-value corrected across cells, and a verdict; a
 * geometric-mean summary per suite; the deterministic counts compared exactly.
 *
 * Verdict rule (DESIGN.md "Statistics": a verdict only where the interval clears the noise
 * threshold). With t the metric's noise threshold and r the ratio head/base:
 * - improved / regressed: the corrected p-value is below alpha, the 95% interval excludes 1, and the
 *   change |ln r| exceeds ln(1 + t) (smaller changes are within the noise, whatever the p-value);
 * - no change: the whole interval lies inside the noise band [1/(1+t), 1+t];
 * - inconclusive: anything else (too few forks, too much noise, or a ratio to zero).
 * The band is symmetric in log space, so swapping base and head swaps improved and regressed.
 * `verdictRule: 'interval'` (compare --verdict-rule interval) is the stricter reading: the whole 95%
 * interval, not only the point estimate, must lie beyond the threshold.
 */
import type { CellResult, ForkRecord, ResultFile } from '../result-schema.js';
import { bootstrapGeometricMeanRatio, bootstrapRatioOfMedians, DEFAULT_RESAMPLES, type RatioEstimate } from './bootstrap-ratio.js';
import { NothingToCompareError } from './errors.js';
import { checkEnvironments } from './load-result.js';
import { mannWhitneyU } from './mann-whitney.js';
import { COUNT_NAMES, METRIC_NAMES, METRICS, readCount, type CountName, type MetricName } from './metrics.js';
import { adjustPValues, type Correction } from './multiple-testing.js';
import { seedFromString } from '../stats/prng.js';
import { median } from './sample-stats.js';

export type Verdict = 'improved' | 'regressed' | 'no change' | 'inconclusive';

export interface ThresholdSetting {
  /** Fraction, e.g. 0.02 for 2%. */
  threshold: number;
  /** Where it came from, said in the output: "--threshold", "default", "noise file PATH". */
  source: string;
}

export interface CompareOptions {
  alpha: number;
  correction: Correction;
  thresholds: Record<MetricName, ThresholdSetting>;
  /** Metrics whose regression makes the exit code 1. */
  gate: MetricName[];
  /** Exit 1 when a deterministic count increases. */
  gateCounts: boolean;
  force: boolean;
  resamples: number;
  /** Shown in the output (paths or labels of the two files). */
  labels: [string, string];
  /** 'point' (default): the point estimate must exceed the threshold; 'interval': the whole interval must. */
  verdictRule: VerdictRule;
}

export type VerdictRule = 'point' | 'interval';

export function defaultThresholds(source = 'default'): Record<MetricName, ThresholdSetting> {
  const out = {} as Record<MetricName, ThresholdSetting>;
  for (const name of METRIC_NAMES) out[name] = { threshold: METRICS[name].defaultThreshold, source };
  return out;
}

export function uniformThresholds(threshold: number, source: string): Record<MetricName, ThresholdSetting> {
  const out = {} as Record<MetricName, ThresholdSetting>;
  for (const name of METRIC_NAMES) out[name] = { threshold, source };
  return out;
}

export function defaultCompareOptions(overrides: Partial<CompareOptions> = {}): CompareOptions {
  return {
    alpha: 0.05,
    correction: 'holm',
    thresholds: defaultThresholds(),
    gate: [...METRIC_NAMES],
    gateCounts: false,
    force: false,
    resamples: DEFAULT_RESAMPLES,
    labels: ['base', 'head'],
    verdictRule: 'point',
    ...overrides,
  };
}

export interface MetricComparison {
  metric: MetricName;
  baseMedian: number;
  headMedian: number;
  baseForks: number;
  headForks: number;
  /** head/base ratio of medians and its 95% interval; null when a median is not positive. */
  ratio: RatioEstimate | null;
  pValue: number;
  pAdjusted: number;
  test: 'exact' | 'normal';
  threshold: number;
  verdict: Verdict;
  /** The metric's word for the verdict: faster/slower, less/more, no change, inconclusive. */
  verdictLabel: string;
}

export interface CountComparison {
  count: CountName;
  base: number;
  head: number;
  /** 'equal' | 'increased' | 'decreased'; 'varies' when forks of one side disagree (not deterministic). */
  status: 'equal' | 'increased' | 'decreased' | 'varies';
}

export interface CellComparison {
  id: string;
  state: 'compared' | 'only-base' | 'only-head' | 'not-completed';
  /** Why a cell was not compared. */
  note?: string;
  metrics: MetricComparison[];
  counts: CountComparison[];
}

export interface SuiteSummary {
  suite: string;
  metric: MetricName;
  cells: number;
  geomean: RatioEstimate;
  /** Verdict of the geometric mean by the interval and threshold alone (no p-value exists for it). */
  verdict: Verdict;
  verdictLabel: string;
}

export interface Regression {
  id: string;
  what: string;
  detail: string;
}

export interface ComparisonReport {
  base: { label: string; suite: string; commit: string | null; cpuModel: string; node: string };
  head: { label: string; suite: string; commit: string | null; cpuModel: string; node: string };
  alpha: number;
  correction: Correction;
  thresholds: Record<MetricName, ThresholdSetting>;
  gate: MetricName[];
  gateCounts: boolean;
  cells: CellComparison[];
  summaries: SuiteSummary[];
  regressions: Regression[];
  countRegressions: Regression[];
  warnings: string[];
  /** 1 when a gated metric or (with gateCounts) a count regressed, else 0. */
  exitCode: 0 | 1;
}

/** Relative tolerance for "exactly equal" counts: only floating-point noise of counter / ops. */
const COUNT_TOLERANCE = 1e-9;

function countsEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= COUNT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The verdict rule of the module comment. */
export function decideVerdict(
  ratio: RatioEstimate | null,
  pAdjusted: number,
  alpha: number,
  threshold: number,
  higherIsBetter: boolean,
  rule: VerdictRule = 'point',
): Verdict {
  if (ratio === null) return 'inconclusive';
  const band = Math.log1p(threshold);
  const [lo, hi] = ratio.ci95;
  const logRatio = Math.log(ratio.ratio);
  const excludesOne = lo > 1 || hi < 1;
  const beyond = rule === 'point' ? Math.abs(logRatio) > band : Math.log(lo) > band || Math.log(hi) < -band;
  if (pAdjusted < alpha && excludesOne && beyond) {
    const up = logRatio > 0;
    return up === higherIsBetter ? 'improved' : 'regressed';
  }
  if (Math.log(lo) >= -band && Math.log(hi) <= band) return 'no change';
  return 'inconclusive';
}

export function verdictLabel(verdict: Verdict, metric: MetricName): string {
  if (verdict === 'improved') return METRICS[metric].improvedWord;
  if (verdict === 'regressed') return METRICS[metric].regressedWord;
  return verdict;
}

function forkValues(forks: readonly ForkRecord[], metric: MetricName): number[] {
  const out: number[] = [];
  for (const f of forks) {
    const v = METRICS[metric].read(f);
    if (v !== undefined) out.push(v);
  }
  return out;
}

function compareCounts(base: readonly ForkRecord[], head: readonly ForkRecord[]): CountComparison[] {
  const out: CountComparison[] = [];
  for (const name of COUNT_NAMES) {
    const b = base.map((f) => readCount(f, name)).filter((v): v is number => v !== undefined);
    const h = head.map((f) => readCount(f, name)).filter((v): v is number => v !== undefined);
    if (b.length === 0 || h.length === 0) continue;
    const bm = median(b);
    const hm = median(h);
    const deterministic = b.every((v) => countsEqual(v, b[0]!)) && h.every((v) => countsEqual(v, h[0]!));
    const status = !deterministic ? 'varies' : countsEqual(bm, hm) ? 'equal' : hm > bm ? 'increased' : 'decreased';
    out.push({ count: name, base: bm, head: hm, status });
  }
  return out;
}

function minimumTwoSidedP(n1: number, n2: number): number {
  // 2 / C(n1 + n2, n1): the most extreme rank arrangement (no ties).
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

function describeFile(file: ResultFile, label: string): ComparisonReport['base'] {
  return { label, suite: file.suite, commit: file.environment.git?.commit ?? null, cpuModel: file.environment.cpuModel, node: file.environment.node };
}

/** Compares two checked result files (see loadResultFile). Throws on mismatched environments unless `force`. */
export function compareResults(base: ResultFile, head: ResultFile, options: CompareOptions): ComparisonReport {
  const warnings = checkEnvironments(base, head, options.force, options.labels);
  if (base.suite !== head.suite) warnings.push(`suites differ (${base.suite} vs ${head.suite}); cells are matched by id`);
  const headById = new Map<string, CellResult>(head.cells.map((c) => [c.id, c]));
  const baseIds = new Set(base.cells.map((c) => c.id));
  const cells: CellComparison[] = [];
  const pending: Array<{ cell: CellComparison; base: CellResult; head: CellResult }> = [];
  for (const b of base.cells) {
    const h = headById.get(b.id);
    if (h === undefined) {
      cells.push({ id: b.id, state: 'only-base', note: `only in ${options.labels[0]}`, metrics: [], counts: [] });
      continue;
    }
    if (b.state !== 'completed' || h.state !== 'completed' || b.forks.length === 0 || h.forks.length === 0) {
      const which = [b.state !== 'completed' ? `${options.labels[0]} ${b.state}` : '', h.state !== 'completed' ? `${options.labels[1]} ${h.state}` : '']
        .filter((s) => s !== '')
        .join(', ');
      cells.push({ id: b.id, state: 'not-completed', note: which === '' ? 'no forks' : which, metrics: [], counts: [] });
      continue;
    }
    const cell: CellComparison = { id: b.id, state: 'compared', metrics: [], counts: compareCounts(b.forks, h.forks) };
    cells.push(cell);
    pending.push({ cell, base: b, head: h });
  }
  for (const h of head.cells) {
    if (!baseIds.has(h.id)) cells.push({ id: h.id, state: 'only-head', note: `only in ${options.labels[1]}`, metrics: [], counts: [] });
  }
  if (pending.length === 0) {
    throw new NothingToCompareError(
      `no completed cell is in both ${options.labels[0]} and ${options.labels[1]}; check that both runs used the same suite and filters`,
    );
  }

  let smallestForks = Infinity;
  for (const metric of METRIC_NAMES) {
    const rows: Array<{ cell: CellComparison; row: Omit<MetricComparison, 'pAdjusted' | 'verdict' | 'verdictLabel'> }> = [];
    for (const p of pending) {
      const bv = forkValues(p.base.forks, metric);
      const hv = forkValues(p.head.forks, metric);
      if (bv.length === 0 || hv.length === 0) continue;
      // Skip metrics a workload does not have (bytes/s of a payload-less operation).
      if (bv.every((v) => v === 0) && hv.every((v) => v === 0) && metric === 'bytesPerSec') continue;
      smallestForks = Math.min(smallestForks, bv.length, hv.length);
      const mw = mannWhitneyU(hv, bv);
      const ratio = bootstrapRatioOfMedians(bv, hv, { resamples: options.resamples, seed: seedFromString(`${p.cell.id}|${metric}`) });
      rows.push({
        cell: p.cell,
        row: {
          metric,
          baseMedian: median(bv),
          headMedian: median(hv),
          baseForks: bv.length,
          headForks: hv.length,
          ratio,
          pValue: mw.pValue,
          test: mw.method,
          threshold: options.thresholds[metric].threshold,
        },
      });
    }
    // Holm across the cells compared on this metric: one family per metric.
    const adjusted = adjustPValues(rows.map((r) => r.row.pValue), options.correction);
    rows.forEach(({ cell, row }, i) => {
      const pAdjusted = adjusted[i]!;
      // Median 0 on both sides and no rank difference at all (e.g. no ArrayBuffer bytes): no change.
      const zeroBoth = row.ratio === null && row.baseMedian === 0 && row.headMedian === 0 && row.pValue === 1;
      const verdict = zeroBoth ? 'no change' : decideVerdict(row.ratio, pAdjusted, options.alpha, row.threshold, METRICS[metric].higherIsBetter, options.verdictRule);
      cell.metrics.push({ ...row, pAdjusted, verdict, verdictLabel: verdictLabel(verdict, metric) });
    });
  }

  const summaries: SuiteSummary[] = [];
  for (const metric of METRIC_NAMES) {
    const pairs: Array<{ base: number[]; head: number[] }> = [];
    for (const p of pending) {
      const bv = forkValues(p.base.forks, metric);
      const hv = forkValues(p.head.forks, metric);
      if (bv.length === 0 || hv.length === 0 || !(median(bv) > 0) || !(median(hv) > 0)) continue;
      pairs.push({ base: bv, head: hv });
    }
    const geomean = bootstrapGeometricMeanRatio(pairs, { resamples: options.resamples, seed: seedFromString(`${head.suite}|${metric}|geomean`) });
    if (geomean === null) continue;
    // The geometric mean has no rank test of its own: its verdict uses the interval alone.
    const verdict = decideVerdict(geomean, 0, 1, options.thresholds[metric].threshold, METRICS[metric].higherIsBetter, options.verdictRule);
    summaries.push({ suite: head.suite, metric, cells: pairs.length, geomean, verdict, verdictLabel: verdictLabel(verdict, metric) });
  }

  if (Number.isFinite(smallestForks)) {
    // Holm's smallest adjusted p-value is m × the smallest raw one (Bonferroni's, for the first step).
    const cellsCompared = pending.length;
    const factor = options.correction === 'holm' ? cellsCompared : 1;
    const minP = Math.min(1, minimumTwoSidedP(smallestForks, smallestForks) * factor);
    if (minP >= options.alpha) {
      let needed = smallestForks;
      while (needed < 50 && minimumTwoSidedP(needed, needed) * factor >= options.alpha) needed++;
      const across = factor > 1 ? ` after correcting for ${cellsCompared} cells` : '';
      warnings.push(
        `only ${smallestForks} fork(s) per side: the smallest p-value possible${across} is ${minP.toPrecision(2)} >= alpha ${options.alpha}, so no change can be significant; run with --forks ${needed} or more`,
      );
    }
  }

  const regressions: Regression[] = [];
  for (const cell of cells) {
    for (const m of cell.metrics) {
      if (m.verdict === 'regressed' && options.gate.includes(m.metric)) {
        regressions.push({
          id: cell.id,
          what: METRICS[m.metric].label,
          detail: `${METRICS[m.metric].regressedWord}: ratio ${m.ratio!.ratio.toFixed(4)} [${m.ratio!.ci95[0].toFixed(4)}, ${m.ratio!.ci95[1].toFixed(4)}], p(adj) ${m.pAdjusted.toPrecision(2)}`,
        });
      }
    }
  }
  const countRegressions: Regression[] = [];
  for (const cell of cells) {
    for (const c of cell.counts) {
      if (c.status === 'increased') countRegressions.push({ id: cell.id, what: c.count, detail: `${c.base} -> ${c.head} per op` });
      if (c.status === 'varies') warnings.push(`${cell.id}: ${c.count} per op differs between forks of one side, so it is not deterministic and cannot gate`);
    }
  }
  const exitCode = regressions.length > 0 || (options.gateCounts && countRegressions.length > 0) ? 1 : 0;
  return {
    base: describeFile(base, options.labels[0]),
    head: describeFile(head, options.labels[1]),
    alpha: options.alpha,
    correction: options.correction,
    thresholds: options.thresholds,
    gate: options.gate,
    gateCounts: options.gateCounts,
    cells,
    summaries,
    regressions,
    countRegressions,
    warnings,
    exitCode,
  };
}
