/**
 * A small seeded PRNG so that bootstrap intervals, and therefore compare's output, are reproducible
 * (golden tests, and a PR comment that does not change when re-rendered from the same files).
 * mulberry32 (Tommy Ettinger, public domain): 32-bit state, period 2^32, plenty for resampling.
 */
export type Rng = () => number;

/** Returns a function yielding uniform doubles in [0, 1). */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a string (FNV-1a 32-bit), so each cell/metric gets its own stream. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
