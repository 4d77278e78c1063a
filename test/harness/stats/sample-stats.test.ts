import { describe, expect, it } from 'vitest';
import { median, sortedMedian, sortedQuantile } from '../../../harness/stats/sample-stats.js';

describe('sortedQuantile (Hyndman & Fan type 7, R default)', () => {
  it('matches R: quantile(1:10, c(0.025, 0.5, 0.975)) = 1.225, 5.5, 9.775', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(sortedQuantile(xs, 0.025)).toBeCloseTo(1.225, 12);
    expect(sortedQuantile(xs, 0.5)).toBeCloseTo(5.5, 12);
    expect(sortedQuantile(xs, 0.975)).toBeCloseTo(9.775, 12);
    expect(sortedQuantile(xs, 0)).toBe(1);
    expect(sortedQuantile(xs, 1)).toBe(10);
  });
  it('refuses an empty sample', () => {
    expect(() => sortedQuantile([], 0.5)).toThrow(/empty/);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(sortedMedian(new Float64Array([1, 2, 3, 10]))).toBe(2.5);
    expect(() => median([])).toThrow(/empty sample/);
  });
});
