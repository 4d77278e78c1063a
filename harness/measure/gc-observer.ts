/**
 * GC during one measured phase, from two sources:
 * - `PerformanceObserver` 'gc' entries: one per pause on the main thread, with its kind and duration.
 *   Node creates these entries in an immediate after the GC, so they are only delivered once the
 *   measuring loop yields to the event loop; the loop therefore runs in chunks and yields between
 *   them (harness/child/measure-cell.ts), and {@link GcObserver.finish} yields before reading.
 * - `v8.GCProfiler` (Node ≥ 20): heap statistics before and after every GC, which give the bytes
 *   allocated on the JS heap during the phase (see {@link allocatedBytes}).
 *
 * Pauses are stored in preallocated typed arrays (capped), so observing adds no JS-heap garbage per
 * pause beyond the entry objects Node itself creates.
 */
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { GcKindTotals, GcSummary } from '../../contract/result-schema.js';

export const GC_KINDS = ['scavenge', 'markCompact', 'incremental', 'weakCallbacks', 'other'] as const;
export type GcKind = (typeof GC_KINDS)[number];

/** Pauses kept per phase; counts and totals stay exact beyond it (a warning says the list was capped). */
export const MAX_GC_PAUSES = 10_000;

/**
 * The kind of a 'gc' performance entry's `detail.kind` (node:perf_hooks constants, which mirror
 * V8's GCType flags): MINOR → scavenge, MAJOR → markCompact, INCREMENTAL → incremental marking,
 * WEAKCB → weak callbacks; anything else (e.g. V8's minor mark-compact) → other.
 */
export function gcKindName(kind: number): GcKind {
  switch (kind) {
    case perfConstants.NODE_PERFORMANCE_GC_MINOR:
      return 'scavenge';
    case perfConstants.NODE_PERFORMANCE_GC_MAJOR:
      return 'markCompact';
    case perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case perfConstants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weakCallbacks';
    default:
      return 'other';
  }
}

/** One `GCProfiler` statistics entry, reduced to what we use. */
export interface GcHeapSample {
  gcType: string;
  beforeUsedHeapBytes: number;
  afterUsedHeapBytes: number;
  beforeExternalBytes: number;
  afterExternalBytes: number;
}

/**
 * Bytes allocated during a phase, from sparse snapshots: between two GCs the counter only grows by
 * allocation, and each GC lowers it by what it freed; so allocated = (end − start) + Σ (before − after).
 * For the JS heap this is exact up to objects allocated directly in old space during a GC callback.
 * For V8's external memory (ArrayBuffer backing stores and other embedder memory) it is an
 * estimate: ArrayBuffer backing stores are freed by a sweeper that may run after the "after"
 * snapshot, so frees (and hence the allocations they balance) can be under-counted.
 */
export function allocatedBytes(start: number, end: number, gcs: ReadonlyArray<{ before: number; after: number }>): number {
  let freed = 0;
  for (const g of gcs) freed += g.before - g.after;
  return end - start + freed;
}

export interface GcPhaseResult extends GcSummary {
  pauses: Array<{ startMs: number; durationMs: number; kind: string }>;
  /** Pauses dropped from `pauses` beyond {@link MAX_GC_PAUSES}. */
  droppedPauses: number;
  /** Bytes allocated on the JS heap during the phase (see {@link allocatedBytes}). */
  heapAllocatedBytes: number;
  /**
   * External (off-heap, V8-accounted) bytes allocated during the phase: a LOWER BOUND that can be far
   * too low (see {@link allocatedBytes}); the child measures external bytes per op with
   * ./external-audit.ts instead and uses this only when no GC-free window was found.
   */
  externalAllocatedBytes: number;
  /** GCs the profiler saw (a cross-check of `count`). */
  profilerGcCount: number;
}

interface GcProfilerStats {
  statistics: Array<{
    gcType: string;
    beforeGC: { heapStatistics: { usedHeapSize: number; externalMemory: number } };
    afterGC: { heapStatistics: { usedHeapSize: number; externalMemory: number } };
  }>;
}

interface GcProfilerLike {
  start(): void;
  stop(): GcProfilerStats | undefined;
}

/**
 * Observes GC over one phase: `begin()` at the phase start, `await finish(endMs)` after it.
 * Pause start times are ms since the phase start (`performance.now()` time base).
 */
export class GcObserver {
  private readonly pauseStartMs = new Float64Array(MAX_GC_PAUSES);
  private readonly pauseDurationMs = new Float64Array(MAX_GC_PAUSES);
  private readonly pauseKind = new Uint8Array(MAX_GC_PAUSES);
  private stored = 0;
  private dropped = 0;
  private readonly totals = GC_KINDS.map(() => ({ count: 0, pauseMsTotal: 0, pauseMsMax: 0 }));
  private phaseStartMs = 0;
  private phaseEndMs = Infinity;
  private observer: PerformanceObserver | null = null;
  private profiler: GcProfilerLike | null = null;
  private startUsedHeapBytes = 0;
  private startExternalBytes = 0;

  /** Starts observing; `phaseStartMs` is `performance.now()` at the phase start. */
  begin(phaseStartMs: number): void {
    this.phaseStartMs = phaseStartMs;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.onEntry(e);
    });
    this.observer.observe({ entryTypes: ['gc'] });
    const stats = v8.getHeapStatistics();
    this.startUsedHeapBytes = stats.used_heap_size;
    this.startExternalBytes = stats.external_memory;
    const Profiler = (v8 as unknown as { GCProfiler?: new () => GcProfilerLike }).GCProfiler;
    if (Profiler === undefined) {
      throw new Error('v8.GCProfiler is missing: buflab needs Node.js >= 20 (see package.json engines)');
    }
    this.profiler = new Profiler();
    this.profiler.start();
  }

  /** Ends the phase at `phaseEndMs`, lets pending GC entries arrive, and summarises. */
  async finish(phaseEndMs: number, wallMs: number): Promise<GcPhaseResult> {
    this.phaseEndMs = phaseEndMs;
    const stats = v8.getHeapStatistics();
    const profile = this.profiler?.stop();
    // Node queues 'gc' entries in an immediate and the observer callback in another: two turns
    // of the event loop deliver every pause that ended before phaseEndMs.
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    this.observer?.disconnect();
    this.observer = null;
    const samples = (profile?.statistics ?? []).map((s) => ({
      gcType: s.gcType,
      beforeUsedHeapBytes: s.beforeGC.heapStatistics.usedHeapSize,
      afterUsedHeapBytes: s.afterGC.heapStatistics.usedHeapSize,
      beforeExternalBytes: s.beforeGC.heapStatistics.externalMemory,
      afterExternalBytes: s.afterGC.heapStatistics.externalMemory,
    }));
    return this.summarise(samples, stats.used_heap_size, stats.external_memory, wallMs);
  }

  /** Exposed for tests: feed one entry as the observer would. */
  onEntry(e: PerformanceEntry): void {
    if (e.startTime < this.phaseStartMs || e.startTime > this.phaseEndMs) return;
    const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
    const kind = gcKindName(detail?.kind ?? -1);
    this.addPause(e.startTime - this.phaseStartMs, e.duration, kind);
  }

  addPause(startMs: number, durationMs: number, kind: GcKind): void {
    const k = GC_KINDS.indexOf(kind);
    const t = this.totals[k]!;
    t.count++;
    t.pauseMsTotal += durationMs;
    if (durationMs > t.pauseMsMax) t.pauseMsMax = durationMs;
    if (this.stored < MAX_GC_PAUSES) {
      this.pauseStartMs[this.stored] = startMs;
      this.pauseDurationMs[this.stored] = durationMs;
      this.pauseKind[this.stored] = k;
      this.stored++;
    } else {
      this.dropped++;
    }
  }

  summarise(samples: GcHeapSample[], endUsedHeapBytes: number, endExternalBytes: number, wallMs: number): GcPhaseResult {
    const byKind: Record<string, GcKindTotals> = {};
    let count = 0;
    let pauseMsTotal = 0;
    let pauseMsMax = 0;
    GC_KINDS.forEach((name, i) => {
      const t = this.totals[i]!;
      byKind[name] = { ...t };
      count += t.count;
      pauseMsTotal += t.pauseMsTotal;
      if (t.pauseMsMax > pauseMsMax) pauseMsMax = t.pauseMsMax;
    });
    const pauses: GcPhaseResult['pauses'] = [];
    for (let i = 0; i < this.stored; i++) {
      pauses.push({ startMs: this.pauseStartMs[i]!, durationMs: this.pauseDurationMs[i]!, kind: GC_KINDS[this.pauseKind[i]!]! });
    }
    return {
      count,
      pauseMsTotal,
      pauseMsMax,
      timeShare: wallMs > 0 ? Math.min(1, pauseMsTotal / wallMs) : 0,
      byKind,
      pauses,
      droppedPauses: this.dropped,
      heapAllocatedBytes: allocatedBytes(
        this.startUsedHeapBytes,
        endUsedHeapBytes,
        samples.map((s) => ({ before: s.beforeUsedHeapBytes, after: s.afterUsedHeapBytes })),
      ),
      externalAllocatedBytes: allocatedBytes(
        this.startExternalBytes,
        endExternalBytes,
        samples.map((s) => ({ before: s.beforeExternalBytes, after: s.afterExternalBytes })),
      ),
      profilerGcCount: samples.length,
    };
  }
}
