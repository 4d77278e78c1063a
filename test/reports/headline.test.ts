import { describe, expect, it } from 'vitest';
import type { AxisRatio } from '../../contract/result-schema.js';
import type { CellRow, MetricValues } from '../../reports/cell-rows.js';
import { METRIC_LIST } from '../../contract/metrics.js';
import { groupVerdicts, headline } from '../../reports/headline.js';

function row(strategy: string, allocator: string, median: number, lo: number, hi: number, sizeBytes = 64, forkCount = 5): CellRow {
  return {
    id: `w/${strategy}/${allocator}/${sizeBytes}`, workload: 'w', strategy, allocator, sizeBytes, axesLabel: '', groupLabel: `${sizeBytes} B`, sizeLabel: `${sizeBytes} B`, panelRowLabel: '',
    cellLabel: `${strategy} · ${allocator} · ${sizeBytes} B`, state: 'completed', forkCount, reason: '',
    opsPerSecMedian: median, opsPerSecLo: lo, opsPerSecHi: hi, bytesPerSecMedian: median * sizeBytes, bytesPerSecLo: lo * sizeBytes, bytesPerSecHi: hi * sizeBytes,
    latencySampleCount: 10, intervals: { opsPerSec: [lo, hi] },
    // Every other registry metric: 1 (the headline reads throughput only).
    ...(Object.fromEntries(METRIC_LIST.map((m) => [m.name, 1])) as MetricValues),
    opsPerSec: median,
  };
}

describe('headline', () => {
  it('picks the fastest cell, states the ratio of medians and whether the intervals overlap', () => {
    const rows = [row('uint8array', 'glibc', 100, 95, 105), row('pooled', 'glibc', 200, 190, 210), row('pooled', 'jemalloc', 210, 198, 220)];
    const [g] = groupVerdicts(rows);
    expect(g!.winner.id).toBe('w/pooled/jemalloc/64');
    expect(g!.vsRunnerUp!.ratio).toBeCloseTo(1.05, 10);
    expect(g!.vsRunnerUp!.overlap).toBe(true);
    expect(g!.vsSlowest!.ratio).toBeCloseTo(2.1, 10);
    expect(g!.vsSlowest!.overlap).toBe(false);
    expect(g!.strategyMargin!.worse.id).toBe('w/uint8array/glibc/64');
    expect(g!.allocatorEffect!.better.allocator).toBe('jemalloc');
    const text = headline(rows).lines.join('\n');
    expect(text).toContain('**Winner: pooled + jemalloc.**');
    expect(text).toContain('1.05× the runner-up pooled + glibc (95% CIs overlap: not a confident difference)');
    expect(text).toContain('2.10× the best other strategy, uint8array + glibc (95% CIs do not overlap: a clear difference)');
    expect(text).toContain('jemalloc is 5.0% faster than glibc');
  });

  it('reports a tie in wins instead of inventing a single winner', () => {
    const rows = [row('pooled', 'glibc', 200, 190, 210, 64), row('uint8array', 'glibc', 100, 90, 110, 64), row('pooled', 'glibc', 100, 90, 110, 1400), row('uint8array', 'glibc', 150, 140, 160, 1400)];
    const text = headline(rows).lines[0]!;
    expect(text).toContain('**No single best strategy**');
    expect(text).toContain('pooled fastest in 1 of 2');
    expect(text).toContain('uint8array fastest in 1 of 2');
  });

  it('says so when nothing completed, and warns about few forks', () => {
    expect(headline([]).lines[0]).toMatch(/No completed cells/);
    expect(headline([row('pooled', 'glibc', 1, 1, 1, 64, 2), row('uint8array', 'glibc', 2, 2, 2, 64, 2)]).lines.at(-1)).toMatch(/only 2 forks/);
  });
});

describe('headline with within-run paired ratios (issue 18)', () => {
  const ratio = (a: CellRow, b: CellRow, r: number, lo: number, hi: number, axis = 'allocator'): AxisRatio => ({ axis, a: a.allocator, b: b.allocator, cellA: a.id, cellB: b.id, pairs: 10, ratio: r, ci95: [lo, hi] });

  it('gives the margin as the paired ratio with its interval; a clear difference although the medians\' intervals overlap', () => {
    const glibc = row('pooled', 'glibc', 200, 190, 210);
    const jemalloc = row('pooled', 'jemalloc', 210, 198, 220);
    const slow = row('uint8array', 'glibc', 100, 95, 105);
    const ratios = [ratio(glibc, jemalloc, 1.048, 1.021, 1.077), ratio(glibc, slow, 0.5, 0.48, 0.52, 'strategy')];
    const [g] = groupVerdicts([slow, glibc, jemalloc], ratios);
    expect([g!.vsRunnerUp!.overlap, g!.vsRunnerUp!.clear, g!.vsRunnerUp!.ratio, g!.vsRunnerUp!.ratioCi95]).toEqual([true, true, 1.048, [1.021, 1.077]]);
    // recorded as slow/glibc = 0.5: inverted for winner-over-loser where the pair is looked up
    const text = headline([slow, glibc, jemalloc], ratios).lines.join('\n');
    expect(text).toContain('1.05× [1.02, 1.08] the runner-up pooled + glibc (paired within-run ratio, 95% CI excludes 1: a clear difference)');
    expect(text).toContain('jemalloc is 4.8% faster than glibc [+2.1%, +7.7%] (paired within-run ratio, 95% CI excludes 1: a clear difference)');
    // the pair winner vs slowest has no recorded ratio here: the old reading, said as such
    expect(text).toContain('2.10× the slowest, uint8array + glibc (95% CIs do not overlap: a clear difference)');
  });

  it('"not a confident difference" only when the ratio interval includes 1', () => {
    const a = row('pooled', 'glibc', 200, 150, 250);
    const b = row('pooled', 'jemalloc', 204, 160, 260);
    const text = headline([a, b], [ratio(a, b, 1.02, 0.99, 1.05)]).lines.join('\n');
    expect(text).toContain('1.02× [0.99, 1.05] the runner-up pooled + glibc (paired within-run ratio, 95% CI includes 1: not a confident difference)');
  });
});
