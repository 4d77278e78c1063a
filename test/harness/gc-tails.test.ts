/**
 * GC-attributed latency tails (issue 8, item 2): the overlap computation on synthetic intervals
 * (exact counts), the capped batch timeline, the downsampled latency timeline, the cell summary,
 * and a real heavily allocating workload whose slowest operations overlap GC pauses.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import { measureCell, type Timeable } from '../../harness/child/measure-cell.js';
import { BatchTimeline, downsampleTimeline, gcTailShare } from '../../harness/measure/gc-tails.js';
import { summarizeForks } from '../../harness/stats/summarize.js';
import { testCell, validRecord } from './child/record-fixture.js';

describe('gcTailShare on synthetic intervals', () => {
  // Ten batches back to back from t = 0: 1 ms each except batches 2, 5, 7 and 9 (2 ms, the slow ones).
  const starts = [0, 1, 2, 4, 5, 6, 8, 9, 11, 12];
  const durations = [1, 1, 2, 1, 1, 2, 1, 2, 1, 2];

  it('counts slow batches and those overlapping a pause, exactly', () => {
    const pauses = {
      // Pause A [2.5, 2.7) inside batch 2 (slow); B [6.5, 6.6) inside batch 5 (slow);
      // C [3.0, 4.0) touches batch 3's start at 4.0 exactly (no overlap) and batch 2's end at 4.0
      // (batch 2 is [2, 4): C starts inside it — overlap); D [10.5, 11.5) overlaps batches 7 ([9,11))
      // and 8 ([11,12), fast).
      startMs: [6.5, 2.5, 3.0, 10.5],
      durationMs: [0.1, 0.2, 1.0, 1.0],
    };
    // Threshold 1.5 ms per op = 1.5e6 ns: slow batches are 2, 5, 7, 9.
    const r = gcTailShare(starts, durations, starts.length, 1, 1.5e6, pauses);
    expect(r).toEqual({ thresholdNs: 1.5e6, slowOps: 4, overlappingGc: 3, share: 0.75 });
  });

  it('treats touching intervals as not overlapping and finds a long pause that started much earlier', () => {
    // One long pause [0, 9) nested with a short one [1, 1.1): batch 7 [9, 11) only touches the end.
    const pauses = { startMs: [1, 0], durationMs: [0.1, 9] };
    const r = gcTailShare(starts, durations, starts.length, 1, 1.5e6, pauses);
    // Batches 2 [2,4) and 5 [6,8) overlap the long pause; 7 touches it; 9 [12,14) is clear.
    expect(r).toEqual({ thresholdNs: 1.5e6, slowOps: 4, overlappingGc: 2, share: 0.5 });
  });

  it('counts operations, not batches, and divides batch time by the batch size', () => {
    // Batches of 4 ops: a 2 ms batch is 0.5 ms per op; threshold 0.4 ms per op.
    const r = gcTailShare(starts, durations, starts.length, 4, 0.4e6, { startMs: [2.5], durationMs: [0.1] });
    expect(r).toEqual({ thresholdNs: 0.4e6, slowOps: 16, overlappingGc: 4, share: 0.25 });
  });

  it('reports share 0 when nothing is slower than the threshold or there is no pause', () => {
    expect(gcTailShare(starts, durations, starts.length, 1, 5e6, { startMs: [2.5], durationMs: [1] })).toEqual({
      thresholdNs: 5e6,
      slowOps: 0,
      overlappingGc: 0,
      share: 0,
    });
    expect(gcTailShare(starts, durations, starts.length, 1, 1.5e6, { startMs: [], durationMs: [] })).toEqual({
      thresholdNs: 1.5e6,
      slowOps: 4,
      overlappingGc: 0,
      share: 0,
    });
  });

  it('only looks at the first n batches', () => {
    const r = gcTailShare(starts, durations, 3, 1, 1.5e6, { startMs: [6.5], durationMs: [0.1] });
    expect(r.slowOps).toBe(1);
    expect(r.overlappingGc).toBe(0);
  });
});

describe('BatchTimeline', () => {
  it('keeps the first `capacity` batches and counts all of them', () => {
    const t = new BatchTimeline(5);
    t.append(Float64Array.from([0, 1, 2]), Float64Array.from([1, 1, 1]), 3);
    t.append(Float64Array.from([3, 4, 5, 6]), Float64Array.from([2, 2, 2, 2]), 4);
    expect(t.count).toBe(5);
    expect(t.total).toBe(7);
    expect([...t.startMs]).toEqual([0, 1, 2, 3, 4]);
    expect([...t.durationMs]).toEqual([1, 1, 1, 2, 2]);
    t.shift(-0.5);
    expect([...t.startMs]).toEqual([-0.5, 0.5, 1.5, 2.5, 3.5]);
    t.reset();
    expect([t.count, t.total]).toEqual([0, 0]);
  });
});

describe('downsampleTimeline', () => {
  it('keeps the slowest batch of each time bucket, as ns per op at its start', () => {
    const starts = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const durations = [1, 3, 1, 1, 1, 1, 1, 5, 1];
    // 3 buckets over [0, 8]: [0, 2.67) → batches 0..2, [2.67, 5.33) → 3..5, [5.33, 8] → 6..8.
    expect(downsampleTimeline(starts, durations, 9, 2, 3)).toEqual([
      [1, 1.5e6],
      [3, 0.5e6],
      [7, 2.5e6],
    ]);
    expect(downsampleTimeline(starts, durations, 0, 1, 3)).toEqual([]);
    // Fewer batches than points: one point per batch.
    expect(downsampleTimeline(starts, durations, 2, 1, 10)).toEqual([
      [0, 1e6],
      [1, 3e6],
    ]);
  });
});

describe('cell summary', () => {
  it('carries the median of the forks\' GC-overlapping shares', () => {
    const cell = testCell();
    const share = (s: number) => ({ thresholdNs: 1, slowOps: 10, overlappingGc: 10 * s, share: s });
    const forks = [0.2, 0.9, 0.5].map((s, i) => ({
      ...validRecord(cell),
      forkIndex: i,
      gcTails: { p99: share(s), p999: share(1 - s), batchesAnalysed: 10, batchesTotal: 10, clockUncertaintyMs: 0 },
    }));
    const { summary } = summarizeForks(cell.id, forks, { seed: 1, resamples: 100 });
    expect(summary.gcTails).toEqual({ p99: { share: 0.5 }, p999: { share: 0.5 } });
    // Records without the field (older children) leave it out.
    expect(summarizeForks(cell.id, [validRecord(cell)], { seed: 1, resamples: 100 }).summary.gcTails).toBeUndefined();
  });
});

describe('a heavily allocating workload', () => {
  it('has slow operations that overlap GC pauses', async () => {
    // Each op builds ~40 kB of short-lived JS objects: scavenges every few hundred ops, each one
    // lasting far longer than an op, so the slowest 1% of operations include GC-hit ones.
    let sink = 0;
    const w: Timeable = {
      payloadBytesPerOp: 0,
      op(): void {
        const a: Array<{ x: number }> = [];
        for (let i = 0; i < 2000; i++) a.push({ x: i });
        sink += a[sink & 1023]!.x + 1;
      },
      strategyCounters: emptyCounters,
    };
    const m = await measureCell(w, { warmupMs: 100, durationMs: 300, seed: 1 });
    expect(m.gc.count).toBeGreaterThan(0);
    const tails = m.gcTails!;
    expect(tails.batchesAnalysed).toBe(m.latencyNs.count);
    expect(tails.p99.slowOps).toBeGreaterThan(0);
    expect(tails.p99.overlappingGc).toBeGreaterThan(0);
    expect(tails.p99.share).toBeGreaterThan(0);
    expect(tails.p99.thresholdNs).toBe(m.latencyNs.p99);
    // The timeline is downsampled, on the GC pauses' time base (ms since the phase start).
    const timeline = m.latencyTimeline!;
    expect(timeline.length).toBeGreaterThan(0);
    expect(timeline.length).toBeLessThanOrEqual(2000);
    expect(timeline[0]![0]).toBeGreaterThanOrEqual(-1);
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]![0]).toBeGreaterThan(timeline[i - 1]![0]);
    // The slowest operation survives downsampling (same value as the histogram's exact max).
    expect(Math.max(...timeline.map((p) => p[1])) / m.latencyNs.max).toBeCloseTo(1, 9);
    expect(sink).toBeGreaterThan(0);
  });
});
