/**
 * Result files to the formats of continuous-benchmarking services:
 *
 * - Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format):
 *   `{ "<benchmark>": { "<measure slug>": { "value", "lower_value"?, "upper_value"? } } }`. One
 *   benchmark per cell id; `throughput` (operations / second, with the bootstrap 95% interval as
 *   lower/upper values) and `latency` (median ns per operation) are Bencher's built-in measures;
 *   the other measures are custom slugs that Bencher creates on first upload. Every metric of the
 *   registry (contract/metrics.ts) with an `export` entry is exported, under its slug.
 * - github-action-benchmark (https://github.com/benchmark-action/github-action-benchmark, tools
 *   `customBiggerIsBetter` / `customSmallerIsBetter`): a JSON array of
 *   `{ "name", "unit", "value", "range"?, "extra"? }`. The tool decides the direction for the whole
 *   file, so there are two exports: bigger-is-better (throughput) and smaller-is-better (latency,
 *   GC, allocation, memory).
 *
 * Values are medians across forks; only completed cells are exported.
 */
import type { CellResult, ResultFile } from '../../contract/result-schema.js';
import { checkedSamples, estimate } from '../stats/bootstrap.js';
import { forkValues, METRIC_LIST, type AnyMetric } from '../../contract/metrics.js';

export interface BmfMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}
export type BencherMetricFormat = Record<string, Record<string, BmfMetric>>;

export interface GabEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/** The registry's metrics that have an export (contract/metrics.ts, `export`), in table order. */
const EXPORTED = METRIC_LIST.filter((m): m is AnyMetric & { export: NonNullable<AnyMetric['export']> } => m.export !== undefined);

function completed(file: ResultFile): CellResult[] {
  return file.cells.filter((c) => c.state === 'completed' && c.forks.length > 0);
}

function values(cell: CellResult, metric: AnyMetric): number[] {
  return forkValues(cell.forks, metric);
}

/** Median with its bootstrap 95% interval (harness/stats), seeded by the cell so exports are stable. */
function withInterval(cell: CellResult, metric: AnyMetric, seed: number): { value: number; lo: number; hi: number } | null {
  const v = values(cell, metric);
  if (v.length === 0) return null;
  const e = estimate(checkedSamples(v, `${cell.id} ${metric.name}`), seed);
  return { value: e.median, lo: e.ci95[0], hi: e.ci95[1] };
}

export function toBencherMetricFormat(file: ResultFile, seed = 1): BencherMetricFormat {
  const out: BencherMetricFormat = {};
  for (const cell of completed(file)) {
    const measures: Record<string, BmfMetric> = {};
    for (const metric of EXPORTED) {
      const m = withInterval(cell, metric, seed);
      if (m === null || (metric.export.skipZero === true && m.value === 0)) continue;
      measures[metric.export.slug] = metric.export.interval === true ? { value: m.value, lower_value: m.lo, upper_value: m.hi } : { value: m.value };
    }
    out[cell.id] = measures;
  }
  return out;
}

function gabEntry(cell: CellResult, metric: (typeof EXPORTED)[number], seed: number): GabEntry | null {
  const m = withInterval(cell, metric, seed);
  if (m === null || (metric.export.skipZero === true && m.value === 0)) return null;
  const half = (m.hi - m.lo) / 2;
  return {
    name: `${cell.id} ${metric.label}`,
    unit: metric.export.unit,
    value: m.value,
    range: `± ${Number(half.toPrecision(3))}`,
    extra: `median of ${values(cell, metric).length} forks; 95% CI [${Number(m.lo.toPrecision(6))}, ${Number(m.hi.toPrecision(6))}]`,
  };
}

/** The statistically compared metrics with an export, split by direction (github-action-benchmark decides it per file). */
function gabMetrics(higherIsBetter: boolean): Array<(typeof EXPORTED)[number]> {
  return EXPORTED.filter((m) => m.kind === 'measured' && m.higherIsBetter === higherIsBetter);
}

function gab(file: ResultFile, higherIsBetter: boolean, seed: number): GabEntry[] {
  const metrics = gabMetrics(higherIsBetter);
  return completed(file).flatMap((cell) => metrics.map((m) => gabEntry(cell, m, seed)).filter((e): e is GabEntry => e !== null));
}

/** github-action-benchmark `customBiggerIsBetter` input: throughput metrics. */
export function toGithubActionBenchmarkBigger(file: ResultFile, seed = 1): GabEntry[] {
  return gab(file, true, seed);
}

/** github-action-benchmark `customSmallerIsBetter` input: latency, GC, allocation, memory and instruction metrics. */
export function toGithubActionBenchmarkSmaller(file: ResultFile, seed = 1): GabEntry[] {
  return gab(file, false, seed);
}
