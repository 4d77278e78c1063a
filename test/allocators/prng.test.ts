import { describe, expect, it } from 'vitest';
import { fillSeededBytes, seededRandom } from '../../allocators/prng.js';

describe('allocators/prng: the one seeded PRNG (mulberry32)', () => {
  it('is determined by the seed, reduced mod 2^32, and draws in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42 + 2 ** 32);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    // Roughly uniform: the mean of 1000 draws within 0.05 of 1/2 (sd of the mean ≈ 0.009).
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.05);
  });

  it('fillSeededBytes writes floor(draw × 256) into exactly [start, end)', () => {
    const out = new Uint8Array(40).fill(0xee);
    fillSeededBytes(out, 5, 35, 7);
    const r = seededRandom(7);
    const expected = Array.from({ length: 30 }, () => Math.floor(r() * 256));
    expect(Array.from(out.subarray(5, 35))).toEqual(expected);
    expect(Array.from(out.subarray(0, 5))).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect(Array.from(out.subarray(35))).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect(new Set(expected).size).toBeGreaterThan(20);
  });
});
