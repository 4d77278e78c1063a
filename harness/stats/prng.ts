/**
 * A small seeded PRNG so that shuffles and bootstrap resamples are reproducible from `--seed`.
 * mulberry32 (Tommy Ettinger, public domain): 32-bit state, period 2^32 — plenty for shuffling a
 * few thousand schedule entries and drawing 2,000 × n bootstrap indices.
 */

export type Random = () => number;

/** A generator of doubles in [0, 1), fully determined by `seed` (an integer; reduced mod 2^32). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P) into a new array. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
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
