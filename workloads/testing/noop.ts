/**
 * Test-only workload `noop`: an operation that does nothing but count. Exercises the child end to
 * end and shows the harness's own floor. Params: `failVerify` (true → `verify()` throws),
 * `print` (true → writes to stdout and stderr, which must not disturb the record protocol).
 * The strategy axis is ignored (use strategy `none`).
 */
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import type { WorkloadDefinition, WorkloadInstance, WorkloadSetup } from '../workload.js';
import { booleanParam } from './params.js';

export const noopWorkload: WorkloadDefinition = {
  name: 'noop',
  description: 'test only: an empty operation (harness floor, protocol tests)',
  extraStrategies: ['none'],
  create(setup: WorkloadSetup): WorkloadInstance {
    const failVerify = booleanParam(setup, 'failVerify', false);
    if (booleanParam(setup, 'print', false)) {
      process.stdout.write('noop: hello on stdout\n');
      process.stderr.write('noop: hello on stderr\n');
    }
    let ops = 0;
    return {
      op(): void {
        ops++;
      },
      payloadBytesPerOp: 0,
      strategyCounters: emptyCounters,
      counters: () => ({ ops }),
      verify(): void {
        if (failVerify) throw new Error('noop: verify() failed on purpose (param failVerify=true)');
        if (ops === 0) throw new Error('noop: op() was never called');
      },
      close(): void {},
    };
  },
};
