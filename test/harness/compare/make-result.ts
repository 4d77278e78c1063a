/**
 * Builds complete, schema-valid result files for compare's tests from a few numbers per fork, so
 * fixtures state only what a test is about.
 */
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import { SCHEMA_VERSION, type CellResult, type ForkRecord, type ResultFile } from '../../../contract/result-schema.js';

export interface ForkSpec {
  opsPerSec: number;
  p99Ns?: number;
  gcShare?: number;
  heapBytesPerOp?: number;
  arrayBufferBytesPerOp?: number;
  peakRssBytes?: number;
  allocationsPerOp?: number;
  copiesPerOp?: number;
}

export interface CellSpec {
  id: string;
  state?: CellResult['state'];
  forks: ForkSpec[];
  payloadBytes?: number;
}

export function makeFork(cellId: string, i: number, s: ForkSpec, payloadBytes: number): ForkRecord {
  const strategyPerOp = { ...emptyCounters(), allocations: s.allocationsPerOp ?? 2, copies: s.copiesPerOp ?? 1 };
  const p99 = s.p99Ns ?? 1e9 / s.opsPerSec * 1.5;
  return {
    kind: 'buflab-fork',
    schemaVersion: SCHEMA_VERSION,
    cellId,
    forkIndex: i,
    pid: 1000 + i,
    startedAt: '2026-11-21T00:00:00.000Z',
    finishedAt: '2026-11-21T00:00:01.000Z',
    allocator: { name: cellId.split('/')[2] ?? 'glibc', path: null, packageVersion: null, sha256: null, verified: true },
    node: { version: 'v20.20.2', v8: '11.3.244.8-node.33', execArgv: [] },
    warmup: { ops: 1000, elapsedMs: 100, steady: true, rule: 'fixed' },
    batchSize: 1,
    ops: s.opsPerSec,
    elapsedNs: 1e9,
    opsPerSec: s.opsPerSec,
    bytesPerSec: s.opsPerSec * payloadBytes,
    latencyNs: { p50: p99 / 2, p90: p99 / 1.2, p99, p999: p99 * 2, max: p99 * 10, min: p99 / 3, mean: p99 / 2, count: s.opsPerSec },
    timerOverheadNs: 20,
    baseline: { nsPerOp: 1, heapBytesPerOp: 0 },
    gc: { count: 10, pauseMsTotal: 5, pauseMsMax: 1, timeShare: s.gcShare ?? 0.005, byKind: {}, pauses: [] },
    alloc: {
      heapBytesPerOp: s.heapBytesPerOp ?? 64,
      arrayBufferBytesPerOp: s.arrayBufferBytesPerOp ?? 1500,
      externalBytesPerOp: 0,
      strategyPerOp,
    },
    memory: { peakRssBytes: s.peakRssBytes ?? 80 * 2 ** 20, heapUsedBytes: 1, heapTotalBytes: 1, arrayBuffersBytes: 1, externalBytes: 1, timeline: [] },
    workloadCounters: {},
    warnings: [],
  };
}

export function makeResult(cells: CellSpec[], env: { cpuModel?: string; node?: string; commit?: string; suite?: string } = {}): ResultFile {
  return {
    schemaVersion: SCHEMA_VERSION,
    suite: env.suite ?? 'vpn',
    environment: {
      node: env.node ?? 'v20.20.2',
      v8: '11.3.244.8-node.33',
      platform: 'linux',
      arch: 'x64',
      cpuModel: env.cpuModel ?? 'Test CPU @ 2.0GHz',
      cores: 2,
      totalMemoryBytes: 8 * 2 ** 30,
      kernel: '6.1.0',
      governor: null,
      git: { commit: env.commit ?? null, dirty: false },
      harnessVersion: '0.1.0',
      startedAt: '2026-11-21T00:00:00.000Z',
      argv: [],
    },
    options: {},
    cells: cells.map((c) => {
      const [workload, strategy, allocator, size] = c.id.split('/');
      const payloadBytes = c.payloadBytes ?? 1400;
      return {
        id: c.id,
        workload: workload ?? 'vpn',
        strategy: strategy ?? 'pooled',
        allocator: allocator ?? 'glibc',
        size: Number(size ?? 1400),
        params: {},
        v8Flags: [],
        state: c.state ?? 'completed',
        forks: (c.state ?? 'completed') === 'completed' ? c.forks.map((f, i) => makeFork(c.id, i, f, payloadBytes)) : [],
        warnings: [],
      };
    }),
    warnings: [],
    interrupted: false,
  };
}

/** `n` fork values around `center`, spread deterministically by ±`spread` (fraction). */
export function around(center: number, n: number, spread: number): number[] {
  return Array.from({ length: n }, (_, i) => center * (1 + spread * (((i * 7) % n) / Math.max(1, n - 1) - 0.5)));
}
