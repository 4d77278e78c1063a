import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../../contract/result-schema.js';
import { cellRows, sortRows, varyingAxes } from '../../reports/cell-rows.js';
import { readResultFile } from '../../contract/read-result.js';

const fixture = (): ResultFile => readResultFile('test/fixtures/results/alloc-small.json');

describe('cellRows', () => {
  it('takes extra axes from the cell id, in suite order, and facets only on axes that vary', () => {
    const r = fixture();
    const base = r.cells[0]!;
    r.cells = [
      { ...base, id: 'alloc/uint8array/glibc/64/v8=default/cipher=none', params: { cipher: 'none' } },
      { ...base, id: 'alloc/uint8array/glibc/64/v8=semi16/cipher=none', params: { cipher: 'none' }, v8Flags: ['--max-semi-space-size=16'] },
    ];
    expect(varyingAxes(r.cells)).toEqual(['v8']);
    const rows = cellRows(r);
    expect(rows.map((x) => x.axesLabel)).toEqual(['v8=default', 'v8=semi16']);
    expect(rows.map((x) => x.groupLabel)).toEqual(['64 B · v8=default', '64 B · v8=semi16']);
    expect(rows.map((x) => x.panelRowLabel)).toEqual(['v8=default', 'v8=semi16']);
    expect(rows[1]!.cellLabel).toBe('uint8array · glibc · 64 B · v8=semi16');
  });

  it('falls back to params and V8 flags when the id carries no axes', () => {
    const r = fixture();
    const base = r.cells[0]!;
    r.cells = [
      { ...base, id: 'alloc/pooled/glibc/64', params: { mode: 'open' } },
      { ...base, id: 'alloc/pooled/glibc/64#2', params: { mode: 'closed' } },
    ];
    expect(cellRows(r).map((x) => x.axesLabel)).toEqual(['mode=open', 'mode=closed']);
  });

  it('carries the summary numbers of completed cells and the reason of the others', () => {
    const r = fixture();
    const rows = sortRows(cellRows(r));
    expect(rows).toHaveLength(14);
    const obs = rows.find((x) => x.id === 'alloc/one-big-struct/glibc/64')!;
    const cell = r.cells.find((c) => c.id === obs.id)!;
    expect(obs.opsPerSecMedian).toBe(cell.summary!.opsPerSec.median);
    expect([obs.opsPerSecLo, obs.opsPerSecHi]).toEqual(cell.summary!.opsPerSec.ci95);
    expect(obs.gcPauseMsMax).toBe(cell.summary!.gc.pauseMsMax);
    expect(obs.latencySampleCount).toBe([...cell.forks.map((f) => f.latencyNs.count)].sort((a, b) => a - b)[1]);
    const skipped = rows.find((x) => x.state === 'skipped')!;
    expect(skipped.opsPerSecMedian).toBeNull();
    expect(skipped.reason).toMatch(/^ALLOCATOR_MISSING: /);
    // Sorted by size, then strategy in the design's order, then allocator with glibc first.
    expect(rows.slice(0, 3).map((x) => x.id)).toEqual(['alloc/uint8array/glibc/64', 'alloc/uint8array/jemalloc/64', 'alloc/pooled/glibc/64']);
  });
});
