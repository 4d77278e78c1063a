/**
 * The clock the child times with, and how long a batch of operations must be for that clock.
 *
 * The timing loops read the clock with {@link readClockMs}, which *stores* the reading into a
 * preallocated off-heap slot instead of returning it; everything else may use {@link nowMs}. Why:
 * whether a clock read allocates depends on what TurboFan inlines into the loop, and the loop also
 * inlines the workload's op, whose size decides how much inlining budget is left (920 bytes of
 * bytecode per optimised function on V8 11.3). Measured on Node 20 with the harness's heap count
 * (B per read, in the dns/one-big-struct loop and in a loop whose call site cannot inline):
 * - `nowMs()` returning a double: 0 when inlined with `process.hrtime` (the two-element array does
 *   not escape and TurboFan removes it), **16** when the budget is spent and `nowMs` is called (a
 *   double returned from a call is a boxed HeapNumber), 64–80 when `hrtime` is not inlined either.
 * - `readClockMs(slot)` (this file): 0 inlined and 0 called, since a call that returns nothing boxes
 *   nothing and `nowMs` + `hrtime` are then inlined into its own code, with a budget of its own.
 *   The slot is off-heap on purpose: with an on-heap Float64Array (≤ 64 B, stored inside the V8
 *   heap) the same code kept `hrtime`'s FixedDoubleArray alive, 32 B per read.
 * - `performance.now()` 16 on Node 20 and 22 (boxed in C++), 0 from Node 24 on (a fast API call);
 *   `process.hrtime()` itself 32 on Node 26 (V8 14.6 keeps its array): hence the source is chosen
 *   once per process by a probe ({@link LOOP_CLOCK_CHOICE}). `process.hrtime.bigint()` 40–56 (a
 *   BigInt). A clock that allocates shows up as heap bytes per op in every cell.
 * The remaining dependence (the read is inlined and `nowMs` is not) needs the read to be inlined
 * before it has optimised code of its own; {@link calibrateTimer} runs it hot first, and the
 * end-to-end test (test/harness/child/zero-alloc-loop.test.ts) checks real cells for it.
 *
 * Why not tinybench here or on the hot loop: tinybench times every iteration with its own pair of
 * clock reads and pushes each sample into a growing array (an allocation per iteration), and it
 * subtracts an estimate of its own overhead — which is exactly the quantity measured here. The
 * calibration below instead stores back-to-back clock-read differences into a preallocated array.
 */
import v8 from 'node:v8';
import { allocatedBytes } from './gc-observer.js';
import { runWithTurbofan } from './jit-status.js';

/**
 * `process.hrtime`, looked up once: `process` is an accessor on the global object in Node, so
 * `process.hrtime()` in the loop would call its getter and a property load on every read. The
 * function does not use `this`.
 */
const hrtime = process.hrtime;
const ORIGIN_S = hrtime()[0];
/** `performance`, looked up once (a global accessor, as `process` is). */
const perf = performance;

/** Stores `performance.now()` into `slot[0]`: ms since `performance.timeOrigin`. */
function readPerformanceInto(slot: Float64Array): void {
  slot[0] = perf.now();
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Where the loop clock reads the time; both read libuv's `uv_hrtime` (CLOCK_MONOTONIC). */
export type LoopClockSource = 'hrtime' | 'performance.now';

/** JS-heap bytes per read above which a clock source counts as allocating (a boxed double is 16 B). */
const PROBE_MAX_BYTES_PER_READ = 4;
/** Reads per probe: an allocating source then shows ≥ 1.6 MB against a few KB of noise. */
const PROBE_READS = 100_000;
/** Calls and reads per call that give the probe loop and the clock their feedback. */
const PROBE_WARM_CALLS = 8;
const PROBE_WARM_READS = 5_000;
let probeReads = 0;
const PROBE_SLOT = new Float64Array(new ArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
// Only performance.now() is probed, and only on Node 24+ (see chooseLoopClock): process.hrtime() is
// left untouched for the loops that use it (the probe's own hrtime figure on Node 20 varied with the
// code around it, 0 or 32 B).
function probePerformanceLoop(): void {
  for (let i = 0; i < probeReads; i++) readPerformanceInto(PROBE_SLOT);
}

/**
 * JS-heap bytes per read of the clock inlined into TurboFan code (`loop` is compiled with TurboFan
 * first), or null where the JIT cannot be driven (no V8 natives): then no judgement is possible.
 */
function probeBytesPerRead(loop: () => void): number | null {
  // Feedback first, as a timing loop has it (a compile forced after a few hundred reads can keep
  // allocations that warm code removes).
  probeReads = PROBE_WARM_READS;
  for (let i = 0; i < PROBE_WARM_CALLS; i++) loop();
  if (!runWithTurbofan(loop)) return null;
  probeReads = PROBE_READS;
  const profiler = new v8.GCProfiler();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  loop();
  const endUsed = v8.getHeapStatistics().used_heap_size;
  const gcs = (profiler.stop()?.statistics ?? []).map((g) => ({ before: g.beforeGC.heapStatistics.usedHeapSize, after: g.afterGC.heapStatistics.usedHeapSize }));
  return allocatedBytes(startUsed, endUsed, gcs) / PROBE_READS;
}

/** The loop clock's source and what the probe measured (see {@link LOOP_CLOCK_CHOICE}). */
export interface LoopClockChoice {
  source: LoopClockSource;
  /** JS-heap bytes per `performance.now()` read inlined into TurboFan code; null: not probed (Node < 24) or not observable. */
  performanceNowBytesPerRead: number | null;
}

/**
 * Chooses the source once per process: `performance.now()` where its read inlined into TurboFan code
 * allocates nothing, else `process.hrtime()`. Measured (B per read of TurboFan code, standalone loops):
 *
 * | Node (V8)        | hrtime | performance.now |
 * | 20.20.2 (11.3)   | 0      | 16 (boxed in C++) |
 * | 22.23.5 (12.4)   | 0      | 16              |
 * | 24.22.3 (13.6)   | 0      | 0 (a fast API call) |
 * | 26.12.1 (14.6)   | 32 (its array is no longer removed by escape analysis) | 0 |
 *
 * No source is free on every runtime, so the choice is measured rather than keyed on a version:
 * Node 20 and 22 keep hrtime (unprobed, see below), Node 24 and later read performance.now,
 * which is also the time base of GC entries. Where the JIT cannot be driven, hrtime stays; the cells'
 * heap bytes per op show a clock that allocates (test/harness/child/zero-alloc-loop.test.ts runs on
 * every supported Node).
 */
function chooseLoopClock(): LoopClockChoice {
  // Before Node 24 performance.now() is a plain C++ binding that boxes its result on every path, so
  // the probe could only confirm it — and running it perturbed Node 20's timing loops (5 of 14 runs
  // of zero-alloc-loop's closed alloc case failed with a probe, 0 of 4 without, 0 of 7 on main).
  if (NODE_MAJOR < 24) return { source: 'hrtime', performanceNowBytesPerRead: null };
  const pn = probeBytesPerRead(probePerformanceLoop);
  return { source: pn !== null && pn <= PROBE_MAX_BYTES_PER_READ ? 'performance.now' : 'hrtime', performanceNowBytesPerRead: pn };
}

/** The loop clock of this process, chosen at load (≈ 10 ms) before anything reads the time. */
export const LOOP_CLOCK_CHOICE: LoopClockChoice = chooseLoopClock();

/** Whether {@link nowMs} reads `performance.now()` ({@link LOOP_CLOCK_CHOICE}); fixed at load. */
const USE_PERFORMANCE_NOW = LOOP_CLOCK_CHOICE.source === 'performance.now';

/**
 * Monotonic time in ms (double, ≥ µs precision) on the loop clock's time base
 * ({@link LOOP_CLOCK_CHOICE}: since about process start for `hrtime`, since `timeOrigin` for
 * `performance.now`): use it only for differences. Outside the timing loops only (see the file
 * comment): a call that is not inlined returns a boxed double, 16 B.
 */
export function nowMs(): number {
  // One function with a branch rather than two functions chosen at load: the hrtime path keeps the
  // shape the timing loops were tuned with on Node 20.
  if (USE_PERFORMANCE_NOW) return perf.now();
  const h = hrtime();
  return (h[0] - ORIGIN_S) * 1e3 + h[1] * 1e-6;
}

/**
 * Stores {@link nowMs}() into `slot[0]` (ms, same time base). The timing loops' clock: it allocates
 * nothing whether or not TurboFan inlines it (see the file comment). `slot` must come from
 * {@link newClockSlot}.
 */
export function readClockMs(slot: Float64Array): void {
  slot[0] = nowMs();
}

/**
 * A one-element slot for {@link readClockMs}, backed by its own ArrayBuffer so that it lives off the
 * V8 heap (a bare `new Float64Array(1)` would be stored on-heap, where a store into it kept
 * `process.hrtime()`'s array alive: 32 B per read).
 */
export function newClockSlot(): Float64Array {
  return new Float64Array(new ArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
}

export interface TimerCalibration {
  /** Median cost of one clock read as seen by the loop (t1 − t0 for back-to-back reads), ns. */
  overheadNs: number;
  /** Smallest positive difference between back-to-back reads, ns: an upper bound on the resolution. */
  resolutionNs: number;
}

/**
 * Measures the clock's cost and resolution from `reads` back-to-back read pairs, through
 * {@link readClockMs} as the timing loops read it. Running it hot here also gives `readClockMs`
 * optimised code (with `nowMs` and `hrtime` inlined) before any timing loop is compiled: TurboFan
 * then weighs its size including what that code inlined against the loop's remaining budget (with
 * a 1.2× reserve for the callees), which makes "inlined, but `nowMs` not" unlikely — reasoned from
 * V8's heuristic, not proven; the end-to-end test is the check.
 */
export function calibrateTimer(reads = 20_000): TimerCalibration {
  const diffsMs = new Float64Array(reads);
  const slot = newClockSlot();
  // Two rounds: the first lets the JIT compile this loop, the second is kept.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < reads; i++) {
      readClockMs(slot);
      const t0 = slot[0]!;
      readClockMs(slot);
      diffsMs[i] = slot[0]! - t0;
    }
  }
  diffsMs.sort();
  let smallestPositiveMs = Infinity;
  for (let i = 0; i < reads; i++) {
    const d = diffsMs[i]!;
    if (d > 0) {
      smallestPositiveMs = d;
      break;
    }
  }
  const medianMs = diffsMs[reads >> 1]!;
  return {
    overheadNs: medianMs * 1e6,
    // No positive difference at all would mean a clock coarser than 20,000 reads: report the median's upper bound.
    resolutionNs: Number.isFinite(smallestPositiveMs) ? smallestPositiveMs * 1e6 : Math.max(medianMs * 1e6, 1000),
  };
}

export interface BatchRule {
  /**
   * A batch must last at least this many clock costs. 100 → the clock adds at most 1 % to a sample.
   * (It was 20, i.e. up to 5 %: a bare loop of the same `pooled` allocation ran 5–6 % faster than
   * the harness, exactly that overhead; at 100 the harness stays within the 5 % it promises.)
   */
  clockFactor: number;
  /** And at least this long, ns (1 µs: well above the resolution of performance.now() on Linux). */
  minBatchNs: number;
  /** Upper bound on the batch size, so that a mis-estimated op cannot make a batch last seconds. */
  maxBatch: number;
}

export const DEFAULT_BATCH_RULE: BatchRule = { clockFactor: 100, minBatchNs: 1000, maxBatch: 1 << 20 };

/**
 * Operations per timed batch: 1 when one operation already lasts max(clockFactor × max(clock cost,
 * resolution), minBatchNs); otherwise enough operations to last that long. Latency per operation is
 * then batch time / batch size, so a batch of N hides the spread *within* the batch — the price of
 * not letting the clock's own cost (≈ 20–70 ns per read) dominate sub-µs operations.
 */
export function chooseBatchSize(nsPerOp: number, timer: TimerCalibration, rule: BatchRule = DEFAULT_BATCH_RULE): number {
  const targetNs = Math.max(rule.minBatchNs, rule.clockFactor * Math.max(timer.overheadNs, timer.resolutionNs));
  if (!(nsPerOp > 0)) return rule.maxBatch;
  if (nsPerOp >= targetNs) return 1;
  return Math.min(rule.maxBatch, Math.ceil(targetNs / nsPerOp));
}

/**
 * Warm-up rule: throughput is steady once `needed` successive windows each differ from the window
 * before by less than `tolerance` (relative), e.g. three 100 ms windows in a row within 2 %.
 */
export class SteadyStateDetector {
  private previous = NaN;
  private streak = 0;

  constructor(
    readonly tolerance = 0.02,
    readonly needed = 3,
  ) {}

  get rule(): string {
    return `steady when ${this.needed} successive windows' ops/s each differ from the previous window's by < ${this.tolerance * 100}%`;
  }

  /** Feeds one window's ops/s; true once the rule holds. */
  push(opsPerSec: number): boolean {
    if (Number.isFinite(this.previous) && this.previous > 0 && Math.abs(opsPerSec - this.previous) / this.previous < this.tolerance) {
      this.streak++;
    } else {
      this.streak = 0;
    }
    this.previous = opsPerSec;
    return this.streak >= this.needed;
  }
}

export interface ClockOffset {
  /** `performance.now()` − {@link nowMs}(), ms: add it to a loop-clock reading to put it on the performance timeline. */
  offsetMs: number;
  /** Half the tightest bracket the estimate came from, ms: the offset is exact to within this. */
  uncertaintyMs: number;
}

/**
 * The constant offset between the loop clock ({@link nowMs}, `process.hrtime()`) and the
 * performance timeline (`performance.now()`, ms since `timeOrigin`, the time base of GC entries).
 * Both read the same monotonic clock (libuv's `uv_hrtime`), so the offset does not drift; it is
 * estimated from `reads` brackets nowMs() / performance.now() / nowMs(), keeping the tightest one
 * (the performance reading lies between the two loop readings; its midpoint is the best guess).
 */
export function performanceClockOffset(reads = 200): ClockOffset {
  let best = Infinity;
  let offsetMs = 0;
  for (let i = 0; i < reads; i++) {
    const a = nowMs();
    const p = performance.now();
    const b = nowMs();
    if (b - a < best) {
      best = b - a;
      offsetMs = p - (a + b) / 2;
    }
  }
  return { offsetMs, uncertaintyMs: best / 2 };
}
