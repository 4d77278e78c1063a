/**
 * `npm run calibrate -- --suite NAME [--repeats N] [--noise-out FILE] [bench flags]`: A/A paired runs
 * (this tree on both sides, interleaved) → false-positive rate, smallest detectable change, and a
 * noise file that `npm run compare` then uses for this suite on this machine.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../child/protocol.js';
import { BuflabError, UsageError } from '../errors.js';
import { estimateNoise, formatNoise } from '../calibrate/noise-estimate.js';
import { runRepeatedPairs } from '../calibrate/repeated-pairs.js';
import { defaultNoisePath, saveNoiseEntry } from '../compare/noise.js';
import { SUITES } from '../suites.js';

const HELP = `usage: npm run calibrate -- --suite NAME [--repeats N] [--noise-out FILE] [npm run bench flags]

Runs N A/A paired comparisons (the same code as base and head, forks interleaved A B A B) with the
suite's plan (or --forks/--duration/--warmup/--quick and the filters of npm run bench), reports the
false-positive rate and the smallest detectable change per metric, and saves the noise thresholds
to .bench-cache/noise/<suite>.json keyed by CPU model and Node version; npm run compare uses them.

  --repeats N        A/A comparisons to run (default 5; more give a steadier estimate)
  --noise-out FILE   where to save (default .bench-cache/noise/<suite>.json)
  --help             this text

example: npm run calibrate -- --suite vpn --quick --repeats 5
`;

async function main(argv: string[]): Promise<number> {
  let repeats = 5;
  let noiseOut: string | null = null;
  const benchArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '--repeats') {
      repeats = Number(argv[++i]);
      if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats ${argv[i] ?? ''}: expected a positive integer`);
    } else if (a === '--noise-out') {
      noiseOut = argv[++i] ?? null;
      if (noiseOut === null) throw new UsageError('--noise-out needs a file');
    } else if (a === '--out' || a === '--seed' || a === '--baseline') {
      throw new UsageError(`${a} is set by calibrate itself; leave it out`);
    } else benchArgs.push(a);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const suiteIndex = benchArgs.indexOf('--suite');
  const suiteName = suiteIndex >= 0 ? (benchArgs[suiteIndex + 1] ?? '') : '';
  if (suiteName === '') throw new UsageError('--suite NAME is required; e.g. npm run calibrate -- --suite vpn --quick');
  const outDir = join(REPO_ROOT, '.bench-cache', 'calibrate', `${suiteName}-${stamp}`);
  process.stderr.write(`calibrate: ${repeats} A/A paired run(s) of ${suiteName}; result files in ${outDir}\n`);
  const result = await runRepeatedPairs({
    benchArgs,
    repeats,
    rootDir: REPO_ROOT,
    outDir,
    suites: SUITES,
    onComparison: (i, report, ms) => {
      const significant = report.cells.flatMap((c) => c.metrics).filter((m) => m.verdict === 'improved' || m.verdict === 'regressed').length;
      process.stderr.write(`calibrate: A/A run ${i + 1}/${repeats}: ${(ms / 1000).toFixed(1)} s, ${significant} significant verdict(s)\n`);
    },
  });
  const estimate = estimateNoise(result.reports);
  const plan = { forks: result.plan.forks, durationMs: result.plan.durationMs, repeats };
  process.stdout.write(formatNoise(estimate, plan));
  const env = result.reports[0]!;
  const path = noiseOut ?? join(REPO_ROOT, defaultNoisePath(suiteName));
  saveNoiseEntry(path, suiteName, {
    environment: { cpuModel: env.head.cpuModel, node: env.head.node },
    forks: plan.forks,
    durationMs: plan.durationMs,
    comparisons: estimate.comparisons,
    falsePositiveRateDefault: estimate.falsePositiveRateAsRun,
    falsePositiveRate: estimate.falsePositiveRateCalibrated,
    thresholds: Object.fromEntries(estimate.perMetric.map((m) => [m.metric, m.threshold])),
    smallestDetectable: Object.fromEntries(estimate.perMetric.map((m) => [m.metric, m.smallestDetectable])),
    measuredAt: new Date().toISOString(),
  });
  process.stdout.write(`noise thresholds saved to ${path}; npm run compare uses them for suite ${suiteName} on this CPU and Node version\n`);
  if (result.childFailures > 0) process.stdout.write(`warning: ${result.childFailures} child process(es) failed during calibration; see ${outDir}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof BuflabError) {
      process.stderr.write(`calibrate: [${e.code}] ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`calibrate: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
