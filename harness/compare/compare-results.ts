/**
 * The comparison itself: per cell (matched by id) and per metric, the change head/base with a
 * bootstrap 95% interval, a rank-test p-value corrected across cells, and a verdict; a
 * geometric-mean summary per suite; the deterministic counts compared exactly.
 *
 * Two designs, chosen per pair of files (`report.design` says which and why):
 * - paired, when both files are the two sides of one paired run (the same `pairedRun.id`: written by
 *   `--baseline`, calibrate and the validation experiment): forks are paired by fork index (fork i of
 *   each side ran back to back), the change is the median of the per-pair ratios with a bootstrap
 *   over pairs, and the p-value is the Wilcoxon signed-rank test of the per-pair log ratios. Drift of
 *   the machine between fork rounds cancels inside each pair (see wilcoxon-signed-rank.ts for the
 *   figures that made this the default). A metric with a non-positive value in some fork (no ratio)
 *   falls back to the unpaired design for that row.
 * - unpaired, otherwise (two separate runs, or `--unpaired`): the ratio of medians with a
 *   two-sample bootstrap and the Mann-Whitney U test.
 *
 * Verdict rule (DESIGN.md "Statistics": a verdict only where the interval clears the noise
 * threshold; a three-way answer). With t the metric's noise threshold and r the ratio head/base:
 * - improved / regressed (faster/slower, less/more): the corrected p-value is below alpha, the 95%
 *   interval excludes 1, and the change |ln r| exceeds ln(1 + t) (smaller changes are within the
 *   noise, whatever the p-value);
 * - same (within ±t): the equivalence test (TOST, equivalence.ts) rejects "|ln r| >= ln(1 + t)" at
 *   alpha — or both values are exactly 0, or their difference is below the metric's resolution;
 * - inconclusive: anything else (too few forks, too much noise, or a ratio to zero).
 * Each row also carries its minimum detectable effect (equivalence.ts): the change the run would
 * have caught with 80% probability, so "inconclusive" says how blind the run was.
 * The band is symmetric in log space, so swapping base and head swaps improved and regressed.
 * `verdictRule: 'interval'` (compare --verdict-rule interval) is the stricter reading: the whole 95%
 * interval, not only the point estimate, must lie beyond the threshold.
 *
 * Gate (exit 1): a gated metric regressed; a cell that completed in base errored in head (a crash is
 * the worst regression, and "not compared" must not pass it); an exact count (strategy allocations,
 * copies… per op) increased, unless `gateCounts` is off (compare --no-gate-counts).
 *
 * Geometric-mean rows obey the same three-way rule, with the cells as the units (summaryVerdict).
 */
import type { CellResult, ForkRecord, ResultFile } from '../../contract/result-schema.js';
import { bootstrapGeometricMeanRatio, bootstrapPairedRatio, bootstrapRatioOfMedians, DEFAULT_RESAMPLES, type GeomeanCell, type RatioEstimate } from '../stats/bootstrap-ratio.js';
import { NothingToCompareError } from './errors.js';
import { sharedShift, type SharedShift } from './shared-shift.js';
import { checkCellRuntimes, checkEnvironments } from './environment-check.js';
import { checkInstructionSources } from './instruction-source.js';
import { mannWhitneyU } from './mann-whitney.js';
import { forksForTarget, minimumDetectableEffect, standardErrorLog, tostPaired, tostUnpaired } from './equivalence.js';
import { COUNT_NAMES, METRIC_NAMES, METRICS, readCount, type CountName, type MetricName } from '../../contract/metrics.js';
import { adjustPValues, type Correction } from './multiple-testing.js';
import { seedFromString } from '../stats/prng.js';
import { median } from '../stats/sample-stats.js';
import { minimumSignedRankP, wilcoxonSignedRank } from './wilcoxon-signed-rank.js';

export type Verdict = 'improved' | 'regressed' | 'same' | 'inconclusive';

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
  /** Exit 1 when a deterministic count increases (default true; compare --no-gate-counts turns it off). */
  gateCounts: boolean;
  /** The change (fraction) the output says how many forks would detect (compare --detect PCT; default 5%). */
  detectTarget: number;
  force: boolean;
  resamples: number;
  /** Shown in the output (paths or labels of the two files). */
  labels: [string, string];
  /** 'point' (default): the point estimate must exceed the threshold; 'interval': the whole interval must. */
  verdictRule: VerdictRule;
  /** 'auto' (default): paired when the files are the two sides of one paired run; 'unpaired': never. */
  pairing: PairingChoice;
  /**
   * Separate runs, timed metrics: 'shared' (default) judges each cell against the shift all cells
   * share and withholds verdicts when fewer than MIN_CELLS_FOR_SHIFT cells make it estimable
   * (shared-shift.ts); 'assume-none' (compare --assume-no-run-shift) trusts that the two runs saw the
   * same machine, as a paired run would, and says so in the output.
   */
  runShift: 'shared' | 'assume-none';
}

export type PairingChoice = 'auto' | 'unpaired';

export interface DesignInfo {
  kind: 'paired' | 'unpaired';
  /** Why this design, said in the output. */
  why: string;
  /**
   * True when the files come from separate runs (not the two sides of one paired run, whose forks
   * ran interleaved on the same machine): only then can a shift shared by all cells be the machine's.
   */
  separateRuns: boolean;
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
    gateCounts: true,
    detectTarget: 0.05,
    force: false,
    resamples: DEFAULT_RESAMPLES,
    labels: ['base', 'head'],
    verdictRule: 'point',
    pairing: 'auto',
    runShift: 'shared',
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
  /** paired: median of per-pair ratios + Wilcoxon signed-rank; unpaired: ratio of medians + Mann-Whitney U. */
  design: 'paired' | 'unpaired';
  /** Fork pairs used (paired design), else 0. */
  pairs: number;
  /** The absolute resolution applied (metrics.ts `resolution`), in the metric's unit, if the metric has one. */
  resolution?: number;
  threshold: number;
  /** TOST p-value of "the change lies outside ±threshold" (equivalence.ts); below alpha: same. */
  equivalenceP: number;
  /** Minimum detectable effect (fraction, equivalence.ts); null: these forks cannot reach significance. */
  mde: number | null;
  /**
   * Separate runs, timed metric (shared-shift.ts): the head/base factor shared by all cells, divided
   * out of the head values before this row's ratio, test and verdict; `baseMedian`/`headMedian` stay
   * as measured. Absent when no shift was removed.
   */
  sharedShift?: number;
  verdict: Verdict;
  /** The metric's word for the verdict: faster/slower, less/more, same, inconclusive. */
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
  /** 'errored-in-head': completed in base, errored in head (fails the gate). */
  state: 'compared' | 'only-base' | 'only-head' | 'not-completed' | 'errored-in-head';
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
  /** Signed-rank p-value of the cells' log ratios (cells as the units); null when not tested (unpaired). */
  pValue: number | null;
  /** TOST p-value over the cells (same rule as a cell); null when not tested. */
  equivalenceP: number | null;
  /** See summaryVerdict. */
  verdict: Verdict;
  verdictLabel: string;
  /** Why the verdict is what it is, said in the output. */
  why: string;
}

/** Per metric: how small a change this run could detect, and the forks a target change needs. */
export interface MetricDetection {
  metric: MetricName;
  /** Median MDE (fraction) over the rows that can reach significance; null when none can. */
  medianMde: number | null;
  /** Rows whose forks cannot reach significance at all. */
  blindRows: number;
  rows: number;
  /** Forks (per side, or pairs) used by the rows (the smallest). */
  forks: number;
  /** Forks per side (pairs) at which the median row would detect `target`; null: not computable. */
  forksForTarget: number | null;
  target: number;
}

export interface Regression {
  id: string;
  what: string;
  detail: string;
}

export interface ComparisonReport {
  base: { label: string; suite: string; commit: string | null; cpuModel: string; node: string };
  head: { label: string; suite: string; commit: string | null; cpuModel: string; node: string };
  design: DesignInfo;
  alpha: number;
  correction: Correction;
  thresholds: Record<MetricName, ThresholdSetting>;
  gate: MetricName[];
  gateCounts: boolean;
  cells: CellComparison[];
  summaries: SuiteSummary[];
  regressions: Regression[];
  countRegressions: Regression[];
  /** Cells that completed in base and errored in head: always fail the gate. */
  erroredInHead: Regression[];
  detection: MetricDetection[];
  /**
   * Separate runs (unpaired design): per timed metric, the shift shared by the cells that was removed
   * before the per-cell verdicts, or `factor: null` when too few cells made it estimable and those
   * verdicts were withheld (shared-shift.ts).
   */
  sharedShifts: Array<SharedShift & { metric: MetricName }>;
  runShift: CompareOptions['runShift'];
  warnings: string[];
  /** 1 when a gated metric regressed, a cell errored in head, or (with gateCounts) a count rose, else 0. */
  exitCode: 0 | 1;
}

/** Relative tolerance for "exactly equal" counts: only floating-point noise of counter / ops. */
const COUNT_TOLERANCE = 1e-9;

function countsEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= COUNT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The verdict rule of the module comment; `equivalenceP` is the row's TOST p-value (1: not tested). */
export function decideVerdict(
  ratio: RatioEstimate | null,
  pAdjusted: number,
  alpha: number,
  threshold: number,
  higherIsBetter: boolean,
  rule: VerdictRule = 'point',
  equivalenceP = 1,
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
  if (equivalenceP < alpha) return 'same';
  return 'inconclusive';
}

export function verdictLabel(verdict: Verdict, metric: MetricName, threshold?: number): string {
  if (verdict === 'improved') return METRICS[metric].improvedWord;
  if (verdict === 'regressed') return METRICS[metric].regressedWord;
  if (verdict === 'same' && threshold !== undefined) return `same ±${Number((threshold * 100).toPrecision(3))}%`;
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

/** The metric's absolute resolution for this cell, from the smallest batch size among its forks. */
function resolutionOf(metric: MetricName, p: { base: CellResult; head: CellResult }): { resolution?: number } {
  const at = METRICS[metric].resolution;
  if (at === undefined) return {};
  const batch = Math.min(...[...p.base.forks, ...p.head.forks].map((f) => (typeof f.batchSize === 'number' && f.batchSize > 0 ? f.batchSize : 1)));
  return { resolution: at(batch) };
}

/** True when both medians lie below the row's resolution (their ratio says nothing). */
export function belowResolutionBoth(m: Pick<MetricComparison, 'baseMedian' | 'headMedian' | 'resolution'>): boolean {
  return m.resolution !== undefined && Math.abs(m.baseMedian) < m.resolution && Math.abs(m.headMedian) < m.resolution;
}

/**
 * Fork pairs of a paired run for one metric: fork i of base with fork i of head, when both exist
 * and both have the value. Null when a value is not positive (no ratio: the row goes unpaired) or
 * no pair exists.
 */
function forkPairs(baseForks: readonly ForkRecord[], headForks: readonly ForkRecord[], metric: MetricName): { base: number[]; head: number[] } | null {
  const headByIndex = new Map<number, ForkRecord>(headForks.map((f) => [f.forkIndex, f]));
  const base: number[] = [];
  const head: number[] = [];
  for (const bf of baseForks) {
    const hf = headByIndex.get(bf.forkIndex);
    if (hf === undefined) continue;
    const b = METRICS[metric].read(bf);
    const h = METRICS[metric].read(hf);
    if (b === undefined || h === undefined) continue;
    if (!(b > 0) || !(h > 0)) return null;
    base.push(b);
    head.push(h);
  }
  return base.length === 0 ? null : { base, head };
}

/**
 * Paired or unpaired, decided before any value is looked at (from the files' pairing, the number of
 * fork pairs and of cells only, so the choice cannot favour a verdict). The signed-rank test of n
 * pairs cannot give a p-value below 2/2^n, and Holm multiplies the smallest by the number of cells:
 * when even that floor is not below alpha, a paired comparison could never be significant, so the
 * files are compared unpaired (whose floor, 2/C(2n, n), is far lower) and the output says how many
 * forks a paired comparison would need.
 */
function chooseDesign(
  base: ResultFile,
  head: ResultFile,
  options: CompareOptions,
  pending: ReadonlyArray<{ base: CellResult; head: CellResult }>,
): { info: DesignInfo; warning: string | null } {
  const a = base.pairedRun;
  const b = head.pairedRun;
  const separateRuns = !(a !== undefined && b !== undefined && a.id === b.id && a.side !== b.side);
  const unpaired = (why: string): DesignInfo => ({ kind: 'unpaired', why, separateRuns });
  if (options.pairing === 'unpaired') return { info: unpaired('--unpaired'), warning: null };
  if (a === undefined || b === undefined) return { info: unpaired('the files are not the two sides of one paired run'), warning: null };
  if (a.id !== b.id) return { info: unpaired(`the files come from different paired runs (${a.id}; ${b.id})`), warning: null };
  if (a.side === b.side) {
    return {
      info: unpaired(`both files are side '${a.side}' of one paired run`),
      warning: `both files are side '${a.side}' of paired run ${a.id}: compared unpaired; did you mean its other side's file?`,
    };
  }
  let pairs = Infinity;
  for (const p of pending) {
    const headIndices = new Set(p.head.forks.map((f) => f.forkIndex));
    pairs = Math.min(pairs, p.base.forks.filter((f) => headIndices.has(f.forkIndex)).length);
  }
  const factor = options.correction === 'holm' ? pending.length : 1;
  if (Number.isFinite(pairs) && minimumSignedRankP(pairs) * factor >= options.alpha) {
    const needed = pairedForksNeeded(pending.length, options.alpha, options.correction);
    const across = factor > 1 ? ` across ${pending.length} cells (Holm)` : '';
    return {
      info: { kind: 'unpaired', separateRuns: false, why: `sides of one paired run, but ${pairs} fork pair(s) cannot reach p < ${options.alpha}${across} with a signed-rank test; --forks ${needed} compares them paired` },
      warning: null,
    };
  }
  return { info: { kind: 'paired', separateRuns: false, why: `both files are sides of paired run ${a.id} (forks paired by fork index)` }, warning: null };
}

/**
 * The fewest fork pairs with which a paired comparison of `cells` cells can reach significance: the
 * signed-rank floor 2/2^n times Holm's first-step factor (the number of cells) must be below alpha.
 * Used by chooseDesign and by the bench's `--baseline` plan (and the CI workflow) to choose forks.
 */
export function pairedForksNeeded(cells: number, alpha = 0.05, correction: Correction = 'holm'): number {
  const factor = correction === 'holm' ? Math.max(1, cells) : 1;
  let n = 1;
  while (n < 64 && minimumSignedRankP(n) * factor >= alpha) n++;
  return n;
}

/** The most cells a paired comparison with `pairs` fork pairs can hold and still reach alpha under Holm. */
export function pairedCellsReachable(pairs: number, alpha = 0.05): number {
  // 2/2^n · m < alpha  <=>  m < alpha · 2^(n−1).
  return Math.max(0, Math.ceil(alpha * 2 ** (pairs - 1)) - 1);
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

/** Compares two checked result files (see contract/read-result.ts). Throws on mismatched environments unless `force`. */
export function compareResults(base: ResultFile, head: ResultFile, options: CompareOptions): ComparisonReport {
  const warnings = checkEnvironments(base, head, options.force, options.labels);
  warnings.push(...checkInstructionSources(base, head, options.force, options.labels));
  warnings.push(...checkCellRuntimes(base, head, options.force, options.labels));
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
    if (b.state === 'completed' && h.state === 'errored') {
      // A crash is the worst regression: it must fail the gate, not vanish as "not compared".
      const why = h.error === undefined ? 'errored' : `errored: [${h.error.code}] ${h.error.message}`;
      cells.push({ id: b.id, state: 'errored-in-head', note: `completed in ${options.labels[0]}, ${why} in ${options.labels[1]}`, metrics: [], counts: [] });
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
  if (pending.length === 0 && !cells.some((c) => c.state === 'errored-in-head')) {
    throw new NothingToCompareError(
      `no completed cell is in both ${options.labels[0]} and ${options.labels[1]}; check that both runs used the same suite and filters`,
    );
  }

  const design = chooseDesign(base, head, options, pending);
  if (design.warning !== null) warnings.push(design.warning);
  /** Per cell and metric: the fork pairs, when this row is compared paired. */
  const pairedRows = new Map<string, { base: number[]; head: number[] }>();
  const samplesOf = (p: { base: CellResult; head: CellResult }, metric: MetricName): { base: number[]; head: number[]; paired: boolean } => {
    if (design.info.kind === 'paired') {
      const pairs = forkPairs(p.base.forks, p.head.forks, metric);
      if (pairs !== null) return { ...pairs, paired: true };
    }
    return { base: forkValues(p.base.forks, metric), head: forkValues(p.head.forks, metric), paired: false };
  };

  // The largest "smallest possible p-value" over the rows: when even that is not below alpha after
  // correction, no verdict can be significant, and the output says how many forks would be needed.
  let worstMinP: { p: number; paired: boolean; n: number } | null = null;
  const detection: MetricDetection[] = [];
  const sharedShifts: ComparisonReport['sharedShifts'] = [];
  for (const metric of METRIC_NAMES) {
    const rows: Array<{ cell: CellComparison; minP: number; row: Omit<MetricComparison, 'pAdjusted' | 'verdict' | 'verdictLabel' | 'mde'> }> = [];
    const marginLog = Math.log1p(options.thresholds[metric].threshold);
    const def = METRICS[metric];
    // Separate runs: a timed metric's cells are judged against the shift they all share.
    const samples = pending.map((p) => samplesOf(p, metric));
    const shift = design.info.separateRuns && options.runShift === 'shared' && def.kind === 'measured' && def.timed === true ? sharedShift(samples) : null;
    if (shift !== null && shift.cells > 0) sharedShifts.push({ metric, ...shift });
    const factor = shift?.factor ?? null;
    // Separate runs with too few cells to estimate their shared shift: no verdict on this timed metric,
    // and no forks advice from its rows (no number of forks could give one).
    const withheld = shift !== null && shift.factor === null;
    for (const [k, p] of pending.entries()) {
      const sample = samples[k]!;
      const bv = sample.base;
      const hv = factor === null ? sample.head : sample.head.map((v) => v / factor);
      if (bv.length === 0 || hv.length === 0) continue;
      // Skip metrics a workload does not have (bytes/s of a payload-less operation).
      if (bv.every((v) => v === 0) && hv.every((v) => v === 0) && metric === 'bytesPerSec') continue;
      const seed = seedFromString(`${p.cell.id}|${metric}`);
      let ratio: RatioEstimate | null;
      let pValue: number;
      let test: 'exact' | 'normal';
      let minP: number;
      // TOST needs logs: only where every value is positive (else 1: equivalence not shown by ranks).
      const positive = bv.every((v) => v > 0) && hv.every((v) => v > 0);
      let equivalenceP = 1;
      if (sample.paired) {
        pairedRows.set(`${p.cell.id}|${metric}`, { base: bv, head: hv });
        ratio = bootstrapPairedRatio(bv, hv, { resamples: options.resamples, seed });
        const logRatios = bv.map((b, i) => Math.log(hv[i]!) - Math.log(b));
        const w = wilcoxonSignedRank(logRatios);
        pValue = w.pValue;
        test = w.method;
        minP = minimumSignedRankP(bv.length);
        equivalenceP = tostPaired(logRatios, marginLog);
      } else {
        const mw = mannWhitneyU(hv, bv);
        ratio = bootstrapRatioOfMedians(bv, hv, { resamples: options.resamples, seed });
        pValue = mw.pValue;
        test = mw.method;
        minP = minimumTwoSidedP(bv.length, hv.length);
        if (positive) equivalenceP = tostUnpaired(bv, hv, marginLog);
      }
      if (!withheld && (worstMinP === null || minP > worstMinP.p)) worstMinP = { p: minP, paired: sample.paired, n: Math.min(bv.length, hv.length) };
      rows.push({
        cell: p.cell,
        minP,
        row: {
          metric,
          baseMedian: median(bv),
          headMedian: median(sample.head),
          baseForks: bv.length,
          headForks: hv.length,
          ratio,
          pValue,
          test,
          design: sample.paired ? 'paired' : 'unpaired',
          pairs: sample.paired ? bv.length : 0,
          ...resolutionOf(metric, p),
          threshold: options.thresholds[metric].threshold,
          equivalenceP,
          ...(factor === null ? {} : { sharedShift: factor }),
        },
      });
    }
    // The level the most extreme of m cells must meet (Holm's and BH's first step): alpha / m.
    const alphaFirstStep = options.alpha / Math.max(1, rows.length);
    // Holm across the cells compared on this metric: one family per metric.
    const adjusted = adjustPValues(rows.map((r) => r.row.pValue), options.correction);
    const done: MetricComparison[] = [];
    rows.forEach(({ cell, row, minP }, i) => {
      const pAdjusted = adjusted[i]!;
      const mde = minimumDetectableEffect(row.ratio, minP, alphaFirstStep, row.threshold);
      // Median 0 on both sides and no rank difference at all (e.g. no ArrayBuffer bytes): no change.
      const zeroBoth = row.ratio === null && row.baseMedian === 0 && row.headMedian === 0 && row.pValue === 1;
      // A difference below what the metric resolves is no change, whatever the ratio (see metrics.ts).
      const belowResolution = row.resolution !== undefined && Math.abs(row.headMedian - row.baseMedian) < row.resolution;
      const verdict = withheld
        ? 'inconclusive'
        : zeroBoth || belowResolution
          ? 'same'
          : decideVerdict(row.ratio, pAdjusted, options.alpha, row.threshold, METRICS[metric].higherIsBetter, options.verdictRule, row.equivalenceP);
      const done1: MetricComparison = { ...row, pAdjusted, mde, verdict, verdictLabel: verdictLabel(verdict, metric, row.threshold) };
      cell.metrics.push(done1);
      done.push(done1);
    });
    if (done.length > 0 && !withheld) detection.push(detectionOf(metric, done, alphaFirstStep, options));
  }

  const summaries: SuiteSummary[] = [];
  for (const metric of METRIC_NAMES) {
    const geoCells: GeomeanCell[] = [];
    for (const p of pending) {
      // Cells whose values lie below the metric's resolution on both sides carry no ratio worth averaging.
      const row = p.cell.metrics.find((m) => m.metric === metric);
      if (row !== undefined && belowResolutionBoth(row)) continue;
      const paired = pairedRows.get(`${p.cell.id}|${metric}`);
      if (paired !== undefined) {
        geoCells.push({ ...paired, paired: true });
        continue;
      }
      const bv = forkValues(p.base.forks, metric);
      const hv = forkValues(p.head.forks, metric);
      if (bv.length === 0 || hv.length === 0 || !(median(bv) > 0) || !(median(hv) > 0)) continue;
      geoCells.push({ base: bv, head: hv });
    }
    const geomean = bootstrapGeometricMeanRatio(geoCells, { resamples: options.resamples, seed: seedFromString(`${head.suite}|${metric}|geomean`) });
    if (geomean === null) continue;
    const cellLogs = geoCells.map(cellPointLog);
    const decided = summaryVerdict(geomean, cellLogs, design.info.kind, options.thresholds[metric].threshold, METRICS[metric].higherIsBetter, options);
    summaries.push({
      suite: head.suite,
      metric,
      cells: geoCells.length,
      geomean,
      ...decided,
      verdictLabel: verdictLabel(decided.verdict, metric, options.thresholds[metric].threshold),
    });
  }

  if (worstMinP !== null) {
    // Holm's smallest adjusted p-value is m × the smallest raw one (Bonferroni's, for the first step).
    const cellsCompared = pending.length;
    const factor = options.correction === 'holm' ? cellsCompared : 1;
    const minP = Math.min(1, worstMinP.p * factor);
    if (minP >= options.alpha) {
      const smallestP = (n: number): number => (worstMinP!.paired ? minimumSignedRankP(n) : minimumTwoSidedP(n, n));
      let needed = worstMinP.n;
      while (needed < 50 && smallestP(needed) * factor >= options.alpha) needed++;
      const across = factor > 1 ? ` after correcting for ${cellsCompared} cells` : '';
      const what = worstMinP.paired ? `${worstMinP.n} fork pair(s)` : `${worstMinP.n} fork(s) per side`;
      warnings.push(
        `only ${what}: the smallest p-value possible${across} is ${minP.toPrecision(2)} >= alpha ${options.alpha}, so no change can be significant; run with --forks ${needed} or more`,
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
  const erroredInHead: Regression[] = cells
    .filter((c) => c.state === 'errored-in-head')
    .map((c) => ({ id: c.id, what: 'cell', detail: c.note ?? 'errored in head' }));
  const exitCode = regressions.length > 0 || erroredInHead.length > 0 || (options.gateCounts && countRegressions.length > 0) ? 1 : 0;
  return {
    base: describeFile(base, options.labels[0]),
    head: describeFile(head, options.labels[1]),
    design: design.info,
    alpha: options.alpha,
    correction: options.correction,
    thresholds: options.thresholds,
    gate: options.gate,
    gateCounts: options.gateCounts,
    cells,
    summaries,
    regressions,
    countRegressions,
    erroredInHead,
    detection,
    sharedShifts,
    runShift: options.runShift,
    warnings,
    exitCode,
  };
}

/** A geomean cell's point log ratio: the median paired log ratio, or the log of the ratio of medians. */
function cellPointLog(c: GeomeanCell): number {
  if (c.paired === true) return Math.log(median(c.head.map((h, i) => h / c.base[i]!)));
  return Math.log(median(c.head)) - Math.log(median(c.base));
}

/**
 * The geometric-mean row's verdict: the same three-way rule as a cell, with the cells as the units.
 *
 * Why not the fork bootstrap alone (what the row used to do, and how two --quick runs of one commit
 * got "faster +3.9% [+0.2%, +7.5%]"): in two separate runs every cell of a run shares that run's
 * machine state (other load, frequency, the host's neighbours over those minutes), so the cells'
 * ratios are not independent: all move together by the run-to-run drift. A bootstrap over forks
 * within cells treats the cells as independent and shrinks the interval as 1/sqrt(cells), while the
 * shared shift does not shrink at all. With one run per side, the variance between runs cannot be
 * estimated (it is the top level of the experiment's hierarchy, replicated once: Kalibera & Jones,
 * "Rigorous Benchmarking in Reasonable Time", ISMM 2013, §3), so a uniform shift between two
 * separate runs is indistinguishable from drift. Hence:
 * - unpaired (separate runs): no verdict at all on the geometric mean, neither faster/slower nor
 *   same (drift could hide a real change as well as fake one); the row shows the estimate and says
 *   why. Per-cell verdicts remain: a change in some cells only is not explained by a shared shift.
 * - paired (base and head interleaved in one run): the shared drift cancels inside each pair, so the
 *   cells' ratios are independent measurements of the change. Faster/slower needs the Wilcoxon
 *   signed-rank test over the cells' log ratios (the cells as the sample: the change must be
 *   consistent across cells, not carried by one) below alpha, the fork-bootstrap interval to exclude
 *   1 and the geometric mean to exceed the threshold; "same" needs the TOST over the cells' log
 *   ratios (equivalence.ts). Fewer than 6 cells can never be significant (floor 2/2^n), fewer than
 *   5 never equivalent (one-sided floor 1/2^n): the row then says inconclusive.
 */
export function summaryVerdict(
  geomean: RatioEstimate,
  cellLogs: readonly number[],
  design: DesignInfo['kind'],
  threshold: number,
  higherIsBetter: boolean,
  options: Pick<CompareOptions, 'alpha' | 'verdictRule'>,
): { verdict: Verdict; pValue: number | null; equivalenceP: number | null; why: string } {
  if (design === 'unpaired') {
    return {
      verdict: 'inconclusive',
      pValue: null,
      equivalenceP: null,
      why: 'separate runs: a shift shared by all cells cannot be told from run-to-run drift (compare a paired run, --baseline, for a verdict)',
    };
  }
  const w = wilcoxonSignedRank(cellLogs);
  const equivalenceP = tostPaired(cellLogs, Math.log1p(threshold));
  const verdict = decideVerdict(geomean, w.pValue, options.alpha, threshold, higherIsBetter, options.verdictRule, equivalenceP);
  const floor = minimumSignedRankP(cellLogs.length);
  const why =
    floor >= options.alpha && verdict === 'inconclusive'
      ? `${cellLogs.length} cell(s) cannot reach p < ${options.alpha} in a signed-rank test over cells (6 or more can)`
      : `signed-rank over ${cellLogs.length} cells p ${w.pValue.toPrecision(2)}, equivalence (TOST ±${Number((threshold * 100).toPrecision(3))}%) p ${equivalenceP.toPrecision(2)}`;
  return { verdict, pValue: w.pValue, equivalenceP, why };
}

/** Per metric: the median MDE, the blind rows, and the forks a `detectTarget` change would need. */
function detectionOf(metric: MetricName, rows: readonly MetricComparison[], alphaFirstStep: number, options: CompareOptions): MetricDetection {
  const forksOf = (m: MetricComparison): number => (m.design === 'paired' ? m.pairs : Math.min(m.baseForks, m.headForks));
  const reachable = rows.map((m) => m.mde).filter((v): v is number => v !== null);
  const forks = Math.min(...rows.map(forksOf));
  const ses = rows.filter((m) => m.ratio !== null && m.ratio.ci95[1] > m.ratio.ci95[0]).map((m) => standardErrorLog(m.ratio!));
  const paired = rows.some((m) => m.design === 'paired');
  let floorForks = 1;
  while (floorForks < 64 && (paired ? minimumSignedRankP(floorForks) : minimumTwoSidedP(floorForks, floorForks)) >= alphaFirstStep) floorForks++;
  const threshold = options.thresholds[metric].threshold;
  return {
    metric,
    medianMde: reachable.length === 0 ? null : median(reachable),
    blindRows: rows.length - reachable.length,
    rows: rows.length,
    forks,
    forksForTarget: ses.length === 0 ? null : forksForTarget(median(ses), forks, alphaFirstStep, options.detectTarget, threshold, floorForks),
    target: options.detectTarget,
  };
}
