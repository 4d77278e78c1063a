/**
 * Off-heap bytes allocated per operation, measured directly: V8's `external_memory` counter grows
 * at the moment an ArrayBuffer backing store (or any embedder-reported memory) is allocated, and
 * only falls when a GC's sweeper frees one. So over a short window in which no GC ran, its growth
 * is exactly the bytes allocated. The audit runs the operation in such a window (retrying with a
 * smaller window when a GC landed in it) after the measured phase.
 *
 * Frees can still land in a window without a GC: V8 applies a finished background sweep's frees on
 * the main thread at the next ArrayBuffer allocation. So before each window the audit sleeps 2 ms
 * (the sweep finishes) and allocates one ArrayBuffer (its frees are applied then), and a window is
 * discarded if the counter ever fell between two checks (every 16 ops) — frees only lower it.
 *
 * Why not from GC statistics over the whole phase, like the JS-heap number: ArrayBuffer backing
 * stores are freed by a concurrent sweeper after the GC's "after" snapshot, so the frees are
 * invisible there and the estimate falls far below the truth (measured here: 2–91%, even
 * negative); see ./gc-observer.ts.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface ExternalAudit {
  /** V8 external bytes allocated per op in the audit window. */
  bytesPerOp: number;
  /** What `counted()` grew by per op over the same window (the strategies' own count). */
  countedBytesPerOp: number;
  /** Operations in the window that counted. */
  ops: number;
  /** Windows discarded because a GC ran in them or the counter fell (a free landed in them). */
  discardedWindows: number;
}

export interface AuditLimits {
  /** Operations per window at most. */
  maxOps: number;
  /** Stop a window once this many external bytes were allocated (kept below V8's external-memory GC trigger). */
  maxBytes: number;
  /** Windows tried before giving up. */
  attempts: number;
}

export const DEFAULT_AUDIT_LIMITS: AuditLimits = { maxOps: 2000, maxBytes: 16 * 1024 * 1024, attempts: 6 };

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `op` in GC-free windows; null when every window had a GC (the caller says so in a warning). */
export async function auditExternalBytes(
  op: () => void,
  /** Cumulative ArrayBuffer bytes the workload's strategies counted (for the same window). */
  counted: () => number,
  limits: AuditLimits = DEFAULT_AUDIT_LIMITS,
): Promise<ExternalAudit | null> {
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime, e.startTime + e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    let maxOps = limits.maxOps;
    let discarded = 0;
    for (let attempt = 0; attempt < limits.attempts; attempt++) {
      // Let a pending sweep finish, its GC entries arrive, and its frees be applied (see above).
      await new Promise((resolve) => setTimeout(resolve, 2));
      await yieldToEventLoop();
      applyPendingFrees();
      gcStarts.length = 0;
      const startMs = performance.now();
      const startCounted = counted();
      const startBytes = v8.getHeapStatistics().external_memory;
      let ops = 0;
      let grownBytes = 0;
      let fell = false;
      while (ops < maxOps) {
        op();
        ops++;
        if ((ops & 15) === 0) {
          const now = v8.getHeapStatistics().external_memory - startBytes;
          if (now < grownBytes) fell = true;
          grownBytes = now;
          if (grownBytes >= limits.maxBytes) break;
        }
      }
      const finalBytes = v8.getHeapStatistics().external_memory - startBytes;
      if (finalBytes < grownBytes) fell = true;
      grownBytes = finalBytes;
      const countedBytes = counted() - startCounted;
      const endMs = performance.now();
      await yieldToEventLoop();
      await yieldToEventLoop();
      if (!fell && !gcOverlaps(gcStarts, startMs, endMs)) {
        return { bytesPerOp: grownBytes / ops, countedBytesPerOp: countedBytes / ops, ops, discardedWindows: discarded };
      }
      discarded++;
      maxOps = Math.max(16, Math.floor(maxOps / 4));
    }
    return null;
  } finally {
    observer.disconnect();
  }
}

/** Allocates (and drops) one small ArrayBuffer: V8 applies a finished sweep's frees at such an allocation. */
function applyPendingFrees(): void {
  const probe = new ArrayBuffer(256);
  if (probe.byteLength !== 256) throw new Error('unreachable: ArrayBuffer length');
}

/** Whether any [start, end] pair in `pairs` (flattened) overlaps [fromMs, toMs]. */
export function gcOverlaps(pairs: readonly number[], fromMs: number, toMs: number): boolean {
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i]! <= toMs && pairs[i + 1]! >= fromMs) return true;
  }
  return false;
}
