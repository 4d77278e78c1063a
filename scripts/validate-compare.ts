/**
 * The validation experiment of `npm run compare` (issue 7), on the test-only `scaled` workload:
 *   npx tsx scripts/validate-compare.ts [--repeats 20] [--factor 1.03] [--threshold PCT] [--metric NAME] [bench flags: --forks N --duration MS --warmup MS --quick --count-instructions --instruction-source auto|perf|callgrind --count-ops N]
 * With `--count-instructions --metric instructionsPerOp` it validates the instruction-count mode
 * (perf stat where hardware counters exist, else callgrind; `--instruction-source callgrind` forces
 * valgrind, whose children take tens of seconds each).
 * Judged metric: the median op time (--metric, default latencyP50Ns; see harness/calibrate/validation.ts
 * for why not ops/s on a shared machine); ops/s verdicts are printed beside it.
 * Passes (exit 0) when the A/A comparisons give at most 5% significant verdicts (1 of 20), the
 * slowdown comparisons detect the change at least 90% of the time (18 of 20), and no comparison
 * took more than 5 minutes. Writes every result file and a summary under .bench-cache/validate/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/child/protocol.js';
import { UsageError } from '../harness/errors.js';
import { runValidation } from '../harness/calibrate/validation.js';
import { METRIC_NAMES, type MetricName } from '../contract/metrics.js';

const MAX_COMPARISON_MS = 5 * 60_000;

async function main(argv: string[]): Promise<number> {
  let repeats = 20;
  let factor = 1.03;
  let threshold: number | undefined;
  let metric: MetricName = 'latencyP50Ns';
  const benchArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--repeats') repeats = Number(argv[++i]);
    else if (a === '--factor') factor = Number(argv[++i]);
    else if (a === '--threshold') threshold = Number(argv[++i]) / 100;
    else if (a === '--metric') {
      const m = argv[++i] ?? '';
      if (!(METRIC_NAMES as readonly string[]).includes(m)) {
        process.stderr.write(`validate-compare: --metric ${m}: expected one of ${METRIC_NAMES.join(', ')}\n`);
        return 2;
      }
      metric = m as MetricName;
    }
    else if (a === '--help') {
      process.stdout.write(`usage: npx tsx scripts/validate-compare.ts [--repeats 20] [--factor 1.03] [--threshold PCT] [--metric ${METRIC_NAMES.join('|')}] [--forks N] [--duration MS] [--warmup MS] [--quick] [--count-instructions [--instruction-source auto|perf|callgrind] [--count-ops N]]\n`);
      return 0;
    } else benchArgs.push(a);
  }
  if (!Number.isInteger(repeats) || repeats < 1 || !(factor > 1) || (threshold !== undefined && !(threshold >= 0))) {
    process.stderr.write('validate-compare: --repeats must be a positive integer, --factor > 1, --threshold a percentage\n');
    return 2;
  }
  const outDir = join(REPO_ROOT, '.bench-cache', 'validate', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });
  process.stdout.write(`validate-compare: ${repeats} A/A + ${repeats} x${factor} slowdown paired comparisons (${benchArgs.join(' ') || 'validation suite plan'}); files in ${outDir}\n`);
  const result = await runValidation({
    repeats,
    factor,
    benchArgs,
    rootDir: REPO_ROOT,
    outDir,
    metric,
    log: (l) => process.stdout.write(l + '\n'),
    ...(threshold !== undefined ? { threshold } : {}),
  });
  const maxFalsePositives = Math.max(1, Math.floor(repeats * 0.05));
  const minDetections = Math.ceil(repeats * 0.9);
  const checks = [
    { ok: result.falsePositives <= maxFalsePositives, what: `${metric}: A/A significant verdicts ${result.falsePositives}/${repeats} (allowed <= ${maxFalsePositives})` },
    { ok: result.detections >= minDetections, what: `${metric}: x${factor} slowdown detected ${result.detections}/${repeats} (needed >= ${minDetections})` },
    { ok: result.maxElapsedMs <= MAX_COMPARISON_MS, what: `longest comparison ${(result.maxElapsedMs / 1000).toFixed(1)} s (allowed <= ${MAX_COMPARISON_MS / 1000} s)` },
  ];
  for (const c of checks) process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'}: ${c.what}\n`);
  process.stdout.write(`(for the record, opsPerSec: ${result.opsPerSec.falsePositives} A/A significant, ${result.opsPerSec.detections}/${repeats} detected)\n`);
  process.stdout.write(`(for the record, ${metric} with --verdict-rule interval: ${result.strict.falsePositives} A/A significant, ${result.strict.detections}/${repeats} detected)\n`);
  if (result.childFailures > 0) process.stdout.write(`note: ${result.childFailures} child process(es) failed\n`);
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ repeats, factor, benchArgs, checks, ...result }, null, 2) + '\n');
  return checks.every((c) => c.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      // A refused configuration (e.g. --count-instructions without perf): said once, nothing was run.
      process.stderr.write(`validate-compare: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`validate-compare: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
