import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChangepointInputError, peltMean, robustNoiseSd } from '../../../harness/stats/changepoint.js';
import { normals } from './synthetic-series.js';

/** Optimal partitioning by brute force (Jackson et al. 2005): the exact optimum PELT must equal. */
function optimalCost(y: readonly number[], penalty: number, sigma: number): number {
  const n = y.length;
  const cost = (a: number, b: number): number => {
    const seg = y.slice(a, b);
    const mean = seg.reduce((s, v) => s + v, 0) / seg.length;
    return seg.reduce((s, v) => s + (v - mean) ** 2, 0) / (sigma * sigma);
  };
  const f = [-penalty];
  for (let t = 1; t <= n; t++) {
    let best = Infinity;
    for (let s = 0; s < t; s++) best = Math.min(best, f[s]! + cost(s, t) + penalty);
    f.push(best);
  }
  return f[n]!;
}

describe('peltMean', () => {
  it('finds two clean steps exactly and nothing in a constant series', () => {
    const y = [...Array(20).fill(0), ...Array(15).fill(1), ...Array(25).fill(0.5)].map((v, i) => v + 0.01 * Math.sin(i));
    expect(peltMean(y, { penalty: 15 * Math.log(y.length), sigma: 0.01 }).changepoints).toEqual([20, 35]);
    expect(peltMean(Array(40).fill(3), { penalty: 10, sigma: 0.1 }).changepoints).toEqual([]);
    expect(peltMean([], { penalty: 1, sigma: 1 })).toEqual({ changepoints: [], cost: 0, evaluations: 0 });
  });

  it('reaches the optimal-partitioning optimum (pruning loses nothing)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.double({ min: 0, max: 20, noNaN: true }), (y, penalty) => {
        const r = peltMean(y, { penalty, sigma: 1 });
        expect(r.cost).toBeCloseTo(optimalCost(y, penalty, 1), 6);
      }),
    );
  });

  it('prunes: with many changes it evaluates far fewer candidates than optimal partitioning', () => {
    const z = normals(3, 2000);
    const y = z.map((v, i) => 0.1 * v + (Math.floor(i / 100) % 2));
    const r = peltMean(y, { penalty: 15 * Math.log(y.length), sigma: 0.1 });
    expect(r.changepoints).toEqual(Array.from({ length: 19 }, (_, k) => 100 * (k + 1)));
    expect(r.evaluations).toBeLessThan((2000 * 2001) / 2 / 10);
  });

  it('respects a minimum segment length', () => {
    const y = [0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0];
    expect(peltMean(y, { penalty: 1, sigma: 1 }).changepoints).toEqual([5, 6]);
    const r = peltMean(y, { penalty: 1, sigma: 1, minSegmentLength: 3 });
    for (const [a, b] of pairs([0, ...r.changepoints, y.length])) expect(b - a).toBeGreaterThanOrEqual(3);
  });

  it('refuses bad input with a stable code', () => {
    expect(() => peltMean([1, NaN], { penalty: 1, sigma: 1 })).toThrow(ChangepointInputError);
    expect(() => peltMean([1], { penalty: 1, sigma: 0 })).toThrow(/sigma must be a positive/);
    expect(() => peltMean([1], { penalty: -1, sigma: 1 })).toThrow(/penalty/);
    expect(() => peltMean([1], { penalty: 1, sigma: 1, minSegmentLength: 0 })).toThrow(/minSegmentLength/);
    expect(() => peltMean([Infinity], { penalty: 1, sigma: 1 })).toThrow(expect.objectContaining({ code: 'E_CHANGEPOINT_INPUT' }));
  });
});

function pairs(xs: number[]): Array<[number, number]> {
  return xs.slice(1).map((x, i) => [xs[i]!, x]);
}

describe('robustNoiseSd', () => {
  const z = normals(11, 4000);
  it('estimates sigma of Normal noise', () => {
    expect(robustNoiseSd(z.map((v) => 0.03 * v))).toBeCloseTo(0.03, 2);
  });
  it('is not inflated by a large step, a linear trend or lone spikes', () => {
    const sigma = robustNoiseSd(z.map((v, i) => 0.03 * v + (i < 2000 ? 0 : 5) + i * 1e-3 + (i % 500 === 7 ? 10 : 0)));
    expect(sigma).toBeGreaterThan(0.027);
    expect(sigma).toBeLessThan(0.034);
  });
  it('is 0 for fewer than 3 values', () => {
    expect(robustNoiseSd([1, 2])).toBe(0);
  });
});
