/** Synthetic series with known changepoints for the changepoint and warm-up classifier tests. */
import { seededRandom } from '../../../harness/stats/prng.js';

/** Standard Normal draws (Box–Muller) from the project's seeded generator. */
export function normals(seed: number, n: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/**
 * ns/op per window: `levelNs(i)` times log-normal noise of relative size `noise` (0.01 ≈ 1%).
 */
export function series(n: number, levelNs: (i: number) => number, noise: number, seed: number): number[] {
  const z = normals(seed, n);
  return Array.from({ length: n }, (_, i) => levelNs(i) * Math.exp(noise * z[i]!));
}

/** A level of `beforeNs` up to window `at` (exclusive) and `afterNs` from it. */
export const step = (at: number, beforeNs: number, afterNs: number) => (i: number): number => (i < at ? beforeNs : afterNs);
