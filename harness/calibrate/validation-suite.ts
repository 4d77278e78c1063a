/**
 * The suite of the validation experiment: the test-only `scaled` workload (cost exactly
 * proportional to its `work` param), one cell. Kept out of harness/suites.ts because it exists for
 * scripts/validate-compare.ts and its test only; runSuite takes it through `ctx.suites`.
 *
 * Budget: a comparison is 2 × forks children; each costs node + tsx start-up (~0.7 s on a quiet
 * 2-core machine, ~1.2 s on a busy one) + warm-up + duration. 12 forks × (1.2 + 0.3 + 0.4 s) × 2
 * sides ≈ 45 s. 12 forks rather than 8: with 8, a 3% change was detected 14 times in 20 on this
 * shared machine (median op time), short of the 18 required.
 */
import type { SuiteDefinition } from '../suite.js';

export const VALIDATION_SUITE_NAME = 'validate-scaled';
/** Iterations of the integer loop per operation: ~1 µs per op, far above the timer's resolution. */
export const VALIDATION_WORK = 2000;

export const validationSuite: SuiteDefinition = {
  name: VALIDATION_SUITE_NAME,
  workload: 'scaled',
  description: 'validation only: the scaled workload, one cell',
  sizeMeaning: 'payload bytes credited per op',
  strategies: ['none'],
  allocators: ['glibc'],
  full: { forks: 12, warmupMs: 300, durationMs: 400, sizes: [64], axes: { work: [VALIDATION_WORK] }, v8FlagSets: [{ label: 'default', flags: [] }] },
  quick: { forks: 5, warmupMs: 100, durationMs: 200, sizes: [64], axes: { work: [VALIDATION_WORK] }, v8FlagSets: [{ label: 'default', flags: [] }] },
  hidden: true,
};
