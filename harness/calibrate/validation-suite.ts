/**
 * The suite of the validation experiment: the test-only `scaled` workload (cost exactly
 * proportional to its `work` param), one cell. Kept out of harness/suites.ts because it exists for
 * scripts/validate-compare.ts and its test only; runSuite takes it through `ctx.suites`.
 *
 * Budget: a comparison is 2 × forks children; each costs node + tsx start-up (~0.7 s on a quiet
 * 2-core machine, ~1.2 s on a busy one) + warm-up + duration. 16 forks × (0.7–1.2 + 0.2 + 0.3 s) × 2
 * sides ≈ 40–55 s, far inside the 5 minutes a comparison may take. The files are the two sides of one
 * paired run, so compare pairs fork i with fork i (Wilcoxon signed-rank): what matters is the number
 * of pairs, not the length of each fork — the per-pair ratio of median op times varied by about 1%
 * on a quiet machine and 3–5% under a load of 3.5 on 2 cores, while whole forks drifted by 12%.
 * Quick: 6 forks, the fewest whose signed-rank test can reach p < 0.05 (2/2^6 = 0.031).
 *
 * The validation experiment runs {@link validationSuiteWithoutMaglev} (issue 14): it needs an op
 * whose cost is `work` and nothing else. On V8 ≥ 12 (Node 22+) Maglev compiles the timing loop first,
 * with the op inlined: 16.2–16.7 µs per op at work=2000 on Node 24, against 2.7 µs once TurboFan
 * replaces it — 400–800 ms into a fork here, later the dearer the op (at work=4000 a 1000 ms warm-up
 * still measured Maglev code: a 2x change came out 11.8x). Forks then fall into two JIT modes 6x
 * apart and a 50 ms warm-up gave "inconclusive" verdicts. Without Maglev every supported Node tiers
 * Ignition → Sparkplug → TurboFan as Node 20 does (V8 11.3 has Maglev off by default). The flag is
 * in the cell's v8Flags and id (`/v8=no-maglev`). It stays out of {@link validationSuite} itself
 * (instruction counting, paired-run tests): on Node 20, where it restates the default, the
 * count-instructions test's forks disagreed by 1.9% and 2.5% with it (limit 1%) and agreed in the
 * one run without it, so the flag is used only where the experiment needs it.
 */
import type { SuiteDefinition } from '../suite.js';

export const VALIDATION_SUITE_NAME = 'validate-scaled';
/** Iterations of the integer loop per operation: ~1 µs per op, far above the timer's resolution. */
export const VALIDATION_WORK = 2000;

/** TurboFan without Maglev on every Node (see the module comment). */
const NO_MAGLEV = [{ label: 'no-maglev', flags: ['--no-maglev'] }];

export const validationSuite: SuiteDefinition = {
  name: VALIDATION_SUITE_NAME,
  workload: 'scaled',
  description: 'validation only: the scaled workload, one cell',
  sizeMeaning: 'payload bytes credited per op',
  strategies: ['none'],
  allocators: ['glibc'],
  full: { forks: 16, warmupMs: 200, durationMs: 300, sizes: [64], axes: { work: [VALIDATION_WORK] }, v8FlagSets: [{ label: 'default', flags: [] }] },
  quick: { forks: 6, warmupMs: 100, durationMs: 200, sizes: [64], axes: { work: [VALIDATION_WORK] }, v8FlagSets: [{ label: 'default', flags: [] }] },
  hidden: true,
};

/** The validation experiment's suite: {@link validationSuite} without Maglev (see the module comment). */
export const validationSuiteWithoutMaglev: SuiteDefinition = {
  ...validationSuite,
  description: 'validation only: the scaled workload, one cell, --no-maglev',
  full: { ...validationSuite.full, v8FlagSets: NO_MAGLEV },
  quick: { ...validationSuite.quick, v8FlagSets: NO_MAGLEV },
};
