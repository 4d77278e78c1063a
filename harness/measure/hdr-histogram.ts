/**
 * A log-linear ("HDR") histogram of non-negative doubles with 3 significant digits, written for the
 * child's measurement loop: counts live in one preallocated Float64Array, `record` does no allocation,
 * and histograms of the same shape merge exactly (forks of one cell → one distribution).
 *
 * Layout (after Gil Tene's HdrHistogram, "log-linear buckets"): a value `v` is first quantised to
 * `x = floor(v / lowestDiscernible)`. The first 2048 indices hold x = 0..2047 exactly. Above that,
 * each power-of-two range [2^k, 2^(k+1)) is split into 1024 equal sub-buckets, so a bucket's width is
 * at most 1/1024 of its lower edge: three significant decimal digits. Counts are doubles (exact up
 * to 2^53), so no run can overflow them.
 *
 * Reported percentiles use the nearest-rank definition (the smallest recorded value with at least
 * p% of the records at or below it). A percentile is reported as the bucket's lower edge when the
 * bucket is one unit wide (exact for values that are multiples of `lowestDiscernible`) and as the
 * bucket's midpoint otherwise (error at most 1/2048 of the value), clamped to the exact min and max.
 */
import { BuflabError } from '../errors.js';
import type { EncodedHistogram } from '../../contract/result-schema.js';

/** Sub-buckets per power of two in the linear region and the log region (3 significant digits). */
const SUB_BUCKET_COUNT = 2048;
const SUB_BUCKET_HALF = SUB_BUCKET_COUNT / 2;
const SUB_BUCKET_BITS = 11;
/**
 * 2^k for k = 0..63, exact. `2 ** shift` with a variable shift is a call into V8's C++ pow: ~5% of a
 * vpn fork's main-thread samples (perf, 2026-12-02) went to it, recording batches between chunks.
 */
const POW2 = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

export interface HdrHistogramOptions {
  /** The smallest distinguishable difference between values, in the values' unit (e.g. 0.001 ns). */
  lowestDiscernible: number;
  /** The largest value recorded exactly; larger values are clamped to it and counted in `clamped`. */
  highestTrackable: number;
}

/** The compact JSON form (defined in the result schema, which records carry). */
export type { EncodedHistogram };

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export type HistogramErrorCode = 'E_HIST_OPTIONS' | 'E_HIST_VALUE' | 'E_HIST_SHAPE' | 'E_HIST_DECODE';

/** Misuse of a histogram: bad options, a negative or NaN value, merging unlike shapes, a bad encoding. */
export class HistogramError extends BuflabError {
  declare readonly code: HistogramErrorCode;
  constructor(code: HistogramErrorCode, message: string) {
    super(code, message);
  }
}

export class HdrHistogram {
  readonly lowestDiscernible: number;
  readonly highestTrackable: number;
  /** Bucket counts; index i covers [lowEdgeUnits(i), lowEdgeUnits(i) + widthUnits(i)) units. */
  readonly counts: Float64Array;
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  /** Values above `highestTrackable` (counted in the top bucket, but their true value kept in max/sum). */
  clamped = 0;
  private readonly inverseLowest: number;
  private readonly topIndex: number;

  constructor(options: HdrHistogramOptions) {
    const { lowestDiscernible, highestTrackable } = options;
    if (!(lowestDiscernible > 0) || !Number.isFinite(lowestDiscernible)) {
      throw new HistogramError('E_HIST_OPTIONS', `lowestDiscernible must be a positive number, got ${lowestDiscernible}`);
    }
    if (!(highestTrackable >= 2 * lowestDiscernible) || highestTrackable / lowestDiscernible > 2 ** 52) {
      throw new HistogramError(
        'E_HIST_OPTIONS',
        `highestTrackable (${highestTrackable}) must be at least 2x lowestDiscernible and at most 2^52 times it`,
      );
    }
    this.lowestDiscernible = lowestDiscernible;
    this.highestTrackable = highestTrackable;
    this.inverseLowest = 1 / lowestDiscernible;
    this.topIndex = indexOfUnits(Math.floor(highestTrackable / lowestDiscernible));
    this.counts = new Float64Array(this.topIndex + 1);
  }

  /** Records `value` (≥ 0, in the histogram's unit) `times` times. No allocation. Throws E_HIST_VALUE for NaN or < 0. */
  record(value: number, times = 1): void {
    if (!(value >= 0)) throw new HistogramError('E_HIST_VALUE', `cannot record ${value}: values must be >= 0`);
    let index: number;
    if (value > this.highestTrackable) {
      index = this.topIndex;
      this.clamped += times;
    } else {
      index = indexOfUnits(Math.floor(value * this.inverseLowest));
    }
    this.counts[index]! += times;
    this.count += times;
    this.sum += value * times;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Adds every count of `other` (which must have the same lowestDiscernible and highestTrackable). */
  merge(other: HdrHistogram): void {
    if (other.lowestDiscernible !== this.lowestDiscernible || other.highestTrackable !== this.highestTrackable) {
      throw new HistogramError('E_HIST_SHAPE', 'cannot merge histograms with different lowestDiscernible / highestTrackable');
    }
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < b.length; i++) a[i]! += b[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.clamped += other.clamped;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.clamped = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /**
   * The nearest-rank percentile `percent` (0 < percent ≤ 100), see the module comment for the
   * reported value. NaN when the histogram is empty.
   */
  percentile(percent: number): number {
    if (!(percent > 0 && percent <= 100)) throw new HistogramError('E_HIST_VALUE', `percentile must be in (0, 100], got ${percent}`);
    if (this.count === 0) return NaN;
    // Nearest rank: the ceil(p/100 · n)-th smallest record. The epsilon keeps 99.9% of 1000 at rank 999
    // rather than 1000 when p/100 · n is an integer that floating point lands just above.
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count - 1e-9));
    if (rank >= this.count) return this.max;
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) return this.clamp(this.reportedValue(i));
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      min: this.count === 0 ? NaN : this.min,
      max: this.count === 0 ? NaN : this.max,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }

  encode(): EncodedHistogram {
    const buckets: number[] = [];
    let previous = 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      buckets.push(i - previous, c);
      previous = i;
    }
    return {
      format: 'buflab-hdr-1',
      lowestDiscernible: this.lowestDiscernible,
      highestTrackable: this.highestTrackable,
      count: this.count,
      min: this.count === 0 ? 0 : this.min,
      max: this.count === 0 ? 0 : this.max,
      sum: this.sum,
      clamped: this.clamped,
      buckets,
    };
  }

  /** Rebuilds a histogram from {@link encode}'s output. Throws E_HIST_DECODE when the encoding is inconsistent. */
  static decode(e: EncodedHistogram): HdrHistogram {
    if (e.format !== 'buflab-hdr-1') throw new HistogramError('E_HIST_DECODE', `unknown histogram format ${JSON.stringify(e.format)}`);
    const h = new HdrHistogram({ lowestDiscernible: e.lowestDiscernible, highestTrackable: e.highestTrackable });
    if (e.buckets.length % 2 !== 0) throw new HistogramError('E_HIST_DECODE', 'buckets must hold [index delta, count] pairs');
    let index = 0;
    let total = 0;
    for (let k = 0; k < e.buckets.length; k += 2) {
      index += e.buckets[k]!;
      const c = e.buckets[k + 1]!;
      if (!(index >= 0 && index < h.counts.length) || !(c > 0)) {
        throw new HistogramError('E_HIST_DECODE', `bucket ${index} with count ${c} is out of range`);
      }
      h.counts[index] = c;
      total += c;
    }
    if (total !== e.count) throw new HistogramError('E_HIST_DECODE', `bucket counts sum to ${total}, the header says ${e.count}`);
    h.count = e.count;
    h.sum = e.sum;
    h.clamped = e.clamped;
    h.min = e.count === 0 ? Infinity : e.min;
    h.max = e.count === 0 ? -Infinity : e.max;
    return h;
  }

  private reportedValue(index: number): number {
    const width = widthUnits(index);
    const low = lowEdgeUnits(index);
    return (width === 1 ? low : low + width / 2) * this.lowestDiscernible;
  }

  private clamp(v: number): number {
    return v < this.min ? this.min : v > this.max ? this.max : v;
  }
}

/** Bucket index of a quantised value `x` (an integer ≥ 0, in units of lowestDiscernible). */
export function indexOfUnits(x: number): number {
  if (x < SUB_BUCKET_COUNT) return x;
  const msb = highestBit(x);
  const shift = msb - (SUB_BUCKET_BITS - 1);
  const sub = Math.floor(x / POW2[shift]!);
  return SUB_BUCKET_COUNT + (shift - 1) * SUB_BUCKET_HALF + (sub - SUB_BUCKET_HALF);
}

/** Lower edge of bucket `index`, in units of lowestDiscernible. */
export function lowEdgeUnits(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const k = index - SUB_BUCKET_COUNT;
  const shift = Math.floor(k / SUB_BUCKET_HALF) + 1;
  return (SUB_BUCKET_HALF + (k % SUB_BUCKET_HALF)) * POW2[shift]!;
}

/** Width of bucket `index`, in units of lowestDiscernible. */
export function widthUnits(index: number): number {
  if (index < SUB_BUCKET_COUNT) return 1;
  return POW2[Math.floor((index - SUB_BUCKET_COUNT) / SUB_BUCKET_HALF) + 1]!;
}

/** floor(log2(x)) for an integer x ≥ 1 up to 2^53, exact (Math.log2 alone can be off by one near powers of two). */
function highestBit(x: number): number {
  if (x < 2 ** 31) return 31 - Math.clz32(x);
  let b = Math.floor(Math.log2(x));
  if (POW2[b]! > x) b--;
  else if (POW2[b + 1]! <= x) b++;
  return b;
}
