import { describe, expect, it } from 'vitest';
import { constants, type PerformanceEntry } from 'node:perf_hooks';
import { GcObserver, MAX_GC_PAUSES, allocatedBytes, gcKindName } from '../../../harness/measure/gc-observer.js';

function gcEntry(startTime: number, duration: number, kind: number): PerformanceEntry {
  return { name: 'gc', entryType: 'gc', startTime, duration, detail: { kind, flags: 0 } } as unknown as PerformanceEntry;
}

describe('gcKindName', () => {
  it('maps node:perf_hooks GC kinds to the record names', () => {
    expect(gcKindName(constants.NODE_PERFORMANCE_GC_MINOR)).toBe('scavenge');
    expect(gcKindName(constants.NODE_PERFORMANCE_GC_MAJOR)).toBe('markCompact');
    expect(gcKindName(constants.NODE_PERFORMANCE_GC_INCREMENTAL)).toBe('incremental');
    expect(gcKindName(constants.NODE_PERFORMANCE_GC_WEAKCB)).toBe('weakCallbacks');
    expect(gcKindName(2)).toBe('other'); // V8's minor mark-compact
    expect(gcKindName(-1)).toBe('other');
  });

  it('uses the values V8 documents for its GCType flags', () => {
    expect([constants.NODE_PERFORMANCE_GC_MINOR, constants.NODE_PERFORMANCE_GC_MAJOR, constants.NODE_PERFORMANCE_GC_INCREMENTAL, constants.NODE_PERFORMANCE_GC_WEAKCB]).toEqual([1, 4, 8, 16]);
  });
});

describe('allocatedBytes', () => {
  it('adds what each GC freed to the net growth', () => {
    // start 1000, grows to 5000, GC frees to 2000, grows to 4000, GC to 1500, ends at 1800:
    // allocated = 4000 + 2000 + 300 = 6300.
    expect(allocatedBytes(1000, 1800, [{ before: 5000, after: 2000 }, { before: 4000, after: 1500 }])).toBe(6300);
    expect(allocatedBytes(1000, 1000, [])).toBe(0);
  });
});

describe('GcObserver', () => {
  it('totals pauses per kind, keeps phase-relative start times and ignores entries outside the phase', () => {
    const o = new GcObserver();
    (o as unknown as { phaseStartMs: number }).phaseStartMs = 100;
    o.onEntry(gcEntry(90, 5, 1)); // before the phase: ignored
    o.onEntry(gcEntry(110, 0.5, 1));
    o.onEntry(gcEntry(120, 1.5, 1));
    o.onEntry(gcEntry(130, 7, 4));
    o.onEntry(gcEntry(140, 0.25, 8));
    const r = o.summarise([], 0, 0, 200);
    expect(r.count).toBe(4);
    expect(r.pauseMsTotal).toBe(9.25);
    expect(r.pauseMsMax).toBe(7);
    expect(r.timeShare).toBe(9.25 / 200);
    expect(r.byKind).toEqual({
      scavenge: { count: 2, pauseMsTotal: 2, pauseMsMax: 1.5 },
      markCompact: { count: 1, pauseMsTotal: 7, pauseMsMax: 7 },
      incremental: { count: 1, pauseMsTotal: 0.25, pauseMsMax: 0.25 },
      weakCallbacks: { count: 0, pauseMsTotal: 0, pauseMsMax: 0 },
      other: { count: 0, pauseMsTotal: 0, pauseMsMax: 0 },
    });
    expect(r.pauses).toEqual([
      { startMs: 10, durationMs: 0.5, kind: 'scavenge' },
      { startMs: 20, durationMs: 1.5, kind: 'scavenge' },
      { startMs: 30, durationMs: 7, kind: 'markCompact' },
      { startMs: 40, durationMs: 0.25, kind: 'incremental' },
    ]);
  });

  it('caps the pause list but keeps the totals exact', () => {
    const o = new GcObserver();
    for (let i = 0; i < MAX_GC_PAUSES + 5; i++) o.addPause(i, 1, 'scavenge');
    const r = o.summarise([], 0, 0, 1e6);
    expect(r.pauses.length).toBe(MAX_GC_PAUSES);
    expect(r.droppedPauses).toBe(5);
    expect(r.count).toBe(MAX_GC_PAUSES + 5);
    expect(r.pauseMsTotal).toBe(MAX_GC_PAUSES + 5);
  });

  it('computes heap and external bytes allocated from GC profiler samples', () => {
    const o = new GcObserver();
    (o as unknown as { startUsedHeapBytes: number; startExternalBytes: number }).startUsedHeapBytes = 1000;
    (o as unknown as { startExternalBytes: number }).startExternalBytes = 50;
    const r = o.summarise(
      [{ gcType: 'Scavenge', beforeUsedHeapBytes: 9000, afterUsedHeapBytes: 2000, beforeExternalBytes: 550, afterExternalBytes: 150 }],
      3000,
      250,
      10,
    );
    expect(r.heapAllocatedBytes).toBe(2000 + 7000);
    expect(r.externalAllocatedBytes).toBe(200 + 400);
    expect(r.profilerGcCount).toBe(1);
  });

  it('observes real GCs of this process during a phase', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const o = new GcObserver();
    const start = performance.now();
    o.begin(start);
    // Allocate enough short-lived garbage to force several scavenges (no --expose-gc needed).
    let keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) {
      keep.push({ i, s: 'x'.repeat(i % 16) });
      if (keep.length > 1000) keep = [];
    }
    gc?.();
    const end = performance.now();
    const r = await o.finish(end, end - start);
    expect(r.count).toBeGreaterThan(0);
    expect(r.byKind.scavenge!.count).toBeGreaterThan(0);
    expect(r.profilerGcCount).toBeGreaterThan(0);
    // 200k objects of at least 16 bytes each were allocated on the JS heap.
    expect(r.heapAllocatedBytes).toBeGreaterThan(200_000 * 16);
    for (const p of r.pauses) {
      expect(p.startMs).toBeGreaterThanOrEqual(0);
      expect(p.startMs).toBeLessThanOrEqual(end - start);
    }
    expect(keep.length).toBeLessThanOrEqual(1001);
  });
});
