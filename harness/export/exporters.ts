/**
 * Result files to the formats of continuous-benchmarking services:
 *
 * - Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format):
 *   `{ "<benchmark>": { "<measure slug>": { "value", "lower_value"?, "upper_value"? } } }`. One
 *   benchmark per cell id; `throughput` (operations / second, with the bootstrap 95% interval as
 *   lower/upper values) and `latency` (median ns per operation) are Bencher's built-in measures;
 *   the other measures are custom slugs that Bencher creates on first upload.
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
import { METRICS, readCount, type MetricName } from '../compare/metrics.js';
import { median } from '../compare/sample-stats.js';

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

const BMF_SLUGS: Readonly<Record<MetricName, string>> = {
  opsPerSec: 'throughput',
  bytesPerSec: 'bytes-per-second',
  latencyP50Ns: 'latency',
  latencyP99Ns: 'p99-latency-ns',
  gcTimeShare: 'gc-time-share',
  heapBytesPerOp: 'heap-bytes-per-op',
  arrayBufferBytesPerOp: 'arraybuffer-bytes-per-op',
  peakRssBytes: 'peak-rss-bytes',
  instructionsPerOp: 'instructions-per-op',
};

const GAB_UNITS: Readonly<Record<MetricName, string>> = {
  opsPerSec: 'ops/s',
  bytesPerSec: 'bytes/s',
  latencyP50Ns: 'ns',
  latencyP99Ns: 'ns',
  gcTimeShare: 'fraction',
  heapBytesPerOp: 'bytes/op',
  arrayBufferBytesPerOp: 'bytes/op',
  peakRssBytes: 'bytes',
  instructionsPerOp: 'instructions/op',
};

function completed(file: ResultFile): CellResult[] {
  return file.cells.filter((c) => c.state === 'completed' && c.forks.length > 0);
}

function values(cell: CellResult, metric: MetricName): number[] {
  return cell.forks.map((f) => METRICS[metric].read(f)).filter((v): v is number => v !== undefined);
}

/** Median with its bootstrap 95% interval (harness/stats), seeded by the cell so exports are stable. */
function withInterval(cell: CellResult, metric: MetricName, seed: number): { value: number; lo: number; hi: number } | null {
  const v = values(cell, metric);
  if (v.length === 0) return null;
  const e = estimate(checkedSamples(v, `${cell.id} ${metric}`), seed);
  return { value: e.median, lo: e.ci95[0], hi: e.ci95[1] };
}

export function toBencherMetricFormat(file: ResultFile, seed = 1): BencherMetricFormat {
  const out: BencherMetricFormat = {};
  for (const cell of completed(file)) {
    const measures: Record<string, BmfMetric> = {};
    for (const metric of Object.keys(BMF_SLUGS) as MetricName[]) {
      const m = withInterval(cell, metric, seed);
      if (m === null) continue;
      if (metric === 'bytesPerSec' && m.value === 0) continue;
      measures[BMF_SLUGS[metric]] = metric === 'opsPerSec' ? { value: m.value, lower_value: m.lo, upper_value: m.hi } : { value: m.value };
    }
    for (const count of ['allocations', 'copies'] as const) {
      const c = cell.forks.map((f) => readCount(f, count)).filter((v): v is number => v !== undefined);
      if (c.length > 0) measures[`strategy-${count}-per-op`] = { value: median(c) };
    }
    out[cell.id] = measures;
  }
  return out;
}

function gabEntry(file: ResultFile, cell: CellResult, metric: MetricName, seed: number): GabEntry | null {
  const m = withInterval(cell, metric, seed);
  if (m === null || (metric === 'bytesPerSec' && m.value === 0)) return null;
  const half = (m.hi - m.lo) / 2;
  return {
    name: `${cell.id} ${METRICS[metric].label}`,
    unit: GAB_UNITS[metric],
    value: m.value,
    range: `± ${Number(half.toPrecision(3))}`,
    extra: `median of ${values(cell, metric).length} forks; 95% CI [${Number(m.lo.toPrecision(6))}, ${Number(m.hi.toPrecision(6))}]`,
  };
}

/** github-action-benchmark `customBiggerIsBetter` input: throughput metrics. */
export function toGithubActionBenchmarkBigger(file: ResultFile, seed = 1): GabEntry[] {
  const metrics: MetricName[] = ['opsPerSec', 'bytesPerSec'];
  return completed(file).flatMap((cell) => metrics.map((m) => gabEntry(file, cell, m, seed)).filter((e): e is GabEntry => e !== null));
}

/** github-action-benchmark `customSmallerIsBetter` input: latency, GC, allocation and memory metrics. */
export function toGithubActionBenchmarkSmaller(file: ResultFile, seed = 1): GabEntry[] {
  const metrics: MetricName[] = ['latencyP50Ns', 'latencyP99Ns', 'gcTimeShare', 'heapBytesPerOp', 'arrayBufferBytesPerOp', 'peakRssBytes'];
  return completed(file).flatMap((cell) => metrics.map((m) => gabEntry(file, cell, m, seed)).filter((e): e is GabEntry => e !== null));
}
