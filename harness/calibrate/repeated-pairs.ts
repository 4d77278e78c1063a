/**
 * Repeated paired comparisons of one configuration: the engine of `npm run calibrate` (A/A: the same
 * tree on both sides) and of the validation experiment (A/A and a known injected slowdown).
 * Each repetition is one full paired run (fresh forks, interleaved A B A B, its own seed) followed
 * by compare, exactly as a CI job would run it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchArgs } from '../cli/args.js';
import type { BenchOptions } from '../run/bench-options.js';
import { UsageError } from '../errors.js';
import type { ComparisonReport, CompareOptions } from '../compare/compare-results.js';
import type { ChildExecutor, Side } from '../run/executor.js';
import { SpawnExecutor } from '../run/executor.js';
import { resolvePlan, type ResolvedPlan } from '../run/matrix.js';
import type { SuiteDefinition } from '../suite.js';
import { SUITES } from '../suites.js';
import { defaultEnvironmentCollector, runPairedSides } from '../paired/run-paired.js';
import { QuietProgress } from './quiet-progress.js';
import { ScalingExecutor } from './scaling-executor.js';

export interface RepeatedPairsConfig {
  /** `npm run bench` flags describing the run (suite, forks, duration, filters); --out and --seed are set per repetition. */
  benchArgs: string[];
  repeats: number;
  rootDir: string;
  outDir: string;
  /** Injected change on the head side: multiply this numeric cell param by `factor` (1 = A/A). */
  inject?: { param: string; factor: number };
  suites?: readonly SuiteDefinition[];
  executor?: ChildExecutor;
  compare?: Partial<CompareOptions>;
  /** Called after each repetition (progress lines). */
  onComparison?: (index: number, report: ComparisonReport, elapsedMs: number) => void;
  firstSeed?: number;
}

export interface RepeatedPairsResult {
  options: BenchOptions;
  /** The plan as the runner resolved it (suite defaults plus overrides). */
  plan: ResolvedPlan;
  reports: ComparisonReport[];
  elapsedMs: number[];
  childFailures: number;
}

export function benchOptionsFrom(args: string[], suites: readonly SuiteDefinition[]): BenchOptions {
  const command = parseBenchArgs(args, suites);
  if (command.kind !== 'run') throw new UsageError(`expected a run configuration (--suite NAME …), got ${command.kind}`);
  return command.options;
}

export async function runRepeatedPairs(config: RepeatedPairsConfig): Promise<RepeatedPairsResult> {
  const suites = config.suites ?? SUITES;
  mkdirSync(config.outDir, { recursive: true });
  const sides: Side[] = [
    { label: 'base', rootDir: config.rootDir },
    { label: 'head', rootDir: config.rootDir },
  ];
  const inner = config.executor ?? new SpawnExecutor();
  const executor = config.inject ? new ScalingExecutor(inner, config.inject.param, config.inject.factor) : inner;
  const environment = defaultEnvironmentCollector();
  const reports: ComparisonReport[] = [];
  const elapsedMs: number[] = [];
  let childFailures = 0;
  let options: BenchOptions | null = null;
  for (let i = 0; i < config.repeats; i++) {
    const seed = (config.firstSeed ?? 1) + i;
    options = benchOptionsFrom([...config.benchArgs, '--seed', String(seed), '--out', join(config.outDir, `pair-${seed}.json`), '--no-report'], suites);
    const progress = new QuietProgress();
    const t0 = Date.now();
    const outcome = await runPairedSides(options, sides, {
      executor,
      progress,
      environment,
      suites,
      print: () => {},
      ...(config.compare ? { compare: config.compare } : {}),
    });
    const took = Date.now() - t0;
    childFailures += progress.failures;
    if (outcome.report === null) {
      throw new UsageError(`repetition ${i + 1}: no comparison (exit ${outcome.exitCode}); ${progress.messages.join('; ') || 'see the result files in ' + config.outDir}`);
    }
    reports.push(outcome.report);
    elapsedMs.push(took);
    config.onComparison?.(i, outcome.report, took);
  }
  const suite = suites.find((s) => s.name === options!.suite)!;
  return { options: options!, plan: resolvePlan(suite, options!), reports, elapsedMs, childFailures };
}
