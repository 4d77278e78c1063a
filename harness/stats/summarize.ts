/**
 * A cell's summary across its forks (the `summary` of a result-file cell) and the warnings that go
 * with it. Each fork is one fresh process: forks are the independent observations, so intervals are
 * computed across forks (see ./bootstrap.ts), and per-fork values are combined as follows:
 *
 * - throughput: median and mean with percentile-bootstrap 95% intervals;
 * - latency percentiles: the median of the forks' percentiles, and the max of their maxima
 *   (records carry percentiles, not histograms, so histograms are not merged: the median of p99s is
 *   a robust typical p99, not the p99 of all operations pooled);
 * - GC: median of the per-fork count, total pause and time share; max of the max pause; per kind
 *   likewise (a fork that never saw a kind counts 0 for it);
 * - allocation and baseline: median of the per-operation values (exact counters are equal across
 *   forks when the workload is deterministic, so the median is that value);
 * - memory: the largest peak RSS of any fork;
 * - GC-attributed tails (`gcTails`) and open-loop achieved throughput: median across forks.
 *
 * Whether the forks agree (warm-up classes, modes and the factor that separates them, the
 * interval's relative half-width) is a finding, `consistency` (./modes.ts), not a warning.
 */
import { max, median } from 'simple-statistics';
import type { CellConsistency, CellResult, CellSummary, DriftInfo, ForkRecord, GcKindTotals } from '../../contract/result-schema.js';
import { checkedSamples, estimate, DEFAULT_RESAMPLES } from './bootstrap.js';
import { ALL_METRICS, type AnyMetricName } from '../../contract/metrics.js';
import { cellConsistency } from './modes.js';
import { driftModel } from './drift.js';

export interface SummaryOptions {
  seed: number;
  resamples?: number;
  /** Fewer forks than this make the interval degenerate (default 3). */
  minForks?: number;
}

export const MIN_FORKS_FOR_INTERVAL = 3;

export interface SummaryWithWarnings {
  summary: CellSummary;
  warnings: string[];
  consistency: CellConsistency;
}

/** Summarises a cell's fork records. Throws a RangeError when `forks` is empty (nothing to summarise). */
export function summarizeForks(cellId: string, forks: readonly ForkRecord[], options: SummaryOptions): SummaryWithWarnings {
  const pick = (what: string, f: (r: ForkRecord) => number) => checkedSamples(forks.map(f), `${cellId} ${what}`);
  const med = (what: string, f: (r: ForkRecord) => number) => median(pick(what, f) as readonly number[] as number[]);
  const mx = (what: string, f: (r: ForkRecord) => number) => max(pick(what, f) as readonly number[] as number[]);
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  // A summary figure under its fixed name, read and combined as the metric registry defines it
  // (contract/metrics.ts); a fork without the value fails checkedSamples unless `missing` is given.
  const fig = (name: AnyMetricName, missing?: number): number => {
    const m = ALL_METRICS[name];
    const read = (r: ForkRecord): number => m.read(r) ?? missing ?? Number.NaN;
    return m.across === 'max' ? mx(name, read) : med(name, read);
  };

  const ops = pick('opsPerSec', (r) => r.opsPerSec);
  const kinds = [...new Set(forks.flatMap((r) => Object.keys(r.gc.byKind)))].sort();
  const byKind: Record<string, GcKindTotals> = {};
  for (const k of kinds) {
    const of = (r: ForkRecord): GcKindTotals => r.gc.byKind[k] ?? { count: 0, pauseMsTotal: 0, pauseMsMax: 0 };
    byKind[k] = {
      count: med(`gc.${k}.count`, (r) => of(r).count),
      pauseMsTotal: med(`gc.${k}.pauseMsTotal`, (r) => of(r).pauseMsTotal),
      pauseMsMax: mx(`gc.${k}.pauseMsMax`, (r) => of(r).pauseMsMax),
    };
  }

  const summary: CellSummary = {
    opsPerSec: estimate(ops, options.seed, resamples),
    bytesPerSec: estimate(pick('bytesPerSec', (r) => r.bytesPerSec), options.seed + 2, resamples),
    latencyNs: {
      p50: fig('latencyP50Ns'),
      p90: fig('latencyP90Ns'),
      p99: fig('latencyP99Ns'),
      p999: fig('latencyP999Ns'),
      max: fig('latencyMaxNs'),
    },
    gc: {
      count: fig('gcCount'),
      pauseMsTotal: fig('gcPauseMsTotal'),
      pauseMsMax: fig('gcPauseMsMax'),
      timeShare: fig('gcTimeShare'),
      byKind,
    },
    alloc: {
      heapBytesPerOp: fig('heapBytesPerOp'),
      arrayBufferBytesPerOp: fig('arrayBufferBytesPerOp'),
      externalBytesPerOp: fig('externalBytesPerOp'),
      strategyAllocsPerOp: fig('strategyAllocsPerOp'),
      strategyCopiesPerOp: fig('strategyCopiesPerOp'),
      strategyBytesPerOp: fig('strategyBytesPerOp'),
      strategyCopiedBytesPerOp: fig('strategyCopiedBytesPerOp'),
      strategyViewsPerOp: fig('strategyViewsPerOp'),
      // Records written before foreign allocations were counted have none: 0, not a failure.
      foreignAllocsPerOp: fig('foreignAllocsPerOp', 0),
    },
    memory: { peakRssBytes: fig('peakRssBytes') },
    baseline: {
      nsPerOp: fig('baselineNsPerOp'),
      heapBytesPerOp: fig('baselineHeapBytesPerOp'),
    },
  };
  // Additive (harness/child): GC-attributed tails and open-loop figures, median across the forks
  // that carry them (records written before these fields existed carry neither).
  const withTails = forks.filter((r) => r.gcTails !== undefined);
  if (withTails.length > 0) {
    summary.gcTails = {
      p99: { share: median(withTails.map((r) => r.gcTails!.p99.share)) },
      p999: { share: median(withTails.map((r) => r.gcTails!.p999.share)) },
    };
  }
  const open = forks.filter((r) => r.openLoop !== undefined);
  if (open.length > 0) {
    summary.openLoop = { rateOpsPerSec: open[0]!.openLoop!.rateOpsPerSec, achievedOpsPerSec: median(open.map((r) => r.openLoop!.achievedOpsPerSec)) };
  }
  const consistency = cellConsistency(forks, summary.opsPerSec.median, summary.opsPerSec.ci95, options.seed);
  return { summary, warnings: cellWarnings(forks, summary, options), consistency };
}

/**
 * pyperf-style warnings, each with a remedy. Disagreeing forks are not warned about here: they are
 * described by `consistency` (modes and what separates them).
 */
export function cellWarnings(forks: readonly ForkRecord[], _summary: CellSummary, options: SummaryOptions): string[] {
  const warnings: string[] = [];
  const minForks = options.minForks ?? MIN_FORKS_FOR_INTERVAL;
  if (forks.length < minForks) {
    warnings.push(
      `only ${forks.length} fork${forks.length === 1 ? '' : 's'}: the 95% interval is degenerate; use --forks ${minForks} or more for a usable interval`,
    );
  }
  // The child itself warns when an operation is within reach of its no-op baseline (mitata's rule);
  // those warnings, and any other the forks raised, are carried up once each.
  const seen = new Set<string>();
  for (const r of forks) {
    for (const w of r.warnings) {
      if (seen.has(w)) continue;
      seen.add(w);
      warnings.push(`fork ${r.forkIndex}: ${w}`);
    }
  }
  return warnings;
}


/** How result files name the model (`drift.method`). */
export const DRIFT_METHOD =
  "median polish of ln ops/s over cells x blocks (Tukey 1977); summary.driftAdjusted: each fork divided by its block's effect estimated from the block's other cells (>= 6), relative to the median block of its connected cells — conditional on that median state";

/**
 * `cells` with `summary.driftAdjusted` on each completed cell the run's drift model adjusts
 * (../stats/drift.ts: the throughput intervals over its forks with the blocks' shared effect divided
 * out), and what the model found (null when no block's effect could be estimated; it can be
 * present with no cell adjusted). `summary.opsPerSec` stays
 * as measured. Recomputed from the forks on every call (a growing run calls it at each flush).
 */
export function withDriftAdjustment(cells: readonly CellResult[], seed: number, resamples = DEFAULT_RESAMPLES): { cells: CellResult[]; drift: DriftInfo | null } {
  const summarised = cells.filter((c) => c.state === 'completed' && c.summary !== undefined && c.forks.length > 0);
  const model = driftModel(summarised);
  const out = cells.map((c) => {
    const factors = model.factors.get(c.id);
    if (c.summary === undefined) return c;
    const { driftAdjusted: _stale, ...measured } = c.summary;
    if (c.state !== 'completed' || factors === undefined) return _stale === undefined ? c : { ...c, summary: measured };
    const ops = checkedSamples(c.forks.map((f, i) => f.opsPerSec * factors[i]!), `${c.id} drift-adjusted opsPerSec`);
    const bytes = checkedSamples(c.forks.map((f, i) => f.bytesPerSec * factors[i]!), `${c.id} drift-adjusted bytesPerSec`);
    // The seeds summarizeForks uses for the same two figures.
    return { ...c, summary: { ...measured, driftAdjusted: { opsPerSec: estimate(ops, seed, resamples), bytesPerSec: estimate(bytes, seed + 2, resamples) } } };
  });
  if (model.blocks === 0) return { cells: out, drift: null };
  const { blocks, adjustedForks, forks, effectSd, effectRange } = model;
  return { cells: out, drift: { method: DRIFT_METHOD, blocks, adjustedForks, forks, effectSd, effectRange } };
}
