/**
 * Within-run comparisons of cells that differ in one axis (DESIGN.md "Statistics"): cell B against
 * cell A with every other axis equal, as the median of the per-round ratios B/A of ops/s with a
 * percentile-bootstrap 95% interval over rounds. Fork i of every cell ran in round i
 * (harness/run/schedule.ts), so the two forks of a pair saw the same stretch of machine time:
 * drift between rounds (load from elsewhere, thermal state) divides out of each ratio, which two
 * medians' separate intervals cannot do (Abedi & Brecht, "Conducting Repeatable Experiments in
 * Highly Variable Cloud Computing Environments", ICPE 2017: randomized multiple interleaved
 * trials; tachometer compares in the same way). The paired bootstrap itself is compare's
 * (`bootstrapPairedRatio`: Efron & Tibshirani 1993, the one-sample bootstrap of paired log ratios).
 *
 * Which pairs: cells equal in workload, size, V8 flags, runtime and every param, differing in strategy, in
 * allocator, or in both (`axis` is then `strategy+allocator`: the report's "ahead of the runner-up"
 * often compares such a pair). The single-axis ratios are the ones the run's stopping rule targets.
 */
import type { AxisRatio, CellResult, ForkRecord } from '../../contract/result-schema.js';
import { bootstrapPairedRatio } from './bootstrap-ratio.js';
import { DEFAULT_RESAMPLES } from './bootstrap.js';
import { seedFromString } from './prng.js';

/** The research axes compared within a run, in the order an axis label names them. */
export const RATIO_AXES = ['strategy', 'allocator'] as const;
export type RatioAxis = (typeof RATIO_AXES)[number];

/** What a pair needs of a cell: its identity and its forks (fork index = round). */
export type RatioCell = Pick<CellResult, 'id' | 'workload' | 'strategy' | 'allocator' | 'size' | 'params' | 'v8Flags' | 'runtime'> & {
  forks: ReadonlyArray<Pick<ForkRecord, 'forkIndex' | 'opsPerSec'>>;
};

export interface AxisRatioOptions {
  seed: number;
  resamples?: number;
  /** Only pairs that differ in exactly one axis (the stopping rule's targets); default false. */
  singleAxisOnly?: boolean;
}

/** Everything but the ratio axes: cells with the same key can be compared. */
function comparableKey(c: RatioCell): string {
  const params = Object.keys(c.params).sort().map((k) => `${k}=${String(c.params[k])}`);
  // The runtime (issue 14) too: an allocator ratio across two runtimes would mix two effects.
  return JSON.stringify([c.workload, c.size, c.v8Flags, params, c.runtime ?? null]);
}

/**
 * The per-round ratio of `b` to `a`: forks paired by fork index (rounds in which both ran).
 * Null when fewer than one round is shared or a value is not positive.
 */
export function pairedCellRatio(a: RatioCell, b: RatioCell, options: AxisRatioOptions): Omit<AxisRatio, 'axis' | 'a' | 'b'> | null {
  const byRound = new Map(a.forks.map((f) => [f.forkIndex, f.opsPerSec]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const f of [...b.forks].sort((p, q) => p.forkIndex - q.forkIndex)) {
    const x = byRound.get(f.forkIndex);
    if (x === undefined) continue;
    xs.push(x);
    ys.push(f.opsPerSec);
  }
  if (xs.length === 0) return null;
  const est = bootstrapPairedRatio(xs, ys, { seed: (options.seed ^ seedFromString(`${a.id}|${b.id}`)) >>> 0, resamples: options.resamples ?? DEFAULT_RESAMPLES });
  if (est === null) return null;
  return { cellA: a.id, cellB: b.id, pairs: xs.length, ratio: est.ratio, ci95: est.ci95 };
}

/**
 * Every comparable pair among `cells` (A before B in the given order, so A is the earlier value of
 * the axis in suite order), B/A. Cells without forks are left out.
 */
export function axisRatios(cells: readonly RatioCell[], options: AxisRatioOptions): AxisRatio[] {
  const groups = new Map<string, RatioCell[]>();
  for (const c of cells) {
    if (c.forks.length === 0) continue;
    const key = comparableKey(c);
    const list = groups.get(key) ?? [];
    list.push(c);
    groups.set(key, list);
  }
  const out: AxisRatio[] = [];
  for (const list of groups.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        const differing = RATIO_AXES.filter((axis) => a[axis] !== b[axis]);
        if (differing.length === 0 || (options.singleAxisOnly === true && differing.length > 1)) continue;
        const r = pairedCellRatio(a, b, options);
        if (r === null) continue;
        out.push({
          axis: differing.join('+'),
          a: differing.map((axis) => a[axis]).join('+'),
          b: differing.map((axis) => b[axis]).join('+'),
          ...r,
        });
      }
    }
  }
  return out;
}

