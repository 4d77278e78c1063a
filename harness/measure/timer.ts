/**
 * The clock the child times with, and how long a batch of operations must be for that clock.
 *
 * The clock is {@link nowMs}: `process.hrtime()` turned into a double of ms. Measured on Node 20
 * (B/read inside a timing loop): `performance.now()` 16 (its double result is boxed: it is not
 * inlined), `process.hrtime.bigint()` 56 (a BigInt), `process.hrtime()` ≈ 0 (its two-element array
 * does not escape once `nowMs` is inlined, so TurboFan removes it). A clock that allocates would
 * show up as heap bytes per op in every cell.
 *
 * Why not tinybench here or on the hot loop: tinybench times every iteration with its own pair of
 * clock reads and pushes each sample into a growing array (an allocation per iteration), and it
 * subtracts an estimate of its own overhead — which is exactly the quantity measured here. The
 * calibration below instead stores back-to-back clock-read differences into a preallocated array.
 */

const ORIGIN_S = process.hrtime()[0];

/**
 * Monotonic time in ms (double, ns precision) since about the start of this process. Not the
 * `performance.now()` time base: use it only for differences.
 */
export function nowMs(): number {
  const h = process.hrtime();
  return (h[0] - ORIGIN_S) * 1e3 + h[1] * 1e-6;
}

export interface TimerCalibration {
  /** Median cost of one clock read as seen by the loop (t1 − t0 for back-to-back reads), ns. */
  overheadNs: number;
  /** Smallest positive difference between back-to-back reads, ns: an upper bound on the resolution. */
  resolutionNs: number;
}

/** Measures the clock's cost and resolution from `reads` back-to-back read pairs. */
export function calibrateTimer(reads = 20_000): TimerCalibration {
  const diffsMs = new Float64Array(reads);
  // Two rounds: the first lets the JIT compile this loop, the second is kept.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < reads; i++) {
      const t0 = nowMs();
      const t1 = nowMs();
      diffsMs[i] = t1 - t0;
    }
  }
  diffsMs.sort();
  let smallestPositiveMs = Infinity;
  for (let i = 0; i < reads; i++) {
    const d = diffsMs[i]!;
    if (d > 0) {
      smallestPositiveMs = d;
      break;
    }
  }
  const medianMs = diffsMs[reads >> 1]!;
  return {
    overheadNs: medianMs * 1e6,
    // No positive difference at all would mean a clock coarser than 20,000 reads: report the median's upper bound.
    resolutionNs: Number.isFinite(smallestPositiveMs) ? smallestPositiveMs * 1e6 : Math.max(medianMs * 1e6, 1000),
  };
}

export interface BatchRule {
  /**
   * A batch must last at least this many clock costs. 100 → the clock adds at most 1 % to a sample.
   * (It was 20, i.e. up to 5 %: a bare loop of the same `pooled` allocation ran 5–6 % faster than
   * the harness, exactly that overhead; at 100 the harness stays within the 5 % it promises.)
   */
  clockFactor: number;
  /** And at least this long, ns (1 µs: well above the resolution of performance.now() on Linux). */
  minBatchNs: number;
  /** Upper bound on the batch size, so that a mis-estimated op cannot make a batch last seconds. */
  maxBatch: number;
}

export const DEFAULT_BATCH_RULE: BatchRule = { clockFactor: 100, minBatchNs: 1000, maxBatch: 1 << 20 };

/**
 * Operations per timed batch: 1 when one operation already lasts max(clockFactor × max(clock cost,
 * resolution), minBatchNs); otherwise enough operations to last that long. Latency per operation is
 * then batch time / batch size, so a batch of N hides the spread *within* the batch — the price of
 * not letting the clock's own cost (≈ 20–70 ns per read) dominate sub-µs operations.
 */
export function chooseBatchSize(nsPerOp: number, timer: TimerCalibration, rule: BatchRule = DEFAULT_BATCH_RULE): number {
  const targetNs = Math.max(rule.minBatchNs, rule.clockFactor * Math.max(timer.overheadNs, timer.resolutionNs));
  if (!(nsPerOp > 0)) return rule.maxBatch;
  if (nsPerOp >= targetNs) return 1;
  return Math.min(rule.maxBatch, Math.ceil(targetNs / nsPerOp));
}

/**
 * Warm-up rule: throughput is steady once `needed` successive windows each differ from the window
 * before by less than `tolerance` (relative), e.g. three 100 ms windows in a row within 2 %.
 */
export class SteadyStateDetector {
  private previous = NaN;
  private streak = 0;

  constructor(
    readonly tolerance = 0.02,
    readonly needed = 3,
  ) {}

  get rule(): string {
    return `steady when ${this.needed} successive windows' ops/s each differ from the previous window's by < ${this.tolerance * 100}%`;
  }

  /** Feeds one window's ops/s; true once the rule holds. */
  push(opsPerSec: number): boolean {
    if (Number.isFinite(this.previous) && this.previous > 0 && Math.abs(opsPerSec - this.previous) / this.previous < this.tolerance) {
      this.streak++;
    } else {
      this.streak = 0;
    }
    this.previous = opsPerSec;
    return this.streak >= this.needed;
  }
}

export interface ClockOffset {
  /** `performance.now()` − {@link nowMs}(), ms: add it to a loop-clock reading to put it on the performance timeline. */
  offsetMs: number;
  /** Half the tightest bracket the estimate came from, ms: the offset is exact to within this. */
  uncertaintyMs: number;
}

/**
 * The constant offset between the loop clock ({@link nowMs}, `process.hrtime()`) and the
 * performance timeline (`performance.now()`, ms since `timeOrigin`, the time base of GC entries).
 * Both read the same monotonic clock (libuv's `uv_hrtime`), so the offset does not drift; it is
 * estimated from `reads` brackets nowMs() / performance.now() / nowMs(), keeping the tightest one
 * (the performance reading lies between the two loop readings; its midpoint is the best guess).
 */
export function performanceClockOffset(reads = 200): ClockOffset {
  let best = Infinity;
  let offsetMs = 0;
  for (let i = 0; i < reads; i++) {
    const a = nowMs();
    const p = performance.now();
    const b = nowMs();
    if (b - a < best) {
      best = b - a;
      offsetMs = p - (a + b) / 2;
    }
  }
  return { offsetMs, uncertaintyMs: best / 2 };
}
