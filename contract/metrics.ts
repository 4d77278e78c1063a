/**
 * The metric registry: every metric of a cell defined once — its name, label, unit, direction, how
 * it is read from a fork record, how forks combine into the cell's figure, how compare treats it
 * and how tables show it. compare, export, the console summary table, the summary (harness/stats)
 * and the reports iterate this list; none of them names a metric of its own.
 *
 * Adding a metric that the child measures, compare compares and the report shows touches three
 * files: the child that measures it, its field in contract/result-schema.ts, and one entry here
 * (docs/RESULTS.md, "Adding a metric").
 *
 * Kinds: `measured` metrics vary between identical forks and are compared statistically (ratio with
 * a bootstrap interval, rank test, noise threshold); `count` metrics are the strategy's exact
 * counters per operation, compared exactly; `shown` metrics are reported but not compared.
 */
import type { StrategyCounters } from '../allocators/buffer-strategy.js';
import type { CellResult, CellSummary, ForkRecord, Interval } from './result-schema.js';

/** The unit of a metric's values; compare's value formatting is chosen by it. */
export type ValueUnit = 'ops/s' | 'bytes/s' | 'ns' | 'ms' | 'share' | 'bytes' | 'instructions' | 'count';

/** How one value per fork becomes the cell's figure. */
export type Across = 'median' | 'max';

/** How a table prints the cell's figure (each renderer maps these to its own formatter). */
export type MetricFormat =
  | { kind: 'si'; suffix?: string }
  | { kind: 'bytes' }
  | { kind: 'ns' }
  | { kind: 'ms' }
  | { kind: 'percent' }
  | { kind: 'decimal'; digits: number };

/** Where a metric is shown: the console table at the end of a run, the report's cell table. */
export type Surface = 'console' | 'report';

interface MetricCommon {
  /** Stable identifier: `--gate`/`--metrics` lists, JSON output, CSV columns. */
  name: string;
  /** Human label (compare rows, export names). */
  label: string;
  /** Table heading; defaults to `label`. */
  column?: string;
  unit: ValueUnit;
  /** True when a larger value is better (throughput). */
  higherIsBetter: boolean;
  /** The fork's value, or undefined when the fork does not record it. */
  read(fork: ForkRecord): number | undefined;
  /** How forks combine into the cell's figure (see harness/stats/summarize.ts for why). */
  across: Across;
  /**
   * The cell's figure under its fixed name in {@link CellSummary}, for metrics the summary holds;
   * metrics without one are combined from the forks on demand ({@link cellFigure}).
   */
  summary?: (s: CellSummary) => number | undefined;
  /** For metrics with a bootstrap interval in the summary: that interval (tables add a CI column). */
  interval?: (s: CellSummary) => Interval;
  /**
   * True for a metric recorded only by some runs (instructions/op: `--count-instructions`): it adds
   * no compare row or threshold and no table column unless some cell has it.
   */
  optional?: true;
  format: MetricFormat;
  show: readonly Surface[];
  /**
   * Continuous-benchmarking exports (harness/export): the Bencher measure slug and the unit name.
   * `skipZero`: a zero means "not measured" (payload bytes of a workload without payload).
   */
  export?: { slug: string; unit: string; skipZero?: true; interval?: true };
}

export interface MeasuredMetric extends MetricCommon {
  kind: 'measured';
  /** Words for an improvement and a regression in this metric. */
  improvedWord: string;
  regressedWord: string;
  /**
   * Default noise threshold (fraction) when neither --threshold nor a calibration applies. Throughput
   * is the steadiest metric; tails, GC and memory move more between identical forks.
   */
  defaultThreshold: number;
  /**
   * The smallest difference (in the metric's unit) the measurement resolves, given the smallest
   * timed batch size (ops per clock read) among the cell's forks: when base and head medians differ
   * by less, the verdict is "no change" whatever the ratio. See heapBytesPerOp.
   */
  resolution?: (batchSize: number) => number;
  /**
   * True for a metric that scales with the machine's speed (throughput, latency). Two separate runs
   * can differ by a shift shared by all their cells (the machine was faster during one of them), so
   * compare judges such a metric's cells against that shared shift in an unpaired comparison
   * (harness/compare/shared-shift.ts); counts of work or bytes do not move with the machine.
   */
  timed?: true;
}

export interface CountMetric extends MetricCommon {
  kind: 'count';
  /** The strategy counter (per operation) this metric is. */
  count: CountName;
}

export interface ShownMetric extends MetricCommon {
  kind: 'shown';
}

export type AnyMetric = MeasuredMetric | CountMetric | ShownMetric;

/** A finite number, or undefined. */
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The strategy's counters that count metrics read, in registry order. */
export const COUNT_NAMES = ['allocations', 'copies', 'views', 'allocatedBytes', 'copiedBytes', 'foreignAllocations'] as const satisfies readonly (keyof StrategyCounters)[];
export type CountName = (typeof COUNT_NAMES)[number];

const perOp3: MetricFormat = { kind: 'decimal', digits: 3 };
const perOp1: MetricFormat = { kind: 'decimal', digits: 1 };

/** Every metric, in table order. */
const REGISTRY = {
  opsPerSec: {
    kind: 'measured', name: 'opsPerSec', label: 'ops/s', unit: 'ops/s', higherIsBetter: true, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, timed: true,
    read: (f) => num(f.opsPerSec), across: 'median', summary: (s) => s.opsPerSec.median, interval: (s) => s.opsPerSec,
    format: { kind: 'si' }, show: ['console', 'report'], export: { slug: 'throughput', unit: 'ops/s', interval: true },
  },
  bytesPerSec: {
    kind: 'measured', name: 'bytesPerSec', label: 'bytes/s', column: 'payload B/s', unit: 'bytes/s', higherIsBetter: true, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, timed: true,
    read: (f) => num(f.bytesPerSec), across: 'median', summary: (s) => s.bytesPerSec.median,
    format: { kind: 'si', suffix: 'B/s' }, show: ['report'], export: { slug: 'bytes-per-second', unit: 'bytes/s', skipZero: true },
  },
  // The median time of one operation. Unlike ops/s (operations over wall time, preemptions included),
  // it is barely moved by other processes competing for the CPU: most operations run between
  // preemptions, so on a shared machine it is the steadiest measure of the code's own speed.
  latencyP50Ns: {
    kind: 'measured', name: 'latencyP50Ns', label: 'p50 latency', column: 'p50', unit: 'ns', higherIsBetter: false, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.02, timed: true,
    read: (f) => num(f.latencyNs?.p50), across: 'median', summary: (s) => s.latencyNs.p50,
    format: { kind: 'ns' }, show: ['report'], export: { slug: 'latency', unit: 'ns' },
  },
  latencyP90Ns: {
    kind: 'shown', name: 'latencyP90Ns', label: 'p90 latency', column: 'p90', unit: 'ns', higherIsBetter: false,
    read: (f) => num(f.latencyNs?.p90), across: 'median', summary: (s) => s.latencyNs.p90, format: { kind: 'ns' }, show: [],
  },
  latencyP99Ns: {
    kind: 'measured', name: 'latencyP99Ns', label: 'p99 latency', column: 'p99', unit: 'ns', higherIsBetter: false, improvedWord: 'faster', regressedWord: 'slower', defaultThreshold: 0.05, timed: true,
    read: (f) => num(f.latencyNs?.p99), across: 'median', summary: (s) => s.latencyNs.p99,
    format: { kind: 'ns' }, show: ['console', 'report'], export: { slug: 'p99-latency-ns', unit: 'ns' },
  },
  latencyP999Ns: {
    kind: 'shown', name: 'latencyP999Ns', label: 'p99.9 latency', column: 'p99.9', unit: 'ns', higherIsBetter: false,
    read: (f) => num(f.latencyNs?.p999), across: 'median', summary: (s) => s.latencyNs.p999, format: { kind: 'ns' }, show: ['report'],
  },
  latencyMaxNs: {
    kind: 'shown', name: 'latencyMaxNs', label: 'max latency', column: 'max', unit: 'ns', higherIsBetter: false,
    read: (f) => num(f.latencyNs?.max), across: 'max', summary: (s) => s.latencyNs.max, format: { kind: 'ns' }, show: ['report'],
  },
  // Of the operations slower than the fork's p99, the share that overlapped a GC pause.
  gcTailShareP99: {
    kind: 'shown', name: 'gcTailShareP99', label: 'slow ops overlapping GC', column: 'p99∩GC', unit: 'share', higherIsBetter: false,
    read: (f) => num(f.gcTails?.p99.share), across: 'median', summary: (s) => s.gcTails?.p99.share, format: { kind: 'percent' }, show: ['console'],
  },
  gcCount: {
    kind: 'shown', name: 'gcCount', label: 'GCs', unit: 'count', higherIsBetter: false,
    read: (f) => num(f.gc?.count), across: 'median', summary: (s) => s.gc.count, format: perOp1, show: ['report'],
  },
  gcPauseMsTotal: {
    kind: 'shown', name: 'gcPauseMsTotal', label: 'GC pause total', unit: 'ms', higherIsBetter: false,
    read: (f) => num(f.gc?.pauseMsTotal), across: 'median', summary: (s) => s.gc.pauseMsTotal, format: { kind: 'ms' }, show: ['report'],
  },
  gcPauseMsMax: {
    kind: 'shown', name: 'gcPauseMsMax', label: 'GC max pause', unit: 'ms', higherIsBetter: false,
    read: (f) => num(f.gc?.pauseMsMax), across: 'max', summary: (s) => s.gc.pauseMsMax, format: { kind: 'ms' }, show: ['report'],
  },
  gcTimeShare: {
    kind: 'measured', name: 'gcTimeShare', label: 'GC pause share', column: 'GC time', unit: 'share', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.1,
    read: (f) => num(f.gc?.timeShare), across: 'median', summary: (s) => s.gc.timeShare,
    format: { kind: 'percent' }, show: ['console', 'report'], export: { slug: 'gc-time-share', unit: 'fraction' },
  },
  // Resolution 16 B per batch + 1 B/op: in cells that allocate nothing, the timing loop itself
  // sometimes allocates 16 B per batch (the clock's double is boxed in forks where TurboFan, its
  // inlining budget spent on a large op(), does not inline the clock: dns/one-big-struct showed
  // 5.4 B/op in most forks and 0.1 in others at batches of 3, 8 B/op at batches of 2). Any real
  // per-op allocation is at least one object (12 B or more), so from batches of 2 up (≤ 9 B/op) no
  // allocation hides below it; at batches of 1 the measurement cannot tell one small object per op
  // from that artefact, and says "no change" for it. Since issue 18 the clock reads through an
  // off-heap slot (harness/measure/timer.ts readClockMs) and test/harness/child/zero-alloc-loop.test.ts
  // holds the loop below 8 B per batch; the resolution stays as a guard for loops a loaded machine
  // left unoptimised (seen on Node 24 at a load average of 8-18).
  heapBytesPerOp: {
    kind: 'measured', name: 'heapBytesPerOp', label: 'heap B/op', unit: 'bytes', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.05,
    resolution: (batchSize: number) => 16 / Math.max(1, batchSize) + 1,
    read: (f) => num(f.alloc?.heapBytesPerOp), across: 'median', summary: (s) => s.alloc.heapBytesPerOp,
    format: perOp1, show: ['console', 'report'], export: { slug: 'heap-bytes-per-op', unit: 'bytes/op' },
  },
  arrayBufferBytesPerOp: {
    kind: 'measured', name: 'arrayBufferBytesPerOp', label: 'ArrayBuffer B/op', unit: 'bytes', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.05,
    read: (f) => num(f.alloc?.arrayBufferBytesPerOp), across: 'median', summary: (s) => s.alloc.arrayBufferBytesPerOp,
    format: perOp1, show: ['console', 'report'], export: { slug: 'arraybuffer-bytes-per-op', unit: 'bytes/op' },
  },
  externalBytesPerOp: {
    kind: 'shown', name: 'externalBytesPerOp', label: 'external B/op', unit: 'bytes', higherIsBetter: false,
    read: (f) => num(f.alloc?.externalBytesPerOp), across: 'median', summary: (s) => s.alloc.externalBytesPerOp, format: perOp1, show: [],
  },
  strategyAllocsPerOp: {
    kind: 'count', count: 'allocations', name: 'strategyAllocsPerOp', label: 'strategy allocs/op', column: 'allocs/op', unit: 'count', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.allocations), across: 'median', summary: (s) => s.alloc.strategyAllocsPerOp,
    format: perOp3, show: ['console', 'report'], export: { slug: 'strategy-allocations-per-op', unit: 'allocations/op' },
  },
  strategyCopiesPerOp: {
    kind: 'count', count: 'copies', name: 'strategyCopiesPerOp', label: 'strategy copies/op', column: 'copies/op', unit: 'count', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.copies), across: 'median', summary: (s) => s.alloc.strategyCopiesPerOp,
    format: perOp3, show: ['report'], export: { slug: 'strategy-copies-per-op', unit: 'copies/op' },
  },
  strategyViewsPerOp: {
    kind: 'count', count: 'views', name: 'strategyViewsPerOp', label: 'strategy views/op', column: 'views/op', unit: 'count', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.views), across: 'median', summary: (s) => s.alloc.strategyViewsPerOp, format: perOp3, show: ['report'],
  },
  strategyBytesPerOp: {
    kind: 'count', count: 'allocatedBytes', name: 'strategyBytesPerOp', label: 'strategy alloc B/op', unit: 'bytes', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.allocatedBytes), across: 'median', summary: (s) => s.alloc.strategyBytesPerOp, format: perOp1, show: [],
  },
  strategyCopiedBytesPerOp: {
    kind: 'count', count: 'copiedBytes', name: 'strategyCopiedBytesPerOp', label: 'strategy copied B/op', unit: 'bytes', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.copiedBytes), across: 'median', summary: (s) => s.alloc.strategyCopiedBytesPerOp, format: perOp1, show: [],
  },
  // Allocations the stack cannot avoid (node:crypto's fresh Buffers), counted apart from the strategy's.
  foreignAllocsPerOp: {
    kind: 'count', count: 'foreignAllocations', name: 'foreignAllocsPerOp', label: 'foreign allocs/op', unit: 'count', higherIsBetter: false,
    read: (f) => num(f.alloc?.strategyPerOp?.foreignAllocations), across: 'median', summary: (s) => s.alloc.foreignAllocsPerOp, format: perOp3, show: [],
  },
  baselineNsPerOp: {
    kind: 'shown', name: 'baselineNsPerOp', label: 'no-op baseline', unit: 'ns', higherIsBetter: false,
    read: (f) => num(f.baseline?.nsPerOp), across: 'median', summary: (s) => s.baseline.nsPerOp, format: { kind: 'ns' }, show: ['report'],
  },
  baselineHeapBytesPerOp: {
    kind: 'shown', name: 'baselineHeapBytesPerOp', label: 'no-op baseline heap B/op', unit: 'bytes', higherIsBetter: false,
    read: (f) => num(f.baseline?.heapBytesPerOp), across: 'median', summary: (s) => s.baseline.heapBytesPerOp, format: perOp1, show: [],
  },
  peakRssBytes: {
    kind: 'measured', name: 'peakRssBytes', label: 'peak RSS', unit: 'bytes', higherIsBetter: false, improvedWord: 'less', regressedWord: 'more', defaultThreshold: 0.05,
    read: (f) => num(f.memory?.peakRssBytes), across: 'max', summary: (s) => s.memory.peakRssBytes,
    format: { kind: 'bytes' }, show: ['console', 'report'], export: { slug: 'peak-rss-bytes', unit: 'bytes' },
  },
  // Present only on cells with a memory knob (--param thp=…/arenas=…, allocators/memory-knobs.ts): the
  // hugepage backing the child actually got (AnonHugePages after measuring), beside the figure it explains.
  anonHugeBytes: {
    kind: 'shown', name: 'anonHugeBytes', label: 'hugepages (AnonHugePages)', column: 'THP backed', unit: 'bytes', higherIsBetter: false, optional: true,
    read: (f) => (f.memoryKnobs === undefined ? undefined : f.memoryKnobs.after.anonHugeKb * 1024), across: 'median',
    format: { kind: 'bytes' }, show: ['console', 'report'],
  },
  // Beside it, explicit hugetlbfs pages (--param thp=hugetlb): Private_Hugetlb + Shared_Hugetlb after measuring.
  hugetlbBytes: {
    kind: 'shown', name: 'hugetlbBytes', label: 'hugetlbfs pages (Private_Hugetlb)', column: 'hugetlb backed', unit: 'bytes', higherIsBetter: false, optional: true,
    read: (f) => (f.memoryKnobs?.after.hugetlbKb === undefined ? undefined : f.memoryKnobs.after.hugetlbKb * 1024), across: 'median',
    format: { kind: 'bytes' }, show: ['console', 'report'],
  },
  // Present only in runs with --count-instructions (perf stat or callgrind, main thread, measured
  // phase): a count of work, not of time, so it barely moves between identical forks.
  instructionsPerOp: {
    kind: 'measured', name: 'instructionsPerOp', label: 'instructions/op', unit: 'instructions', higherIsBetter: false, improvedWord: 'fewer', regressedWord: 'more', defaultThreshold: 0.01, optional: true,
    read: (f) => num(f.instructionsPerOp), across: 'median',
    format: { kind: 'si' }, show: ['console', 'report'], export: { slug: 'instructions-per-op', unit: 'instructions/op' },
  },
} as const satisfies Record<string, AnyMetric>;

type Registry = typeof REGISTRY;
/** Every metric's name. */
export type AnyMetricName = keyof Registry;
/** The metrics compare compares statistically. */
export type MetricName = { [K in AnyMetricName]: Registry[K] extends { kind: 'measured' } ? K : never }[AnyMetricName];

/** Every metric, by name, in table order. */
export const ALL_METRICS: Readonly<Record<AnyMetricName, AnyMetric>> = REGISTRY;
/** Every metric, in table order. */
export const METRIC_LIST: readonly AnyMetric[] = Object.values(REGISTRY);

/** The statistically compared metrics, by name, in table order. */
export const METRICS = Object.fromEntries(METRIC_LIST.filter((m) => m.kind === 'measured').map((m) => [m.name, m])) as Readonly<Record<MetricName, MeasuredMetric>>;
export const METRIC_NAMES = Object.keys(METRICS) as readonly MetricName[];

/** The exactly compared counts, by counter name. */
const COUNT_METRICS = Object.fromEntries(METRIC_LIST.filter((m): m is CountMetric => m.kind === 'count').map((m) => [m.count, m])) as Readonly<Record<CountName, CountMetric>>;
export const COUNT_LABELS = Object.fromEntries(COUNT_NAMES.map((c) => [c, COUNT_METRICS[c].label])) as Readonly<Record<CountName, string>>;

/** A strategy counter per operation from a fork, or undefined when absent. */
export function readCount(fork: ForkRecord, name: CountName): number | undefined {
  return COUNT_METRICS[name].read(fork);
}

/** The value of each fork that records the metric, in fork order. */
export function forkValues(forks: readonly ForkRecord[], metric: AnyMetric): number[] {
  const out: number[] = [];
  for (const f of forks) {
    const v = metric.read(f);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Combines per-fork values the metric's way; null for no values. */
export function combine(values: readonly number[], across: Across): number | null {
  if (values.length === 0) return null;
  if (across === 'max') return Math.max(...values);
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The cell's figure of a metric: its fixed summary name when the summary holds one, else the
 * forks combined the metric's way; null for a cell that did not complete or does not record it.
 */
export function cellFigure(cell: CellResult, metric: AnyMetric): number | null {
  if (cell.state !== 'completed') return null;
  if (metric.summary !== undefined && cell.summary !== undefined) return metric.summary(cell.summary) ?? null;
  return combine(forkValues(cell.forks, metric), metric.across);
}

/** The metrics a surface shows, leaving out optional ones that no cell records. */
export function shownMetrics(surface: Surface, hasValue: (m: AnyMetric) => boolean): AnyMetric[] {
  return METRIC_LIST.filter((m) => m.show.includes(surface) && (m.optional !== true || hasValue(m)));
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
