/**
 * The parent's run loop: suite → cells → rounds (every unfinished cell once per round, in a fresh
 * seeded shuffle: ./schedule.ts) → one child per fork → records streamed to JSONL → per-cell
 * summaries and within-run axis ratios → result file(s). Exported for `runPaired` (harness/paired),
 * which calls it with two sides.
 *
 * Adaptive rounds (the plan's `rounds`; V8's run_perf and Lancet stop the same way): after
 * `minRounds`, a cell gets no more rounds once the 95% interval of its median ops/s and of every
 * single-axis within-run ratio it takes part in (harness/stats/axis-ratios.ts) is within
 * ±`targetHalfWidth` on every side. The run ends when no cell needs a round, after `maxRounds`, or
 * when the time budget is spent (checked before every fork once every cell has had its minRounds); cells still short of the target are
 * listed in `rounds.cellsOutOfBudget` and flagged `consistency.outOfBudget`. `--forks N` (and a
 * plan without `rounds`, such as `--quick`) runs exactly N rounds.
 *
 * Nothing measured is lost on interruption: every fork is appended to the JSONL the moment it
 * arrives; the result file is rewritten atomically after every round (cells still running carry
 * their provisional summary; `environment.finishedAt` is absent until the run ends) and when a
 * cell errors, and a final time on Ctrl-C.
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { BenchOptions } from './bench-options.js';
import { UsageError } from '../errors.js';
import { defaultCountJobs } from '../measure/instruction-counting.js';
import type { CellIdentity, CellResult, Environment, ForkRecord, ResultFile, RoundsInfo } from '../../contract/result-schema.js';
import { SCHEMA_VERSION } from '../../contract/result-schema.js';
import { axisRatios } from '../stats/axis-ratios.js';
import { checkedSamples, estimate, relativeHalfWidth } from '../stats/bootstrap.js';
import { seededRandom } from '../stats/prng.js';
import { summarizeForks, withDriftAdjustment } from '../stats/summarize.js';
import type { SuiteDefinition } from '../suite.js';
import { SUITES } from '../suites.js';
import type { ChildEntryChoice } from './compiled-child.js';
import { CHILD_ENV_ALLOW_LIST, type ChildExecutor, type ChildFailure, type Side } from './executor.js';
import { JsonlFile, type LineSink } from './jsonl-writer.js';
import { applyShard, expandCells, resolvePlan, type AvailabilityCheck, type PlannedCell, type ResolvedPlan, type ResolvedRounds } from './matrix.js';
import type { RuntimeCheck } from '../runtime/runtimes.js';
import { formatDuration, type ProgressReporter } from './progress.js';
import { defaultResultPath, jsonlPathFor, sideResultPath, writeResultAtomic } from './result-writer.js';
import { buildRound, sliceGroups, type ScheduleEntry } from './schedule.js';
import { DEFAULT_SLICE_GROUP, DEFAULT_SLICE_MS, SliceGroup } from './slice-coordinator.js';

export interface RunContext {
  progress: ProgressReporter;
  /** Environment of one side (git commit etc. differ between base and head). */
  environment: (side: Side) => Environment | Promise<Environment>;
  now?: () => Date;
  /** Aborted on Ctrl-C: the running child is killed and the run stops with `interrupted: true`. */
  signal?: AbortSignal;
  suites?: readonly SuiteDefinition[];
  availability?: AvailabilityCheck;
  /** Where each `--runtime` is (default: the running node and the runtime cache, no download). */
  runtimes?: RuntimeCheck;
  /** The record stream (default: a JSONL file beside the result file). */
  sink?: LineSink;
  writeResult?: (path: string, result: ResultFile) => void;
  /** The command line, recorded in the environment. */
  argv?: string[];
  /** How the children are started (./compiled-child.ts), recorded in the options; a fallback is a run warning. */
  childEntry?: ChildEntryChoice;
}

export interface SideRun {
  side: Side;
  resultPath: string;
  result: ResultFile;
}

export interface RunOutcome {
  sides: SideRun[];
  jsonlPath: string;
  interrupted: boolean;
  /** True when any cell of any side errored. */
  anyErrored: boolean;
}

export const DEFAULT_SIDES = (rootDir: string): Side[] => [{ label: 'head', rootDir }];

interface CellProgress {
  planned: PlannedCell;
  forks: ForkRecord[];
  error: ChildFailure | null;
  result: CellResult | null;
  /** The cell's intervals met the target: it gets no more rounds. */
  metTarget: boolean;
}

/** Runs `options.suite` on every side; see the module comment. Throws {@link UsageError} before any child runs when nothing is selected. */
export async function runSuite(options: BenchOptions, sides: readonly Side[], executor: ChildExecutor, ctx: RunContext): Promise<RunOutcome> {
  const now = ctx.now ?? (() => new Date());
  const suites = ctx.suites ?? SUITES;
  const suite = suites.find((s) => s.name === options.suite);
  if (suite === undefined) throw new UsageError(`unknown suite '${options.suite}'; suites: ${suites.filter((s) => !s.hidden).map((s) => s.name).join(', ')}`);
  if (sides.length === 0) throw new UsageError('runSuite needs at least one side');
  const plan = resolvePlan(suite, options);
  const planned = applyShard(expandCells(suite, options, ctx.availability, ctx.runtimes), options.shard);
  if (planned.length === 0) throw new UsageError(`no cells selected in suite ${suite.name}: check --strategy/--allocator/--size/--v8/--shard`);

  const startedAt = now();
  const resultPath = options.out ?? defaultResultPath(suite.name, startedAt);
  const jsonlPath = jsonlPathFor(resultPath);
  const sink = ctx.sink ?? new JsonlFile(jsonlPath);
  const writeResult = ctx.writeResult ?? writeResultAtomic;
  const signal = ctx.signal ?? new AbortController().signal;
  const progress = ctx.progress;

  const runnable = planned.filter((p) => p.skip === null);
  const rounds = plan.rounds;
  const environments = await Promise.all(sides.map((s) => ctx.environment(s)));
  const runWarnings: string[] = [];
  if (ctx.childEntry?.fallback) runWarnings.push(ctx.childEntry.fallback);

  const perSide = sides.map(() =>
    runnable.map((p): CellProgress => ({ planned: p, forks: [], error: null, result: null, metTarget: false })),
  );
  const skippedResults: CellResult[] = planned.filter((p) => p.skip !== null).map((p) => skippedCell(p));

  sink.write({
    type: 'start',
    suite: suite.name,
    seed: options.seed,
    startedAt: startedAt.toISOString(),
    sides: sides.map((s) => s.label),
    cells: planned.length,
    scheduled: rounds.minRounds * runnable.length * sides.length,
  });
  const skipMessages = new Map<string, number>();
  for (const side of sides) {
    for (const c of skippedResults) sink.write({ type: 'skipped', side: side.label, cellId: c.id, error: { code: c.error!.code, message: c.error!.message } });
  }
  for (const c of skippedResults) skipMessages.set(c.error!.message, (skipMessages.get(c.error!.message) ?? 0) + 1);
  for (const [message, count] of skipMessages) {
    const line = `skipping ${count} cell${count === 1 ? '' : 's'}: ${message}`;
    runWarnings.push(line);
    progress.message(line);
  }

  // One id for every side's file of a paired run (see PairedRunInfo); schedule.ts alternates them.
  const pairedRunId = sides.length > 1 ? `${startedAt.toISOString()}/seed-${options.seed}/pid-${process.pid}` : null;
  let roundsInfo: RoundsInfo | null = null;
  const resultOf = (sideIndex: number, finishedAt: Date | null, interrupted: boolean): ResultFile => {
    const done = new Map<string, CellResult>();
    for (const c of skippedResults) done.set(c.id, c);
    for (const cp of perSide[sideIndex]!) if (cp.result !== null) done.set(cp.planned.cell.id, cp.result);
    const env: Environment = { ...environments[sideIndex]!, startedAt: startedAt.toISOString(), argv: ctx.argv ?? environments[sideIndex]!.argv };
    if (finishedAt !== null) env.finishedAt = finishedAt.toISOString();
    const measured = planned.map((p) => done.get(p.cell.id)).filter((c): c is CellResult => c !== undefined);
    // How far the machine moved between blocks, and each cell with that divided out (harness/stats/drift.ts).
    const { cells, drift } = withDriftAdjustment(measured, options.seed);
    const completed = cells.filter((c) => c.state === 'completed');
    return {
      schemaVersion: SCHEMA_VERSION,
      suite: suite.name,
      environment: env,
      options: { ...recordedOptions(options, plan, sides, sides[sideIndex]!), ...(ctx.childEntry === undefined ? {} : { childEntry: ctx.childEntry.entry }) },
      cells,
      warnings: runWarnings.slice(),
      interrupted,
      ...(pairedRunId === null ? {} : { pairedRun: { id: pairedRunId, side: sides[sideIndex]!.label, sides: sides.map((s) => s.label), order: 'alternating' as const } }),
      ...(roundsInfo === null ? {} : { rounds: roundsInfo }),
      ...(finishedAt === null || completed.length < 2 ? {} : { axisRatios: axisRatios(completed, { seed: options.seed }) }),
      ...(drift === null ? {} : { drift }),
    };
  };
  const paths = sides.map((s) => sideResultPath(resultPath, s.label, sides.length));
  const flush = (sideIndex: number): void => writeResult(paths[sideIndex]!, resultOf(sideIndex, null, false));
  // A file without environment.finishedAt is a run in progress: cells still getting rounds appear
  // with their provisional summary, so an interrupted or crashed parent still leaves a readable file.
  const flushProvisional = (): void => {
    sides.forEach((_, i) => {
      for (const cp of perSide[i]!) if (cp.forks.length > 0 && cp.error === null && !cp.metTarget) cp.result = finishedCell(cp, rounds, options.seed, null);
      flush(i);
    });
  };
  sides.forEach((_, i) => flush(i));

  // Cells (by index into `runnable`) that still get rounds: not errored on every side, target not met.
  const active = new Set(runnable.map((_, i) => i));
  const runStartMs = now().getTime();
  const budgetLeftMs = (): number => (rounds.budgetMs === null ? Number.POSITIVE_INFINITY : rounds.budgetMs - (now().getTime() - runStartMs));
  const random = seededRandom(options.seed);
  const slicing = resolveSlicing(options, sides, executor);
  // Groups started so far: a grouped run's fork `block` (sliced, or counted forks side by side);
  // forks run one at a time take their round.
  const grouped = slicing.maxGroup > 1;
  let blockCount = 0;
  // Every fork of a group listens for Ctrl-C on the one signal at once.
  if (grouped) setMaxListeners(slicing.maxGroup + 10, signal);
  if (slicing.warning !== null) {
    runWarnings.push(slicing.warning);
    progress.message(slicing.warning);
  }
  let stoppedBecause: RoundsInfo['stoppedBecause'] | null = null;
  let round = 0;
  let lastCell = -1;
  let done = 0;
  let elapsedTotalMs = 0;
  let ran = 0;
  progress.start(rounds.minRounds * runnable.length * sides.length);
  while (stoppedBecause === null) {
    if (signal.aborted) stoppedBecause = 'interrupted';
    else if (active.size === 0) stoppedBecause = 'target-met';
    else if (round >= rounds.maxRounds) stoppedBecause = 'max-rounds';
    // The budget bounds the adaptive rounds only: every cell gets its minRounds (and a fixed
    // `--forks N` run exactly N rounds) whatever the budget, as the README promises.
    else if (round >= rounds.minRounds && budgetLeftMs() <= 0) stoppedBecause = 'budget';
    if (stoppedBecause !== null) break;
    // Counted forks of a fixed run (--forks N) also run side by side across rounds when two or more
    // whole rounds fit in the group size: a one-cell run has one fork per round, and a count does
    // not depend on its round. The merged rounds' `round` lines are written as the batch starts, and
    // a batch cut short by Ctrl-C counts none of its rounds as completed (its forks are kept).
    const span = options.countInstructions === undefined || rounds.adaptive ? 1 : Math.min(rounds.maxRounds - round, Math.max(1, Math.floor(slicing.maxGroup / (active.size * sides.length))));
    const activeCells = [...active].sort((a, b) => a - b);
    const entries: ScheduleEntry[] = [];
    for (let r = round; r < round + span; r++) {
      entries.push(...buildRound(activeCells, r, sides.length, random, entries.at(-1)?.cellIndex ?? lastCell));
      sink.write({ type: 'round', round: r, cells: active.size });
    }
    let ranAll = true;
    let k = 0;
    // Sliced groups hold the cells a run compares (their turns interleave them); counted forks need
    // no such grouping, so their batches are simply filled in round order.
    const keyOf = slicing.sliced ? (e: ScheduleEntry): string => groupKeyOf(runnable[e.cellIndex]!.cell) : (): string => '';
    for (const group of sliceGroups(entries, keyOf, slicing.maxGroup)) {
      if (signal.aborted) {
        ranAll = false;
        break;
      }
      // The budget ends the run between groups; a partly run round is fine (ratios pair forks by round).
      if (round >= rounds.minRounds && budgetLeftMs() <= 0) {
        stoppedBecause = 'budget';
        ranAll = false;
        break;
      }
      // A cell that already errored gets no more forks: they would fail the same way (a hang costs a full time limit each).
      const members = group.filter((e) => perSide[e.sideIndex]![e.cellIndex]!.error === null);
      const slices = slicing.sliced && members.length > 1 ? new SliceGroup(members.length, slicing.sliceMs, plan.timeoutMs) : null;
      if (grouped) blockCount++;
      // A fork of a sliced group also waits while the others take their turns; forks side by side
      // (counted) share the CPUs.
      const timeoutMs = plan.timeoutMs * (slices === null ? Math.ceil(members.length / availableParallelism()) : members.length);
      const t0 = now().getTime();
      const outcomes = await Promise.all(
        members.map(async (entry, m) => {
          const side = sides[entry.sideIndex]!;
          const cell = perSide[entry.sideIndex]![entry.cellIndex]!.planned.cell;
          progress.forkStarted(cell.id, entry.forkIndex, side.label);
          const slot = slices?.slots[m];
          try {
            return await executor.run({
              cell,
              forkIndex: entry.forkIndex,
              side,
              timeoutMs,
              signal,
              ...(options.countInstructions === undefined ? {} : { countInstructions: options.countInstructions }),
              ...(slot === undefined ? {} : { slice: slot }),
            });
          } finally {
            slot?.leave();
          }
        }),
      );
      // The group's forks ran together: each is charged an equal share of its wall time.
      const elapsedMs = members.length === 0 ? 0 : (now().getTime() - t0) / members.length;
      let interruptedHere = false;
      for (const [m, entry] of members.entries()) {
        const outcome = outcomes[m]!;
        const side = sides[entry.sideIndex]!;
        const cp = perSide[entry.sideIndex]![entry.cellIndex]!;
        const cell = cp.planned.cell;
        if (outcome.ok) {
          // The forks of one group shared the machine's seconds; forks run alone share their round.
          outcome.record.block = grouped ? blockCount : entry.forkIndex;
          cp.forks.push(outcome.record);
          sink.write({ type: 'fork', side: side.label, cellId: cell.id, forkIndex: entry.forkIndex, record: outcome.record });
        } else {
          sink.write({ type: 'error', side: side.label, cellId: cell.id, forkIndex: entry.forkIndex, error: outcome.error });
          if (outcome.error.code === 'E_INTERRUPTED') {
            interruptedHere = true;
            continue;
          }
          // The first failure names the cell's error (a merged batch can hold several of its forks).
          cp.error ??= outcome.error;
          if (perSide.every((sd) => sd[entry.cellIndex]!.error !== null)) active.delete(entry.cellIndex);
        }
        // An errored cell's result holds every fork it has, also a later round's fork of a merged
        // batch (counted runs) that finished beside the failure.
        if (cp.error !== null) {
          cp.result = finishedCell(cp, rounds, options.seed, null);
          flush(entry.sideIndex);
        }
        done++;
        ran++;
        elapsedTotalMs += elapsedMs;
        // Forks certain to run: the rest of this round and every cell's rounds up to minRounds.
        const remaining = entries.length - (k + m) - 1 + Math.max(0, rounds.minRounds - (round + span)) * active.size * sides.length;
        progress.forkDone({
          done,
          total: done + remaining,
          cellId: cell.id,
          forkIndex: entry.forkIndex,
          side: side.label,
          paired: sides.length > 1,
          outcome,
          elapsedMs,
          etaMs: Math.min(budgetLeftMs(), ran === 0 ? 0 : (elapsedTotalMs / ran) * remaining),
        });
      }
      k += group.length;
      if (interruptedHere) {
        ranAll = false;
        break;
      }
    }
    if (signal.aborted) stoppedBecause = 'interrupted';
    if (!ranAll || stoppedBecause !== null) break;
    lastCell = entries.at(-1)?.cellIndex ?? -1;
    round += span;
    if (rounds.adaptive && round >= rounds.minRounds) {
      const met = targetsMet(perSide, rounds.targetHalfWidth, options.seed);
      for (const i of [...active]) {
        if (!met.has(i)) continue;
        active.delete(i);
        for (const side of perSide) {
          const cp = side[i]!;
          cp.metTarget = true;
          if (cp.error === null) cp.result = finishedCell(cp, rounds, options.seed, null);
        }
      }
    }
    flushProvisional();
  }
  progress.finish();

  const interrupted = stoppedBecause === 'interrupted' || signal.aborted;
  // A budget that ended mid-round left forks no check has seen yet: a cell they bring to the target is not short of it.
  if (rounds.adaptive && !interrupted && active.size > 0 && round >= rounds.minRounds) {
    const met = targetsMet(perSide, rounds.targetHalfWidth, options.seed);
    for (const i of [...active]) if (met.has(i)) active.delete(i);
  }
  // Adaptive runs only: a fixed run (--forks N, --quick) asked for its rounds, not for a target.
  const short = rounds.adaptive && !interrupted ? [...active].filter((i) => perSide.some((s) => s[i]!.error === null && s[i]!.forks.length > 0)) : [];
  if (interrupted) {
    const line = `interrupted in round ${round + 1} after ${done} forks: cells not reached are absent; cells still getting rounds are errored (E_INTERRUPTED) with their completed forks kept`;
    runWarnings.push(line);
  }
  for (const side of perSide) {
    for (const [i, cp] of side.entries()) {
      if (cp.error !== null || cp.forks.length === 0) continue;
      if (interrupted && !cp.metTarget) cp.result = finishedCell(cp, rounds, options.seed, 'interrupted');
      else cp.result = finishedCell(cp, rounds, options.seed, null, short.includes(i));
    }
  }
  roundsInfo = {
    completed: round,
    minRounds: rounds.minRounds,
    maxRounds: rounds.maxRounds,
    targetHalfWidth: rounds.targetHalfWidth,
    budgetMs: rounds.budgetMs,
    stoppedBecause: interrupted ? 'interrupted' : (stoppedBecause ?? 'max-rounds'),
    cellsOutOfBudget: short.map((i) => runnable[i]!.cell.id),
  };
  if (short.length > 0) {
    const why = roundsInfo.stoppedBecause === 'budget' ? `the time budget (${formatDuration(rounds.budgetMs ?? 0)}) ended` : `${rounds.maxRounds} rounds (--max-rounds) were run`;
    const line = `${short.length} cell${short.length === 1 ? '' : 's'} did not reach ±${(rounds.targetHalfWidth * 100).toFixed(1)}% before ${why}: ${short.slice(0, 5).map((i) => runnable[i]!.cell.id).join(', ')}${short.length > 5 ? `, … (all in rounds.cellsOutOfBudget)` : ''}; their intervals are wider (consistency.halfWidth): raise --budget, or accept a looser --target`;
    runWarnings.push(line);
    progress.message(line);
  }
  const finishedAt = now();
  const results = sides.map((side, i): SideRun => {
    const result = resultOf(i, finishedAt, interrupted);
    writeResult(paths[i]!, result);
    return { side, resultPath: paths[i]!, result };
  });
  sink.write({ type: 'end', interrupted, finishedAt: finishedAt.toISOString(), rounds: roundsInfo });
  return {
    sides: results,
    jsonlPath,
    interrupted,
    anyErrored: results.some((r) => r.result.cells.some((c) => c.state === 'errored')),
  };
}

/**
 * Cells (indices into the runnable list) whose every side meets the target: the relative 95%
 * half-width of the median ops/s (the summary's own interval, same seed) and of every
 * single-axis within-run ratio the cell takes part in is ≤ `target`. A cell that errored on a side
 * counts as met there (it gets no more forks anyway).
 */
function targetsMet(perSide: readonly CellProgress[][], target: number, seed: number): Set<number> {
  const cellCount = perSide[0]?.length ?? 0;
  const unmet = new Set<number>();
  for (const side of perSide) {
    const indexOf = new Map(side.map((cp, i) => [cp.planned.cell.id, i]));
    side.forEach((cp, i) => {
      if (cp.error !== null || cp.metTarget) return;
      const ops = checkedSamples(cp.forks.map((f) => f.opsPerSec), `${cp.planned.cell.id} opsPerSec`);
      const e = estimate(ops, seed);
      if (relativeHalfWidth(e.median, e.ci95) > target) unmet.add(i);
    });
    const withForks = side.filter((cp) => cp.error === null && cp.forks.length > 0).map((cp) => ({ ...cp.planned.cell, forks: cp.forks }));
    for (const r of axisRatios(withForks, { seed, singleAxisOnly: true })) {
      if (relativeHalfWidth(r.ratio, r.ci95) <= target) continue;
      unmet.add(indexOf.get(r.cellA)!);
      unmet.add(indexOf.get(r.cellB)!);
    }
  }
  const met = new Set<number>();
  for (let i = 0; i < cellCount; i++) if (!unmet.has(i)) met.add(i);
  return met;
}

/**
 * How the forks of a round are grouped. Timed forks: time-sliced rounds (./slice-coordinator.ts) as
 * asked — `--slice-ms 0` or `--slice-group 1` turn them off; an executor that cannot slice runs
 * every fork alone, and when it cannot for one side (a `--baseline` commit from before the gate,
 * whose children would ignore their turns and run beside the others) slicing is off for the run,
 * with a warning. The group size is a multiple of the side count, so that both sides of a cell
 * always share a group. Counted forks never slice (the counter must see one uninterrupted phase, and
 * forks that wait would only stretch a valgrind run); they run `--count-jobs` at a time (rounded
 * down to a multiple of the side count when it is at least that; 1 stays one at a time), side by
 * side, because a count does not depend on load (defaultCountJobs).
 */
function resolveSlicing(options: BenchOptions, sides: readonly Side[], executor: ChildExecutor): Grouping {
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  if (options.countInstructions !== undefined) {
    const jobs = options.countJobs ?? defaultCountJobs(options.countInstructions);
    return { sliceMs, maxGroup: jobs < sides.length ? jobs : jobs - (jobs % sides.length), sliced: false, warning: null };
  }
  const asked = options.sliceGroup ?? DEFAULT_SLICE_GROUP;
  const off = (warning: string | null): Grouping => ({ sliceMs, maxGroup: 1, sliced: false, warning });
  if (sliceMs === 0 || asked <= 1 || executor.canSlice === undefined) return off(null);
  const without = sides.filter((s) => !executor.canSlice!(s));
  if (without.length > 0) {
    return off(`time-sliced rounds off: the ${without.map((s) => s.label).join(' and ')} tree's child cannot take turns (it predates harness/child/slice-gate.ts); every fork runs alone, one after another`);
  }
  return { sliceMs, maxGroup: Math.max(sides.length, asked - (asked % sides.length)), sliced: true, warning: null };
}

/** Forks per group at most, and whether a group's forks take turns (sliced) or run side by side. */
interface Grouping {
  sliceMs: number;
  maxGroup: number;
  sliced: boolean;
  warning: string | null;
}

/** Cells a run compares share this key: everything but the strategy, the allocator and the runtime. */
function groupKeyOf(cell: PlannedCell['cell']): string {
  return JSON.stringify([cell.workload, cell.size, cell.params, cell.v8Flags]);
}

/** The fields a cell's result repeats from the cell itself. */
function cellIdentity(cell: PlannedCell['cell']): CellIdentity {
  return {
    id: cell.id,
    workload: cell.workload,
    strategy: cell.strategy,
    allocator: cell.allocator,
    size: cell.size,
    params: cell.params,
    v8Flags: cell.v8Flags,
    ...(cell.runtime === undefined ? {} : { runtime: cell.runtime }),
  };
}

function skippedCell(p: PlannedCell): CellResult {
  return {
    ...cellIdentity(p.cell),
    state: 'skipped',
    error: { code: p.skip!.code, message: p.skip!.message },
    forks: [],
    warnings: [],
  };
}

function finishedCell(cp: CellProgress, rounds: ResolvedRounds, seed: number, interrupted: 'interrupted' | null, outOfBudget = false): CellResult {
  const { cell } = cp.planned;
  const forks = cp.forks.slice().sort((a, b) => a.forkIndex - b.forkIndex);
  const base: CellResult = {
    ...cellIdentity(cell),
    state: 'completed',
    forks,
    warnings: [],
  };
  if (forks[0] !== undefined) base.allocatorInfo = forks[0].allocator;
  if (forks[0]?.runtime !== undefined) base.runtimeInfo = forks[0].runtime;
  if (cp.error !== null) {
    const { code, message, stderrTail } = cp.error;
    return {
      ...base,
      state: 'errored',
      error: { code, message, stderrTail },
      warnings:
        rounds.maxRounds > 1
          ? [`${forks.length} fork${forks.length === 1 ? '' : 's'} completed before the failure${forks.length > 0 ? ' (kept in forks)' : ''}; the cell got no more rounds`]
          : [],
    };
  }
  if (interrupted !== null) {
    return {
      ...base,
      state: 'errored',
      error: { code: 'E_INTERRUPTED', message: `the run was interrupted after ${forks.length} fork${forks.length === 1 ? '' : 's'} of this cell (kept in forks)` },
    };
  }
  const { summary, warnings, consistency } = summarizeForks(cell.id, forks, { seed });
  return { ...base, summary, warnings, consistency: outOfBudget ? { ...consistency, outOfBudget: true } : consistency };
}

function recordedOptions(options: BenchOptions, plan: ResolvedPlan, sides: readonly Side[], side: Side): Record<string, unknown> {
  return {
    ...options,
    plan,
    side: side.label,
    sides: sides.map((s) => ({ label: s.label, rootDir: s.rootDir })),
    childEnvAllowList: [...CHILD_ENV_ALLOW_LIST],
  };
}
