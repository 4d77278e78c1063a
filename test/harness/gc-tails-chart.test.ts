/**
 * The latency-over-time chart with GC pauses (reports/charts/latency-gc-timeline.ts), built from a
 * hand-made fork record and rendered to SVG through the reports' own renderer.
 */
import { describe, expect, it } from 'vitest';
import type { CellResult } from '../../contract/result-schema.js';
import { latencyGcTimelineChart } from '../../reports/charts/latency-gc-timeline.js';
import { specToSvg } from '../../reports/svg.js';
import { testCell, validRecord } from './child/record-fixture.js';

function cellWith(forkPatch: object): CellResult {
  const c = testCell();
  const fork = { ...validRecord(c), ...forkPatch };
  return {
    id: c.id, workload: c.workload, strategy: c.strategy, allocator: c.allocator, size: c.size, params: {}, v8Flags: [],
    state: 'completed', forks: [fork], warnings: [],
  };
}

describe('latencyGcTimelineChart', () => {
  it('draws latency points and one shaded span plus one rule per pause, and states the tail shares', async () => {
    const cell = cellWith({
      latencyTimeline: [[0.5, 2000], [1.5, 90_000], [2.5, 2100]],
      gc: { ...validRecord(testCell()).gc, pauses: [{ startMs: 1.4, durationMs: 0.2, kind: 'scavenge' }, { startMs: 2.9, durationMs: 0.05, kind: 'markCompact' }] },
      gcTails: {
        p99: { thresholdNs: 5000, slowOps: 10, overlappingGc: 8, share: 0.8 },
        p999: { thresholdNs: 80_000, slowOps: 1, overlappingGc: 1, share: 1 },
        batchesAnalysed: 3, batchesTotal: 3, clockUncertaintyMs: 0,
      },
    });
    const chart = latencyGcTimelineChart(cell);
    if (!('spec' in chart)) throw new Error(`skipped: ${chart.skipped}`);
    expect(chart.description).toContain('80% overlapped a GC pause');
    expect(chart.description).toContain('p99.9, 100%');
    const layers = (chart.spec as { layer: Array<{ mark: { type: string }; data: { values: unknown[] } }> }).layer;
    expect(layers.map((l) => [l.mark.type, l.data.values.length])).toEqual([['rect', 2], ['rule', 2], ['line', 3]]);
    expect(layers[2]!.data.values[1]).toEqual({ tMs: 1.5, latencyUs: 90 });
    const svg = await specToSvg(chart.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('latency per op');
    expect(svg).toContain('scavenge');
  });

  it('is skipped, with the reason, for records without a timeline', () => {
    const chart = latencyGcTimelineChart(cellWith({}));
    expect('skipped' in chart && chart.skipped).toContain('has a latency timeline');
  });
});
