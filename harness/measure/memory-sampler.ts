/**
 * Memory over one phase, sampled by the measuring loop between its timed chunks (a timer would not
 * fire: the loop is synchronous). Samples go into preallocated typed arrays; `process.memoryUsage()`
 * itself allocates one small object per sample, which is outside the timed batches and shows in the
 * no-op baseline's heap bytes per op.
 */

/** Samples kept: ~100 s at one sample per 100 ms. Later samples are dropped (and counted). */
export const MAX_MEMORY_SAMPLES = 1000;

export interface MemorySample {
  tMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  arrayBuffersBytes: number;
  externalBytes: number;
}

export class MemorySampler {
  private readonly tMs = new Float64Array(MAX_MEMORY_SAMPLES);
  private readonly rss = new Float64Array(MAX_MEMORY_SAMPLES);
  private readonly heapUsed = new Float64Array(MAX_MEMORY_SAMPLES);
  private readonly arrayBuffers = new Float64Array(MAX_MEMORY_SAMPLES);
  private readonly external = new Float64Array(MAX_MEMORY_SAMPLES);
  private stored = 0;
  dropped = 0;
  private lastSampleMs = -Infinity;

  constructor(
    private readonly originMs: number,
    /** Minimum spacing of samples, ms. */
    private readonly intervalMs = 100,
    private readonly read: () => NodeJS.MemoryUsage = () => process.memoryUsage(),
  ) {}

  /** Takes a sample if `intervalMs` has passed since the last one (or `force`). `nowMs` is performance.now(). */
  maybeSample(nowMs: number, force = false): void {
    if (!force && nowMs - this.lastSampleMs < this.intervalMs) return;
    this.lastSampleMs = nowMs;
    if (this.stored >= MAX_MEMORY_SAMPLES) {
      this.dropped++;
      return;
    }
    const m = this.read();
    const i = this.stored++;
    this.tMs[i] = nowMs - this.originMs;
    this.rss[i] = m.rss;
    this.heapUsed[i] = m.heapUsed;
    this.arrayBuffers[i] = m.arrayBuffers;
    this.external[i] = m.external;
  }

  timeline(): MemorySample[] {
    const out: MemorySample[] = [];
    for (let i = 0; i < this.stored; i++) {
      out.push({
        tMs: this.tMs[i]!,
        rssBytes: this.rss[i]!,
        heapUsedBytes: this.heapUsed[i]!,
        arrayBuffersBytes: this.arrayBuffers[i]!,
        externalBytes: this.external[i]!,
      });
    }
    return out;
  }
}

/** Peak resident set size of this process so far, bytes (`resourceUsage().maxRSS` is in KiB). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
