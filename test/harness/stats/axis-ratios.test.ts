import { describe, expect, it } from 'vitest';
import { axisRatios, pairedCellRatio, type RatioCell } from '../../../harness/stats/axis-ratios.js';

function cell(strategy: string, allocator: string, ops: Array<[number, number]>, size = 64, params: Record<string, string> = { cipher: 'none' }): RatioCell {
  return {
    id: `w/${strategy}/${allocator}/${size}/cipher=${params.cipher}`,
    workload: 'w', strategy, allocator, size, params, v8Flags: [],
    forks: ops.map(([forkIndex, opsPerSec]) => ({ forkIndex, opsPerSec })),
  };
}

describe('within-run axis ratios', () => {
  it('pairs forks by round, so drift common to both cells divides out', () => {
    // the machine halves its speed in round 2 and recovers: both cells feel it, the ratio does not
    const a = cell('pooled', 'glibc', [[0, 1000], [1, 1010], [2, 500], [3, 990]]);
    const b = cell('uint8array', 'glibc', [[0, 2000], [1, 2020], [2, 1000], [3, 1980]]);
    const r = pairedCellRatio(a, b, { seed: 1 })!;
    expect([r.cellA, r.cellB, r.pairs, r.ratio, r.ci95]).toEqual([a.id, b.id, 4, 2, [2, 2]]);
  });

  it('uses only rounds both cells ran', () => {
    const a = cell('pooled', 'glibc', [[0, 100], [1, 100], [2, 100]]);
    const b = cell('pooled', 'jemalloc', [[1, 150], [2, 120], [5, 999]]);
    const r = pairedCellRatio(a, b, { seed: 1 })!;
    // the median of two log ratios is their mean: the geometric mean of 1.5 and 1.2
    expect(r.pairs).toBe(2);
    expect(r.ratio).toBeCloseTo(Math.sqrt(1.5 * 1.2), 12);
    expect(r.ci95[0]).toBeCloseTo(1.2, 10);
    expect(r.ci95[1]).toBeCloseTo(1.5, 10);
    expect(pairedCellRatio(a, cell('pooled', 'tcmalloc', [[7, 1]]), { seed: 1 })).toBeNull();
  });

  it('compares cells that differ in strategy, allocator or both, never across other axes', () => {
    const f: Array<[number, number]> = [[0, 100], [1, 110], [2, 90]];
    const cells = [
      cell('pooled', 'glibc', f), cell('pooled', 'jemalloc', f), cell('uint8array', 'glibc', f),
      cell('pooled', 'glibc', f, 1400), cell('pooled', 'glibc', f, 64, { cipher: 'aes-256-gcm' }),
    ];
    const all = axisRatios(cells, { seed: 1 });
    expect(all.map((r) => [r.axis, r.a, r.b, r.cellA.split('/').slice(1, 3).join('/'), r.cellB.split('/').slice(1, 3).join('/'), r.ratio])).toEqual([
      ['allocator', 'glibc', 'jemalloc', 'pooled/glibc', 'pooled/jemalloc', 1],
      ['strategy', 'pooled', 'uint8array', 'pooled/glibc', 'uint8array/glibc', 1],
      ['strategy+allocator', 'pooled+jemalloc', 'uint8array+glibc', 'pooled/jemalloc', 'uint8array/glibc', 1],
    ]);
    expect(axisRatios(cells, { seed: 1, singleAxisOnly: true }).map((r) => r.axis)).toEqual(['allocator', 'strategy']);
  });

  it('is reproducible from the seed and inverts when the cells swap', () => {
    const a = cell('pooled', 'glibc', [[0, 100], [1, 130], [2, 90], [3, 120], [4, 95]]);
    const b = cell('uint8array', 'glibc', [[0, 150], [1, 160], [2, 140], [3, 190], [4, 120]]);
    const ab = pairedCellRatio(a, b, { seed: 3 })!;
    expect(pairedCellRatio(a, b, { seed: 3 })).toEqual(ab);
    const ba = pairedCellRatio(b, a, { seed: 3 })!;
    expect(ba.ratio).toBeCloseTo(1 / ab.ratio, 12);
    expect(ab.ci95[0]).toBeLessThanOrEqual(ab.ratio);
    expect(ab.ci95[1]).toBeGreaterThanOrEqual(ab.ratio);
  });
});

describe('within-run axis ratios across runtimes (issue 14)', () => {
  it('an allocator ratio is taken within one runtime, never between two', () => {
    const f: Array<[number, number]> = [[0, 100], [1, 110]];
    const on = (allocator: string, runtime: string): RatioCell => ({ ...cell('uint8array', allocator, f), id: `w/uint8array/${allocator}/64/runtime=${runtime}`, runtime });
    const all = axisRatios([on('glibc', 'node20'), on('jemalloc', 'node20'), on('glibc', 'node24'), on('jemalloc', 'node24')], { seed: 1 });
    expect(all.map((r) => [r.axis, r.cellA, r.cellB])).toEqual([
      ['allocator', 'w/uint8array/glibc/64/runtime=node20', 'w/uint8array/jemalloc/64/runtime=node20'],
      ['allocator', 'w/uint8array/glibc/64/runtime=node24', 'w/uint8array/jemalloc/64/runtime=node24'],
    ]);
  });
});
