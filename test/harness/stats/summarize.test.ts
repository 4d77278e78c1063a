import { describe, expect, it } from 'vitest';
import { summarizeForks } from '../../../harness/stats/summarize.js';
import { fakeRecord } from '../run/fake-child.js';

describe('summarizeForks', () => {
  it('medians across forks, max of maxima, per-kind GC with absent kinds counted 0', () => {
    const forks = [
      fakeRecord('c', 0, 1000, { gc: { count: 2, pauseMsTotal: 1, pauseMsMax: 0.5, timeShare: 0.01, byKind: { scavenge: { count: 2, pauseMsTotal: 1, pauseMsMax: 0.5 } }, pauses: [] } }),
      fakeRecord('c', 1, 1040, { gc: { count: 4, pauseMsTotal: 3, pauseMsMax: 2, timeShare: 0.03, byKind: { scavenge: { count: 3, pauseMsTotal: 1, pauseMsMax: 0.4 }, markCompact: { count: 1, pauseMsTotal: 2, pauseMsMax: 2 } }, pauses: [] } }),
      fakeRecord('c', 2, 1020, { gc: { count: 6, pauseMsTotal: 2, pauseMsMax: 1, timeShare: 0.02, byKind: { scavenge: { count: 6, pauseMsTotal: 2, pauseMsMax: 1 } }, pauses: [] } }),
    ];
    const { summary, warnings } = summarizeForks('c', forks, { seed: 1 });
    expect(summary.opsPerSec.median).toBe(1020);
    expect(summary.opsPerSec.mean).toBe(1020);
    expect(summary.bytesPerSec.median).toBe(102000);
    expect(summary.latencyNs.p50).toBeCloseTo(1e9 / 1020, 6);
    expect(summary.latencyNs.max).toBeCloseTo(5e9 / 1000, 6);
    expect(summary.gc).toEqual({
      count: 4,
      pauseMsTotal: 2,
      pauseMsMax: 2,
      timeShare: 0.02,
      byKind: { markCompact: { count: 0, pauseMsTotal: 0, pauseMsMax: 2 }, scavenge: { count: 3, pauseMsTotal: 1, pauseMsMax: 1 } },
    });
    expect(summary.alloc.strategyAllocsPerOp).toBe(1);
    expect(summary.alloc.arrayBufferBytesPerOp).toBe(128);
    expect(summary.memory.peakRssBytes).toBe(50e6);
    expect(warnings).toEqual([]);
  });

  it('warns about too few forks with a remedy (disagreeing forks are a finding, not a warning), and carries fork warnings up once', () => {
    const forks = [
      fakeRecord('c', 0, 1e8, { baseline: { nsPerOp: 8, heapBytesPerOp: 0 }, warnings: ['warm-up never steady'] }),
      fakeRecord('c', 1, 1.5e8, { baseline: { nsPerOp: 8, heapBytesPerOp: 0 }, warnings: ['warm-up never steady', 'ns/op near the baseline'] }),
    ];
    const { warnings } = summarizeForks('c', forks, { seed: 1 });
    expect(warnings).toEqual([
      'only 2 forks: the 95% interval is degenerate; use --forks 3 or more for a usable interval',
      'fork 0: warm-up never steady',
      'fork 1: ns/op near the baseline',
    ]);
  });

  it('refuses to summarise no forks', () => {
    expect(() => summarizeForks('c', [], { seed: 1 })).toThrow('c opsPerSec: no samples');
  });
});
