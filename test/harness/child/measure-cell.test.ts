/**
 * measureCell in this process on tiny fake workloads: exact counter arithmetic and the allocation
 * numbers' meaning, and the order of the phases. Nothing about speed is asserted.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import { SETTLE_MS, baselineMs, measureCell, settleMs, type Timeable } from '../../../harness/child/measure-cell.js';
import { measuredPhaseOps } from '../../../harness/child/fork-series.js';
import { HdrHistogram } from '../../../harness/measure/hdr-histogram.js';
import { nowMs } from '../../../harness/measure/timer.js';
import { onMeasuredPhase } from '../../../harness/child/measured-phase.js';

const plan = { warmupMs: 100, durationMs: 150, seed: 1 };

/** A fake workload whose "strategy" counts 1000 ArrayBuffer bytes, 2 copies and 1 view per op. */
function countingWorkload(opts: { allocateUncounted: boolean }): Timeable & { ops: number } {
  const uncountedBytes = 64 * 1024;
  const counters = emptyCounters();
  const keep: Uint8Array[] = [];
  const w = {
    ops: 0,
    payloadBytesPerOp: 64,
    op(): void {
      w.ops++;
      counters.allocations += 1;
      counters.allocatedBytes += 1000;
      counters.copies += 2;
      counters.views += 1;
      if (opts.allocateUncounted) {
        keep.push(new Uint8Array(uncountedBytes)); // off-heap memory the strategy never saw
        if (keep.length > 8) keep.length = 0;
      }
    },
    strategyCounters: () => ({ ...counters }),
  };
  return w;
}

describe('measureCell', () => {
  it('divides the strategy counters of the measured phase exactly by its ops', async () => {
    const w = countingWorkload({ allocateUncounted: false });
    const m = await measureCell(w, plan);
    expect(m.alloc.strategyPerOp.allocations).toBe(1);
    expect(m.alloc.strategyPerOp.allocatedBytes).toBe(1000);
    expect(m.alloc.strategyPerOp.copies).toBe(2);
    expect(m.alloc.strategyPerOp.views).toBe(1);
    expect(m.alloc.strategyPerOp.poolHits).toBe(0);
    // The fake strategy only counts; nothing was really allocated off-heap, and no warning fires:
    // the ArrayBuffer bytes per op are what V8 saw (0), the count stays in strategyPerOp.
    expect(m.alloc.arrayBufferBytesPerOp).toBe(0);
    expect(m.alloc.externalBytesPerOp).toBe(0);
    expect(m.warnings.some((x) => x.includes('outside the strategy seam'))).toBe(false);
    expect(m.bytesPerSec).toBeCloseTo(m.opsPerSec * 64, 6);
    expect(m.latencyNs.count).toBe(measuredPhaseOps(m) / m.batchSize);
    expect(HdrHistogram.decode(m.latencyHistogram).count).toBe(m.latencyNs.count);
    // vitest runs without --expose-gc: the record must say so rather than pretend.
    expect(m.warnings.some((x) => x.startsWith('no --expose-gc'))).toBe(true);
    expect(w.ops).toBeGreaterThan(m.ops);
  });

  it('sees off-heap allocation that bypasses the strategy and warns about it', async () => {
    const m = await measureCell(countingWorkload({ allocateUncounted: true }), plan);
    expect(m.alloc.strategyPerOp.allocatedBytes).toBe(1000);
    expect(m.alloc.arrayBufferBytesPerOp).toBe(64 * 1024);
    // 64 KiB per op of uncounted backing stores, measured exactly in a GC-free window.
    expect(m.externalAudit).toBeDefined();
    expect(m.alloc.externalBytesPerOp).toBe(64 * 1024);
    expect(m.externalAudit!.countedBytesPerOp).toBe(1000);
    expect(m.warnings.some((x) => x.includes('outside the strategy seam'))).toBe(true);
    // Each op also allocates a Uint8Array object on the JS heap.
    expect(m.alloc.heapBytesPerOp).toBeGreaterThan(24);
  });

  it('propagates an error thrown by the operation', async () => {
    let calls = 0;
    const w: Timeable = {
      payloadBytesPerOp: 0,
      op(): void {
        if (++calls > 5000) throw new Error('op failed on purpose');
      },
      strategyCounters: emptyCounters,
    };
    await expect(measureCell(w, plan)).rejects.toThrow('op failed on purpose');
  });

  it('runs the workload again after the forced GC and the no-op baseline, as the last warm-up windows, before the measured phase', async () => {
    const m = await measureCell(countingWorkload({ allocateUncounted: false }), plan);
    expect(settleMs(plan.warmupMs)).toBe(SETTLE_MS);
    const s = m.series!;
    // The GC and the baseline leave a gap of at least the baseline's length in the workload's series
    // (the baseline's op is not the workload's). The last such gap up to the measured phase's first
    // window lies *before* that window, not at it (a stall of the machine can only add gaps), and
    // the windows after it up to the measured phase are the settling run, at the measured batch size.
    const gaps = s.startMs.slice(1, s.measuredFromIndex + 1).map((t, i) => t - s.startMs[i]!);
    const gapAt = gaps.findLastIndex((g) => g >= baselineMs(plan.durationMs)) + 1;
    expect(gapAt).toBeGreaterThan(0);
    expect(gapAt).toBeLessThan(s.measuredFromIndex);
    const settle = { batch: s.batchSize.slice(gapAt, s.measuredFromIndex), ops: s.ops!.slice(gapAt, s.measuredFromIndex) };
    expect(settle.batch.every((b) => b === m.batchSize)).toBe(true);
    expect(settle.ops.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(settleMs(0)).toBe(0);
    expect(settleMs(40)).toBe(40);
  });

  it('sizes the baseline phase from the measured one', () => {
    expect(baselineMs(100)).toBe(50);
    expect(baselineMs(1000)).toBe(125);
    expect(baselineMs(60_000)).toBe(500);
  });
});

describe('measureCell: warm-up classified, figure from the final steady segment', () => {
  it('sees a slowdown that starts inside the measured phase and takes ops/s from after it', async () => {
    let sink = 0;
    let slowFromMs = Infinity;
    const spin = (): void => {
      for (let i = 0; i < 200; i++) sink = (sink * 31 + i) | 0;
    };
    // The op does 4x the work from 200 ms into the 1,200 ms measured phase. (V8 deoptimises and
    // recompiles it there: expect a transient of very slow windows before the slow steady state.)
    const off = onMeasuredPhase((e) => {
      if (e.phase === 'start') slowFromMs = nowMs() + 200;
    });
    const w: Timeable = {
      payloadBytesPerOp: 0,
      op(): void {
        const reps = nowMs() < slowFromMs ? 1 : 4;
        for (let r = 0; r < reps; r++) spin();
      },
      strategyCounters: emptyCounters,
    };
    try {
      const m = await measureCell(w, { warmupMs: 200, durationMs: 1200, seed: 1 });
      const s = m.series!;
      expect(s.windowMs).toBe(23);
      expect(s.changepoints.length).toBeGreaterThan(0);
      const sum = (xs: number[], i: number, to = xs.length): number => xs.slice(i, to).reduce((a, b) => a + b, 0);
      const switchMs = s.startMs[s.measuredFromIndex]! + 200;
      // On a shared machine, contention can shift the series' level near the end too, which is then
      // honestly no-steady-state; what can never happen is flat or warmup.
      expect(['slowdown', 'no-steady-state'], `${m.warnings.join('; ')} series ${s.nsPerOp.map((v) => v.toFixed(0)).join(' ')}`).toContain(m.warmup.class);
      if (m.warmup.class === 'slowdown') {
        expect(m.warmup.steadyFromMs!).toBeGreaterThanOrEqual(switchMs - s.windowMs);
        // The figure rests on the slow part only: exactly its windows' ops and time…
        const from = s.startMs.indexOf(m.warmup.steadyFromMs!);
        expect(m.ops).toBe(sum(s.ops!, from));
        expect(m.elapsedNs / 1e6).toBeCloseTo(sum(s.timedMs!, from), 6);
        // …so it is far below the fast part's rate (4x the work per op).
        const fastTo = s.startMs.findIndex((t) => t >= switchMs - s.windowMs);
        const fastOpsPerSec = sum(s.ops!, s.measuredFromIndex, fastTo) / (sum(s.timedMs!, s.measuredFromIndex, fastTo) / 1000);
        expect(m.opsPerSec).toBeLessThan(0.5 * fastOpsPerSec);
      } else {
        // No steady state: the whole measured phase, and no steadyFromMs.
        expect(m.warmup.steadyFromMs).toBeUndefined();
        expect(m.ops).toBe(sum(s.ops!, s.measuredFromIndex));
      }
      // Per-op figures other than the throughput still cover the whole measured phase.
      expect(m.latencyNs.count * m.batchSize).toBe(sum(s.ops!, s.measuredFromIndex));
    } finally {
      off();
    }
    expect(sink).not.toBe(0.5);
  });
});
