/** A hand-built valid cell and fork record for protocol tests. */
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import { SCHEMA_VERSION, type Cell, type ForkRecord } from '../../../contract/result-schema.js';

export function testCell(overrides: Partial<Cell> = {}): Cell {
  return {
    id: 'noop/none/glibc/0',
    suite: 'test',
    workload: 'noop',
    strategy: 'none',
    allocator: 'glibc',
    size: 0,
    params: {},
    v8Flags: [],
    plan: { warmupMs: 200, durationMs: 200, seed: 1 },
    ...overrides,
  };
}

export function validRecord(cell: Cell): ForkRecord {
  return {
    kind: 'buflab-fork',
    schemaVersion: SCHEMA_VERSION,
    cellId: cell.id,
    forkIndex: 0,
    pid: 1234,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    allocator: { name: cell.allocator, path: null, packageVersion: null, sha256: null, verified: true },
    node: { version: 'v20.20.2', v8: '11.3', execArgv: ['--expose-gc'] },
    warmup: { ops: 10, elapsedMs: 100, steady: true, rule: 'r' },
    batchSize: 1,
    ops: 100,
    elapsedNs: 1e6,
    opsPerSec: 1e8,
    bytesPerSec: 0,
    latencyNs: { p50: 1, p90: 1, p99: 2, p999: 3, max: 4, min: 1, mean: 1.2, count: 100 },
    timerOverheadNs: 40,
    baseline: { nsPerOp: 0.5, heapBytesPerOp: 0 },
    gc: { count: 0, pauseMsTotal: 0, pauseMsMax: 0, timeShare: 0, byKind: {}, pauses: [] },
    alloc: { heapBytesPerOp: 0, arrayBufferBytesPerOp: 0, externalBytesPerOp: 0, strategyPerOp: emptyCounters() },
    memory: { peakRssBytes: 1, heapUsedBytes: 1, heapTotalBytes: 1, arrayBuffersBytes: 0, externalBytes: 0, timeline: [] },
    workloadCounters: { ops: 110 },
    warnings: [],
  };
}
