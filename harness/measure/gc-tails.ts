/**
 * GC-attributed latency tails: of the operations slower than a fork's p99 (and p99.9), how many
 * ran while a GC pause was under way — "is the tail the collector's?".
 *
 * Inputs are intervals on ONE clock (see {@link BatchTimeline}: the child converts its loop-clock
 * batch starts to the GC observer's time base before calling {@link gcTailShare}). A batched
 * operation's interval is its batch's interval and its latency is the batch mean (the same numbers
 * as the latency histogram); in open-loop mode a "batch" is one operation from its *intended* start
 * to its end, so an operation that waited behind a pause is attributed to that pause.
 *
 * Everything here works on preallocated typed arrays: {@link BatchTimeline.append} runs between
 * the measuring loop's chunks and allocates nothing; the analysis runs once after the phase.
 */
import type { GcTailShare } from '../../contract/result-schema.js';

/** Batches kept per measured phase: the FIRST this many (≈ 3.2 MB of Float64Arrays). */
export const MAX_TIMELINE_BATCHES = 200_000;
/** Points in the downsampled latency timeline of a fork record. */
export const MAX_TIMELINE_POINTS = 2_000;

/**
 * Start time and duration of the first {@link MAX_TIMELINE_BATCHES} batches of a phase, in
 * preallocated storage. Later batches are counted in `total` but not kept (the record says how many
 * were analysed), so the tail shares describe the start of the phase when it has more batches.
 */
export class BatchTimeline {
  readonly startMs: Float64Array;
  readonly durationMs: Float64Array;
  /** Batches kept. */
  count = 0;
  /** Batches seen (kept or not). */
  total = 0;

  constructor(readonly capacity = MAX_TIMELINE_BATCHES) {
    this.startMs = new Float64Array(capacity);
    this.durationMs = new Float64Array(capacity);
  }

  reset(): void {
    this.count = 0;
    this.total = 0;
  }

  /** Copies `n` batches (starts and durations, ms) from a chunk's arrays. Allocates nothing. */
  append(startsMs: Float64Array, durationsMs: Float64Array, n: number): void {
    const room = Math.min(n, this.capacity - this.count);
    for (let i = 0; i < room; i++) {
      this.startMs[this.count + i] = startsMs[i]!;
      this.durationMs[this.count + i] = durationsMs[i]!;
    }
    this.count += room;
    this.total += n;
  }

  /** Adds `deltaMs` to every kept start (moves the batches onto another clock's time base). */
  shift(deltaMs: number): void {
    for (let i = 0; i < this.count; i++) this.startMs[i] = this.startMs[i]! + deltaMs;
  }
}

/** GC pauses as parallel arrays, ms on the same time base as the batches. */
export interface PauseList {
  startMs: ArrayLike<number>;
  durationMs: ArrayLike<number>;
}

/**
 * `slowOps`: operations (batches × batch size) strictly slower than `thresholdNs` among the analysed
 * batches; `overlappingGc`: those whose interval overlapped a pause (open overlap: touching is not).
 */
export type TailShare = GcTailShare;

/**
 * Counts the slow operations among `n` batches of `opsPerBatch` operations and how many of them
 * overlap a pause. A batch [s, s + d) overlaps pause [p, p + q) when p < s + d and p + q > s.
 * Pauses need not be sorted nor disjoint (incremental-marking steps can nest in other entries).
 * O((n + m) log m); allocates two arrays of the pauses' length.
 */
export function gcTailShare(
  startsMs: ArrayLike<number>,
  durationsMs: ArrayLike<number>,
  n: number,
  opsPerBatch: number,
  thresholdNs: number,
  pauses: PauseList,
): TailShare {
  const m = pauses.startMs.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pauses.startMs[a]! - pauses.startMs[b]!);
  const sortedStart = new Float64Array(m);
  // Running maximum of pause ends over the pauses sorted by start: among the pauses that start
  // before a batch ends, one overlaps the batch iff the latest end among them lies after its start.
  const maxEnd = new Float64Array(m);
  let runningMax = -Infinity;
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    sortedStart[k] = pauses.startMs[i]!;
    runningMax = Math.max(runningMax, pauses.startMs[i]! + pauses.durationMs[i]!);
    maxEnd[k] = runningMax;
  }
  const nsPerMsPerOp = 1e6 / opsPerBatch;
  let slowBatches = 0;
  let overlapping = 0;
  for (let b = 0; b < n; b++) {
    const d = durationsMs[b]!;
    if (!(d * nsPerMsPerOp > thresholdNs)) continue;
    slowBatches++;
    const s = startsMs[b]!;
    const k = lastBelow(sortedStart, m, s + d);
    if (k >= 0 && maxEnd[k]! > s) overlapping++;
  }
  const slowOps = slowBatches * opsPerBatch;
  const overlappingGc = overlapping * opsPerBatch;
  return { thresholdNs, slowOps, overlappingGc, share: slowOps > 0 ? overlappingGc / slowOps : 0 };
}

/** Index of the last element of sorted `a[0..m)` strictly below `x`, or -1. */
function lastBelow(a: Float64Array, m: number, x: number): number {
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Downsamples batches to at most `maxPoints` points `[tMs, latencyNs]`: the analysed span is cut
 * into equal time buckets and each non-empty bucket keeps its slowest batch (at that batch's start),
 * so spikes survive downsampling. Latency is per op (batch duration / `opsPerBatch`).
 */
export function downsampleTimeline(
  startsMs: ArrayLike<number>,
  durationsMs: ArrayLike<number>,
  n: number,
  opsPerBatch: number,
  maxPoints = MAX_TIMELINE_POINTS,
): Array<[number, number]> {
  if (n === 0 || maxPoints < 1) return [];
  const first = startsMs[0]!;
  const last = startsMs[n - 1]!;
  const span = last - first;
  const buckets = Math.min(maxPoints, n);
  const bestIndex = new Int32Array(buckets).fill(-1);
  for (let b = 0; b < n; b++) {
    const slot = span > 0 ? Math.min(buckets - 1, Math.floor(((startsMs[b]! - first) / span) * buckets)) : 0;
    const cur = bestIndex[slot]!;
    if (cur < 0 || durationsMs[b]! > durationsMs[cur]!) bestIndex[slot] = b;
  }
  const out: Array<[number, number]> = [];
  for (let k = 0; k < buckets; k++) {
    const b = bestIndex[k]!;
    if (b >= 0) out.push([startsMs[b]!, (durationsMs[b]! * 1e6) / opsPerBatch]);
  }
  return out;
}
