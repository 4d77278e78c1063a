/**
 * End to end: the real child process (harness/child/main.ts) on the test-only workloads, spawned
 * exactly as the parent does (childCommand + stdio ['ignore', 'pipe', 'pipe', 'pipe']).
 * Timing values are never asserted (2 shared cores); structure, identities and exact relations are.
 */
import { describe, expect, it } from 'vitest';
import { CELL_ENV_VAR, parseChildError, parseForkRecord } from '../../../harness/child/protocol.js';
import { HdrHistogram } from '../../../harness/measure/hdr-histogram.js';
import { WARMUP_CLASSES } from '../../../contract/result-schema.js';
import { measuredPhaseOps } from '../../../harness/child/fork-series.js';
import { peer } from '../../peers.js';
import { testCell } from './record-fixture.js';
import { runChild } from './run-child.js';

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

const quickPlan = { warmupMs: 200, durationMs: 250, seed: 7 };

describe('child process, end to end', () => {
  it('measures the noop workload and writes one valid record to fd 3', async () => {
    const cell = testCell({ plan: quickPlan, params: { print: true } });
    const run = await runChild(cell);
    expect(run.stderr).toContain('noop: hello on stderr');
    expect(run.code).toBe(0);
    // What the workload printed went to stdout, not into the record channel.
    expect(run.stdout).toBe('noop: hello on stdout\n');
    expect(run.fd3.endsWith('\n')).toBe(true);
    const rec = parseForkRecord(run.fd3, cell);
    expect(rec.cellId).toBe(cell.id);
    expect(rec.forkIndex).toBe(0);
    expect(rec.allocator).toMatchObject({ name: 'glibc', verified: true });
    expect(rec.allocator.path).toMatch(/libc\.so/);
    expect(rec.node.version).toBe(process.version);
    expect(rec.node.execArgv).toContain('--expose-gc');
    // A no-op is far shorter than the clock: it must be batched, and say so.
    expect(rec.batchSize).toBeGreaterThan(1);
    expect(rec.warnings.some((w) => w.includes(`batches of ${rec.batchSize}`))).toBe(true);
    expect(rec.ops % rec.batchSize).toBe(0);
    // The workload counted every op the harness ran (warm-up + measured + the off-heap audit);
    // the baseline ran a different op.
    expect(rec.externalAudit).toBeDefined();
    const phaseOps = measuredPhaseOps(rec);
    expect(rec.workloadCounters.ops).toBe(rec.warmup.ops + phaseOps + rec.externalAudit!.ops);
    expect(rec.alloc.externalBytesPerOp).toBe(0);
    expect(rec.latencyNs.count).toBe(phaseOps / rec.batchSize);
    // The series holds every op: the warm-up's (but the 64 priming calls) and the measured phase's.
    const s = rec.series!;
    const sum = (xs: number[], from: number, to = xs.length): number => xs.slice(from, to).reduce((a, b) => a + b, 0);
    expect(sum(s.ops!, 0, s.measuredFromIndex)).toBe(rec.warmup.ops - 64);
    expect(s.nsPerOp.length).toBe(s.startMs.length);
    expect(s.nsPerOp.every((v) => v > 0)).toBe(true);
    expect(WARMUP_CLASSES).toContain(rec.warmup.class);
    expect(s.segmentMeansNs).toHaveLength(s.changepoints.length + 1);
    // The figure: the measured windows of the final steady segment, or the whole phase.
    const steadyIndex = rec.warmup.steadyFromMs === undefined ? -1 : s.startMs.indexOf(rec.warmup.steadyFromMs);
    expect(steadyIndex === -1).toBe(rec.warmup.class === 'no-steady-state');
    const from = Math.max(s.measuredFromIndex, steadyIndex);
    expect(rec.ops).toBe(sum(s.ops!, from));
    expect(rec.elapsedNs / 1e6).toBeCloseTo(sum(s.timedMs!, from), 6);
    const h = HdrHistogram.decode(rec.latencyHistogram!);
    expect(h.count).toBe(rec.latencyNs.count);
    expect(h.percentile(50)).toBe(rec.latencyNs.p50);
    expect(rec.warmup.rule).toMatch(/successive windows/);
    expect(rec.gc.byKind).toHaveProperty('scavenge');
  });

  it('measures the scaled workload with consistent numbers', async () => {
    const cell = testCell({
      id: 'scaled/none/glibc/100',
      workload: 'scaled',
      size: 100,
      params: { work: 2000 },
      v8Flags: ['--max-semi-space-size=16'],
      plan: quickPlan,
    });
    const run = await runChild(cell);
    expect(run.code, run.stderr).toBe(0);
    const rec = parseForkRecord(run.fd3, cell);
    expect(rec.bytesPerSec).toBeCloseTo(rec.opsPerSec * 100, 6);
    expect(rec.opsPerSec).toBeCloseTo(rec.ops / (rec.elapsedNs / 1e9), 6);
    const l = rec.latencyNs;
    expect(l.min).toBeLessThanOrEqual(l.p50);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.p999);
    expect(l.p999).toBeLessThanOrEqual(l.max);
    expect(rec.workloadCounters.work).toBe(2000);
    expect(rec.node.execArgv).toEqual(['--max-semi-space-size=16', '--expose-gc', '--import', 'tsx']);
    // No strategy, no ArrayBuffers: the counted numbers are exactly zero.
    expect(rec.alloc.arrayBufferBytesPerOp).toBe(0);
    expect(rec.alloc.strategyPerOp.allocations).toBe(0);
    expect(rec.gc.count).toBe(Object.values(rec.gc.byKind).reduce((a, k) => a + k.count, 0));
    expect(rec.gc.pauses.length).toBeLessThanOrEqual(rec.gc.count);
    expect(rec.memory.timeline.length).toBeGreaterThanOrEqual(2);
    expect(rec.memory.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(rec.baseline.nsPerOp).toBeGreaterThan(0);
    expect(rec.timerOverheadNs).toBeGreaterThan(0);
  });

  it('charges the work an op leaves to the event loop (V8 tasks run in the yields) to the op', async () => {
    // Half of each op's work runs in a setImmediate callback, where V8 runs task-started scavenges.
    // Charged, ns/op is about the main thread's whole CPU per op; left out (the figure before), half of it.
    const cell = testCell({ id: 'scaled/none/glibc/100', workload: 'scaled', size: 100, params: { work: 1000, deferred: 1000 }, plan: quickPlan });
    const run = await runChild(cell);
    expect(run.code, run.stderr).toBe(0);
    const rec = parseForkRecord(run.fd3, cell);
    const nsPerOp = rec.elapsedNs / rec.ops;
    expect(rec.cpu).toBeDefined();
    expect(nsPerOp / rec.cpu!.threadCpuNsPerOp).toBeGreaterThan(0.8);
  });

  it('exits 3 for an unknown workload, printing the code and writing no record', async () => {
    const run = await runChild(testCell({ workload: 'no-such-workload' }));
    expect(run.code).toBe(3);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)).toMatchObject({ code: 'E_UNKNOWN_WORKLOAD', message: expect.stringMatching(/noop, scaled/) });
  });

  it('exits 3 for a strategy the workload does not accept and for a bad workload param', async () => {
    const badStrategy = await runChild(testCell({ strategy: 'string' }));
    expect(badStrategy.code).toBe(3);
    expect(parseChildError(badStrategy.stderr)?.code).toBe('E_UNKNOWN_STRATEGY');
    const badParam = await runChild(testCell({ workload: 'scaled', params: { work: -5 } }));
    expect(badParam.code).toBe(3);
    expect(parseChildError(badParam.stderr)).toEqual({ code: 'E_WORKLOAD_CONFIG', message: 'param work must be an integer >= 0, got -5' });
  });

  it('exits 3 without BUFLAB_CELL', async () => {
    const run = await runChild(testCell(), { env: { [CELL_ENV_VAR]: undefined } });
    expect(run.code).toBe(3);
    expect(parseChildError(run.stderr)?.code).toBe('E_NO_CELL');
  });

  it('refuses to measure glibc when another allocator is preloaded', async () => {
    if (!peer(JEMALLOC)) return;
    const run = await runChild(testCell(), { env: { LD_PRELOAD: JEMALLOC } });
    expect(run.code).toBe(3);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)).toMatchObject({ code: 'E_ALLOCATOR_UNVERIFIED', message: expect.stringMatching(/libjemalloc.*is mapped/) });
  });

  it('refuses a jemalloc cell whose library is not preloaded, and verifies it when it is', async () => {
    if (!peer(JEMALLOC)) return;
    const cell = testCell({ id: 'noop/none/jemalloc/0', allocator: 'jemalloc', plan: { warmupMs: 50, durationMs: 100, seed: 1 } });
    const missing = await runChild(cell, { env: { LD_PRELOAD: undefined } });
    expect(missing.code).toBe(3);
    expect(parseChildError(missing.stderr)?.code).toBe('E_ALLOCATOR_UNVERIFIED');
    const ok = await runChild(cell);
    expect(ok.code, ok.stderr).toBe(0);
    const rec = parseForkRecord(ok.fd3, cell);
    expect(rec.allocator.path).toContain('libjemalloc');
    expect(rec.allocator.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('exits 1 with E_VERIFY_FAILED when the workload fails verify()', async () => {
    const run = await runChild(testCell({ params: { failVerify: true }, plan: { warmupMs: 20, durationMs: 50, seed: 1 } }));
    expect(run.code).toBe(1);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)).toMatchObject({ code: 'E_VERIFY_FAILED', message: expect.stringMatching(/failed on purpose/) });
  });

  it('dies abruptly in the measured phase for the crash workload (no record, exit 134)', async () => {
    const run = await runChild(testCell({ workload: 'crash', params: { afterOps: 1000 }, plan: { warmupMs: 50, durationMs: 100, seed: 1 } }));
    expect(run.code).toBe(134);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)).toBeNull();
  });

  it('crash with during=any dies during warm-up; kill mode dies by SIGKILL (abort could leave a core file)', async () => {
    const run = await runChild(testCell({ workload: 'crash', params: { afterOps: 10, during: 'any', mode: 'kill' }, plan: { warmupMs: 50, durationMs: 100, seed: 1 } }));
    expect(run.signal).toBe('SIGKILL');
    expect(run.fd3).toBe('');
  });

  it('a strategy E_BAD_SIZE thrown by an op is a failed run (exit 1), not a configuration error (exit 3)', async () => {
    const run = await runChild(testCell({ workload: 'crash', params: { afterOps: 100, mode: 'bad-size' }, plan: { warmupMs: 20, durationMs: 50, seed: 1 } }));
    expect(run.code).toBe(1);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)?.code).toBe('E_BAD_SIZE');
  });

  it('crash never reaching its op count fails verify() instead of pretending to succeed', async () => {
    const run = await runChild(testCell({ workload: 'crash', params: { afterOps: 1e9 }, plan: { warmupMs: 20, durationMs: 50, seed: 1 } }));
    expect(run.code).toBe(1);
    expect(parseChildError(run.stderr)?.code).toBe('E_VERIFY_FAILED');
  });

  it('never returns for the hang workload (only an outside time limit ends it)', async () => {
    const run = await runChild(testCell({ workload: 'hang', params: { afterOps: 1000 } }), { killAfterMs: 2500 });
    expect(run.killedByTest).toBe(true);
    expect(run.signal).toBe('SIGKILL');
    expect(run.fd3).toBe('');
  });
});
