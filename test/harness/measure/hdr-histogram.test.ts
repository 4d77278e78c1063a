import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HdrHistogram, HistogramError, indexOfUnits, lowEdgeUnits, widthUnits } from '../../../harness/measure/hdr-histogram.js';
import { seededRandom } from '../../../harness/stats/prng.js';

/** Nearest-rank percentile of sorted values: the ceil(p/100 · n)-th smallest. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1]!;
}

const unitHistogram = (): HdrHistogram => new HdrHistogram({ lowestDiscernible: 1, highestTrackable: 1e9 });

describe('HdrHistogram bucket layout', () => {
  it('is exact below 2048 units and continuous above', () => {
    expect(indexOfUnits(0)).toBe(0);
    expect(indexOfUnits(2047)).toBe(2047);
    expect(indexOfUnits(2048)).toBe(2048);
    expect(indexOfUnits(2049)).toBe(2048);
    expect(indexOfUnits(2050)).toBe(2049);
    expect(indexOfUnits(4095)).toBe(3071);
    expect(indexOfUnits(4096)).toBe(3072);
    expect(lowEdgeUnits(3072)).toBe(4096);
    expect(widthUnits(3072)).toBe(4);
    expect(widthUnits(2047)).toBe(1);
  });

  it('puts every value in the bucket whose range holds it, with width <= 1/1024 of the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), (x) => {
        const i = indexOfUnits(x);
        const low = lowEdgeUnits(i);
        const width = widthUnits(i);
        expect(low).toBeLessThanOrEqual(x);
        expect(x).toBeLessThan(low + width);
        if (x >= 2048) expect(width / low).toBeLessThanOrEqual(1 / 1024);
        // Neighbouring buckets touch: no gaps, no overlaps.
        expect(lowEdgeUnits(i + 1)).toBe(low + width);
      }),
    );
  });
});

describe('HdrHistogram percentiles', () => {
  it('gives exact nearest-rank percentiles for 1..1000 (all in the linear range)', () => {
    const h = unitHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    expect(h.summary()).toEqual({ count: 1000, min: 1, max: 1000, mean: 500.5, p50: 500, p90: 900, p99: 990, p999: 999 });
    expect(h.percentile(100)).toBe(1000);
    expect(h.percentile(0.1)).toBe(1);
  });

  it('gives exact percentiles for a skewed discrete distribution', () => {
    // 900 records of 10, 90 of 100, 9 of 1000, 1 of 1500 (a latency-like tail).
    const h = unitHistogram();
    h.record(10, 900);
    h.record(100, 90);
    h.record(1000, 9);
    h.record(1500);
    expect(h.percentile(50)).toBe(10);
    expect(h.percentile(90)).toBe(10);
    expect(h.percentile(90.1)).toBe(100);
    expect(h.percentile(99)).toBe(100);
    expect(h.percentile(99.9)).toBe(1000);
    expect(h.max).toBe(1500);
    expect(h.mean).toBe((9000 + 9000 + 9000 + 1500) / 1000);
  });

  it('is within 1/2048 of the exact percentile for 1..1,000,000 (log range)', () => {
    const h = unitHistogram();
    const values: number[] = [];
    for (let v = 1; v <= 1_000_000; v++) {
      h.record(v);
      values.push(v);
    }
    for (const p of [50, 90, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(1 / 2048);
    }
    expect(h.percentile(50)).toBeCloseTo(500_000, -3);
  });

  it('is within 0.1% of the exact percentiles of an exponential sample in ns with fractions', () => {
    const next = seededRandom(42);
    const h = new HdrHistogram({ lowestDiscernible: 0.001, highestTrackable: 1e12 });
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const v = 50 - 800 * Math.log(1 - next()); // 50 ns floor, mean 850 ns
      h.record(v);
      values.push(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.001);
    }
    expect(h.min).toBe(values[0]);
    expect(h.max).toBe(values[values.length - 1]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(h.mean).toBeCloseTo(mean, 6);
  });

  it('returns NaN for an empty histogram and rejects bad values', () => {
    const h = unitHistogram();
    expect(h.percentile(50)).toBeNaN();
    expect(() => h.record(-1)).toThrow(HistogramError);
    expect(() => h.record(NaN)).toThrow(/values must be >= 0/);
    expect(() => h.percentile(0)).toThrow(/percentile must be in/);
  });

  it('clamps values above highestTrackable into the top bucket but keeps the true max', () => {
    const h = new HdrHistogram({ lowestDiscernible: 1, highestTrackable: 10_000 });
    h.record(5);
    h.record(50_000);
    expect(h.clamped).toBe(1);
    expect(h.max).toBe(50_000);
    expect(h.percentile(100)).toBe(50_000);
    expect(h.percentile(50)).toBe(5);
  });
});

describe('HdrHistogram merge and encoding', () => {
  it('merging two halves equals recording everything in one', () => {
    const next = seededRandom(7);
    const a = unitHistogram();
    const b = unitHistogram();
    const all = unitHistogram();
    for (let i = 0; i < 10_000; i++) {
      const v = Math.floor(next() * 1e6);
      (i % 2 === 0 ? a : b).record(v);
      all.record(v);
    }
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
    expect(Array.from(a.counts)).toEqual(Array.from(all.counts));
  });

  it('refuses to merge histograms of different shapes', () => {
    const a = unitHistogram();
    const b = new HdrHistogram({ lowestDiscernible: 0.5, highestTrackable: 1e9 });
    expect(() => a.merge(b)).toThrow(expect.objectContaining({ code: 'E_HIST_SHAPE' }));
  });

  it('round-trips through its compact JSON form', () => {
    const h = new HdrHistogram({ lowestDiscernible: 0.001, highestTrackable: 1e12 });
    for (const v of [0.5, 1, 1, 37.25, 1e6, 123456.789]) h.record(v);
    const encoded = JSON.parse(JSON.stringify(h.encode())) as ReturnType<HdrHistogram['encode']>;
    expect(encoded.buckets.length).toBe(10); // 5 distinct buckets, as (delta, count) pairs
    const back = HdrHistogram.decode(encoded);
    expect(back.summary()).toEqual(h.summary());
    expect(Array.from(back.counts)).toEqual(Array.from(h.counts));
  });

  it('rejects an inconsistent encoding', () => {
    const e = unitHistogram();
    e.record(3);
    const encoded = e.encode();
    expect(() => HdrHistogram.decode({ ...encoded, count: 2 })).toThrow(expect.objectContaining({ code: 'E_HIST_DECODE' }));
    expect(() => HdrHistogram.decode({ ...encoded, buckets: [1e9, 1] })).toThrow(/out of range/);
  });

  it('does not allocate per record (counts preallocated)', () => {
    const h = unitHistogram();
    const countsBefore = h.counts;
    for (let i = 0; i < 1000; i++) h.record(i * 1000);
    expect(h.counts).toBe(countsBefore);
    expect(h.count).toBe(1000);
  });
});
