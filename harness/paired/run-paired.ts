/**
 * `npm run bench -- --suite S --baseline REF`: base (REF, checked out in a worktree) against head
 * (this working tree), forks interleaved A B A B in one session through the parent's runner so that
 * both sides see the same machine state, then both result files and the comparison are written:
 * `<out>.base.json`, `<out>.head.json`, `<out>.compare.md` and `<out>.compare.json`.
 * Returns the process exit code: compare's (0 / 1 on a significant regression), 2 when a side has
 * no completed cell to compare, 130 when interrupted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../child/protocol.js';
import type { BenchOptions } from '../run/bench-options.js';
import { BuflabError } from '../errors.js';
import { collectEnvironment } from '../measure/environment.js';
import { prepareCompiledChildren } from '../run/compiled-child.js';
import { SpawnExecutor, type ChildExecutor, type Side } from '../run/executor.js';
import { PlainProgress, TtyProgress, type ProgressReporter } from '../run/progress.js';
import { runSuite, type RunContext, type RunOutcome } from '../run/run-suite.js';
import { compareResults, defaultCompareOptions, type CompareOptions, type ComparisonReport } from '../compare/compare-results.js';
import { formatJson, formatMarkdown, formatText } from '../compare/format-report.js';
import { SUITES } from '../suites.js';
import { pairedPlan } from './paired-plan.js';
import { installingRuntimeCheck, type RuntimeCheck } from '../runtime/runtimes.js';
import { prepareBaseline, realTreeOps, type TreeOps } from './worktree.js';

export interface PairedDeps {
  repoRoot?: string;
  cacheDir?: string;
  tree?: TreeOps;
  executor?: ChildExecutor;
  progress?: ProgressReporter;
  environment?: RunContext['environment'];
  signal?: AbortSignal;
  /** Overrides of the comparison (thresholds from calibration…). */
  compare?: Partial<CompareOptions>;
  /** Where the text report goes (default stdout). */
  print?: (text: string) => void;
  /** Sides to run instead of base worktree + this tree (calibration runs A/A with the same tree twice). */
  sides?: Side[];
  suites?: RunContext['suites'];
  /**
   * Where each `--runtime` is (issue 14). Default: resolved once per run and installed on demand
   * from npm, as a plain `bench` run does, so base and head children run on the same binary.
   */
  runtimes?: RuntimeCheck;
}

export interface PairedOutcome {
  run: RunOutcome;
  report: ComparisonReport | null;
  comparePaths: { md: string; json: string } | null;
  exitCode: number;
}

/** The file stem of a paired run's outputs: `--out x.json` → `x`. */
export function pairedStem(resultPath: string): string {
  return resultPath.endsWith('.json') ? resultPath.slice(0, -5) : resultPath;
}

/** Runs sides interleaved and compares them; the building block of runPaired and calibrate. */
export async function runPairedSides(options: BenchOptions, sides: Side[], deps: PairedDeps): Promise<PairedOutcome> {
  const print = deps.print ?? ((t: string) => process.stdout.write(t));
  const progress = deps.progress ?? (process.stderr.isTTY ? new TtyProgress(process.stderr) : new PlainProgress((l) => process.stderr.write(l + '\n')));
  const ctx: RunContext = {
    progress,
    environment: deps.environment ?? defaultEnvironmentCollector(),
    argv: process.argv.slice(),
  };
  if (deps.signal !== undefined) ctx.signal = deps.signal;
  if (deps.suites !== undefined) ctx.suites = deps.suites;
  // The matrix and the executor share one check, so a runtime is installed at most once per run.
  const runtimes = deps.runtimes ?? installingRuntimeCheck((l) => process.stderr.write(`paired: ${l}\n`));
  ctx.runtimes = runtimes;
  let executor = deps.executor;
  if (executor === undefined) {
    // Both sides start their compiled child, or both tsx (harness/run/compiled-child.ts).
    const children = prepareCompiledChildren(sides, (l) => process.stderr.write(`paired: ${l}\n`));
    ctx.childEntry = children;
    executor = new SpawnExecutor({ childEntry: children.entry, runtimes });
  }
  const run = await runSuite(options, sides, executor, ctx);
  if (run.interrupted) return { run, report: null, comparePaths: null, exitCode: 130 };
  const base = run.sides.find((s) => s.side.label === 'base');
  const head = run.sides.find((s) => s.side.label === 'head');
  if (base === undefined || head === undefined) throw new Error('runPairedSides: the runner returned no base or head side');
  let report: ComparisonReport;
  try {
    report = compareResults(base.result, head.result, defaultCompareOptions({ labels: [base.resultPath, head.resultPath], ...deps.compare }));
  } catch (err) {
    if (err instanceof BuflabError) {
      process.stderr.write(`paired: cannot compare: [${err.code}] ${err.message}\n`);
      return { run, report: null, comparePaths: null, exitCode: 2 };
    }
    throw err;
  }
  const stem = pairedStem(base.resultPath.replace(/\.base\.json$/, '.json'));
  const comparePaths = { md: `${stem}.compare.md`, json: `${stem}.compare.json` };
  writeFileSync(comparePaths.md, formatMarkdown(report));
  writeFileSync(comparePaths.json, formatJson(report));
  print(formatText(report));
  print(`base: ${base.resultPath}\nhead: ${head.resultPath}\ncomparison: ${comparePaths.md}, ${comparePaths.json}\n`);
  return { run, report, comparePaths, exitCode: report.exitCode };
}

/** Entry point called by `npm run bench -- --baseline REF` (harness/cli/bench.ts). */
export async function runPaired(options: BenchOptions, deps: PairedDeps = {}): Promise<number> {
  if (options.baseline === null) throw new Error('runPaired needs options.baseline');
  const repoRoot = deps.repoRoot ?? REPO_ROOT;
  const cacheDir = deps.cacheDir ?? join(repoRoot, '.bench-cache');
  try {
    const sides =
      deps.sides ??
      (() => {
        const baseline = prepareBaseline(deps.tree ?? realTreeOps, repoRoot, options.baseline!, cacheDir, (l) => process.stderr.write(l + '\n'));
        return [
          { label: 'base' as const, rootDir: baseline.dir },
          { label: 'head' as const, rootDir: repoRoot },
        ];
      })();
    const suite = (deps.suites ?? SUITES).find((x) => x.name === options.suite);
    // Say before any child runs whether these forks let compare pair them (see paired-plan.ts).
    if (suite !== undefined && deps.sides === undefined) process.stderr.write(pairedPlan(suite, options).message + '\n');
    const controller = new AbortController();
    const onSigint = (): void => {
      process.stderr.write('\npaired: interrupted — stopping the running child and writing both result files\n');
      controller.abort();
    };
    const signal = deps.signal ?? controller.signal;
    if (deps.signal === undefined) process.once('SIGINT', onSigint);
    try {
      const outcome = await runPairedSides(options, sides, { ...deps, signal });
      return outcome.exitCode;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  } catch (err) {
    if (err instanceof BuflabError) {
      process.stderr.write(`paired: [${err.code}] ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The environment of each side: its own checkout's (the base worktree's git commit, not this tree's). */
export function defaultEnvironmentCollector(): RunContext['environment'] {
  return (side: Side) => collectEnvironment({ repoRoot: side.rootDir, argv: process.argv.slice() });
}
