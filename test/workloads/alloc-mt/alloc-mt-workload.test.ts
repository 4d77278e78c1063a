/**
 * The alloc-mt workload under every strategy (poisoning included): the threads really run at the
 * same time, each does exactly its share, the counts add up, every live and every handed-off buffer
 * keeps its stamps; a worker's failure fails the op with the worker's message. End to end, the
 * child with `arenas` on the glibc cell shows the cap in malloc's own arena count.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { parseForkRecord, REPO_ROOT } from '../../../harness/child/protocol.js';
import { ALLOCATIONS_PER_OP, AllocMtCorruptionError, AllocMtWorkload, allocMtOptionsFromParams, allocMtWorkload } from '../../../workloads/alloc-mt/alloc-mt-workload.js';
import { loadWorkload } from '../../../workloads/registry.js';
import { CTL } from '../../../workloads/alloc-mt/shared-control.js';
import type { WorkloadSetup } from '../../../workloads/workload.js';
import { testCell } from '../../harness/child/record-fixture.js';
import { runChild } from '../../harness/child/run-child.js';
import { STRATEGY_CASES } from '../../stack/strategies.js';

function setup(strategy: string, sizeBytes: number, params: WorkloadSetup['params']): WorkloadSetup {
  return { strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes, params, seed: 5 };
}

describe('alloc-mt workload', () => {
  it('is registered', async () => {
    expect(await loadWorkload('alloc-mt')).toBe(allocMtWorkload);
  });

  it('refuses thread counts that do not divide the op, unknown params and handoff of views', () => {
    expect(() => allocMtOptionsFromParams({ threads: 3 })).toThrow(/divides 256/);
    expect(() => allocMtOptionsFromParams({ threads: 2, cipher: 'x' })).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }) as Error);
    expect(() => allocMtWorkload.create(setup('pooled', 64, { threads: 2, handoff: 'transfer' }))).toThrow(/needs strategy uint8array/);
  });

  for (const { name, strategy, inner } of STRATEGY_CASES) {
    it(`${name}: 1 and 2 threads each allocate exactly their share, every live buffer intact`, () => {
      for (const threads of [1, 2]) {
        const cellStrategy = inner ?? strategy;
        const w = new AllocMtWorkload(setup(cellStrategy, 1500, {}), { threads, handoff: 'none', ringPerThread: 64, ...(inner ? { poisonInner: inner } : {}) });
        try {
          const ops = 40;
          for (let i = 0; i < ops; i++) w.op();
          w.verify();
          const c = w.counters();
          expect(c).toMatchObject({ ops, threads, allocations: ops * ALLOCATIONS_PER_OP, verifiedBuffers: threads * 64 });
          for (let t = 0; t < threads; t++) expect(c[`thread${t}Allocations`]).toBe((ops * ALLOCATIONS_PER_OP) / threads);
          // Summed over the workers: uint8array allocates every buffer; the others reuse their memory.
          const s = w.strategyCounters();
          if (cellStrategy === 'uint8array' && inner === undefined) expect(s.allocations).toBe(ops * ALLOCATIONS_PER_OP);
          else expect(s.allocations).toBeLessThanOrEqual(threads * 2);
          // A second verify after more ops: the counts still add up.
          w.op();
          w.verify();
          expect(w.counters()['allocations']).toBe((ops + 1) * ALLOCATIONS_PER_OP);
        } finally {
          w.close();
        }
      }
    });
  }

  it('two threads run their loops at the same time (both inside at once)', () => {
    const w = allocMtWorkload.create(setup('uint8array', 4096, { threads: 2 }));
    try {
      // Each op wakes both workers together; over a few hundred ops their loops overlap.
      for (let i = 0; i < 300 && w.counters()['maxConcurrentThreads']! < 2; i++) w.op();
      expect(w.counters()['maxConcurrentThreads']).toBe(2);
    } finally {
      w.close();
    }
  });

  it('handoff=transfer: every buffer crosses to the next thread, arrives in order and intact', () => {
    for (const threads of [1, 2]) {
      const w = allocMtWorkload.create(setup('uint8array', 512, { threads, handoff: 'transfer', ring: 32 }));
      try {
        for (let i = 0; i < 30; i++) w.op();
        w.verify();
        const c = w.counters();
        expect(c).toMatchObject({ handedOff: 30 * ALLOCATIONS_PER_OP, received: 30 * ALLOCATIONS_PER_OP, verifiedBuffers: threads * 32 });
        // Transferred, never released by the thread that allocated it.
        expect(w.strategyCounters()).toMatchObject({ allocations: 30 * ALLOCATIONS_PER_OP, releases: 0 });
      } finally {
        w.close();
      }
    }
  });

  it('handoff=transfer: a buffer altered in transit fails the op loudly, naming the buffer (AllocMtCorruptionError)', () => {
    const failureOf = (threads: number, byteOffset: number): unknown => {
      // Worker 0 inverts one byte of its 8th buffer after stamping it: what the receiver gets is not what was sent.
      const w = new AllocMtWorkload(setup('uint8array', 512, {}), { threads, handoff: 'transfer', ringPerThread: 16, corruptInTransitForTest: { worker: 0, seq: 7, byteOffset } });
      try {
        for (let i = 0; i < 3; i++) w.op();
        w.verify();
        return null;
      } catch (e) {
        return e;
      } finally {
        w.close();
      }
    };
    for (const threads of [1, 2]) {
      const receiver = threads === 1 ? 0 : 1;
      // A line's stamp byte (line 3 starts at byte 192) and the last byte (what a truncation changes).
      for (const [byteOffset, where] of [
        [192, /line 3: byte \d+ where \d+ was written/],
        [511, /last byte: \d+ where \d+ was written/],
      ] as const) {
        const err = failureOf(threads, byteOffset);
        expect(err).toBeInstanceOf(AllocMtCorruptionError);
        expect((err as AllocMtCorruptionError).code).toBe('E_ALLOC_MT_CORRUPT');
        expect((err as Error).message).toMatch(new RegExp(`worker ${receiver} received buffer 7 altered in transit`));
        expect((err as Error).message).toMatch(where);
      }
    }
    // The check's stated limit (one stamp byte per 64-byte line): a lone byte between two stamps passes.
    expect(failureOf(2, 200)).toBeNull();
  });

  it('a wake-up without a new command runs nothing (regression: one thread once did an op more than the main thread counted)', () => {
    const w = allocMtWorkload.create(setup('uint8array', 256, { threads: 2 }));
    try {
      w.op();
      // Let both workers reach their wait, then wake them without starting a command.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      const ctl = (w as unknown as { ctl: Int32Array }).ctl;
      expect(Atomics.notify(ctl, CTL.generation)).toBe(2);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      w.op();
      w.verify();
      expect(w.counters()).toMatchObject({ ops: 2, allocations: 2 * ALLOCATIONS_PER_OP, spuriousWakeups: 2 });
    } finally {
      w.close();
    }
  });

  it("a worker's failure fails the workload with the worker's message", () => {
    expect(() => new AllocMtWorkload(setup('no-such-strategy', 64, {}), { threads: 2, handoff: 'none', ringPerThread: 8 })).toThrow(/a worker failed: worker \d: .*no-such-strategy/s);
  });
});

describe('alloc-mt in the real child, with the arenas knob', () => {
  it('arenas=1 caps glibc at one arena; arenas=8 lets the threads have their own', async () => {
    execFileSync('bash', ['allocators/native/build.sh'], { cwd: REPO_ROOT, stdio: 'pipe' });
    const inUse: number[] = [];
    for (const arenas of [1, 8]) {
      const cell = testCell({
        id: `alloc-mt/uint8array/glibc/1500/threads=2/arenas=${arenas}`,
        workload: 'alloc-mt',
        strategy: 'uint8array',
        size: 1500,
        params: { threads: 2, arenas },
        plan: { warmupMs: 150, durationMs: 200, seed: 2 },
      });
      const run = await runChild(cell);
      expect(run.stderr).not.toContain('buflab-child-error');
      const rec = parseForkRecord(run.fd3, cell);
      expect(rec.memoryKnobs!.readBack['glibc.malloc.arena_max']).toBe(arenas);
      expect(rec.workloadCounters['threads']).toBe(2);
      inUse.push(rec.memoryKnobs!.arenasInUse!);
    }
    expect(inUse[0]).toBe(1);
    // Two allocating workers plus V8's and libuv's threads: more than one arena, at most eight.
    expect(inUse[1]).toBeGreaterThan(1);
    expect(inUse[1]).toBeLessThanOrEqual(8);
  });
});
