/**
 * A fork's in-process time series: the timed batches of the warm-up and of the measured phase,
 * binned into fixed windows of the loop clock, each reduced to the median ns/op of its batches (as
 * the warm-up always did: a preemption lands on a few batches and would inflate a mean), plus the
 * ops and timed ms behind the fork's figure. ../stats/warmup-class.ts classifies it; the figure is
 * then taken from the measured windows of the final steady segment ({@link steadyFigure}).
 *
 * Hygiene: {@link ForkSeriesRecorder.addChunk} runs between chunks (never inside a timed batch),
 * on preallocated typed arrays only, and does no JavaScript work per batch: a window's batches
 * are found by binary search on their starts and copied natively into the window's buffer, whose
 * median is taken by sorting it in place when the window closes. A per-batch loop here (an HDR
 * `record()` per batch, or double arithmetic in code that V8 had deoptimised or not yet
 * OSR-compiled at the start of each chunk) cost ~10 B of JS heap per timed batch in the measured
 * phase; test/harness/child/zero-alloc-loop.test.ts caught it.
 */
import type { ForkRecord, ForkSeries } from '../../contract/result-schema.js';
import type { WarmupClassification } from '../stats/warmup-class.js';

/** Windows per fork the window length aims at (a full fork: 1 s warm-up + 2 s measured at 50 ms). */
export const TARGET_WINDOWS = 60;
/** Window length bounds, ms: below 10 ms a window of a ~100 µs op holds too few batches for a median. */
export const MIN_WINDOW_MS = 10;
export const MAX_WINDOW_MS = 50;
/** Windows kept per fork at most (a 10-minute fork at 50 ms windows fits). */
const MAX_WINDOWS = 16_384;
/**
 * Batch durations kept per window for its median (a window is at most 50 ms, the loop's chunk, and a
 * chunk holds at most 65,536 batches); later batches of an overfull window still count in its ops
 * and timed ms.
 */
const MAX_BATCHES_PER_WINDOW = 1 << 16;
/** Smallest ns/op a window reports (a median of 0 would break the classifier's log scale). */
const FLOOR_NS_PER_OP = 0.001;

/**
 * Window length for a fork that warms up `warmupMs` and measures `durationMs`: about
 * {@link TARGET_WINDOWS} windows over both, within [{@link MIN_WINDOW_MS}, {@link MAX_WINDOW_MS}] ms.
 * 60 windows give PELT enough points to place a change within a window or two and leave 15 windows
 * (the 25% tail of Barrett's rule) to call a final segment steady; 50 ms is the measured loop's chunk,
 * so a full fork's windows are as fine as the loop's own cadence.
 */
export function seriesWindowMs(warmupMs: number, durationMs: number): number {
  return Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.round((warmupMs + durationMs) / TARGET_WINDOWS)));
}

/** Records batches into fixed windows. */
/** Slots of {@link ForkSeriesRecorder}'s open window. */
const W_START = 0;
const W_BATCH = 1;
const W_OPS = 2;
const W_TIMED_MS = 3;

export class ForkSeriesRecorder {
  readonly startMs = new Float64Array(MAX_WINDOWS);
  readonly nsPerOp = new Float64Array(MAX_WINDOWS);
  readonly batchSize = new Float64Array(MAX_WINDOWS);
  readonly ops = new Float64Array(MAX_WINDOWS);
  readonly timedMs = new Float64Array(MAX_WINDOWS);
  count = 0;
  /** Index of the first measured window, or -1 before {@link markMeasured}. */
  measuredFromIndex = -1;
  /** Windows dropped because the arrays were full. */
  dropped = 0;
  /** The open window's batch durations, ms (the first `batchesKept`). */
  private readonly batchMs = new Float64Array(MAX_BATCHES_PER_WINDOW);
  private batchesKept = 0;
  /**
   * The open window, in one preallocated Float64Array: [grid start (loop clock; NaN = none open),
   * batch size, ops, timed ms]. Not object fields: a double stored into an object field per batch
   * allocated a HeapNumber (measured: ~10 B per timed batch in the measured phase, which the
   * zero-allocation test caught); stores into a Float64Array allocate nothing.
   */
  private readonly open = new Float64Array([NaN, 0, 0, 0]);

  /** `originMs`: loop-clock time (nowMs) that becomes 0 of the series' clock. */
  constructor(
    readonly windowMs: number,
    readonly originMs: number,
  ) {}

  /**
   * Adds batches 0..n−1 of a chunk (batch k started at `startsMs[k]` on the loop clock and lasted
   * `samplesMs[k]` ms, each of `batchSize` ops). A batch belongs to the window its start falls in;
   * windows follow a grid of `windowMs` from the first batch after construction or
   * {@link markMeasured}, and a window with no batch (a gap between phases) is not recorded.
   */
  addChunk(samplesMs: Float64Array, startsMs: Float64Array, n: number, batchSize: number): void {
    const open = this.open;
    let a = 0;
    while (a < n) {
      const start = startsMs[a]!;
      if (!(start < open[W_START]! + this.windowMs) || batchSize !== open[W_BATCH]) {
        const base = open[W_START]!;
        const sameBatch = batchSize === open[W_BATCH];
        this.closeWindow();
        // The grid cell that holds this batch; a new grid after a close, a new phase or a new batch size.
        open[W_START] = Number.isNaN(base) || !sameBatch ? start : base + Math.floor((start - base) / this.windowMs) * this.windowMs;
        open[W_BATCH] = batchSize;
      }
      // Batches a..b−1 start inside the open window (starts ascend: binary search, no per-batch work).
      const windowEndMs = open[W_START]! + this.windowMs;
      let lo = a + 1;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (startsMs[mid]! < windowEndMs) lo = mid + 1;
        else hi = mid;
      }
      const b = lo;
      const keep = Math.min(b - a, MAX_BATCHES_PER_WINDOW - this.batchesKept);
      if (keep > 0) {
        this.batchMs.set(samplesMs.subarray(a, a + keep), this.batchesKept);
        this.batchesKept += keep;
      }
      open[W_OPS] = open[W_OPS]! + (b - a) * batchSize;
      // The loop's batches are back to back (each starts where the previous ended), so their summed
      // durations are the span from the first start to the last end.
      open[W_TIMED_MS] = open[W_TIMED_MS]! + (startsMs[b - 1]! + samplesMs[b - 1]! - start);
      a = b;
    }
  }

  /**
   * Adds `ms` of the event-loop yield after a chunk to the open window's timed time (no ops): the
   * tasks V8 runs there are the workload's (see runPhase in ./measure-cell.ts). Nothing when no
   * window is open. Its median ns/op (the classifier's value) stays the batches' own.
   */
  addYieldMs(ms: number): void {
    const open = this.open;
    if (Number.isNaN(open[W_START]!)) return;
    open[W_TIMED_MS] = open[W_TIMED_MS]! + ms;
  }

  /**
   * Closes the open window (if it holds a batch): its median ns/op becomes the next value. The
   * next batch starts a new grid (the warm-up closes its windows itself, at its own window ends).
   */
  closeWindow(): void {
    const open = this.open;
    const windowOps = open[W_OPS]!;
    const windowTimedMs = open[W_TIMED_MS]!;
    if (windowOps > 0) {
      if (this.count < MAX_WINDOWS) {
        const i = this.count++;
        this.startMs[i] = open[W_START]! - this.originMs;
        // A median of 0 (batches below the clock's resolution) would break the log scale: the
        // window's mean stands in, floored.
        const kept = this.batchMs.subarray(0, this.batchesKept).sort();
        const mid = kept.length >> 1;
        const medianMs = kept.length % 2 === 1 ? kept[mid]! : (kept[mid - 1]! + kept[mid]!) / 2;
        const medianNs = (medianMs * 1e6) / open[W_BATCH]!;
        this.nsPerOp[i] = medianNs > 0 ? medianNs : Math.max((windowTimedMs * 1e6) / windowOps, FLOOR_NS_PER_OP);
        this.batchSize[i] = open[W_BATCH]!;
        this.ops[i] = windowOps;
        this.timedMs[i] = windowTimedMs;
      } else {
        this.dropped++;
      }
      this.batchesKept = 0;
    }
    open[W_OPS] = 0;
    open[W_TIMED_MS] = 0;
    open[W_START] = NaN;
  }

  /** The lowest ns/op among the last `k` recorded windows; NaN when none. */
  fastestRecentNsPerOp(k: number): number {
    if (this.count === 0) return NaN;
    let best = Infinity;
    for (let i = Math.max(0, this.count - k); i < this.count; i++) best = Math.min(best, this.nsPerOp[i]!);
    return best;
  }

  /** Ends the warm-up: later windows are the measured phase's, on a grid that starts with its first batch. */
  markMeasured(): void {
    this.closeWindow();
    this.measuredFromIndex = this.count;
  }

  /** The recorded per-window ns/op, for the classifier. */
  values(): number[] {
    return Array.from(this.nsPerOp.subarray(0, this.count));
  }

  /** The record's `series`, with the classification's segments. */
  toSeries(c: WarmupClassification): ForkSeries {
    const n = this.count;
    const list = (a: Float64Array): number[] => Array.from(a.subarray(0, n));
    return {
      windowMs: this.windowMs,
      startMs: list(this.startMs),
      nsPerOp: list(this.nsPerOp),
      batchSize: list(this.batchSize),
      ops: list(this.ops),
      timedMs: list(this.timedMs),
      measuredFromIndex: this.measuredFromIndex < 0 ? n : this.measuredFromIndex,
      changepoints: c.changepoints,
      segmentMeansNs: c.segmentMeansNs,
      method: c.method,
    };
  }
}

export interface SteadyFigure {
  /** Ops and timed ms the figure rests on. */
  ops: number;
  timedMs: number;
  /** First window the figure uses. */
  fromIndex: number;
  /** `steady-segment`: only the measured windows of the final steady segment; `measured-phase`: all of them. */
  basis: 'steady-segment' | 'measured-phase';
}

/**
 * The fork's figure: the measured windows (from `measuredFromIndex`) that lie in the final steady
 * segment (from `steadyFromIndex`). When that segment began before the measured phase, or there is
 * none (`no-steady-state`: `steadyFromIndex` undefined), the whole measured phase — the class then
 * says that the figure is not steady. Returns null when the measured phase has no window.
 */
export function steadyFigure(
  series: Pick<ForkSeries, 'ops' | 'timedMs' | 'measuredFromIndex'> & { ops: readonly number[]; timedMs: readonly number[] },
  steadyFromIndex: number | undefined,
): SteadyFigure | null {
  const n = series.ops.length;
  if (series.measuredFromIndex >= n) return null;
  const steadyInside = steadyFromIndex !== undefined && steadyFromIndex > series.measuredFromIndex;
  const fromIndex = steadyInside ? steadyFromIndex : series.measuredFromIndex;
  let ops = 0;
  let timedMs = 0;
  for (let i = fromIndex; i < n; i++) {
    ops += series.ops[i]!;
    timedMs += series.timedMs[i]!;
  }
  return { ops, timedMs, fromIndex, basis: steadyInside ? 'steady-segment' : 'measured-phase' };
}

/**
 * True when the gap between two successive measured windows' starts, ms, is a wait for a turn of a
 * time-sliced round: longer than a window and half a turn (a mark-compact inside a turn can leave one
 * window empty; another fork's turn takes a whole turn).
 */
export function isTurnWait(gapMs: number, windowMs: number, sliceMs: number): boolean {
  return gapMs > windowMs + sliceMs / 2;
}

/**
 * A sliced fork's measured phase split into its turns (the stretches between waits, see
 * {@link isTurnWait}): each turn's ops and timed ms. A fork that never waited is one turn; a record
 * without per-window ops gives none.
 */
export function measuredTurns(record: Pick<ForkRecord, 'series' | 'slicing'>): { ops: number; timedMs: number }[] {
  const s = record.series;
  if (s?.ops === undefined || s.timedMs === undefined) return [];
  const sliceMs = record.slicing?.sliceMs ?? Number.POSITIVE_INFINITY;
  const turns: { ops: number; timedMs: number }[] = [];
  for (let i = s.measuredFromIndex; i < s.ops.length; i++) {
    if (turns.length === 0 || isTurnWait(s.startMs[i]! - s.startMs[i - 1]!, s.windowMs, sliceMs)) turns.push({ ops: 0, timedMs: 0 });
    const t = turns[turns.length - 1]!;
    t.ops += s.ops[i]!;
    t.timedMs += s.timedMs[i]!;
  }
  return turns;
}

/**
 * Ops of a record's whole measured phase — the divisor of every other per-op figure (allocation,
 * GC, instructions) — which is more than `ops` when the figure rests on a steady segment inside
 * the phase. Old records (no series) have only `ops`.
 */
export function measuredPhaseOps(record: Pick<ForkRecord, 'ops' | 'series'>): number {
  const s = record.series;
  if (s?.ops === undefined || s.measuredFromIndex >= s.ops.length) return record.ops;
  let ops = 0;
  for (let i = s.measuredFromIndex; i < s.ops.length; i++) ops += s.ops[i]!;
  return ops;
}
