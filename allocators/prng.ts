/**
 * The project's one seeded PRNG, for reproducible data and schedules: test and fuzz inputs, the
 * workloads' generated keys, payloads and zones, the harness's shuffles and bootstrap resamples. It
 * lives in allocators/ (which imports nothing of the project) because that is the lowest folder:
 * stack/, workloads/ and harness/ may all import it (allocators ← stack ← workloads ← harness).
 *
 * mulberry32 (Tommy Ettinger, public domain): 32-bit state, period 2^32, no allocation per draw.
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

/** Fills `out[start, end)` with bytes drawn from `seededRandom(seed)`: the same seed, the same bytes. */
export function fillSeededBytes(out: Uint8Array, start: number, end: number, seed: number): void {
  const random = seededRandom(seed);
  for (let i = start; i < end; i++) out[i] = Math.floor(random() * 256);
}
