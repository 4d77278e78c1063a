/**
 * `npm run compare` as a function: argv is parsed once into validated options, then the files are
 * loaded, compared and rendered. The CLI wrapper (harness/cli/compare.ts) only prints and exits, so
 * tests drive this with argv arrays and assert the output and exit code exactly.
 */
import { MIN_CELLS_FOR_SHIFT } from './shared-shift.js';
import { existsSync } from 'node:fs';
import { BuflabError, UsageError } from '../errors.js';
import {
  compareResults,
  defaultCompareOptions,
  defaultThresholds,
  uniformThresholds,
  type CompareOptions,
  type ComparisonReport,
  type PairingChoice,
  type VerdictRule,
} from './compare-results.js';
import { formatJson, formatMarkdown, formatText } from './format-report.js';
import { readResultFile } from '../../contract/read-result.js';
import { METRIC_NAMES, METRICS, parseMetricList } from '../../contract/metrics.js';
import { defaultNoisePath, findNoiseEntry, readNoiseFile } from './noise.js';

export type OutputFormat = 'text' | 'md' | 'json';

export interface CompareCliOptions {
  basePath: string;
  headPath: string;
  format: OutputFormat;
  /** Fraction; null: calibrated noise if available, else per-metric defaults. */
  threshold: number | null;
  alpha: number;
  force: boolean;
  /** Exact count increases fail (default true; --no-gate-counts). */
  gateCounts: boolean;
  /** Fraction: the change the output says how many forks would detect (--detect PCT). */
  detectTarget: number;
  gate: CompareOptions['gate'];
  correction: CompareOptions['correction'];
  /** Explicit --noise file; null: `.bench-cache/noise/<suite>.json` when it exists. */
  noisePath: string | null;
  cacheDir: string;
  verdictRule: VerdictRule;
  pairing: PairingChoice;
  runShift: CompareOptions['runShift'];
}

export const COMPARE_HELP = `usage: npm run compare -- BASE.json HEAD.json [flags]

Compares two result files cell by cell (matched by id): the change head/base with a bootstrap 95%
interval and a rank-test p-value corrected across cells (Holm) — paired (median of per-pair ratios,
Wilcoxon signed-rank) when the files are the two sides of one paired run (--baseline, calibrate),
else ratio of medians and Mann-Whitney U — a verdict where the change
clears the noise threshold, "same" where an equivalence test (TOST) puts it inside ±threshold, the
smallest change each row could have detected (MDE), a geometric-mean summary (a verdict only for a
paired run), and the deterministic counts compared exactly.
Exit 0: no regression; 1: a significant regression beyond the threshold, a cell that completed in
base but errored in head, or an exact count (allocations, copies... per op) that rose; 2: bad input.

  --format text|md|json  output format (default text; md is a PR comment with a hidden marker)
  --threshold PCT        noise threshold in percent for every metric (default: calibrated noise from
                         .bench-cache/noise/<suite>.json when present, else ${METRIC_NAMES.map((m) => `${METRICS[m].label} ${METRICS[m].defaultThreshold * 100}%`).join(', ')})
  --alpha A              significance level after correction (default 0.05)
  --correction holm|bh   multiple-comparison correction (default holm; bh = Benjamini-Hochberg)
  --gate m1,m2           metrics whose regression fails (default all: ${METRIC_NAMES.join(',')})
  --no-gate-counts       do not fail when an exact count (strategy allocations, copies... per op)
                         increases (default: such an increase fails; --gate-counts says so explicitly)
  --detect PCT           the change whose needed forks the output states (default 5)
  --noise FILE           use this calibration file (from npm run calibrate)
  --verdict-rule point|interval
                         point (default): the ratio must exceed the threshold; interval: its whole
                         95% interval must (stricter, needs more forks)
  --unpaired             treat the files as independent runs even when they are the two sides of one
                         paired run (default: such files are compared paired, fork i with fork i)
  --assume-no-run-shift  separate runs: trust that both saw the same machine (default: each cell's
                         speed is judged against the shift all cells share, and with fewer than
                         ${MIN_CELLS_FOR_SHIFT} cells timed metrics get no verdict: a machine that was faster
                         during one run cannot be told from a change)
  --force                compare even if CPU model, Node version or schema version differ
  --help                 this text

example: npm run compare -- results/base.json results/head.json --format md > comment.md
`;

function numberFlag(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} ${value}: expected a number in [${min}, ${max}]`);
  return n;
}

/** Parses argv (after `--`); returns null for --help. Throws UsageError on anything unknown. */
export function parseCompareArgs(argv: readonly string[], cacheDir = '.bench-cache'): CompareCliOptions | null {
  const positional: string[] = [];
  const o: Omit<CompareCliOptions, 'basePath' | 'headPath'> = {
    format: 'text',
    threshold: null,
    alpha: 0.05,
    force: false,
    gateCounts: true,
    detectTarget: 0.05,
    gate: [...METRIC_NAMES],
    correction: 'holm',
    noisePath: null,
    cacheDir,
    verdictRule: 'point',
    pairing: 'auto',
    runShift: 'shared',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return null;
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'md' && v !== 'json') throw new UsageError(`--format ${v ?? ''}: expected text, md or json`);
        o.format = v;
        break;
      }
      case '--threshold':
        o.threshold = numberFlag('--threshold', value(), 0, 100) / 100;
        break;
      case '--alpha':
        o.alpha = numberFlag('--alpha', value(), 1e-9, 0.5);
        break;
      case '--correction': {
        const v = value();
        if (v !== 'holm' && v !== 'bh') throw new UsageError(`--correction ${v ?? ''}: expected holm or bh`);
        o.correction = v;
        break;
      }
      case '--gate': {
        const v = value();
        if (v === undefined) throw new UsageError('--gate needs a list of metrics');
        try {
          o.gate = parseMetricList(v);
        } catch (err) {
          throw new UsageError(`--gate: ${(err as Error).message}`);
        }
        break;
      }
      case '--verdict-rule': {
        const v = value();
        if (v !== 'point' && v !== 'interval') throw new UsageError(`--verdict-rule ${v ?? ''}: expected point or interval`);
        o.verdictRule = v;
        break;
      }
      case '--gate-counts':
        o.gateCounts = true;
        break;
      case '--no-gate-counts':
        o.gateCounts = false;
        break;
      case '--detect':
        o.detectTarget = numberFlag('--detect', value(), 0.1, 100) / 100;
        break;
      case '--unpaired':
        o.pairing = 'unpaired';
        break;
      case '--assume-no-run-shift':
        o.runShift = 'assume-none';
        break;
      case '--force':
        o.force = true;
        break;
      case '--noise': {
        const v = value();
        if (v === undefined) throw new UsageError('--noise needs a file');
        o.noisePath = v;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown flag ${arg}; see npm run compare -- --help`);
        positional.push(arg);
    }
  }
  if (positional.length !== 2) {
    throw new UsageError(`expected exactly two result files (BASE HEAD), got ${positional.length}; e.g. npm run compare -- base.json head.json`);
  }
  return { basePath: positional[0]!, headPath: positional[1]!, ...o };
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Loads, compares and renders; `report` is null when the input was refused (exit 2). */
export function runCompare(options: CompareCliOptions): CommandOutput & { report: ComparisonReport | null } {
  const base = readResultFile(options.basePath);
  const head = readResultFile(options.headPath);
  const notes: string[] = [];
  let thresholds = defaultThresholds();
  if (options.threshold !== null) {
    thresholds = uniformThresholds(options.threshold, '--threshold');
  } else {
    const noisePath = options.noisePath ?? defaultNoisePath(head.suite, options.cacheDir);
    if (options.noisePath !== null || existsSync(noisePath)) {
      const entry = findNoiseEntry(readNoiseFile(noisePath), head.environment);
      if (entry === undefined) {
        notes.push(`noise file ${noisePath} has no calibration for this CPU model and Node version; using default thresholds (run npm run calibrate -- --suite ${head.suite})`);
      } else {
        for (const m of METRIC_NAMES) {
          const t = entry.thresholds[m];
          if (t !== undefined) thresholds[m] = { threshold: t, source: `calibrated noise ${noisePath} (${entry.forks} forks, ${entry.durationMs} ms)` };
        }
        notes.push(`using calibrated noise thresholds from ${noisePath} (measured ${entry.measuredAt})`);
      }
    }
  }
  const report = compareResults(
    base,
    head,
    defaultCompareOptions({
      alpha: options.alpha,
      correction: options.correction,
      thresholds,
      gate: options.gate,
      gateCounts: options.gateCounts,
      detectTarget: options.detectTarget,
      force: options.force,
      labels: [options.basePath, options.headPath],
      verdictRule: options.verdictRule,
      pairing: options.pairing,
      runShift: options.runShift,
    }),
  );
  report.warnings.unshift(...notes);
  const render = options.format === 'md' ? formatMarkdown : options.format === 'json' ? formatJson : formatText;
  return { stdout: render(report), stderr: '', exitCode: report.exitCode, report };
}

/** The whole command: parse, run, and map typed errors to exit 2 with their message. */
export function compareMain(argv: readonly string[], cacheDir = '.bench-cache'): CommandOutput {
  try {
    const options = parseCompareArgs(argv, cacheDir);
    if (options === null) return { stdout: COMPARE_HELP, stderr: '', exitCode: 0 };
    const { stdout, stderr, exitCode } = runCompare(options);
    return { stdout, stderr, exitCode };
  } catch (err) {
    if (err instanceof BuflabError) return { stdout: '', stderr: `compare: [${err.code}] ${err.message}\n`, exitCode: 2 };
    throw err;
  }
}
