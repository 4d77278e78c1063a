/**
 * What a bench run was asked for, as typed options: the one shape that the CLI parser
 * (harness/cli/args.ts, the only reader of argv) produces and that the runner, the matrix, paired
 * runs and calibration consume. It lives here, not in cli/, because those modules are not CLI code.
 */
import type { AllocatorName } from '../../allocators/native-allocators.js';
import type { InstructionSource } from '../../contract/result-schema.js';

export type ParamValue = string | number | boolean;

export interface Shard {
  /** 1-based shard number K of `--shard K/N`. */
  index: number;
  count: number;
}

export interface BenchOptions {
  suite: string;
  quick: boolean;
  /** Result file path; null: `results/<suite>-<timestamp>.json`. */
  out: string | null;
  /** Filters over the suite's axes; null: the suite's default. */
  strategies: string[] | null;
  allocators: AllocatorName[] | null;
  sizes: number[] | null;
  v8Labels: string[] | null;
  /** Overrides of the plan; null: the suite's plan. */
  forks: number | null;
  warmupMs: number | null;
  durationMs: number | null;
  timeoutMs: number | null;
  /** Seeds the schedule's shuffle, the bootstrap and (via the cell's plan) the workload. */
  seed: number;
  /** `--param key=v1,v2`: replaces the values of an extra axis of the suite. */
  params: Record<string, ParamValue[]>;
  report: boolean;
  shard: Shard | null;
  /** `--baseline GIT_REF`: a paired base-vs-head run (harness/paired). */
  baseline: string | null;
  /**
   * `--rate N` (additive, harness/child): open-loop load at N operations per second, for suites
   * with `openLoop: true`; absent: closed loop.
   */
  rateOpsPerSec?: number;
  /**
   * `--count-instructions` (additive): the counter that counts the user-space instructions of each
   * child's main thread during its measured phase, resolved from `--instruction-source` (auto: perf
   * where hardware counters exist, else callgrind; harness/measure/instruction-counting.ts); the
   * children then do fixed work (`plan.countedWork`). Absent: nothing is counted.
   */
  countInstructions?: InstructionSource;
  /** `--count-ops N` (with --count-instructions): measured ops per counted fork; absent: the default. */
  countOps?: number;
  /**
   * `--count-jobs N` (with --count-instructions): counted children run N at a time;
   * absent: the source's default (callgrind: the CPU count; perf: 1; defaultCountJobs in
   * harness/measure/instruction-counting.ts).
   */
  countJobs?: number;
  /** `--target F` (additive): relative 95% half-width an adaptive run aims for; null/absent: the plan's (0.02). */
  targetHalfWidth?: number | null;
  /** `--budget DURATION` (additive): wall-time budget of the run, ms; null/absent: the plan's. */
  budgetMs?: number | null;
  /**
   * `--runtime a,b` (additive, issue 14): the runtimes the children run on (harness/runtime);
   * null/absent: the running node only, and cell ids without a runtime part.
   */
  runtimes?: string[] | null;
  /** `--min-rounds N` / `--max-rounds N` (additive): bounds of an adaptive run; null/absent: the plan's. */
  minRounds?: number | null;
  maxRounds?: number | null;
  /**
   * `--slice-ms N` / `--slice-group N` (additive, issue 18): time-sliced rounds
   * (harness/run/slice-coordinator.ts) — measuring time per turn (0: off) and forks per group at
   * most (1: off); null/absent: 100 ms and 12.
   */
  sliceMs?: number | null;
  sliceGroup?: number | null;
}
