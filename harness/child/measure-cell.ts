/**
 * Measures one workload instance in this process: timer calibration, warm-up to steady state, a
 * no-op baseline through an identical timing loop, then the measured phase. Returns the parts of
 * the fork record that are measurements (main.ts adds identity, allocator and node metadata).
 *
 * Hygiene (../../../shared/DESIGN.md, "Measurement hygiene"): the timed loop reads a double clock
 * (`nowMs()`, which does not allocate; see ../measure/timer.ts), writes each batch's duration into a preallocated Float64Array and nothing
 * else; histogram recording, memory sampling and yielding to the event loop (for GC entries) happen
 * between chunks of ~50 ms, outside every timed batch.
 *
 * What the numbers mean (all "per op" divide by the measured phase's `ops`):
 * - `opsPerSec`, `elapsedNs`: ops / sum of the timed batches' durations. Time spent between chunks
 *   (histogram recording, memory samples, yielding for GC entries) is excluded; GC pauses inside a
 *   batch are included. Each batch also carries one clock read (`timerOverheadNs`), not subtracted.
 * - `latencyNs`: per-op latency = batch duration / `batchSize`, in an HDR histogram (3 significant
 *   digits); with `batchSize` > 1 these are batch means (a warning says so).
 * - `baseline.nsPerOp`: median per-op cost of the same loop around an empty op, same batch size —
 *   the harness's floor. Not subtracted from anything; compare against it.
 * - `alloc.heapBytesPerOp`: JS-heap bytes allocated during the phase (GC profiler before/after
 *   statistics plus the final delta, see ../measure/gc-observer.ts) / ops. Includes the harness's
 *   own between-chunk allocations, which `baseline.heapBytesPerOp` shows (typically < 1 B per batch).
 * - `alloc.arrayBufferBytesPerOp`: ArrayBuffer bytes allocated per op *as counted at the strategy
 *   seam*: the strategies' `allocatedBytes + foreignBytes` (exact, deterministic). Allocations that
 *   bypass the strategies are not in it — the next number catches those.
 * - `alloc.externalBytesPerOp`: V8 external memory (ArrayBuffer backing stores, Buffer pool slabs,
 *   other embedder memory) allocated per op, measured exactly in a GC-free window of up to 2000
 *   ops right after the phase (../measure/external-audit.ts; `externalAudit` says how many ops).
 *   It cross-checks the counted number over the same window: a warning fires when V8 saw clearly
 *   more than the strategies counted. Typed arrays of ≤ 64 bytes live on the JS heap, not here.
 * - `alloc.strategyPerOp`: every strategy counter's phase delta / ops.
 * - `gc`: pauses whose start lies in the measured phase; `timeShare` = pause total / phase wall time.
 * - `memory`: `peakRssBytes` is the process's lifetime peak; the other fields are a snapshot at the
 *   end of the phase; `timeline` is sampled every ~100 ms during the phase (ms since phase start).
 */
import type { StrategyCounters } from '../../allocators/buffer-strategy.js';
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import type { ForkRecord, MeasurePlan } from '../result-schema.js';
import { GcObserver, type GcPhaseResult } from '../measure/gc-observer.js';
import { HdrHistogram, type EncodedHistogram } from '../measure/hdr-histogram.js';
import { auditExternalBytes } from '../measure/external-audit.js';
import { MemorySampler, peakRssBytes } from '../measure/memory-sampler.js';
import { SteadyStateDetector, calibrateTimer, chooseBatchSize, nowMs, type TimerCalibration } from '../measure/timer.js';
import { measuredPhaseEnd, measuredPhaseStart } from '../profile/measured-phase.js';

/** What the harness needs of a workload instance. */
export interface Timeable {
  op(): void;
  readonly payloadBytesPerOp: number;
  strategyCounters(): StrategyCounters;
}

/** Length of one warm-up window, ms. */
export const WARMUP_WINDOW_MS = 100;
/** Longest stretch the timed loop runs without yielding, ms. */
export const CHUNK_MS = 50;
/**
 * Chunk length during warm-ups, ms: short, so that the timing functions are *called* often (V8
 * installs regular optimised code at a call; until then each call starts interpreted, and an
 * interpreted loop boxes every double it touches, which would show as heap bytes per op).
 */
const WARMUP_CHUNK_MS = 5;
/** Length and batch size of the baseline loop's own warm-up. */
const BASELINE_WARMUP_MS = 150;
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
  'warmup' | 'batchSize' | 'ops' | 'elapsedNs' | 'opsPerSec' | 'bytesPerSec' | 'latencyNs' | 'timerOverheadNs' | 'baseline' | 'gc' | 'alloc' | 'memory' | 'warnings' | 'externalAudit'
> & { latencyHistogram: EncodedHistogram; timerResolutionNs: number };

// ---- the timing loops -------------------------------------------------------------------------
// Two textually separate copies of one loop: V8 keeps type feedback per function, so the baseline's
// empty op and the workload's op must not share a call site, or the measured loop would be
// polymorphic (slower) because the baseline ran first. Keep both bodies identical.

/** Runs batches of `batchSize` ops until `untilMs` or `samplesMs` is full; returns batches done. */
function timedBatches(w: Timeable, batchSize: number, samplesMs: Float64Array, untilMs: number): number {
  const cap = samplesMs.length;
  let n = 0;
  let t0 = nowMs();
  while (n < cap) {
    for (let j = 0; j < batchSize; j++) w.op();
    const t1 = nowMs();
    samplesMs[n++] = t1 - t0;
    t0 = t1;
    if (t1 >= untilMs) break;
  }
  return n;
}

/** Identical to {@link timedBatches}; used only for the no-op baseline. */
function timedBatchesBaseline(w: Timeable, batchSize: number, samplesMs: Float64Array, untilMs: number): number {
  const cap = samplesMs.length;
  let n = 0;
  let t0 = nowMs();
  while (n < cap) {
    for (let j = 0; j < batchSize; j++) w.op();
    const t1 = nowMs();
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

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls every timing-path function many times with one batch each, before anything is timed. V8
 * allocates a function's feedback vector only after several calls, and a loop that was entered
 * once and ran long gets optimised with no feedback for its entry code; that optimised code then
 * deopts on its next call ("insufficient type feedback") and the loop runs unoptimised — boxing a
 * double per clock read — until V8 recompiles it, possibly in the middle of a measured phase.
 */
function primeTimingPaths(w: Timeable, samplesMs: Float64Array, histogram: HdrHistogram): void {
  for (let i = 0; i < PRIME_CALLS; i++) {
    timedBatches(w, 1, samplesMs, -Infinity);
    timedBatchesBaseline(noopOp, 1, samplesMs, -Infinity);
    // A non-integer factor, as in the measured phase (an integer one would be a Smi, then deopt).
    accountChunk(samplesMs, 1, histogram, 1e6 / 3);
  }
  histogram.reset();
}

/** Calls per timing function in {@link primeTimingPaths}. */
const PRIME_CALLS = 64;

/** Full GC between phases (as JMH does between iterations) so a phase does not pay for the previous one's garbage. */
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

interface PhaseResult {
  batches: number;
  ops: number;
  /** Sum of timed batch durations, ms (excludes the between-chunk work). */
  timedMs: number;
  /** Wall time from phase start to end, ms (includes the between-chunk work). */
  wallMs: number;
  gc: GcPhaseResult;
  counters: StrategyCounters;
  memory: MemorySampler;
}

/** Runs one timed phase of `durationMs` with a fixed batch size, recording into `histogram`. */
async function runPhase(
  loop: Loop,
  w: Timeable,
  batchSize: number,
  durationMs: number,
  samplesMs: Float64Array,
  histogram: HdrHistogram,
  chunkMs = CHUNK_MS,
): Promise<PhaseResult> {
  const countersBefore = { ...w.strategyCounters() };
  const gcObserver = new GcObserver();
  const startMs = nowMs();
  const memory = new MemorySampler(startMs);
  memory.maybeSample(startMs, true);
  // GC entries carry performance.now() times: the observer gets that clock, the loop nowMs().
  const perfStartMs = performance.now();
  gcObserver.begin(perfStartMs);
  const endMs = startMs + durationMs;
  let batches = 0;
  let timedMs = 0;
  let now = nowMs();
  const nsPerMsPerOp = 1e6 / batchSize;
  while (now < endMs) {
    const n = loop(w, batchSize, samplesMs, Math.min(now + chunkMs, endMs));
    timedMs += accountChunk(samplesMs, n, histogram, nsPerMsPerOp);
    batches += n;
    now = nowMs();
    memory.maybeSample(now);
    await yieldToEventLoop();
    now = nowMs();
  }
  const wallMs = now - startMs;
  const counters = diffCounters(w.strategyCounters(), countersBefore);
  memory.maybeSample(now, true);
  const gc = await gcObserver.finish(perfStartMs + wallMs, wallMs);
  return { batches, ops: batches * batchSize, timedMs, wallMs, gc, counters, memory };
}

interface WarmupResult {
  ops: number;
  elapsedMs: number;
  steady: boolean;
  rule: string;
  batchSize: number;
}

/**
 * Warm-up: 100 ms windows through the measured loop itself (so that loop is what the JIT compiles),
 * re-choosing the batch size after each window from the window's *median* ns/op, until the
 * steady-state rule holds on the windows' median throughput or `warmupMs` is spent. Medians,
 * not means: on a shared machine a single preemption inflates a window's mean by milliseconds,
 * which would both block the steady-state rule and under-size the batch. At least one window runs
 * even when `warmupMs` is 0, to size the batch.
 */
async function warmUp(w: Timeable, warmupMs: number, timer: TimerCalibration, samplesMs: Float64Array, histogram: HdrHistogram): Promise<WarmupResult> {
  const detector = new SteadyStateDetector(0.02, 3);
  const startMs = nowMs();
  let batchSize = 1;
  let ops = 0;
  let steady = false;
  do {
    const windowEnd = Math.min(nowMs() + WARMUP_WINDOW_MS, startMs + Math.max(warmupMs, 1));
    histogram.reset();
    while (nowMs() < windowEnd) {
      const n = timedBatches(w, batchSize, samplesMs, Math.min(nowMs() + WARMUP_CHUNK_MS, windowEnd));
      accountChunk(samplesMs, n, histogram, 1e6 / batchSize);
      ops += n * batchSize;
      await yieldToEventLoop();
    }
    const medianNsPerOp = histogram.percentile(50);
    if (medianNsPerOp > 0) {
      batchSize = chooseBatchSize(medianNsPerOp, timer);
      steady = detector.push(1e9 / medianNsPerOp);
    }
  } while (!steady && nowMs() - startMs < warmupMs);
  histogram.reset();
  return {
    ops,
    elapsedMs: nowMs() - startMs,
    steady,
    rule: `100 ms windows; ${detector.rule} (median ops/s of each window's timed batches), capped at ${warmupMs} ms`,
    batchSize,
  };
}

const noopOp: Timeable = {
  op(): void {},
  payloadBytesPerOp: 0,
  strategyCounters: emptyCounters,
};

/** Baseline phase length: a quarter of the measured phase, between 50 and 500 ms. */
export function baselineMs(durationMs: number): number {
  return Math.min(500, Math.max(50, durationMs / 4));
}

/** Measures `w` according to `plan`. Throws whatever `w.op()` throws (the fork fails). */
export async function measureCell(w: Timeable, plan: MeasurePlan): Promise<Measurement> {
  const warnings: string[] = [];
  const samplesMs = new Float64Array(SAMPLES_PER_CHUNK);
  const timer = calibrateTimer();

  // Every timing-path function (loops, accountChunk, histogram.record, the GC observer) runs in
  // priming and warm-up exactly as in measurement, so that JIT tier-ups and deopts happen there
  // rather than in the measured phase: an interpreted accountChunk boxes every double it touches
  // (~1 MB of garbage per chunk), an interpreted loop 16 B per clock read.
  const histogram = newLatencyHistogram();
  primeTimingPaths(w, samplesMs, histogram);
  // The baseline loop is warmed first, so that its optimised code (TurboFan compiles on a
  // background thread, and a first regular compile often deopts for want of feedback) has the
  // whole of the workload's warm-up to settle: a baseline loop still running unoptimised code
  // boxes its doubles (16 B per batch) and would misreport the harness's own allocation.
  await runPhase(timedBatchesBaseline, noopOp, BASELINE_WARMUP_BATCH, BASELINE_WARMUP_MS, samplesMs, histogram, WARMUP_CHUNK_MS);
  const warm = await warmUp(w, plan.warmupMs, timer, samplesMs, histogram);
  const batchSize = warm.batchSize;
  if (!warm.steady) {
    warnings.push(
      `warm-up did not reach steady state within ${plan.warmupMs} ms (${warm.rule}): raise the warm-up or quiet the machine; early JIT or GC effects may be in the numbers`,
    );
  }

  // No-op baseline through the twin loop, with the cell's batch size: the harness's own time and
  // JS-heap allocation per op (its loop was warmed up before the workload's warm-up).
  const bMs = baselineMs(plan.durationMs);
  await runPhase(timedBatchesBaseline, noopOp, batchSize, WARMUP_CHUNK_MS * 4, samplesMs, histogram, WARMUP_CHUNK_MS);
  collectGarbage(warnings);
  histogram.reset();
  const base = await runPhase(timedBatchesBaseline, noopOp, batchSize, bMs, samplesMs, histogram);
  const baseline = {
    // Median per-batch cost, not the mean: the harness's cost is what every batch pays, while a
    // preemption on a shared machine lands on a few batches and would inflate a mean.
    nsPerOp: base.ops > 0 ? histogram.percentile(50) : 0,
    heapBytesPerOp: base.ops > 0 ? base.gc.heapAllocatedBytes / base.ops : 0,
  };

  histogram.reset();
  collectGarbage(warnings);
  // `npm run profile` attaches its profilers to exactly this phase (no-op unless a profiler listens).
  measuredPhaseStart();
  const phase = await runPhase(timedBatches, w, batchSize, plan.durationMs, samplesMs, histogram);
  measuredPhaseEnd(phase.ops);
  const ops = phase.ops;
  if (ops === 0) throw new Error('no operation completed in the measured phase');
  const opsPerSec = ops / (phase.timedMs / 1000);
  const h = histogram.summary();

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
  if (batchSize > 1) {
    warnings.push(`operations are timed in batches of ${batchSize} (one op is shorter than the clock allows): latency percentiles are of batch means and hide the spread within a batch`);
  }
  if (phase.batches < 1000) {
    warnings.push(`only ${phase.batches} timed samples: percentiles above p99 rest on few samples; lengthen the measured phase`);
  }
  if (phase.gc.droppedPauses > 0) warnings.push(`GC pause list capped: ${phase.gc.droppedPauses} pauses not listed (totals are complete)`);
  if (phase.memory.dropped > 0) warnings.push(`memory timeline capped: ${phase.memory.dropped} samples dropped`);

  const perOp = (x: number): number => x / ops;
  const arrayBufferBytesPerOp = perOp(phase.counters.allocatedBytes + phase.counters.foreignBytes);
  // Off-heap bytes per op, measured in a GC-free window after the phase (see ../measure/external-audit.ts).
  const countedBytes = (): number => {
    const c = w.strategyCounters();
    return c.allocatedBytes + c.foreignBytes;
  };
  const audit = await auditExternalBytes(() => w.op(), countedBytes);
  let externalBytesPerOp: number;
  if (audit === null) {
    externalBytesPerOp = perOp(phase.gc.externalAllocatedBytes);
    warnings.push(
      `no GC-free window found to measure off-heap bytes per op: externalBytesPerOp (${externalBytesPerOp.toFixed(0)}) is the GC-statistics estimate, a lower bound that can be far too low`,
    );
  } else {
    externalBytesPerOp = audit.bytesPerOp;
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

  const mem = process.memoryUsage();
  const { droppedPauses: _dropped, heapAllocatedBytes, externalAllocatedBytes: _ext, profilerGcCount: _n, ...gc } = phase.gc;
  return {
    // Warm-up ops include the priming calls' ops (one per call).
    warmup: { ops: warm.ops + PRIME_CALLS, elapsedMs: warm.elapsedMs, steady: warm.steady, rule: warm.rule },
    batchSize,
    ops,
    elapsedNs: phase.timedMs * 1e6,
    opsPerSec,
    bytesPerSec: opsPerSec * w.payloadBytesPerOp,
    latencyNs: { p50: h.p50, p90: h.p90, p99: h.p99, p999: h.p999, max: h.max, min: h.min, mean: h.mean, count: h.count },
    latencyHistogram: histogram.encode(),
    timerOverheadNs: timer.overheadNs,
    timerResolutionNs: timer.resolutionNs,
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
  };
}

function diffCounters(after: StrategyCounters, before: StrategyCounters): StrategyCounters {
  const d = emptyCounters();
  for (const k of Object.keys(d) as Array<keyof StrategyCounters>) d[k] = after[k] - before[k];
  return d;
}
