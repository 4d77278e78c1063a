/**
 * The stretches of a phase that were timed: one interval per chunk of back-to-back batches (batch
 * k + 1 starts where batch k ended, so a chunk's batches cover one contiguous interval) and one per
 * event-loop yield after a chunk (V8's tasks run there: the workload's time). Between them the
 * harness does its own work (histogram recording, memory and JIT samples, waiting for the turn),
 * which `opsPerSec` excludes; these intervals let other per-phase figures use the same time base
 * (GC share: pause time inside timed intervals / timed time).
 *
 * Storage is preallocated (the intervals are added between chunks, but nothing there should add
 * garbage that the next chunk's heap count would carry).
 */

/** Intervals kept per phase: two per chunk (its batches, its yield), 32,768 = 16,384 × 50 ms chunks ≈ 13 minutes. Later ones are dropped and counted. */
export const MAX_TIMED_INTERVALS = 1 << 15;

export class TimedIntervals {
  private readonly startMs = new Float64Array(MAX_TIMED_INTERVALS);
  private readonly endMs = new Float64Array(MAX_TIMED_INTERVALS);
  private n = 0;
  /** Intervals that did not fit (their time is still in `timedMs`). */
  dropped = 0;

  reset(): void {
    this.n = 0;
    this.dropped = 0;
  }

  get count(): number {
    return this.n;
  }

  /** Adds one chunk [startMs, endMs), ms on any clock shared with {@link overlapMs}'s pauses. */
  add(startMs: number, endMs: number): void {
    if (this.n === MAX_TIMED_INTERVALS) {
      this.dropped++;
      return;
    }
    this.startMs[this.n] = startMs;
    this.endMs[this.n] = endMs;
    this.n++;
  }

  /**
   * Total time of `pauses` that lies inside the intervals, ms. Both must be in increasing start
   * order (chunks are added in order; GC pauses arrive in order) and intervals must not overlap.
   */
  overlapMs(pauses: ReadonlyArray<{ startMs: number; durationMs: number }>): number {
    let total = 0;
    let i = 0;
    for (const p of pauses) {
      const ps = p.startMs;
      const pe = p.startMs + p.durationMs;
      // Skip chunks that end before this pause starts; they end before every later pause too.
      while (i < this.n && this.endMs[i]! <= ps) i++;
      for (let j = i; j < this.n && this.startMs[j]! < pe; j++) {
        const lo = Math.max(ps, this.startMs[j]!);
        const hi = Math.min(pe, this.endMs[j]!);
        if (hi > lo) total += hi - lo;
      }
    }
    return total;
  }
}
