/**
 * Test-only workload `hang`: after `afterOps` operations an operation never returns (a synchronous
 * infinite loop, so no timer in the child can fire). Only the parent's time limit ends it.
 * Params: `afterOps` (default 10000).
 */
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import type { WorkloadDefinition, WorkloadInstance, WorkloadSetup } from '../workload.js';
import { numberParam } from './params.js';

export const hangWorkload: WorkloadDefinition = {
  name: 'hang',
  description: 'test only: spins forever after `afterOps` operations',
  extraStrategies: ['none'],
  create(setup: WorkloadSetup): WorkloadInstance {
    const afterOps = numberParam(setup, 'afterOps', 10_000);
    let ops = 0;
    let spins = 0;
    return {
      op(): void {
        if (++ops < afterOps) return;
        while (true) spins = (spins + 1) | 0;
      },
      payloadBytesPerOp: 0,
      strategyCounters: emptyCounters,
      counters: () => ({ ops, spins }),
      verify(): void {
        throw new Error('hang: the process should never reach verify()');
      },
      close(): void {},
    };
  },
};
