/**
 * Percentile bootstrap confidence intervals (Efron & Tibshirani, "An Introduction to the
 * Bootstrap", Chapman & Hall 1993, ch. 13 "Confidence intervals based on bootstrap percentiles"):
 * resample the forks with replacement B times, compute the statistic on each resample, and take
 * the α/2 and 1-α/2 quantiles of those B values. Forks, not operations, are the resampling unit:
 * they are the independent observations (each is a fresh process).
 */
import { mean, median, quantileSorted } from 'simple-statistics';
import { seededRandom } from './prng.js';

/** A non-empty array of finite numbers: only {@link checkedSamples} produces one (tinybench's idea). */
export type Samples = readonly number[] & { readonly __checked: unique symbol };

/** Checks that `values` is non-empty and finite; throws a RangeError naming the problem otherwise. */
export function checkedSamples(values: readonly number[], what: string): Samples {
  if (values.length === 0) throw new RangeError(`${what}: no samples`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`${what}: non-finite sample ${bad}`);
  return values as Samples;
}

export interface BootstrapOptions {
  /** Number of resamples (default 2,000; Efron & Tibshirani suggest ≥ 1,000 for percentile intervals). */
  resamples?: number;
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

export const DEFAULT_RESAMPLES = 2_000;

/**
 * Percentile-bootstrap interval of `statistic` over `samples`. With one sample the interval is
 * [x, x] (degenerate); with two, the resampled medians can only take three values — callers warn
 * when fewer than 3 forks back an interval.
 */
export function bootstrapInterval(
  samples: Samples,
  statistic: (xs: number[]) => number,
  options: BootstrapOptions = {},
): [number, number] {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const n = samples.length;
  const stats = new Array<number>(resamples);
  const draw = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) draw[i] = samples[Math.floor(random() * n)]!;
    stats[b] = statistic(draw);
  }
  stats.sort((x, y) => x - y);
  const alpha = (1 - level) / 2;
  return [quantileSorted(stats, alpha), quantileSorted(stats, 1 - alpha)];
}

export interface IntervalEstimate {
  median: number;
  mean: number;
  /** Bootstrap interval of the median. */
  ci95: [number, number];
  /** Bootstrap interval of the mean. */
  meanCi95: [number, number];
}

/** Median and mean with their percentile-bootstrap 95% intervals. */
export function estimate(samples: Samples, seed: number, resamples = DEFAULT_RESAMPLES): IntervalEstimate {
  const xs = samples as readonly number[] as number[];
  return {
    median: median(xs),
    mean: mean(xs),
    ci95: bootstrapInterval(samples, median, { seed, resamples }),
    meanCi95: bootstrapInterval(samples, mean, { seed: seed + 1, resamples }),
  };
}

/** Relative 95% half-width of an interval around a positive point: (hi − lo) / 2 / point (0.02 = ±2%). */
export function relativeHalfWidth(point: number, ci95: readonly [number, number]): number {
  if (!(point > 0)) throw new RangeError(`relativeHalfWidth: the point must be positive, got ${point}`);
  return (ci95[1] - ci95[0]) / 2 / point;
}
