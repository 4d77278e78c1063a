import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyWarmup, slidingMedianOutliers } from '../../../harness/stats/warmup-class.js';
import { series, step } from './synthetic-series.js';

const N = 60;
const NOISE = 0.01;

describe('classifyWarmup on series with known changepoints', () => {
  it('flat: one level with 1% noise', () => {
    const c = classifyWarmup(series(N, () => 1000, NOISE, 1));
    expect(c.class).toBe('flat');
    expect(c.steadyFromIndex).toBe(0);
    expect(c.changepoints).toEqual([]);
    expect(c.segmentMeansNs).toHaveLength(1);
    expect(c.segmentMeansNs[0]).toBeCloseTo(1000, -1);
    expect(c.noiseSd).toBeGreaterThan(0.006);
    expect(c.noiseSd).toBeLessThan(0.015);
  });

  it('step down (warm-up): 2x slower for 10 windows, then steady', () => {
    const c = classifyWarmup(series(N, step(10, 2000, 1000), NOISE, 2));
    expect(c.class).toBe('warmup');
    expect(c.changepoints).toEqual([10]);
    expect(c.steadyFromIndex).toBe(10);
    expect(c.segmentMeansNs[0]! / c.segmentMeansNs[1]!).toBeCloseTo(2, 1);
  });

  it('a one-window warm-up at the very start is kept, not discarded as an outlier', () => {
    const c = classifyWarmup(series(N, step(1, 5000, 1000), NOISE, 3));
    expect(c.class).toBe('warmup');
    expect(c.steadyFromIndex).toBe(1);
    expect(c.outliers).not.toContain(0);
  });

  it('step up (slowdown): 20% slower from window 30 on', () => {
    const c = classifyWarmup(series(N, step(30, 1000, 1200), NOISE, 4));
    expect(c.class).toBe('slowdown');
    expect(c.changepoints).toEqual([30]);
    expect(c.steadyFromIndex).toBe(30);
  });

  it('warm-up then a later slowdown is a slowdown (an earlier segment is faster than the final one)', () => {
    const c = classifyWarmup(series(N, (i) => (i < 5 ? 3000 : i < 30 ? 1000 : 1100), NOISE, 5));
    expect(c.class).toBe('slowdown');
    expect(c.changepoints).toEqual([5, 30]);
    expect(c.steadyFromIndex).toBe(30);
  });

  it('none (no steady state): a change in the last quarter', () => {
    const c = classifyWarmup(series(N, step(52, 1000, 1300), NOISE, 6));
    expect(c.class).toBe('no-steady-state');
    expect(c.steadyFromIndex).toBeUndefined();
    expect(c.changepoints).toEqual([52]);
    expect(c.reason).toMatch(/final segment starts at window 52 of 60/);
  });

  it('drift (a slow linear trend, 20% over the series) is never flat and almost always no-steady-state', () => {
    for (const sign of [1, -1]) {
      const classes: Record<string, number> = {};
      for (let seed = 1; seed <= 100; seed++) {
        const c = classifyWarmup(series(N, (i) => 1000 * Math.exp((sign * 0.2 * i) / (N - 1)), NOISE, seed));
        classes[c.class] = (classes[c.class] ?? 0) + 1;
      }
      expect(classes.flat).toBeUndefined();
      expect(classes['no-steady-state']).toBeGreaterThanOrEqual(90);
      // The rest: a final segment steady within the tolerance, named by the trend's direction.
      expect(Object.keys(classes).sort()).toEqual(['no-steady-state', sign > 0 ? 'slowdown' : 'warmup'].slice(0, Object.keys(classes).length).sort());
    }
  });

  it('a staircase of small steps (1.5% every 10 windows, no noise) is not flat: its last step is too late', () => {
    const c = classifyWarmup(Array.from({ length: N }, (_, i) => 1000 * 1.015 ** Math.floor(i / 10)));
    expect(c.class).toBe('no-steady-state');
    expect(c.reason).toMatch(/starts at window 50/);
  });

  it('a trend that PELT cuts into sub-tolerance steps is merged back and caught by the drift check', () => {
    // Noise-free 8% over 60 windows: PELT cuts it into steps of < 2%, merging chains them back.
    const c = classifyWarmup(Array.from({ length: N }, (_, i) => 1000 * Math.exp((0.08 * i) / (N - 1))));
    expect(c.class).toBe('no-steady-state');
    expect(c.reason).toMatch(/drifts by \+\d/);
    // Below the tolerance over the whole series (2%): flat, by design.
    expect(classifyWarmup(Array.from({ length: N }, (_, i) => 1000 * Math.exp((0.02 * i) / (N - 1)))).class).toBe('flat');
  });

  it('noise with outlier spikes stays flat; the spikes are reported as outliers', () => {
    const y = series(N, () => 1000, NOISE, 12);
    for (const i of [8, 20, 21, 35, 47, 59]) y[i] = y[i]! * 1.6; // preemptions, one of them two windows long, one at the very end
    y[40] = y[40]! * 0.7; // and one suspiciously fast window
    const c = classifyWarmup(y);
    expect(c.class).toBe('flat');
    expect(c.outliers).toEqual([8, 20, 21, 35, 40, 47, 59]);
    expect(c.segmentMeansNs[0]).toBeCloseTo(1000, -1);
  });

  it('a small real step (below 2%) does not make a class', () => {
    expect(classifyWarmup(series(N, step(30, 1000, 1012), 0.003, 13)).class).toBe('flat');
  });

  it('too few windows cannot show a steady segment', () => {
    const c = classifyWarmup([100, 100, 100]);
    expect(c.class).toBe('no-steady-state');
    expect(c.reason).toMatch(/3 windows/);
  });

  it('refuses non-positive values with a stable code', () => {
    expect(() => classifyWarmup([1, 0, 1])).toThrow(expect.objectContaining({ code: 'E_CHANGEPOINT_INPUT' }));
  });

  it('a clean step (0.5% noise) of at least 10% at a random position is found within one window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 120 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e6 }),
        (n, where, size, faster, seed) => {
          // Positions 2..n−4: a change in the last 3 windows is indistinguishable from a transient
          // (the outlier rule treats runs of ≤ 3 windows as outliers), and a first segment of one
          // window needs a larger step than 10% to clear the penalty in short series. (At 1% noise a
          // 2-window first segment of 10% is missed now and then: MAD-of-differences σ from 35
          // windows can read 1.7%, and 15·ln n is a deliberately high bar.)
          const at = Math.min(n - 4, 2 + Math.floor(where * (n - 5)));
          const after = faster ? 1000 / (1 + size) : 1000 * (1 + size);
          const c = classifyWarmup(series(n, step(at, 1000, after), 0.005, seed));
          expect(c.changepoints).toHaveLength(1);
          expect(Math.abs(c.changepoints[0]! - at)).toBeLessThanOrEqual(1);
          const expected = n - c.changepoints[0]! < Math.ceil(0.25 * n) ? 'no-steady-state' : faster ? 'warmup' : 'slowdown';
          expect(c.class).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a flat noisy series is flat (property: no false classes at 1% noise)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 120 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        expect(classifyWarmup(series(n, () => 1000, NOISE, seed)).class).toBe('flat');
      }),
      { numRuns: 200 },
    );
  });
});

describe('slidingMedianOutliers', () => {
  it('flags runs of up to 3 unlike windows, not a real level change, and never the first 3 windows', () => {
    const y = [9, 9, 9, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 7, 7, 7];
    expect(slidingMedianOutliers(y, 1, 7)).toEqual([7, 22, 23, 24]);
  });
});
