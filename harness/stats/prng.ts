/**
 * Seeded randomness for the harness, so that shuffles and bootstrap resamples are reproducible from
 * `--seed`. The generator itself (mulberry32) is the project's one PRNG in allocators/prng.ts, which
 * stack/ and workloads/ use too; this module adds what only the harness needs.
 */
import type { Random } from '../../allocators/prng.js';

export { seededRandom, type Random } from '../../allocators/prng.js';

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
