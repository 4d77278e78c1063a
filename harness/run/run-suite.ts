/**
 * The parent's run loop: suite → cells → seeded interleaved schedule → one child per fork →
 * records streamed to JSONL → per-cell summaries → result file(s). Exported for `runPaired`
 * (harness/paired), which calls it with two sides.
 */
import type { BenchOptions } from '../cli/args.js';
import { UsageError } from '../errors.js';
import type { CellResult, Environment, ForkRecord, ResultFile } from '../../contract/result-schema.js';
import { SCHEMA_VERSION } from '../../contract/result-schema.js';
import { summarizeForks } from '../stats/summarize.js';
import type { SuiteDefinition } from '../suite.js';
import { SUITES } from '../suites.js';
import { CHILD_ENV_ALLOW_LIST, type ChildExecutor, type ChildFailure, type Side } from './executor.js';
import { JsonlFile, type LineSink } from './jsonl-writer.js';
import { applyShard, expandCells, resolvePlan, type AvailabilityCheck, type PlannedCell, type ResolvedPlan } from './matrix.js';
import type { ProgressReporter } from './progress.js';
import { defaultResultPath, jsonlPathFor, sideResultPath, writeResultAtomic } from './result-writer.js';
import { buildSchedule } from './schedule.js';

export interface RunContext {
  progress: ProgressReporter;
  /** Environment of one side (git commit etc. differ between base and head). */
  environment: (side: Side) => Environment | Promise<Environment>;
  now?: () => Date;
  /** Aborted on Ctrl-C: the running child is killed and the run stops with `interrupted: true`. */
  signal?: AbortSignal;
  suites?: readonly SuiteDefinition[];
  availability?: AvailabilityCheck;
  /** The record stream (default: a JSONL file beside the result file). */
  sink?: LineSink;
  writeResult?: (path: string, result: ResultFile) => void;
  /** The command line, recorded in the environment. */
  argv?: string[];
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
  /** Forks that ended (completed or failed), or were dropped once the cell errored. */
  ended: number;
  result: CellResult | null;
}

/** Runs `options.suite` on every side; see the module comment. Throws {@link UsageError} before any child runs when nothing is selected. */
export async function runSuite(options: BenchOptions, sides: readonly Side[], executor: ChildExecutor, ctx: RunContext): Promise<RunOutcome> {
  const now = ctx.now ?? (() => new Date());
  const suites = ctx.suites ?? SUITES;
  const suite = suites.find((s) => s.name === options.suite);
  if (suite === undefined) throw new UsageError(`unknown suite '${options.suite}'; suites: ${suites.filter((s) => !s.hidden).map((s) => s.name).join(', ')}`);
  if (sides.length === 0) throw new UsageError('runSuite needs at least one side');
  const plan = resolvePlan(suite, options);
  const planned = applyShard(expandCells(suite, options, ctx.availability), options.shard);
  if (planned.length === 0) throw new UsageError(`no cells selected in suite ${suite.name}: check --strategy/--allocator/--size/--v8/--shard`);

  const startedAt = now();
  const resultPath = options.out ?? defaultResultPath(suite.name, startedAt);
  const jsonlPath = jsonlPathFor(resultPath);
  const sink = ctx.sink ?? new JsonlFile(jsonlPath);
  const writeResult = ctx.writeResult ?? writeResultAtomic;
  const signal = ctx.signal ?? new AbortController().signal;
  const progress = ctx.progress;

  const runnable = planned.filter((p) => p.skip === null);
  const schedule = buildSchedule(runnable.length, plan.forks, sides.length, options.seed);
  const environments = await Promise.all(sides.map((s) => ctx.environment(s)));
  const runWarnings: string[] = [];

  const perSide = sides.map(() =>
    runnable.map((p): CellProgress => ({ planned: p, forks: [], error: null, ended: 0, result: null })),
  );
  const skippedResults: CellResult[] = planned.filter((p) => p.skip !== null).map((p) => skippedCell(p));

  sink.write({
    type: 'start',
    suite: suite.name,
    seed: options.seed,
    startedAt: startedAt.toISOString(),
    sides: sides.map((s) => s.label),
    cells: planned.length,
    scheduled: schedule.length,
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
  const resultOf = (sideIndex: number, finishedAt: Date | null, interrupted: boolean): ResultFile => {
    const done = new Map<string, CellResult>();
    for (const c of skippedResults) done.set(c.id, c);
    for (const cp of perSide[sideIndex]!) if (cp.result !== null) done.set(cp.planned.cell.id, cp.result);
    const env: Environment = { ...environments[sideIndex]!, startedAt: startedAt.toISOString(), argv: ctx.argv ?? environments[sideIndex]!.argv };
    if (finishedAt !== null) env.finishedAt = finishedAt.toISOString();
    return {
      schemaVersion: SCHEMA_VERSION,
      suite: suite.name,
      environment: env,
      options: recordedOptions(options, plan, sides, sides[sideIndex]!),
      cells: planned.map((p) => done.get(p.cell.id)).filter((c): c is CellResult => c !== undefined),
      warnings: runWarnings.slice(),
      interrupted,
      ...(pairedRunId === null ? {} : { pairedRun: { id: pairedRunId, side: sides[sideIndex]!.label, sides: sides.map((s) => s.label), order: 'alternating' as const } }),
    };
  };
  const paths = sides.map((s) => sideResultPath(resultPath, s.label, sides.length));
  const flush = (sideIndex: number): void => writeResult(paths[sideIndex]!, resultOf(sideIndex, null, false));
  sides.forEach((_, i) => flush(i));

  progress.start(schedule.length);
  let done = 0;
  let elapsedTotalMs = 0;
  let ran = 0;
  for (const entry of schedule) {
    if (signal.aborted) break;
    const side = sides[entry.sideIndex]!;
    const cp = perSide[entry.sideIndex]![entry.cellIndex]!;
    const cell = cp.planned.cell;
    if (cp.error !== null) {
      // The cell already errored: its remaining forks would fail the same way (a hang costs a full time limit each).
      done++;
      continue;
    }
    progress.forkStarted(cell.id, entry.forkIndex, side.label);
    const t0 = now().getTime();
    const outcome = await executor.run({ cell, forkIndex: entry.forkIndex, side, timeoutMs: plan.timeoutMs, signal, ...(options.countInstructions === undefined ? {} : { countInstructions: options.countInstructions }) });
    const elapsedMs = now().getTime() - t0;
    if (outcome.ok) {
      cp.forks.push(outcome.record);
      sink.write({ type: 'fork', side: side.label, cellId: cell.id, forkIndex: entry.forkIndex, record: outcome.record });
    } else {
      sink.write({ type: 'error', side: side.label, cellId: cell.id, forkIndex: entry.forkIndex, error: outcome.error });
      if (outcome.error.code === 'E_INTERRUPTED') break;
      cp.error = outcome.error;
    }
    done++;
    ran++;
    elapsedTotalMs += elapsedMs;
    cp.ended++;
    if (cp.error !== null || cp.ended === plan.forks) {
      cp.result = finishedCell(cp, plan, options.seed, null);
      flush(entry.sideIndex);
    }
    const remaining = schedule.length - done;
    progress.forkDone({
      done,
      total: schedule.length,
      cellId: cell.id,
      forkIndex: entry.forkIndex,
      side: side.label,
      paired: sides.length > 1,
      outcome,
      elapsedMs,
      etaMs: ran === 0 ? 0 : (elapsedTotalMs / ran) * remaining,
    });
  }
  progress.finish();

  const interrupted = signal.aborted;
  if (interrupted) {
    const line = `interrupted after ${done} of ${schedule.length} forks: cells not reached are absent; partly run cells are errored (E_INTERRUPTED) with their completed forks kept`;
    runWarnings.push(line);
    for (const side of perSide) {
      for (const cp of side) {
        if (cp.result === null && cp.forks.length > 0) cp.result = finishedCell(cp, plan, options.seed, 'interrupted');
      }
    }
  }
  const finishedAt = now();
  const results = sides.map((side, i): SideRun => {
    const result = resultOf(i, finishedAt, interrupted);
    writeResult(paths[i]!, result);
    return { side, resultPath: paths[i]!, result };
  });
  sink.write({ type: 'end', interrupted, finishedAt: finishedAt.toISOString() });
  return {
    sides: results,
    jsonlPath,
    interrupted,
    anyErrored: results.some((r) => r.result.cells.some((c) => c.state === 'errored')),
  };
}

/** The fields a cell's result repeats from the cell itself. */
function cellIdentity(cell: PlannedCell['cell']): Pick<CellResult, 'id' | 'workload' | 'strategy' | 'allocator' | 'size' | 'params' | 'v8Flags'> {
  return {
    id: cell.id,
    workload: cell.workload,
    strategy: cell.strategy,
    allocator: cell.allocator,
    size: cell.size,
    params: cell.params,
    v8Flags: cell.v8Flags,
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

function finishedCell(cp: CellProgress, plan: ResolvedPlan, seed: number, interrupted: 'interrupted' | null): CellResult {
  const { cell } = cp.planned;
  const forks = cp.forks.slice().sort((a, b) => a.forkIndex - b.forkIndex);
  const base: CellResult = {
    ...cellIdentity(cell),
    state: 'completed',
    forks,
    warnings: [],
  };
  if (forks[0] !== undefined) base.allocatorInfo = forks[0].allocator;
  if (cp.error !== null) {
    const { code, message, stderrTail } = cp.error;
    return {
      ...base,
      state: 'errored',
      error: { code, message, stderrTail },
      warnings:
        plan.forks > 1
          ? [`${forks.length} of ${plan.forks} forks completed before the failure${forks.length > 0 ? ' (kept in forks)' : ''}; the remaining forks were not run`]
          : [],
    };
  }
  if (interrupted !== null) {
    return {
      ...base,
      state: 'errored',
      error: { code: 'E_INTERRUPTED', message: `the run was interrupted after ${forks.length} of ${plan.forks} forks of this cell (kept in forks)` },
    };
  }
  const { summary, warnings } = summarizeForks(cell.id, forks, { seed });
  return { ...base, summary, warnings };
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
