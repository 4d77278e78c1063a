import { describe, expect, it } from 'vitest';
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
