/**
 * A suite names a workload and a default value for every axis of its matrix; CLI flags filter or
 * override any axis. Suites are registered in harness/suites.ts (one entry per workload folder).
 */
import type { AllocatorName } from '../allocators/native-allocators.js';

export interface V8FlagSet {
  /** Short label used in cell ids and tables, e.g. `semi16`. */
  label: string;
  flags: string[];
}

/**
 * Adaptive rounds (harness/run/run-suite.ts): after `minRounds`, a cell gets more rounds only while
 * the 95% interval of its median ops/s, or of a within-run ratio it takes part in, is wider than
 * ±`targetHalfWidth`; the run stops at `maxRounds` or when `budgetMs` is spent.
 */
export interface RoundsPlan {
  minRounds: number;
  maxRounds: number;
  /** Relative 95% half-width to reach (0.02 = ±2%). */
  targetHalfWidth: number;
  /** Wall-time budget of the whole run, ms; null: none. */
  budgetMs: number | null;
}

export interface PhasePlan {
  /** Rounds of a fixed run (`--forks N` overrides); with `rounds`, ignored unless `--forks` is given. */
  forks: number;
  /** Additive: run adaptively (absent: `forks` fixed rounds, e.g. `--quick`). */
  rounds?: RoundsPlan;
  warmupMs: number;
  durationMs: number;
  sizes: number[];
  /** Extra axes and the values to run (e.g. `{ cipher: ['aes-256-gcm', 'none'] }`). */
  axes: Record<string, Array<string | number | boolean>>;
  v8FlagSets: V8FlagSet[];
}

export interface SuiteDefinition {
  name: string;
  workload: string;
  description: string;
  /** What the size axis means, with its unit, e.g. "inner packet bytes". */
  sizeMeaning: string;
  strategies: string[];
  allocators: AllocatorName[];
  /** The full matrix. */
  full: PhasePlan;
  /** `--quick`: a smaller matrix that must finish in about 3 minutes on 2 cores. */
  quick: PhasePlan;
  /** Per-child time limit in ms (default derived from warm-up + duration). */
  childTimeoutMs?: number;
  /** Hidden suites (test-only workloads) are not listed by `--list`. */
  hidden?: boolean;
  /**
   * Additive (test suites): run the matrix over these workloads instead of `workload` alone, so
   * one run can mix e.g. the `noop`, `crash` and `hang` test workloads. `workload` is still the
   * suite's main workload and should be the first entry.
   */
  workloads?: string[];
  /**
   * Additive (harness/child): the suite accepts `--rate N` (open-loop load, latency from each
   * operation's intended start). Only for workloads whose op is one request/packet a client would
   * send at a rate of its own choosing, independent of the previous one's completion.
   */
  openLoop?: boolean;
  /**
   * Additive: values `--param` may give a string axis beyond those in the full and quick plans
   * (e.g. vpn's `inner: ['udp', 'tcp']`). A string value outside plans and choices is refused
   * before any work starts; numeric and boolean axes are checked by type only. A key present here
   * but in neither plan is an optional axis: it enters the matrix (and the cell ids) only when given
   * (e.g. alloc's `ring`).
   */
  axisChoices?: Record<string, Array<string | number | boolean>>;
  /**
   * Additive: why a cell with these axis values cannot run on this machine, or null when it can
   * (e.g. `crypto=native` while the native AEAD addon is not built). The planner reports such a
   * cell as skipped with this code and a message that names the fix, and never runs it — the
   * same treatment as a missing allocator. The child checks again (a config error, exit 3).
   */
  cellUnavailable?: (
    params: Readonly<Record<string, string | number | boolean>>,
    /** Additive (issue 17): the cell's strategy and allocator, for axes that only some of them can take. */
    cell?: { strategy: string; allocator: AllocatorName },
  ) => { code: string; message: string } | null;
}
