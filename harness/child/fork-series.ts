/**
 * A fork's in-process time series: the timed batches of the warm-up and of the measured phase,
 * binned into fixed windows of the loop clock, each reduced to the median ns/op of its batches (as
 * the warm-up always did: a preemption lands on a few batches and would inflate a mean), plus the
 * ops and timed ms behind the fork's figure. ../stats/warmup-class.ts classifies it; the figure is
 * then taken from the measured windows of the final steady segment ({@link steadyFigure}).
 *
 * Hygiene: {@link ForkSeriesRecorder.addChunk} runs between chunks (never inside a timed batch),
 * on preallocated typed arrays and one HDR histogram; it is warmed up with the warm-up itself, so
 * it runs optimised (no boxed doubles, which would count as the harness's heap bytes per op).
 */
import type { ForkRecord, ForkSeries } from '../../contract/result-schema.js';
import { HdrHistogram } from '../measure/hdr-histogram.js';
import type { WarmupClassification } from '../stats/warmup-class.js';

/** Windows per fork the window length aims at (a full fork: 1 s warm-up + 2 s measured at 50 ms). */
export const TARGET_WINDOWS = 60;
/** Window length bounds, ms: below 10 ms a window of a ~100 µs op holds too few batches for a median. */
export const MIN_WINDOW_MS = 10;
export const MAX_WINDOW_MS = 50;
/** Windows kept per fork at most (a 10-minute fork at 50 ms windows fits). */
const MAX_WINDOWS = 16_384;

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
  private readonly histogram = new HdrHistogram({ lowestDiscernible: 0.001, highestTrackable: 1e12 });
  /** The open window: its grid start (loop clock), batch size, ops and timed ms; NaN start = none open. */
  private windowStartMs = NaN;
  private windowBatch = 0;
  private windowOps = 0;
  private windowTimedMs = 0;

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
    const nsPerMsPerOp = 1e6 / batchSize;
    for (let k = 0; k < n; k++) {
      const start = startsMs[k]!;
      if (!(start < this.windowStartMs + this.windowMs) || batchSize !== this.windowBatch) {
        const base = this.windowStartMs;
        const sameBatch = batchSize === this.windowBatch;
        this.closeWindow();
        // The grid cell that holds this batch; a new grid after a close, a new phase or a new batch size.
        this.windowStartMs = Number.isNaN(base) || !sameBatch ? start : base + Math.floor((start - base) / this.windowMs) * this.windowMs;
        this.windowBatch = batchSize;
      }
      const ms = samplesMs[k]!;
      this.histogram.record(ms * nsPerMsPerOp);
      this.windowOps += batchSize;
      this.windowTimedMs += ms;
    }
  }

  /**
   * Closes the open window (if it holds a batch): its median ns/op becomes the next value. The
   * next batch starts a new grid (the warm-up closes its windows itself, at its own window ends).
   */
  closeWindow(): void {
    if (this.windowOps > 0) {
      if (this.count < MAX_WINDOWS) {
        const i = this.count++;
        this.startMs[i] = this.windowStartMs - this.originMs;
        // A median of 0 (batches below the clock's resolution) would break the log scale: the
        // window's mean stands in, floored at the histogram's resolution.
        const medianNs = this.histogram.percentile(50);
        this.nsPerOp[i] = medianNs > 0 ? medianNs : Math.max((this.windowTimedMs * 1e6) / this.windowOps, this.histogram.lowestDiscernible);
        this.batchSize[i] = this.windowBatch;
        this.ops[i] = this.windowOps;
        this.timedMs[i] = this.windowTimedMs;
      } else {
        this.dropped++;
      }
      this.histogram.reset();
    }
    this.windowOps = 0;
    this.windowTimedMs = 0;
    this.windowStartMs = NaN;
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
