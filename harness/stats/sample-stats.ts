/**
 * Order statistics for compare's bootstrap loop, which works on preallocated sorted scratch buffers
 * (typed arrays). The plain median is simple-statistics' (the one harness/stats uses).
 */
import { median as ssMedian } from 'simple-statistics';

/** Median of `values` (mean of the two middle values for an even count). Throws on an empty sample. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty sample: at least one value is needed');
  return ssMedian([...values]);
}

export function sortedMedian(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Quantile of a sorted sample by linear interpolation between order statistics (Hyndman & Fan 1996,
 * definition 7; R's default `quantile(type = 7)`, NumPy's default).
 */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
