/**
 * What compare compares: the noisy metrics (one value per fork, compared statistically) and the
 * deterministic counts (the strategy's counters per operation, compared exactly).
 */
import type { ForkRecord } from '../../contract/result-schema.js';

export const METRIC_NAMES = [
  'opsPerSec',
  'bytesPerSec',
  'latencyP50Ns',
  'latencyP99Ns',
  'gcTimeShare',
  'heapBytesPerOp',
  'arrayBufferBytesPerOp',
  'peakRssBytes',
  'instructionsPerOp',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export type ValueUnit = 'ops/s' | 'bytes/s' | 'ns' | 'share' | 'bytes' | 'instructions';

export interface MetricDefinition {
  name: MetricName;
  label: string;
  unit: ValueUnit;
  /** True when a larger value is better (throughput). */
  higherIsBetter: boolean;
  /** Words for an improvement and a regression in this metric. */
  improvedWord: string;
  regressedWord: string;
  /**
   * Default noise threshold (fraction) when neither --threshold nor a calibration applies. Throughput
   * is the steadiest metric; tails, GC and memory move more between identical forks.
   */
  defaultThreshold: number;
  /**
   * True for a metric recorded only by some runs (instructions/op: `--count-instructions`): it adds
   * no row and no threshold to a report unless both sides have it.
   */
  optional?: true;
  /**
   * The smallest difference (in the metric's unit) the measurement resolves, given the smallest
   * timed batch size (ops per clock read) among the cell's forks: when base and head medians differ
   * by less, the verdict is "no change" whatever the ratio (a ratio of two numbers near zero says
   * nothing). See heapBytesPerOp.
   */
  resolution?: (batchSize: number) => number;
  /** The fork's value, or undefined when the fork does not record it. */
  read(fork: ForkRecord): number | undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export const METRICS: Readonly<Record<MetricName, MetricDefinition>> = {
  opsPerSec: { name: 'opsPerSec', label: 'ops/s', unit: 'ops/s', higherIsBetter: true, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, read: (f) => num(f.opsPerSec) },
  bytesPerSec: { name: 'bytesPerSec', label: 'bytes/s', unit: 'bytes/s', higherIsBetter: true, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, read: (f) => num(f.bytesPerSec) },
  // The median time of one operation. Unlike ops/s (operations over wall time, preemptions included),
  // it is barely moved by other processes competing for the CPU: most operations run between
  // preemptions, so on a shared machine it is the steadiest measure of the code's own speed.
  latencyP50Ns: { name: 'latencyP50Ns', label: 'p50 latency', unit: 'ns', higherIsBetter: false, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, read: (f) => num(f.latencyNs?.p50) },
  latencyP99Ns: { name: 'latencyP99Ns', label: 'p99 latency', unit: 'ns', higherIsBetter: false, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.05, read: (f) => num(f.latencyNs?.p99) },
  gcTimeShare: { name: 'gcTimeShare', label: 'GC pause share', unit: 'share', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.1, read: (f) => num(f.gc?.timeShare) },
  // Resolution 16 B per batch + 1 B/op: in cells that allocate nothing, the timing loop itself
  // sometimes allocates 16 B per batch (the clock's double is boxed in forks where TurboFan, its
  // inlining budget spent on a large op(), does not inline the clock: dns/one-big-struct showed
  // 5.4 B/op in most forks and 0.1 in others at batches of 3, 8 B/op at batches of 2). Any real
  // per-op allocation is at least one object (12 B or more), so from batches of 2 up (≤ 9 B/op) no
  // allocation hides below it; at batches of 1 the measurement cannot tell one small object per op
  // from that artefact, and says "no change" for it.
  heapBytesPerOp: {
    name: 'heapBytesPerOp',
    label: 'heap B/op',
    unit: 'bytes',
    higherIsBetter: false,
    improvedWord: 'less',
    regressedWord: 'more',
    defaultThreshold: 0.05,
    resolution: (batchSize) => 16 / Math.max(1, batchSize) + 1,
    read: (f) => num(f.alloc?.heapBytesPerOp),
  },
  arrayBufferBytesPerOp: { name: 'arrayBufferBytesPerOp', label: 'ArrayBuffer B/op', unit: 'bytes', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.05, read: (f) => num(f.alloc?.arrayBufferBytesPerOp) },
  peakRssBytes: { name: 'peakRssBytes', label: 'peak RSS', unit: 'bytes', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.05, read: (f) => num(f.memory?.peakRssBytes) },
  // Present only in runs with --count-instructions (perf stat, main thread, measured phase): a count
  // of work, not of time, so it barely moves between identical forks on a shared machine.
  instructionsPerOp: { name: 'instructionsPerOp', label: 'instructions/op', unit: 'instructions', higherIsBetter: false, improvedWord: 'fewer', regressedWord: 'more', defaultThreshold: 0.01, optional: true, read: (f) => num(f.instructionsPerOp) },
};

export const COUNT_NAMES = ['allocations', 'copies', 'views', 'allocatedBytes', 'copiedBytes', 'foreignAllocations'] as const;
export type CountName = (typeof COUNT_NAMES)[number];

export const COUNT_LABELS: Readonly<Record<CountName, string>> = {
  allocations: 'strategy allocs/op',
  copies: 'strategy copies/op',
  views: 'strategy views/op',
  allocatedBytes: 'strategy alloc B/op',
  copiedBytes: 'strategy copied B/op',
  foreignAllocations: 'foreign allocs/op',
};

export function readCount(fork: ForkRecord, name: CountName): number | undefined {
  return num(fork.alloc?.strategyPerOp?.[name]);
}

/** Parses `--gate`/`--metrics` lists ("opsPerSec,latencyP99Ns"). */
export function parseMetricList(text: string): MetricName[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(METRIC_NAMES as readonly string[]).includes(n)) {
      throw new RangeError(`unknown metric '${n}'; known: ${METRIC_NAMES.join(', ')}`);
    }
  }
  return names as MetricName[];
}
