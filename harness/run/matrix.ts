/**
 * Suite → cells. The plan is the suite's (full or quick) with the CLI's overrides; cells are the
 * cartesian product workload × strategy × allocator × size × extra axes × runtime × V8 flag sets,
 * in that order. Cells whose allocator or runtime is not installed are planned as skipped (never
 * run with glibc, or on the running node, instead).
 */
import { checkAvailable, type AllocatorName, type Availability } from '../../allocators/native-allocators.js';
import { memoryKnobUnavailable } from '../../allocators/memory-knobs.js';
import type { BenchOptions, ParamValue } from './bench-options.js';
import { E_ALLOCATOR_MISSING, SuiteDefinitionError } from '../errors.js';
import type { Cell, CountedWorkPlan } from '../../contract/result-schema.js';
import { countedTimeoutMs, countedWorkPlan } from '../measure/instruction-counting.js';
import type { PhasePlan, SuiteDefinition, V8FlagSet } from '../suite.js';
import { defaultRuntimeCheck, E_RUNTIME_MISSING, runningRuntimeName, runtimeIdValue, type RuntimeAvailability, type RuntimeCheck } from '../runtime/runtimes.js';

/** The default target: ±2% relative half-width of each cell's median and each compared ratio (issue 18). */
export const DEFAULT_TARGET_HALF_WIDTH = 0.02;

/** How many rounds the run makes; see harness/run/run-suite.ts. */
export interface ResolvedRounds {
  /** False: exactly `maxRounds` rounds (`--forks N`, or a plan without `rounds` such as `--quick`). */
  adaptive: boolean;
  minRounds: number;
  maxRounds: number;
  targetHalfWidth: number;
  budgetMs: number | null;
}

export interface ResolvedPlan {
  /** The most forks a cell can get (= rounds.maxRounds). */
  forks: number;
  rounds: ResolvedRounds;
  warmupMs: number;
  durationMs: number;
  sizes: number[];
  axes: Record<string, ParamValue[]>;
  v8FlagSets: V8FlagSet[];
  /** Per-child time limit, ms. */
  timeoutMs: number;
  seed: number;
  /** `--rate`: open-loop operations per second (additive, harness/child); absent: closed loop. */
  rateOpsPerSec?: number;
  /** `--count-instructions`: every fork does this fixed work (harness/measure/instruction-counting.ts). */
  countedWork?: CountedWorkPlan;
}

/** The default child time limit: generous against a loaded machine, but a hang is caught in seconds. */
export function defaultChildTimeoutMs(warmupMs: number, durationMs: number): number {
  return 3 * (warmupMs + durationMs) + 15_000;
}

export function resolvePlan(suite: SuiteDefinition, options: BenchOptions): ResolvedPlan {
  const base: PhasePlan = options.quick ? suite.quick : suite.full;
  const warmupMs = options.warmupMs ?? base.warmupMs;
  const durationMs = options.durationMs ?? base.durationMs;
  const axes: Record<string, ParamValue[]> = {};
  for (const [k, v] of Object.entries(base.axes)) axes[k] = options.params[k] ?? v.slice();
  // Optional axes (declared in the suite's `axisChoices`, absent from the plan) appear only when given.
  for (const [k, v] of Object.entries(options.params)) if (axes[k] === undefined) axes[k] = v.slice();
  const v8FlagSets = options.v8Labels === null ? base.v8FlagSets : base.v8FlagSets.filter((f) => options.v8Labels!.includes(f.label));
  const target = options.targetHalfWidth ?? base.rounds?.targetHalfWidth ?? DEFAULT_TARGET_HALF_WIDTH;
  const budgetMs = options.budgetMs !== undefined && options.budgetMs !== null ? options.budgetMs : (base.rounds?.budgetMs ?? null);
  let rounds: ResolvedRounds;
  if (options.forks !== null || base.rounds === undefined) {
    const forks = options.forks ?? base.forks;
    rounds = { adaptive: false, minRounds: forks, maxRounds: forks, targetHalfWidth: target, budgetMs };
  } else {
    const minRounds = options.minRounds ?? base.rounds.minRounds;
    const maxRounds = Math.max(minRounds, options.maxRounds ?? base.rounds.maxRounds);
    rounds = { adaptive: true, minRounds, maxRounds, targetHalfWidth: target, budgetMs };
  }
  return {
    forks: rounds.maxRounds,
    rounds,
    warmupMs,
    durationMs,
    sizes: options.sizes ?? base.sizes.slice(),
    axes,
    v8FlagSets,
    // An explicit --timeout is the user's; derived limits grow under callgrind (an order of magnitude slower).
    timeoutMs: options.timeoutMs ?? countedTimeoutMs(suite.childTimeoutMs ?? defaultChildTimeoutMs(warmupMs, durationMs), options.countInstructions ?? 'perf'),
    seed: options.seed,
    ...(options.rateOpsPerSec === undefined ? {} : { rateOpsPerSec: options.rateOpsPerSec }),
    ...(options.countInstructions === undefined ? {} : { countedWork: countedWorkPlan(options.countOps) }),
  };
}

export interface PlannedCell {
  cell: Cell;
  /** Set when the cell cannot run on this machine (allocator not installed): reported, never run. */
  skip: { code: string; message: string } | null;
}

export type AvailabilityCheck = (name: AllocatorName) => Availability;

export type { RuntimeCheck } from '../runtime/runtimes.js';

/** The cartesian product of `values` per key, keys in the given order. */
function combinations(axes: Record<string, ParamValue[]>): Array<Array<[string, ParamValue]>> {
  let acc: Array<Array<[string, ParamValue]>> = [[]];
  for (const [k, values] of Object.entries(axes)) {
    if (values.length === 0) throw new SuiteDefinitionError(`axis '${k}' has no values: give it at least one in harness/suites.ts or --param`);
    acc = acc.flatMap((prefix) => values.map((v): Array<[string, ParamValue]> => [...prefix, [k, v]]));
  }
  return acc;
}

/**
 * Every cell of the suite under `options`, in expansion order. Ids are
 * `workload/strategy/allocator/size[/key=value…][/runtime=name][/v8=label][/rate=N]`; the `/v8=` part is present when the
 * suite's plan varies V8 flags (more than one set, or one set with flags), even if `--v8` selects one.
 * The `/runtime=` part is present when `--runtime` was given (an optional axis, as alloc's `ring`):
 * without it every cell runs on the running node and keeps the id it always had.
 */
export function expandCells(
  suite: SuiteDefinition,
  options: BenchOptions,
  available: AvailabilityCheck = (n) => checkAvailable(n),
  runtimeCheck: RuntimeCheck = defaultRuntimeCheck,
): PlannedCell[] {
  const plan = resolvePlan(suite, options);
  const workloads = suite.workloads ?? [suite.workload];
  const strategies = options.strategies ?? suite.strategies;
  const allocators = options.allocators ?? suite.allocators;
  if (plan.v8FlagSets.length === 0) throw new SuiteDefinitionError(`suite ${suite.name} selects no V8 flag set`);
  // Decided on the suite's plan before `--v8` filters it, so a cell keeps its id whatever is selected.
  const suitePlan = options.quick ? suite.quick : suite.full;
  const v8InId = suitePlan.v8FlagSets.length > 1 || suitePlan.v8FlagSets.some((f) => f.flags.length > 0);
  const combos = combinations(plan.axes);
  const availability = new Map(allocators.map((a) => [a, available(a)]));
  const runtimeInId = options.runtimes !== undefined && options.runtimes !== null;
  const runtimes = runtimeInId ? options.runtimes! : [runningRuntimeName()];
  const runtimeV8 = runtimes.flatMap((r) => plan.v8FlagSets.map((v8): [string, V8FlagSet] => [r, v8]));
  // Without --runtime there is nothing to check: the running node is what runs this parent.
  const runtimeAvailability = new Map(runtimes.map((r): [string, RuntimeAvailability | null] => [r, runtimeInId ? runtimeCheck(r) : null]));
  const out: PlannedCell[] = [];
  for (const workload of workloads) {
    for (const strategy of strategies) {
      for (const allocator of allocators) {
        const avail = availability.get(allocator)!;
        for (const size of plan.sizes) {
          for (const combo of combos) {
            for (const [runtime, v8] of runtimeV8) {
              const parts = [workload, strategy, allocator, String(size), ...combo.map(([k, v]) => `${k}=${String(v)}`)];
              if (runtimeInId) parts.push(`runtime=${runtimeIdValue(runtime)}`);
              if (v8InId) parts.push(`v8=${v8.label}`);
              if (plan.rateOpsPerSec !== undefined) parts.push(`rate=${plan.rateOpsPerSec}`);
              const cell: Cell = {
                id: parts.join('/'),
                suite: suite.name,
                workload,
                strategy,
                allocator,
                size,
                params: Object.fromEntries(combo),
                v8Flags: v8.flags.slice(),
                plan: {
                  warmupMs: plan.warmupMs,
                  durationMs: plan.durationMs,
                  seed: plan.seed,
                  ...(plan.rateOpsPerSec === undefined ? {} : { rateOpsPerSec: plan.rateOpsPerSec }),
                  ...(plan.countedWork === undefined ? {} : { countedWork: { ...plan.countedWork } }),
                },
                runtime,
              };
              // A cell whose axis values cannot run here (a missing runtime, crypto=native without its
              // addon, a memory knob the allocator does not have) is skipped like a missing allocator:
              // reported with the fix, never run as something else.
              const rt = runtimeAvailability.get(runtime) ?? null;
              const skip = !avail.available
                ? { code: E_ALLOCATOR_MISSING, message: `allocator ${allocator} is not installed (${avail.reason}): ${avail.installHint}` }
                : rt !== null && !rt.available
                  ? { code: E_RUNTIME_MISSING, message: `runtime ${runtime} is not available (${rt.reason}): ${rt.installHint}` }
                  : (suite.cellUnavailable?.(cell.params, { strategy, allocator }) ?? memoryKnobUnavailable(allocator, cell.params));
              out.push({ cell, skip });
            }
          }
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const p of out) {
    if (ids.has(p.cell.id)) throw new SuiteDefinitionError(`suite ${suite.name} expands to the id ${p.cell.id} twice: give its V8 flag sets distinct labels`);
    ids.add(p.cell.id);
  }
  return out;
}

/** `--shard K/N`: the cells whose index in the id-sorted list is K-1 modulo N (stable across machines). */
export function applyShard<T extends { cell: Cell }>(cells: readonly T[], shard: { index: number; count: number } | null): T[] {
  if (shard === null) return cells.slice();
  const sortedIds = cells.map((c) => c.cell.id).sort();
  const keep = new Set(sortedIds.filter((_, i) => i % shard.count === shard.index - 1));
  return cells.filter((c) => keep.has(c.cell.id));
}
