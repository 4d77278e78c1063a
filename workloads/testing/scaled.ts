/**
 * Test-only workload `scaled`: each operation runs `work` iterations of a dependent integer
 * recurrence (an LCG step), so its cost is exactly proportional to `work` and cannot be folded away
 * (every step needs the previous one, and the state is kept on the instance). Used for A/A runs
 * and to check that the harness sees a 2x change when `work` doubles. No allocation (with `deferred`,
 * one Immediate per event-loop turn).
 * Params: `work` (iterations per op, default 100); `deferred` (default 0): iterations per op run
 * later, in one setImmediate callback per event-loop turn, as V8 runs the GC tasks an op causes —
 * work the op owes that the harness must charge to it (test/harness/child/child-main.test.ts).
 * Size axis = payload bytes credited per op.
 */
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import type { WorkloadDefinition, WorkloadInstance, WorkloadSetup } from '../workload.js';
import { numberParam } from './params.js';

export const scaledWorkload: WorkloadDefinition = {
  name: 'scaled',
  description: 'test only: a calibrated integer loop of `work` iterations per op (A/A validation)',
  extraStrategies: ['none'],
  create(setup: WorkloadSetup): WorkloadInstance {
    const work = numberParam(setup, 'work', 100);
    const deferred = numberParam(setup, 'deferred', 0);
    let state = setup.seed | 0;
    let ops = 0;
    /** Ops whose deferred iterations are still owed, and the callback that pays them (one queued at a time). */
    let owed = 0;
    let pending: NodeJS.Immediate | null = null;
    const pay = (): void => {
      pending = null;
      let x = state;
      for (let i = 0, n = owed * deferred; i < n; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
      state = x;
      owed = 0;
    };
    return {
      op(): void {
        let x = state;
        for (let i = 0; i < work; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
        state = x;
        ops++;
        if (deferred > 0) {
          owed++;
          pending ??= setImmediate(pay);
        }
      },
      payloadBytesPerOp: setup.sizeBytes,
      strategyCounters: emptyCounters,
      counters: () => ({ ops, work }),
      verify(): void {
        if (ops === 0) throw new Error('scaled: op() was never called');
      },
      close(): void {
        if (pending !== null) clearImmediate(pending);
      },
    };
  },
};
