/** A fake child executor and fork-record builder: the parent's output can be asserted exactly. */
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import type { ChildExecutor, ChildOutcome, ChildRequest } from '../../../harness/run/executor.js';
import type { Environment, ForkRecord } from '../../../contract/result-schema.js';
import { parseBenchArgs } from '../../../harness/cli/args.js';
import type { BenchOptions } from '../../../harness/run/bench-options.js';
import type { SuiteDefinition } from '../../../harness/suite.js';
import { SCHEMA_VERSION } from '../../../contract/result-schema.js';

export function fakeRecord(cellId: string, forkIndex: number, opsPerSec: number, over: Partial<ForkRecord> = {}): ForkRecord {
  return {
    kind: 'buflab-fork',
    schemaVersion: SCHEMA_VERSION,
    cellId,
    forkIndex,
    pid: 1000 + forkIndex,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    allocator: { name: 'glibc', path: '/usr/lib/x86_64-linux-gnu/libc.so.6', packageVersion: null, sha256: null, verified: true },
    node: { version: 'v20.0.0', v8: '11', execArgv: [] },
    warmup: { ops: 10, elapsedMs: 1, steady: true, rule: 'fixed' },
    batchSize: 1,
    ops: opsPerSec,
    elapsedNs: 1e9,
    opsPerSec,
    bytesPerSec: opsPerSec * 100,
    latencyNs: { p50: 1e9 / opsPerSec, p90: 2e9 / opsPerSec, p99: 3e9 / opsPerSec, p999: 4e9 / opsPerSec, max: 5e9 / opsPerSec, min: 1, mean: 1e9 / opsPerSec, count: opsPerSec },
    timerOverheadNs: 20,
    baseline: { nsPerOp: 1, heapBytesPerOp: 0 },
    gc: { count: 4, pauseMsTotal: 2, pauseMsMax: 1, timeShare: 0.002, byKind: { scavenge: { count: 4, pauseMsTotal: 2, pauseMsMax: 1 } }, pauses: [] },
    alloc: { heapBytesPerOp: 64, arrayBufferBytesPerOp: 128, externalBytesPerOp: 0, strategyPerOp: { ...emptyCounters(), allocations: 1, allocatedBytes: 128 } },
    memory: { peakRssBytes: 50e6, heapUsedBytes: 1e6, heapTotalBytes: 2e6, arrayBuffersBytes: 1e5, externalBytes: 1e5, timeline: [] },
    workloadCounters: {},
    warnings: [],
    ...over,
  };
}

export type Script = (req: ChildRequest) => ChildOutcome | Promise<ChildOutcome>;

/** Records every request; answers with `script` (default: a record of 1000 × (fork+1) ops/s). */
export class FakeExecutor implements ChildExecutor {
  readonly calls: Array<{ cellId: string; forkIndex: number; side: string; timeoutMs: number }> = [];
  constructor(private readonly script: Script = (r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, 1000 * (r.forkIndex + 1)) })) {}
  async run(req: ChildRequest): Promise<ChildOutcome> {
    this.calls.push({ cellId: req.cell.id, forkIndex: req.forkIndex, side: req.side.label, timeoutMs: req.timeoutMs });
    return this.script(req);
  }
}

/** A clock that advances `stepMs` every time it is read. */
export function steppingClock(startIso = '2026-01-01T00:00:00.000Z', stepMs = 500): () => Date {
  let t = Date.parse(startIso);
  return () => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
}

/** A fixed environment for runs with the fake executor. */
export const FAKE_ENV: Environment = {
  node: 'v20', v8: '11', platform: 'linux', arch: 'x64', cpuModel: 'cpu', cores: 2, totalMemoryBytes: 1, kernel: 'k',
  governor: null, git: { commit: null, dirty: null }, harnessVersion: '0', startedAt: 'x', argv: [],
};

/** The options of `bench --suite SUITE --out out/r.json ARGV` for a run against `suite` alone. */
export function runOptions(suite: SuiteDefinition, argv: string[]): BenchOptions {
  const c = parseBenchArgs(['--suite', suite.name, '--out', 'out/r.json', ...argv], [suite]);
  if (c.kind !== 'run') throw new Error('not a run');
  return c.options;
}
