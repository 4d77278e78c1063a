/**
 * Measures one workload instance in this process: timer calibration, warm-up to steady state, a
 * no-op baseline through an identical timing loop, a short settling run of the workload (SETTLE_MS),
 * then the measured phase. Returns the parts of
 * the fork record that are measurements (main.ts adds identity, allocator and node metadata).
 *
 * Hygiene (docs/DESIGN.md, "Measurement hygiene"): the timed loop reads the clock into a
 * preallocated slot (`readClockMs`, which allocates nothing whatever TurboFan inlines; see
 * ../measure/timer.ts), writes each batch's duration into a preallocated Float64Array and nothing
 * else; histogram recording, memory sampling and yielding to the event loop (for GC entries) happen
 * between chunks of ~50 ms, outside every timed batch.
 *
 * What the numbers mean (all "per op" divide by the measured phase's `ops`):
 * - `opsPerSec`, `elapsedNs`: ops / (sum of the timed batches' durations + the event-loop yields
 *   between chunks, where V8 runs the tasks the ops caused: task-started scavenges, finalisers).
 *   The harness's own between-chunk work (histogram recording, memory and JIT samples, waiting for
 *   the turn) is excluded; GC pauses inside a batch or a yield are included. Each batch also
 *   carries one clock read (`timerOverheadNs`), not subtracted.
 * - `latencyNs`: per-op latency = batch duration / `batchSize`, in an HDR histogram (3 significant
 *   digits); with `batchSize` > 1 these are batch means (a warning says so).
 * - `baseline.nsPerOp`: median per-op cost of the same loop around an empty op, same batch size —
 *   the harness's floor. Not subtracted from anything; compare against it.
 * - `alloc.heapBytesPerOp`: JS-heap bytes allocated during the phase (GC profiler before/after
 *   statistics plus the final delta, see ../measure/gc-observer.ts) / ops. Includes the harness's
 *   own between-chunk allocations, which `baseline.heapBytesPerOp` shows (typically < 1 B per batch).
 * - `alloc.arrayBufferBytesPerOp`: off-heap (ArrayBuffer backing store) bytes per op as V8 itself
 *   saw them: equal to `externalBytesPerOp` below whenever its audit succeeded. Not the strategies'
 *   count, because that count is what was *asked for*: a 64-byte `new Uint8Array` is counted but
 *   lives on the JS heap (already in `heapBytesPerOp`), and the `string` variant's strings are no
 *   ArrayBuffers at all — reporting the count here would double-count or mislabel them. The count
 *   stays exact in `strategyPerOp.allocatedBytes` (+ `foreignBytes`). When the audit found no
 *   GC-free window, this falls back to the count, and a warning says so.
 * - `alloc.externalBytesPerOp`: V8 external memory (ArrayBuffer backing stores, Buffer pool slabs,
 *   other embedder memory) allocated per op, measured exactly in a GC-free window of up to 2000
 *   ops right after the phase (../measure/external-audit.ts; `externalAudit` says how many ops).
 *   It cross-checks the counted number over the same window: a warning fires when V8 saw clearly
 *   more than the strategies counted. Typed arrays of ≤ 64 bytes live on the JS heap, not here.
 * - `alloc.strategyPerOp`: every strategy counter's phase delta / ops.
 * - `gc`: pauses whose start lies in the measured phase; `timeShare` = pause time inside the timed
 *   chunks and yields / the timed time — the time base of `opsPerSec` (../measure/timed-intervals.ts).
 *   Pauses outside them stay in `count` and `pauseMsTotal`. Open loop: pause total / phase wall time,
 *   as its throughput is over the whole span too.
 * - `cpu` (Linux): the main thread's CPU time and run-queue wait, its involuntary context switches,
 *   the machine's steal time and the CPU it ended on, from procfs snapshots just before the first and
 *   after the last chunk (../measure/thread-cpu.ts); `threadCpuShare` = CPU time / phase wall time.
 * - `jit`: whether the op and the timing loop had optimised code at the end of the phase, and the
 *   optimised → unoptimised transitions seen at chunk boundaries (../measure/jit-status.ts).
 * - `memory`: `peakRssBytes` is the process's lifetime peak; the other fields are a snapshot at the
 *   end of the phase; `timeline` is sampled every ~100 ms during the phase (ms since phase start).
 * - `gcTails`: of the ops slower than the fork's p99 (p99.9) — strictly above the histogram's value —
 *   the share whose batch interval overlapped a GC pause, over the first 200,000 batches of the phase
 *   (../measure/gc-tails.ts). The loop also stores each batch's start (one more typed-array store
 *   per batch, in both loop copies, so the baseline includes it); batch times are moved onto the GC
 *   entries' clock with a measured offset (performanceClockOffset in ../measure/timer.ts).
 *   `latencyTimeline`: the same batches downsampled to ≤ 2,000 points, on `gc.pauses`' time base.
 * - counted work (`plan.countedWork`, `--count-instructions`): the batch size is the plan's, not
 *   chosen from timing; `warmupOps` more ops run through the measured loop after the baseline; the
 *   measured phase is exactly `measuredOps` ops, chunked by batch count instead of by time — so the
 *   harness's own instructions are the same in every fork (../measure/instruction-counting.ts).
 * - open loop (`plan.rateOpsPerSec`, ./open-loop.ts): after the closed-loop warm-up and baseline,
 *   a short open-loop warm-up, then ops timed one by one from their intended start t0 + i / rate:
 *   `latencyNs` is intended start → end (ops still due at the end are recorded as lower bounds),
 *   `openLoop.serviceNs` actual start → end, `batchSize` is 1, and `opsPerSec` is the achieved
 *   throughput (`elapsedNs` = t0 → later of the last completion and the phase end). A warning fires
 *   below 95% of the intended rate (overloaded).
 */
import type { StrategyCounters } from '../../allocators/buffer-strategy.js';
import { diffCounters, emptyCounters } from '../../allocators/buffer-strategy.js';
import type { CountedWorkPlan, ForkRecord, MeasurePlan } from '../../contract/result-schema.js';
import { GcObserver, type GcPhaseResult } from '../measure/gc-observer.js';
import { HdrHistogram, type EncodedHistogram } from '../measure/hdr-histogram.js';
import { auditExternalBytes, DEFAULT_AUDIT_LIMITS } from '../measure/external-audit.js';
import { MemorySampler, peakRssBytes } from '../measure/memory-sampler.js';
import { DEFAULT_BATCH_RULE, LOOP_CLOCK_CHOICE, SteadyStateDetector, calibrateTimer, chooseBatchSize, newClockSlot, nowMs, performanceClockOffset, readClockMs, type LoopClockSource, type TimerCalibration } from '../measure/timer.js';
import { classifyWarmup } from '../stats/warmup-class.js';
import { ForkSeriesRecorder, seriesWindowMs, steadyFigure } from './fork-series.js';
import { BatchTimeline, downsampleTimeline, gcTailShare } from '../measure/gc-tails.js';
import { forkCpu, readThreadCpu, threadCpuAvailable, type ThreadCpuSnapshot } from '../measure/thread-cpu.js';
import { createJitProbe, finalizePendingOptimization, hasTopTierCode, optimizationStatusReader, type JitProbe } from '../measure/jit-status.js';
import { TimedIntervals } from '../measure/timed-intervals.js';
import type { ForkGcTails, OpenLoopRecord } from '../../contract/result-schema.js';
import {
  accountOpenLoopChunk,
  intendedOpsIn,
  openLoopBuffers,
  openLoopOps,
  recordPendingAtEnd,
  type OpenLoopBuffers,
} from './open-loop.js';
import { measuredPhaseEnd, measuredPhaseStart } from './measured-phase.js';
import type { SliceGate } from './slice-gate.js';

/** What the harness needs of a workload instance. */
export interface Timeable {
  op(): void;
  readonly payloadBytesPerOp: number;
  strategyCounters(): StrategyCounters;
}

/**
 * The measured phase's batch is sized on the fastest of the last {@link BATCH_SIZING_WINDOWS}
 * warm-up windows, as if the op were {@link BATCH_SIZING_MARGIN} times faster still: sized for the
 * optimised code that will be measured, not for the interpreted first window (the old quick mode's
 * fault), and not for a window slowed by the machine. The margin because the measured phase is
 * often faster than the warm-up's end — V8 installs code compiled late on a busy machine during the
 * baseline phases, and a full GC precedes the settling run and the phase: measured on quick alloc forks on this VM under
 * load, the phase's median ran 1.0–1.6x (once 2.3x) faster than the last warm-up windows, and
 * 15 of 24 forks broke the ≥ 100-clock-costs rule when sized on their median. A batch 1.5x longer
 * than the rule's minimum costs only coarser latency percentiles (batch means).
 */
export const BATCH_SIZING_WINDOWS = 3;
export const BATCH_SIZING_MARGIN = 1.5;
/** Longest stretch the timed loop runs without yielding, ms. */
export const CHUNK_MS = 50;
/**
 * Chunk length during warm-ups, ms: short, so that the timing functions are *called* often (V8
 * installs regular optimised code at a call; until then each call starts interpreted, and an
 * interpreted loop boxes every double it touches, which would show as heap bytes per op).
 */
const WARMUP_CHUNK_MS = 5;
/**
 * The baseline loop's own warm-up ({@link warmBaselineLoop}): pieces of `BASELINE_WARMUP_STEP_MS`
 * until the loop has had top-tier code at `BASELINE_SETTLED_CHECKS` successive checks and
 * `BASELINE_WARMUP_MIN_MS` have run, `BASELINE_WARMUP_MS` at most, at batch size 64.
 */
const BASELINE_WARMUP_MS = 150;
const BASELINE_WARMUP_MIN_MS = 40;
const BASELINE_WARMUP_STEP_MS = 10;
const BASELINE_SETTLED_CHECKS = 3;
const BASELINE_WARMUP_BATCH = 64;
/**
 * Heap bytes per *batch* on the no-op baseline above which the harness warns: a settled timing loop
 * allocates nothing per batch; 16 B per batch means it ran unoptimised (a boxed double per clock read).
 */
export const BASELINE_HEAP_WARN_BYTES_PER_BATCH = 4;
/** Batch durations kept per chunk (a chunk also ends when this fills). */
const SAMPLES_PER_CHUNK = 1 << 16;
/** ns/op below this multiple of the no-op baseline: probably optimised away or harness-dominated. */
export const BASELINE_WARN_FACTOR = 2;

/** Latency histogram shape: 0.001 ns to 1000 s per op, 3 significant digits. */
export function newLatencyHistogram(): HdrHistogram {
  return new HdrHistogram({ lowestDiscernible: 0.001, highestTrackable: 1e12 });
}

export type Measurement = Pick<
  ForkRecord,
  'warmup' | 'series' | 'batchSize' | 'ops' | 'elapsedNs' | 'opsPerSec' | 'bytesPerSec' | 'latencyNs' | 'timerOverheadNs' | 'baseline' | 'gc' | 'alloc' | 'memory' | 'warnings' | 'externalAudit' | 'gcTails' | 'latencyTimeline' | 'openLoop' | 'cpu' | 'jit'
> & { latencyHistogram: EncodedHistogram; timerResolutionNs: number; timerSource: LoopClockSource };

// ---- the timing loops -------------------------------------------------------------------------
// Two textually separate copies of one loop: V8 keeps type feedback per function, so the baseline's
// empty op and the workload's op must not share a call site, or the measured loop would be
// polymorphic (slower) because the baseline ran first. Keep both bodies identical.
// The clock is read into a slot, never returned (readClockMs in ../measure/timer.ts): a returned
// double is boxed (16 B per batch) whenever the op leaves TurboFan no budget to inline the clock.

/** The timing loops' clock slot (see readClockMs); shared, as only one loop runs at a time. */
const LOOP_CLOCK = newClockSlot();

/**
 * Runs batches of `batchSize` ops until `untilMs` or `samplesMs` is full; returns batches done.
 * Batch k started at `startsMs[k]` (loop clock) and lasted `samplesMs[k]` ms.
 */
function timedBatches(w: Timeable, batchSize: number, samplesMs: Float64Array, startsMs: Float64Array, untilMs: number): number {
  const cap = samplesMs.length;
  const clock = LOOP_CLOCK;
  let n = 0;
  readClockMs(clock);
  let t0 = clock[0]!;
  while (n < cap) {
    for (let j = 0; j < batchSize; j++) w.op();
    readClockMs(clock);
    const t1 = clock[0]!;
    startsMs[n] = t0;
    samplesMs[n++] = t1 - t0;
    t0 = t1;
    if (t1 >= untilMs) break;
  }
  return n;
}

/** Identical to {@link timedBatches}; used only for the no-op baseline. */
function timedBatchesBaseline(w: Timeable, batchSize: number, samplesMs: Float64Array, startsMs: Float64Array, untilMs: number): number {
  const cap = samplesMs.length;
  const clock = LOOP_CLOCK;
  let n = 0;
  readClockMs(clock);
  let t0 = clock[0]!;
  while (n < cap) {
    for (let j = 0; j < batchSize; j++) w.op();
    readClockMs(clock);
    const t1 = clock[0]!;
    startsMs[n] = t0;
    samplesMs[n++] = t1 - t0;
    t0 = t1;
    if (t1 >= untilMs) break;
  }
  return n;
}

type Loop = typeof timedBatches;

/**
 * Sums a chunk's batch durations (ms) and records each as ns/op. Synchronous on purpose: a double
 * accumulated in an async function lives in its context object and is re-boxed (16 B) per addition.
 */
function accountChunk(samplesMs: Float64Array, n: number, histogram: HdrHistogram, nsPerMsPerOp: number): number {
  let sumMs = 0;
  for (let i = 0; i < n; i++) {
    const ms = samplesMs[i]!;
    sumMs += ms;
    histogram.record(ms * nsPerMsPerOp);
  }
  return sumMs;
}

/**
 * One chunk's bookkeeping: its `n` batch times into the histogram, the timeline, the fork's series
 * and the phase's timed intervals. Returns the chunk's timed ms.
 */
function accountBatches(
  samplesMs: Float64Array,
  startsMs: Float64Array,
  n: number,
  phaseStartMs: number,
  histogram: HdrHistogram,
  timeline: BatchTimeline,
  series: ForkSeriesRecorder | null,
  batchSize: number,
  nsPerMsPerOp: number,
): number {
  const timedMs = accountChunk(samplesMs, n, histogram, nsPerMsPerOp);
  timeline.append(startsMs, samplesMs, n);
  series?.addChunk(samplesMs, startsMs, n, batchSize);
  if (n > 0) PHASE_CHUNKS.add(startsMs[0]! - phaseStartMs, startsMs[n - 1]! + samplesMs[n - 1]! - phaseStartMs);
  return timedMs;
}

/**
 * Accounts one event-loop yield after a chunk (started at `yieldStartMs`, lasting `ms`) as timed
 * time, the counterpart of {@link accountBatches}: into the series' open window and the GC share's
 * intervals. Returns `ms`, for the caller's timed total.
 */
function accountYield(yieldStartMs: number, ms: number, phaseStartMs: number, series: ForkSeriesRecorder | null): number {
  series?.addYieldMs(ms);
  PHASE_CHUNKS.add(yieldStartMs - phaseStartMs, yieldStartMs + ms - phaseStartMs);
  return ms;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls every timing-path function many times with one batch each, before anything is timed. V8
 * allocates a function's feedback vector only after several calls, and a loop that was entered
 * once and ran long gets optimised with no feedback for its entry code; that optimised code then
 * deopts on its next call ("insufficient type feedback") and the loop runs unoptimised — boxing a
 * double per clock read — until V8 recompiles it, possibly in the middle of a measured phase.
 */
function primeTimingPaths(w: Timeable, samplesMs: Float64Array, startsMs: Float64Array, histogram: HdrHistogram, timeline: BatchTimeline): void {
  for (let i = 0; i < PRIME_CALLS; i++) {
    timedBatches(w, 1, samplesMs, startsMs, -Infinity);
    timedBatchesBaseline(noopOp, 1, samplesMs, startsMs, -Infinity);
    // A non-integer factor, as in the measured phase (an integer one would be a Smi, then deopt).
    accountChunk(samplesMs, 1, histogram, 1e6 / 3);
    timeline.append(startsMs, samplesMs, 1);
  }
  histogram.reset();
  timeline.reset();
}

/**
 * A series recorder whose between-chunk code already ran {@link PRIME_CALLS} times (so it is not
 * interpreted — boxing doubles — when the warm-up starts); its clock starts now.
 */
function primedSeriesRecorder(windowMs: number, samplesMs: Float64Array, startsMs: Float64Array): ForkSeriesRecorder {
  // The buffers hold the baseline warm-up's last batches: real values, and no loop is called here
  // (calling a timing loop with another op would spoil its type feedback).
  const primer = new ForkSeriesRecorder(windowMs, 0);
  for (let i = 0; i < PRIME_CALLS; i++) {
    primer.addChunk(samplesMs, startsMs, 1, 1 + (i & 1));
    primer.closeWindow();
  }
  return new ForkSeriesRecorder(windowMs, nowMs());
}

/** Calls per timing function in {@link primeTimingPaths}. */
const PRIME_CALLS = 64;
/** Priming runs the open loop with t0 = 0 (about process start) at this rate: every op is overdue, nothing spins. */
const rateOpsPerSecForPriming = 1e9;

/**
 * One forced full GC, once per fork, between the warm-up and the baseline (see measureCell for
 * where and why). JMH forces GC only on request (`-gc true`); here it makes every fork's measured
 * phase start from a heap collected ~0.2 s before (the baseline and the settling run between), however
 * long its warm-up ran and however much garbage it left.
 */
function collectGarbage(warnings: string[]): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    if (!warnings.some((w) => w.startsWith('no --expose-gc'))) {
      warnings.push('no --expose-gc: phases start with the previous phase\'s garbage (run the child through the harness)');
    }
    return;
  }
  gc();
}

/**
 * A scavenge now (`gc({ type: 'minor' })`, --expose-gc). Around a counted window: with the counted
 * child's flags (COUNTED_V8_FLAGS) the scavenges inside the window then fall at the same ops in
 * every fork — the uint8array vpn forks had 2 or 3 of them, 49.3 k against 53.9 k instructions per
 * op. Without --expose-gc it does nothing (collectGarbage warns about that).
 */
function alignYoungGeneration(): void {
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

interface PhaseResult {
  /** Loop-clock (nowMs) and performance-timeline readings taken together at the phase start. */
  startMs: number;
  perfStartMs: number;
  batches: number;
  ops: number;
  /** Sum of timed batch durations and of the event-loop yields between chunks, ms (excludes the harness's bookkeeping). */
  timedMs: number;
  /**
   * Wall time from phase start to end, ms (includes the between-chunk work), less the time spent
   * waiting for the turn in a slice group (`pausedMs`): the fork's own wall time.
   */
  wallMs: number;
  /** Time the fork spent waiting for its turn (time-sliced rounds: ./slice-gate.ts), ms; 0 alone. */
  pausedMs: number;
  gc: GcPhaseResult;
  counters: StrategyCounters;
  memory: MemorySampler;
  /** Main-thread and machine counters just before the first and after the last chunk (null off Linux). */
  cpuBefore: ThreadCpuSnapshot | null;
  cpuAfter: ThreadCpuSnapshot | null;
}

/** Whether /proc/thread-self is readable here (checked once per process). */
const THREAD_CPU = threadCpuAvailable();
/** The current phase's timed chunks (reused: preallocated, only one phase runs at a time). */
const PHASE_CHUNKS = new TimedIntervals();

/**
 * A phase of exactly `batches` batches in chunks of `chunkBatches` (`plan.countedWork`), instead of
 * a phase of `durationMs` in chunks of `chunkMs`: the views cap the loop by their length, so the
 * loop body is unchanged. Made once per phase, outside every timed batch.
 */
interface FixedBatches {
  batches: number;
  chunkBatches: number;
  samples: Float64Array;
  starts: Float64Array;
  /**
   * Announce the measured phase (measured-phase.ts) around the chunk loop itself, so that a counter
   * sees the same work in every fork: not the phase's set-up and GC-observer wind-down, whose
   * first-time costs (lazy compiles, IC misses: 0.1–0.5 M instructions here) vary with what ran before.
   */
  announce: boolean;
}

function fixedBatches(ops: number, work: CountedWorkPlan, samplesMs: Float64Array, startsMs: Float64Array, announce: boolean): FixedBatches {
  const chunkBatches = Math.min(work.chunkBatches, samplesMs.length);
  return { batches: Math.ceil(ops / work.batchSize), chunkBatches, samples: samplesMs.subarray(0, chunkBatches), starts: startsMs.subarray(0, chunkBatches), announce };
}

/**
 * Runs one timed phase of `durationMs` (or, with `fixed`, of exactly `fixed.batches` batches) with a
 * fixed batch size, recording into `histogram`.
 */
async function runPhase(
  loop: Loop,
  w: Timeable,
  batchSize: number,
  durationMs: number,
  samplesMs: Float64Array,
  startsMs: Float64Array,
  histogram: HdrHistogram,
  timeline: BatchTimeline,
  chunkMs = CHUNK_MS,
  series: ForkSeriesRecorder | null = null,
  jit: JitProbe | null = null,
  fixed?: FixedBatches,
  gate: SliceGate | null = null,
): Promise<PhaseResult> {
  timeline.reset();
  PHASE_CHUNKS.reset();
  // Counted work (fixed) keeps only the op, the loop and the yield between its chunks: the chunk's
  // batch times are copied aside, and the histogram, timeline and series are built once the phase
  // has ended. Under callgrind the bookkeeping's own JIT events (the histogram's index
  // deoptimising on valgrind's slower batches, the series recorder tiering up) had landed inside
  // the counted window at scheduler-dependent moments. The counted warm-up phases defer too, so
  // that the copy below is warm before the counted window; allocated before the phase's start,
  // so the arrays are in no phase's heap bytes.
  // Chunks of counted work: ceil(batches / chunkBatches), plus one slot of margin.
  const fixedChunks = fixed === undefined ? 0 : Math.ceil(fixed.batches / fixed.chunkBatches) + 1;
  const deferred =
    fixed === undefined
      ? null
      : {
          samples: new Float64Array(fixed.batches),
          starts: new Float64Array(fixed.batches),
          // Each chunk's event-loop yield (start, ms), accounted after its chunk's batches.
          yieldStarts: new Float64Array(fixedChunks),
          yieldMs: new Float64Array(fixedChunks),
        };
  let chunks = 0;
  const countersBefore = { ...w.strategyCounters() };
  const gcObserver = new GcObserver();
  // procfs reads allocate strings: before the phase's clock starts, never between batches.
  const cpuBefore = THREAD_CPU ? readThreadCpu() : null;
  const startMs = nowMs();
  // GC entries carry performance.now() times: the observer gets that clock, the loop nowMs(). Read
  // together, so that phase-relative times on the two clocks agree to within a microsecond.
  const perfStartMs = performance.now();
  const memory = new MemorySampler(startMs);
  memory.maybeSample(startMs, true);
  gcObserver.begin(perfStartMs);
  // Time-sliced (./slice-gate.ts): the phase lasts `durationMs` of this fork's own time; every wait
  // for the turn moves its end by the wait, and a chunk never runs past the turn's end.
  let endMs = startMs + durationMs;
  let pausedMs = 0;
  let batches = 0;
  let timedMs = 0;
  let now = nowMs();
  const nsPerMsPerOp = 1e6 / batchSize;
  gate?.startSlicing(now);
  // Counted work: the window starts with an empty young generation and ends by collecting it, so
  // that it pays for exactly its own garbage (its scavenges and the frees of its dead ArrayBuffers),
  // however full the young generation was when it began (README "Instruction counts").
  if (fixed?.announce === true) {
    alignYoungGeneration();
    measuredPhaseStart();
  }
  while (fixed === undefined ? now < endMs : batches < fixed.batches) {
    // Counted work: the last chunk is the remainder; no clock decides where a chunk or the phase ends.
    const n =
      fixed === undefined
        ? loop(w, batchSize, samplesMs, startsMs, Math.min(now + chunkMs, endMs, gate === null ? Infinity : gate.sliceEndMs))
        : fixed.batches - batches >= fixed.chunkBatches
          ? loop(w, batchSize, fixed.samples, fixed.starts, Infinity)
          : loop(w, batchSize, fixed.samples.subarray(0, fixed.batches - batches), fixed.starts.subarray(0, fixed.batches - batches), Infinity);
    if (deferred === null) timedMs += accountBatches(samplesMs, startsMs, n, startMs, histogram, timeline, series, batchSize, nsPerMsPerOp);
    else {
      for (let i = 0; i < n; i++) {
        deferred.samples[batches + i] = samplesMs[i]!;
        deferred.starts[batches + i] = startsMs[i]!;
      }
    }
    batches += n;
    now = nowMs();
    // Counted work samples memory only at the phase's start and end: a sample every 100 ms of wall
    // time (process.memoryUsage(), thousands of instructions each) would add a load-dependent count.
    if (fixed === undefined) memory.maybeSample(now);
    jit?.sample();
    // The yield is the workload's time, not the harness's: V8 runs its posted tasks there — the
    // scavenges it starts as a task once new space is 80% full, finalisation, I/O callbacks — work
    // the ops caused, which the next chunk would otherwise have paid inside a timed batch. Left
    // out, the figure depended on how often the loop yields: at 10 ms chunks (10 ms turns) the
    // scavenges moved into the yields and out of ops/s (vpn, uint8array under glibc: scavenge
    // pauses in the timed share 3–6% instead of 6–8%). Charging them did not remove the rest of the
    // short-turn bias (README "How long a turn should be"). Timed here, it counts as timed time (a window of
    // the series and the GC share's intervals include it); the harness's own bookkeeping above stays out.
    const yieldStart = nowMs();
    await yieldToEventLoop();
    now = nowMs();
    if (deferred === null) timedMs += accountYield(yieldStart, now - yieldStart, startMs, series);
    else {
      deferred.yieldStarts[chunks] = yieldStart;
      deferred.yieldMs[chunks] = now - yieldStart;
    }
    chunks++;
    if (gate !== null) {
      const waited = gate.maybeYield(now);
      if (waited > 0) {
        endMs += waited;
        pausedMs += waited;
        now = nowMs();
      }
    }
  }
  gate?.stopSlicing();
  if (fixed?.announce === true) {
    alignYoungGeneration();
    measuredPhaseEnd(batches * batchSize);
  }
  const wallMs = now - startMs - pausedMs;
  const cpuAfter = THREAD_CPU ? readThreadCpu() : null;
  const counters = diffCounters(w.strategyCounters(), countersBefore);
  memory.maybeSample(now, true);
  // The phase ends on the performance timeline after its whole span, turns of other forks included.
  const gcWall = await gcObserver.finish(perfStartMs + wallMs + pausedMs, wallMs);
  // Counted work's deferred bookkeeping, after the phase's CPU, counters, memory and GC are read:
  // outside every figure of the phase (its chunk views are the only allocation).
  if (deferred !== null) {
    for (let a = 0, c = 0; a < batches; a += fixed!.chunkBatches, c++) {
      const n = Math.min(fixed!.chunkBatches, batches - a);
      timedMs += accountBatches(deferred.samples.subarray(a, a + n), deferred.starts.subarray(a, a + n), n, startMs, histogram, timeline, series, batchSize, nsPerMsPerOp);
      if (c < chunks) timedMs += accountYield(deferred.yieldStarts[c]!, deferred.yieldMs[c]!, startMs, series);
    }
  }
  const gc = { ...gcWall, timeShare: timedGcShare(gcWall, timedMs) };
  return { startMs, perfStartMs, batches, ops: batches * batchSize, timedMs, wallMs, pausedMs, gc, counters, memory, cpuBefore, cpuAfter };
}

/**
 * GC share on the time base of `opsPerSec`: pause time inside the phase's timed chunks and yields /
 * timed time. Pauses outside them (none is expected: V8 runs its GC tasks in the yields) stay in
 * `pauseMsTotal` but not in the share, as their time is not in `timedMs` either. Pauses beyond the listed cap are
 * counted as inside (an upper bound; a warning already says the list was capped).
 */
function timedGcShare(gc: GcPhaseResult, timedMs: number): number {
  if (!(timedMs > 0)) return 0;
  let listedMs = 0;
  for (const p of gc.pauses) listedMs += p.durationMs;
  const unlistedMs = gc.droppedPauses > 0 ? Math.max(0, gc.pauseMsTotal - listedMs) : 0;
  return Math.min(1, (PHASE_CHUNKS.overlapMs(gc.pauses) + unlistedMs) / timedMs);
}

/**
 * One open-loop phase at `rateOpsPerSec` (see ./open-loop.ts): operations timed one by one from
 * their intended start; chunks of {@link CHUNK_MS} with a yield between them as in
 * {@link runPhase}. The yield (and the histogram/memory work before it) is a stall of the harness's
 * own making: the operations due meanwhile wait and show it, as they would behind any other stall.
 * `timedMs` is the span from t0 to the later of the last completion and the phase end, so
 * `ops / timedMs` is the achieved throughput.
 */
async function runOpenLoopPhase(
  w: Timeable,
  rateOpsPerSec: number,
  durationMs: number,
  buf: OpenLoopBuffers,
  latency: HdrHistogram,
  service: HdrHistogram,
  timeline: BatchTimeline,
  chunkMs = CHUNK_MS,
): Promise<PhaseResult & { openLoop: OpenLoopRecord }> {
  timeline.reset();
  const countersBefore = { ...w.strategyCounters() };
  const gcObserver = new GcObserver();
  const cpuBefore = THREAD_CPU ? readThreadCpu() : null;
  const startMs = nowMs();
  const memory = new MemorySampler(startMs);
  memory.maybeSample(startMs, true);
  const perfStartMs = performance.now();
  gcObserver.begin(perfStartMs);
  // The schedule starts after the set-up above, so operation 0 is not late because of it.
  const t0Ms = nowMs();
  const endMs = t0Ms + durationMs;
  let next = 0;
  let lastEndMs = t0Ms;
  let now = t0Ms;
  while (now < endMs) {
    const n = openLoopOps(w, readClockMs, t0Ms, rateOpsPerSec, next, buf, Math.min(now + chunkMs, endMs));
    accountOpenLoopChunk(buf, n, latency, service, timeline);
    if (n > 0) lastEndMs = buf.intendedMs[n - 1]! + buf.latencyMs[n - 1]!;
    next += n;
    now = nowMs();
    memory.maybeSample(now);
    await yieldToEventLoop();
    now = nowMs();
  }
  // Overload: operations due before the end that never started are recorded as lower bounds.
  const pendingAtEnd = recordPendingAtEnd(latency, t0Ms, rateOpsPerSec, next, endMs, now);
  const wallMs = now - startMs;
  const cpuAfter = THREAD_CPU ? readThreadCpu() : null;
  const counters = diffCounters(w.strategyCounters(), countersBefore);
  memory.maybeSample(now, true);
  const gc = await gcObserver.finish(perfStartMs + wallMs, wallMs);
  const spanMs = Math.max(lastEndMs, endMs) - t0Ms;
  const s = service.summary();
  return {
    startMs,
    perfStartMs,
    batches: next,
    ops: next,
    timedMs: spanMs,
    wallMs,
    pausedMs: 0,
    gc,
    counters,
    memory,
    cpuBefore,
    cpuAfter,
    openLoop: {
      rateOpsPerSec,
      achievedOpsPerSec: spanMs > 0 ? next / (spanMs / 1000) : 0,
      intendedOps: intendedOpsIn(t0Ms, rateOpsPerSec, endMs),
      completedOps: next,
      pendingAtEnd,
      serviceNs: { p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max, mean: s.mean, count: s.count },
    },
  };
}

/** Open-loop warm-up at the cell's rate before the measured phase, ms (capped by the plan's warm-up). */
export const OPEN_LOOP_WARMUP_MS = 200;

/** Achieved/intended throughput below which an open-loop fork is reported as overloaded. */
export const OPEN_LOOP_OVERLOAD_RATIO = 0.95;

interface WarmupResult {
  ops: number;
  elapsedMs: number;
  steady: boolean;
  rule: string;
  batchSize: number;
}

/**
 * Warm-up: `warmupMs` of windows of `series.windowMs` through the measured loop itself (so that
 * loop is what the JIT compiles), every window recorded into `series` (the first part of the
 * fork's series, which ../stats/warmup-class.ts classifies once the measured phase is recorded
 * too). The whole warm-up always runs — as Barrett et al.'s fixed in-process iterations do — so
 * that the series shows the whole of it; the old rule (successive windows within 2%) is still
 * evaluated for the record's `steady` (true when it held at some window). The batch size is
 * re-chosen after each window from that window's median ns/op (so the warm-up itself follows the
 * JIT), and the measured phase's as {@link BATCH_SIZING_WINDOWS} says. At least one window runs even when `warmupMs` is 0, to size the batch.
 */
async function warmUp(
  w: Timeable,
  warmupMs: number,
  timer: TimerCalibration,
  samplesMs: Float64Array,
  startsMs: Float64Array,
  histogram: HdrHistogram,
  timeline: BatchTimeline,
  series: ForkSeriesRecorder,
): Promise<WarmupResult> {
  const detector = new SteadyStateDetector(0.02, 3);
  const startMs = nowMs();
  const windowMs = series.windowMs;
  let batchSize = 1;
  let ops = 0;
  let steady = false;
  do {
    const windowEnd = Math.min(nowMs() + windowMs, startMs + Math.max(warmupMs, 1));
    while (nowMs() < windowEnd) {
      const n = timedBatches(w, batchSize, samplesMs, startsMs, Math.min(nowMs() + WARMUP_CHUNK_MS, windowEnd));
      // Keeps the between-chunk path exactly as in measurement (so it is optimised before it).
      accountChunk(samplesMs, n, histogram, 1e6 / batchSize);
      timeline.reset();
      timeline.append(startsMs, samplesMs, n);
      series.addChunk(samplesMs, startsMs, n, batchSize);
      ops += n * batchSize;
      await yieldToEventLoop();
    }
    histogram.reset();
    series.closeWindow();
    const medianNsPerOp = series.fastestRecentNsPerOp(1);
    if (medianNsPerOp > 0) {
      batchSize = chooseBatchSize(medianNsPerOp, timer);
      if (detector.push(1e9 / medianNsPerOp)) steady = true;
    }
  } while (nowMs() - startMs < warmupMs);
  const sizingNsPerOp = series.fastestRecentNsPerOp(BATCH_SIZING_WINDOWS);
  if (sizingNsPerOp > 0) batchSize = chooseBatchSize(sizingNsPerOp / BATCH_SIZING_MARGIN, timer);
  return {
    ops,
    elapsedMs: nowMs() - startMs,
    steady,
    rule: `${windowMs} ms windows; ${detector.rule} (median ops/s of each window's timed batches), at some window of the ${warmupMs} ms warm-up`,
    batchSize,
  };
}

/**
 * Counted work's warm-up: exactly `warmupOps` ops at the counted batch size, in chunks of a fixed
 * batch count — the same ops, loop calls and yields in every fork, whatever the machine's speed.
 * A warm-up of fixed *time* left the JIT at a load-dependent point when counting began (fewer ops
 * warm on a busy machine, and far fewer under valgrind): callgrind counts of one cell then spread
 * 1–29% across forks at a load average of 15, against 0.2–0.8% on a quiet machine.
 */
async function countedWarmUp(
  w: Timeable,
  counted: CountedWorkPlan,
  samplesMs: Float64Array,
  startsMs: Float64Array,
  histogram: HdrHistogram,
  timeline: BatchTimeline,
  series: ForkSeriesRecorder,
): Promise<WarmupResult> {
  const startMs = nowMs();
  let ops = (await runPhase(timedBatches, w, counted.batchSize, 0, samplesMs, startsMs, histogram, timeline, CHUNK_MS, series, null, fixedBatches(counted.warmupOps, counted, samplesMs, startsMs, false))).ops;
  // Then until the timing loop (into which TurboFan inlines the op) has its top-tier code: finish
  // the compiles in flight, and if it still has none, another quarter of the warm-up. Measured under
  // callgrind at load 7 before this: 5 of 24 vpn forks counted with the loop unoptimised, 1.1–6.3x the
  // instructions per op of their cell's other forks; with it, 0 of 12 (after 3–6 extra quarters).
  let settleRounds = 0;
  for (; settleRounds < COUNTED_SETTLE_ROUNDS; settleRounds++) {
    if (finalizePendingOptimization() === false || hasTopTierCode(timedBatches) !== false) break;
    ops += (await runPhase(timedBatches, w, counted.batchSize, 0, samplesMs, startsMs, histogram, timeline, CHUNK_MS, series, null, fixedBatches(counted.warmupOps / 4, counted, samplesMs, startsMs, false))).ops;
  }
  histogram.reset();
  const settled = hasTopTierCode(timedBatches);
  return {
    ops,
    elapsedMs: nowMs() - startMs,
    steady: settled === true,
    rule:
      `counted work: a fixed warm-up of ${counted.warmupOps} ops in batches of ${counted.batchSize}, then ${settleRounds} more quarter(s) until the timing loop had top-tier code` +
      (settled === false ? ' — NOT reached: the count includes unoptimised code' : settled === null ? ' (the JIT state is not observable here)' : ''),
    batchSize: counted.batchSize,
  };
}

/**
 * Synthetic chunks of accounting in {@link primeOpenLoop}, at most; it stops earlier once
 * {@link accountOpenLoopChunk} has TurboFan code. Each costs ≈ 0.05 ms optimised, ≈ 1 ms interpreted.
 */
const OPEN_LOOP_PRIME_CHUNKS = 400;
/** Ops per synthetic chunk: about one 50 ms chunk at 20,000 ops/s. */
const OPEN_LOOP_PRIME_CHUNK_OPS = 1000;
/** Extra open-loop warm-ups at most while {@link openLoopSettled} is false. */
const OPEN_LOOP_SETTLE_ROUNDS = 8;

/**
 * Whether the open loop and its accounting both have TurboFan code, after finishing the compiles in
 * flight; null when the JIT state is not observable here (then nothing is waited for).
 */
function openLoopSettled(): boolean | null {
  if (!finalizePendingOptimization()) return null;
  const loop = hasTopTierCode(openLoopOps);
  const account = hasTopTierCode(accountOpenLoopChunk);
  return loop === null || account === null ? null : loop && account;
}

/**
 * Primes the open-loop path before its warm-up: {@link openLoopOps} with one op per call (as
 * {@link primeTimingPaths} primes the closed loop), then {@link accountOpenLoopChunk} on synthetic
 * chunks of plausible non-integer latencies until it has TurboFan code (at most
 * {@link OPEN_LOOP_PRIME_CHUNKS}); the histograms and the timeline are reset afterwards.
 *
 * Why (issue 14): the accounting calls `HdrHistogram.record(value)` twice per op; called rather
 * than inlined, each call boxes its double argument — 32 B of JS heap per op. On V8 11.3 (Node 20)
 * the open-loop warm-up's ≈ 40 calls got the accounting TurboFan code with `record` inlined; on
 * V8 13.6 and 14.6 (Node 24, 26) it went through Maglev, which called `record`, and reached TurboFan
 * only about 1.5 s into the measured phase: 30–91 B per op at 20,000 ops/s
 * (test/harness/child/zero-alloc-loop.test.ts). Ignition, Sparkplug and Maglev code all box here;
 * only TurboFan's inlining removes the boxes, so the accounting is run on fake chunks until it has it.
 */
function primeOpenLoop(w: Timeable, buf: OpenLoopBuffers, latency: HdrHistogram, service: HdrHistogram, timeline: BatchTimeline): void {
  const one = openLoopBuffers(1);
  for (let i = 0; i < PRIME_CALLS; i++) {
    openLoopOps(w, readClockMs, 0, rateOpsPerSecForPriming, i, one, Infinity);
    accountOpenLoopChunk(one, 1, latency, service, timeline);
  }
  // Latencies of 1–10 µs in ms, never integers (an integer would train the histogram's code on
  // Smis and deopt at the first real reading).
  for (let k = 0; k < OPEN_LOOP_PRIME_CHUNK_OPS; k++) {
    buf.intendedMs[k] = 0.05 * k + 0.0125;
    buf.latencyMs[k] = 0.001 + 0.000_009_1 * (k % 997);
    buf.serviceMs[k] = 0.001 + 0.000_004_3 * (k % 991);
  }
  for (let c = 0; c < OPEN_LOOP_PRIME_CHUNKS; c++) {
    accountOpenLoopChunk(buf, OPEN_LOOP_PRIME_CHUNK_OPS, latency, service, timeline);
    timeline.reset();
    // Checked every 16 chunks: the check finishes compiles in flight, which waits for the compiler.
    // Where the JIT state is not observable, all chunks run.
    if ((c & 15) === 15 && finalizePendingOptimization() && hasTopTierCode(accountOpenLoopChunk) === true) break;
  }
  latency.reset();
  service.reset();
  timeline.reset();
}

/** Extra quarters of counted warm-up at most while the timing loop has no top-tier code. */
const COUNTED_SETTLE_ROUNDS = 8;

const noopOp: Timeable = {
  op(): void {},
  payloadBytesPerOp: 0,
  strategyCounters: emptyCounters,
};

/**
 * The settling run: `SETTLE_MS` of the workload through the measured loop at the measured batch
 * size, after the forced GC and the no-op baseline and before the measured phase, recorded as the
 * series' last warm-up windows (never more than the warm-up itself: `--warmup 0` gets none). Why:
 * the GC and the baseline left the workload's first ~80 ms slower — measured over the 1,512 forks
 * of a default vpn run (2026-12-03), the measured phase's first 13 ms windows ran 25%, 21%, 15%,
 * 11%, 7%, 3% slower than the fork's later turns, while its last warm-up windows matched them —
 * a harness-made transient in a quarter of each 400 ms phase (on the 12-cell group of README
 * "Hygiene": +11.0% and +2.6% over the first 100 ms in two runs without it, −7.1% and −0.8% with it).
 * 100 ms covers it, at ~9% of a default vpn fork's time (1.08 s).
 */
export const SETTLE_MS = 100;
export function settleMs(warmupMs: number): number {
  return Math.min(SETTLE_MS, Math.max(0, warmupMs));
}

/**
 * Baseline phase length: an eighth of the measured phase, between 50 and 500 ms. Its figures are a
 * median batch cost and the heap bytes per batch of an empty op, both settled long before 50 ms (a
 * 50 ms baseline times some 10^5 batches); a quarter of the phase, as before 2026-12-04, cost a
 * default vpn fork 50 ms more (4% of its wall time) for no figure that moved (vpn, 12 cells A B A B,
 * 2026-12-04: baseline ns/op p50 40.0 and heap bytes per batch p50 0.03 either way; no transient at
 * the measured phase's start in the default run after it: first 100 ms −0.1% against the rest).
 * The other suites' forks (2 s phases) get 250 ms instead of 500, not measured separately.
 */
export function baselineMs(durationMs: number): number {
  return Math.min(500, Math.max(50, durationMs / 8));
}

/**
 * Warms the no-op baseline loop until it has top-tier code (see BASELINE_WARMUP_MS). Why not a
 * fixed 150 ms as before 2026-12-04: traced in vpn forks, the loop had TurboFan code after its first
 * 10–20 ms and kept it to the end of the 150 ms, which were 11% of a default vpn fork's wall time
 * (1.34 s) — time a time-sliced round spends with the second core idle. The successive checks
 * guard against the first regular compile's deopt (it often lacks feedback); the baseline's own
 * heap check (BASELINE_HEAP_WARN_BYTES_PER_BATCH) still reports a loop that ran unoptimised. Where
 * the JIT state is not observable (`hasTopTierCode` null), the whole 150 ms run.
 */
async function warmBaselineLoop(samplesMs: Float64Array, startsMs: Float64Array, histogram: HdrHistogram, timeline: BatchTimeline): Promise<void> {
  const startMs = nowMs();
  let settledChecks = 0;
  while (nowMs() - startMs < BASELINE_WARMUP_MS) {
    const stepMs = Math.min(BASELINE_WARMUP_STEP_MS, BASELINE_WARMUP_MS - (nowMs() - startMs));
    await runPhase(timedBatchesBaseline, noopOp, BASELINE_WARMUP_BATCH, stepMs, samplesMs, startsMs, histogram, timeline, WARMUP_CHUNK_MS);
    settledChecks = hasTopTierCode(timedBatchesBaseline) === true ? settledChecks + 1 : 0;
    if (settledChecks >= BASELINE_SETTLED_CHECKS && nowMs() - startMs >= BASELINE_WARMUP_MIN_MS) return;
  }
}

/**
 * Measures `w` according to `plan`. With `gate` (time-sliced rounds, ./slice-gate.ts) the closed-loop
 * measured phase hands the turn back every `gate.sliceMs` ms of its own measuring; counted work and
 * open loop never do (a counter must see one stretch; an open loop's schedule cannot pause).
 * Throws whatever `w.op()` throws (the fork fails).
 */
export async function measureCell(w: Timeable, plan: MeasurePlan, gate: SliceGate | null = null): Promise<Measurement> {
  const warnings: string[] = [];
  const samplesMs = new Float64Array(SAMPLES_PER_CHUNK);
  const startsMs = new Float64Array(SAMPLES_PER_CHUNK);
  const timeline = new BatchTimeline();
  // Compiles the JIT probe's natives once, long before anything is timed (see ../measure/jit-status.ts).
  optimizationStatusReader();
  const timer = calibrateTimer();

  // Every timing-path function (loops, accountChunk, histogram.record, the GC observer) runs in
  // priming and warm-up exactly as in measurement, so that JIT tier-ups and deopts happen there
  // rather than in the measured phase: an interpreted accountChunk boxes every double it touches
  // (~1 MB of garbage per chunk), an interpreted loop 16 B per clock read.
  const histogram = newLatencyHistogram();
  primeTimingPaths(w, samplesMs, startsMs, histogram, timeline);
  // The baseline loop is warmed first, so that its optimised code (TurboFan compiles on a
  // background thread, and a first regular compile often deopts for want of feedback) has the
  // whole of the workload's warm-up to settle: a baseline loop still running unoptimised code
  // boxes its doubles (16 B per batch) and would misreport the harness's own allocation.
  await warmBaselineLoop(samplesMs, startsMs, histogram, timeline);
  // The fork's series: warm-up windows, then the measured phase's (closed loop), same window length.
  const windowMs = seriesWindowMs(plan.warmupMs, plan.durationMs);
  const series = primedSeriesRecorder(windowMs, samplesMs, startsMs);
  // Counted work (`--count-instructions`): one batch size for every fork, not one chosen from timing,
  // and a warm-up of a fixed op count instead of a fixed time (countedWarmUp).
  const counted = plan.countedWork;
  const warm = counted === undefined ? await warmUp(w, plan.warmupMs, timer, samplesMs, startsMs, histogram, timeline, series) : await countedWarmUp(w, counted, samplesMs, startsMs, histogram, timeline, series);
  const batchSize = counted?.batchSize ?? warm.batchSize;
  if (counted !== undefined && hasTopTierCode(timedBatches) === false) {
    warnings.push('counted work: the timing loop still had no top-tier (TurboFan) code after the warm-up and its settling rounds: the instruction count includes unoptimised code; raise --count-ops');
  }

  // The fork's one forced full GC: here, not right before a timed phase. After a full GC V8 sweeps
  // on background threads (competing for the cores) and deoptimises code whose embedded objects
  // died; the baseline's re-warm and phase that follow allocate almost nothing, so they absorb the
  // sweeping, and the settling run after them (SETTLE_MS) absorbs the workload's own recovery (its
  // re-optimisation and cold caches: the transient that run was added for). Before a 50 ms phase a
  // GC would otherwise be a large part of what that phase sees.
  collectGarbage(warnings);
  // No-op baseline through the twin loop, with the cell's batch size: the harness's own time and
  // JS-heap allocation per op (its loop was warmed up before the workload's warm-up).
  const bMs = baselineMs(plan.durationMs);
  await runPhase(timedBatchesBaseline, noopOp, batchSize, WARMUP_CHUNK_MS * 4, samplesMs, startsMs, histogram, timeline, WARMUP_CHUNK_MS);
  histogram.reset();
  const base = await runPhase(timedBatchesBaseline, noopOp, batchSize, bMs, samplesMs, startsMs, histogram, timeline);
  const baseline = {
    // Median per-batch cost, not the mean: the harness's cost is what every batch pays, while a
    // preemption on a shared machine lands on a few batches and would inflate a mean.
    nsPerOp: base.ops > 0 ? histogram.percentile(50) : 0,
    heapBytesPerOp: base.ops > 0 ? base.gc.heapAllocatedBytes / base.ops : 0,
  };
  // Settling run (see SETTLE_MS): closed-loop timing only; counted work re-warms by op count below,
  // and the open loop has its own warm-up after this point.
  const settleFor = counted === undefined && plan.rateOpsPerSec === undefined ? settleMs(plan.warmupMs) : 0;
  const settle = settleFor > 0 ? await runPhase(timedBatches, w, batchSize, settleFor, samplesMs, startsMs, histogram, timeline, CHUNK_MS, series) : { ops: 0, wallMs: 0 };
  series.markMeasured();

  // Open loop (`plan.rateOpsPerSec`): ops timed one by one from their intended start, after priming
  // and a short warm-up of the open-loop path at the cell's rate.
  const rate = plan.rateOpsPerSec;
  const openBuf = rate === undefined ? null : openLoopBuffers(SAMPLES_PER_CHUNK);
  const serviceHistogram = newLatencyHistogram();
  if (rate !== undefined && openBuf !== null) {
    primeOpenLoop(w, openBuf, histogram, serviceHistogram, timeline);
    // Short chunks, as in the closed-loop warm-up: the open loop must be *called* often to get regular
    // optimised code; one long call only OSR-compiles it, and every later chunk's call would then
    // start in the interpreter, boxing its doubles (measured: 66–95 B per op at 20,000 ops/s).
    const openWarmupMs = Math.min(OPEN_LOOP_WARMUP_MS, Math.max(plan.warmupMs, WARMUP_CHUNK_MS));
    await runOpenLoopPhase(w, rate, openWarmupMs, openBuf, histogram, serviceHistogram, timeline, WARMUP_CHUNK_MS);
    // Then until the loop and its accounting have TurboFan code (see primeOpenLoop), bounded.
    let settleRounds = 0;
    let settled = openLoopSettled();
    for (; settleRounds < OPEN_LOOP_SETTLE_ROUNDS && settled === false; settleRounds++) {
      await runOpenLoopPhase(w, rate, openWarmupMs, openBuf, histogram, serviceHistogram, timeline, WARMUP_CHUNK_MS);
      settled = openLoopSettled();
    }
    if (settled === false) {
      warnings.push(
        `open loop: after its warm-up and ${settleRounds} more, the open loop or its per-chunk accounting still had no TurboFan code: an unoptimised accounting boxes two doubles per op (≈ 32 B of JS heap per op), which the heap bytes per op include (a loaded machine delays V8's compiler thread: rerun on a quieter one)`,
      );
    }
    histogram.reset();
    serviceHistogram.reset();
  }
  const clockOffset = performanceClockOffset();

  if (counted !== undefined) {
    // Counted work: exactly warmupOps more ops through the measured loop at the fixed batch size, so
    // the loop's optimised code is settled before the counter starts, however fast this fork ran.
    await runPhase(timedBatches, w, batchSize, 0, samplesMs, startsMs, histogram, timeline, CHUNK_MS, null, null, fixedBatches(counted.warmupOps, counted, samplesMs, startsMs, false));
  }
  histogram.reset();
  // The op's and the loop's JIT state over the measured phase (sampled between chunks only).
  // In the open loop the loop that calls (and may inline) the op is openLoopOps.
  const jitProbe = createJitProbe(w.op, rate === undefined ? timedBatches : openLoopOps);
  // `npm run profile` attaches its profilers to exactly this phase (no-op unless a profiler listens);
  // counted work announces it around its chunk loop instead (see FixedBatches.announce).
  const announcedByPhase = counted !== undefined && (rate === undefined || openBuf === null);
  if (!announcedByPhase) measuredPhaseStart();
  let phase: PhaseResult;
  let openLoop: OpenLoopRecord | undefined;
  if (rate === undefined || openBuf === null) {
    const fixed = counted === undefined ? undefined : fixedBatches(counted.measuredOps, counted, samplesMs, startsMs, true);
    phase = await runPhase(timedBatches, w, batchSize, plan.durationMs, samplesMs, startsMs, histogram, timeline, CHUNK_MS, series, jitProbe, fixed, fixed === undefined ? gate : null);
  } else {
    const open = await runOpenLoopPhase(w, rate, plan.durationMs, openBuf, histogram, serviceHistogram, timeline);
    phase = open;
    openLoop = open.openLoop;
  }
  if (!announcedByPhase) measuredPhaseEnd(phase.ops);
  // Read now: the off-heap audit below runs the op again.
  const jit = jitProbe?.result() ?? { opOptimized: null, deopts: null };
  if (phase.ops === 0) throw new Error('no operation completed in the measured phase');
  series.closeWindow();
  const h = histogram.summary();
  const timedBatchSize = openLoop === undefined ? batchSize : 1;

  // Warm-up classified (Barrett et al. 2017; ../stats/warmup-class.ts) on the whole series, and the
  // figure taken from the measured windows of the final steady segment. Open loop records no
  // measured windows (its ops are timed one by one against a schedule, and its figure is the
  // achieved rate): its class describes the closed-loop warm-up, and its figure stays the phase's.
  const classification = classifyWarmup(series.values());
  const forkSeries = series.toSeries(classification);
  // Counted work (`--count-instructions`) keeps the whole phase as its figure: its op count is the
  // plan's, the same in every fork, and the instructions were counted over all of it.
  const figure =
    openLoop === undefined && counted === undefined
      ? steadyFigure({ ...forkSeries, ops: forkSeries.ops!, timedMs: forkSeries.timedMs! }, classification.steadyFromIndex)
      : null;
  const fromSteadySegment = figure !== null && figure.basis === 'steady-segment';
  // `ops`/`elapsedNs` behind the figure; every other per-op figure divides by the phase's ops.
  const ops = fromSteadySegment ? figure.ops : phase.ops;
  const figureTimedMs = fromSteadySegment ? figure.timedMs : phase.timedMs;
  const opsPerSec = ops / (figureTimedMs / 1000);
  const steadyFromIndex = classification.steadyFromIndex;
  if (classification.class === 'no-steady-state') {
    warnings.push(
      `no steady state (${classification.reason}): ops/s is the whole measured phase, warm-up effects and drift included; lengthen --warmup and --duration, or quiet the machine`,
    );
  }
  if (series.dropped > 0) warnings.push(`series capped: the last ${series.dropped} windows were not recorded`);
  // The batch rule (../measure/timer.ts), checked where it matters: a median timed batch of the
  // measured phase must last what the rule asks, i.e. be sized as one op of its own duration.
  const medianBatchNs = h.p50 * timedBatchSize;
  if (openLoop === undefined && chooseBatchSize(medianBatchNs, timer) > 1) {
    warnings.push(
      `batch rule broken: the measured phase's median batch of ${batchSize} ops lasted ${medianBatchNs.toFixed(0)} ns, under ${DEFAULT_BATCH_RULE.clockFactor} clock costs (${timer.overheadNs.toFixed(0)} ns each) or ${DEFAULT_BATCH_RULE.minBatchNs} ns: ` +
        `the clock adds up to ${((100 * timer.overheadNs) / medianBatchNs).toFixed(1)}% per batch; the batch was sized on warm-up windows slower than the measured phase — lengthen --warmup`,
    );
  }

  // GC-attributed tails. The batches' starts were read on the loop clock (nowMs); the GC pauses are
  // ms since the phase start on the performance timeline. Loop time t is performance time
  // t + offset (both clocks read uv_hrtime; the offset is measured, see performanceClockOffset), so
  // shifting by offset − perfStartMs puts the batches on the pauses' time base.
  timeline.shift(clockOffset.offsetMs - phase.perfStartMs);
  const pauses = { startMs: phase.gc.pauses.map((p) => p.startMs), durationMs: phase.gc.pauses.map((p) => p.durationMs) };
  const gcTails: ForkGcTails = {
    p99: gcTailShare(timeline.startMs, timeline.durationMs, timeline.count, timedBatchSize, h.p99, pauses),
    p999: gcTailShare(timeline.startMs, timeline.durationMs, timeline.count, timedBatchSize, h.p999, pauses),
    batchesAnalysed: timeline.count,
    batchesTotal: timeline.total,
    clockUncertaintyMs: clockOffset.uncertaintyMs,
  };
  const latencyTimeline = downsampleTimeline(timeline.startMs, timeline.durationMs, timeline.count, timedBatchSize);
  if (timeline.total > timeline.count) {
    warnings.push(
      `GC-attributed tails analyse the first ${timeline.count} of ${timeline.total} timed batches (the timeline is capped); the latency timeline covers the same span`,
    );
  }
  if (openLoop !== undefined && openLoop.achievedOpsPerSec < OPEN_LOOP_OVERLOAD_RATIO * openLoop.rateOpsPerSec) {
    warnings.push(
      `open loop overloaded: achieved ${openLoop.achievedOpsPerSec.toFixed(0)} ops/s of the intended ${openLoop.rateOpsPerSec} (${((100 * openLoop.achievedOpsPerSec) / openLoop.rateOpsPerSec).toFixed(0)}%)` +
        `${openLoop.pendingAtEnd > 0 ? `, ${openLoop.pendingAtEnd} ops still queued at the end (recorded as lower bounds)` : ''}: ` +
        'latencies grow with the run\'s length above capacity; lower --rate to measure latency under a sustainable load',
    );
  }

  if (h.p50 < BASELINE_WARN_FACTOR * baseline.nsPerOp) {
    warnings.push(
      `median ns/op (${h.p50.toFixed(2)}) is less than ${BASELINE_WARN_FACTOR}x the no-op baseline's (${baseline.nsPerOp.toFixed(2)} ns/op): the operation may have been optimised away or be dominated by the harness; make the op do (and keep) real work`,
    );
  }
  if (baseline.heapBytesPerOp * batchSize > BASELINE_HEAP_WARN_BYTES_PER_BATCH) {
    warnings.push(
      `the no-op baseline allocated ${(baseline.heapBytesPerOp * batchSize).toFixed(1)} B of JS heap per timed batch (the harness's loop was not fully optimised yet, e.g. on a busy machine): heap bytes per op may be inflated by up to ${baseline.heapBytesPerOp.toFixed(3)} B; lengthen the warm-up`,
    );
  }
  if (timedBatchSize > 1) {
    warnings.push(`operations are timed in batches of ${batchSize} (one op is shorter than the clock allows): latency percentiles are of batch means and hide the spread within a batch`);
  }
  // Counted work chose its (small) batch count on purpose; its timing is secondary.
  if (phase.batches < 1000 && counted === undefined) {
    warnings.push(`only ${phase.batches} timed samples: percentiles above p99 rest on few samples; lengthen the measured phase`);
  }
  if (phase.gc.droppedPauses > 0) warnings.push(`GC pause list capped: ${phase.gc.droppedPauses} pauses not listed (totals are complete)`);
  if (phase.memory.dropped > 0) warnings.push(`memory timeline capped: ${phase.memory.dropped} samples dropped`);

  const perOp = (x: number): number => x / phase.ops;
  const countedArrayBufferBytesPerOp = perOp(phase.counters.allocatedBytes + phase.counters.foreignBytes);
  // Off-heap bytes per op, measured in a GC-free window after the phase (see ../measure/external-audit.ts).
  const countedBytes = (): number => {
    const c = w.strategyCounters();
    return c.allocatedBytes + c.foreignBytes;
  };
  // The audit's op count is capped by time too (about 200 ms at the measured rate): a workload whose
  // op takes milliseconds (a full TLS connection) must not spend seconds here after the phase.
  const auditMaxOps = Math.max(16, Math.min(DEFAULT_AUDIT_LIMITS.maxOps, Math.floor(opsPerSec * 0.2)));
  const audit = await auditExternalBytes(() => w.op(), countedBytes, { ...DEFAULT_AUDIT_LIMITS, maxOps: auditMaxOps });
  let externalBytesPerOp: number;
  let arrayBufferBytesPerOp: number;
  if (audit === null) {
    externalBytesPerOp = perOp(phase.gc.externalAllocatedBytes);
    arrayBufferBytesPerOp = countedArrayBufferBytesPerOp;
    warnings.push(
      `no GC-free window found to measure off-heap bytes per op: externalBytesPerOp (${externalBytesPerOp.toFixed(0)}) is the GC-statistics estimate, a lower bound that can be far too low, and arrayBufferBytesPerOp (${arrayBufferBytesPerOp.toFixed(0)}) is the strategies' count of what they asked for`,
    );
  } else {
    externalBytesPerOp = audit.bytesPerOp;
    arrayBufferBytesPerOp = audit.bytesPerOp;
    // Cross-check in the same window: V8's external memory should not grow much faster than the
    // strategies counted (small typed arrays live on the JS heap, so it may grow slower).
    if (audit.bytesPerOp > 1.5 * audit.countedBytesPerOp + 256) {
      warnings.push(
        `V8 external memory grew by ${audit.bytesPerOp.toFixed(0)} B/op but the strategies counted ${audit.countedBytesPerOp.toFixed(0)} B/op of ArrayBuffers: something allocates off-heap outside the strategy seam (or does not report it with countForeign)`,
      );
    }
  }
  const strategyPerOp = emptyCounters();
  for (const k of Object.keys(strategyPerOp) as Array<keyof StrategyCounters>) strategyPerOp[k] = perOp(phase.counters[k]);

  // CPU time was read around the whole phase: per op of the whole phase (not of the figure's steady
  // segment, whose ops are fewer — that inflated CPU ns per op, up to 2x where the segment was short).
  const cpu = phase.cpuBefore !== null && phase.cpuAfter !== null ? forkCpu(phase.cpuBefore, phase.cpuAfter, phase.ops, phase.wallMs * 1e6) : undefined;
  const mem = process.memoryUsage();
  const { droppedPauses: _dropped, heapAllocatedBytes, externalAllocatedBytes: _ext, profilerGcCount: _n, ...gc } = phase.gc;
  return {
    // Warm-up ops include the priming calls' ops (one per call) and the settling run's (ops and time).
    warmup: {
      ops: warm.ops + settle.ops + PRIME_CALLS,
      elapsedMs: warm.elapsedMs + settle.wallMs,
      steady: warm.steady,
      rule: warm.rule,
      class: classification.class,
      ...(steadyFromIndex === undefined ? {} : { steadyFromMs: forkSeries.startMs[steadyFromIndex]! }),
    },
    series: forkSeries,
    batchSize: timedBatchSize,
    ops,
    elapsedNs: figureTimedMs * 1e6,
    opsPerSec,
    bytesPerSec: opsPerSec * w.payloadBytesPerOp,
    latencyNs: { p50: h.p50, p90: h.p90, p99: h.p99, p999: h.p999, max: h.max, min: h.min, mean: h.mean, count: h.count },
    latencyHistogram: histogram.encode(),
    timerOverheadNs: timer.overheadNs,
    timerResolutionNs: timer.resolutionNs,
    timerSource: LOOP_CLOCK_CHOICE.source,
    baseline,
    gc,
    alloc: {
      heapBytesPerOp: perOp(heapAllocatedBytes),
      arrayBufferBytesPerOp,
      externalBytesPerOp,
      strategyPerOp,
    },
    memory: {
      peakRssBytes: peakRssBytes(),
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      arrayBuffersBytes: mem.arrayBuffers,
      externalBytes: mem.external,
      timeline: phase.memory.timeline(),
    },
    warnings,
    ...(audit === null ? {} : { externalAudit: { ops: audit.ops, countedBytesPerOp: audit.countedBytesPerOp, discardedWindows: audit.discardedWindows } }),
    gcTails,
    latencyTimeline,
    ...(openLoop === undefined ? {} : { openLoop }),
    ...(cpu === undefined ? {} : { cpu }),
    jit,
  };
}
