/**
 * `npm run check-result -- FILE SUITE [strategy ...] [--cells]`: checks a result file the way CI and
 * the README's figures rely on it, and prints its precision.
 *
 * 1. The file passes the contract reader (contract/read-result.ts; its E_* code otherwise, exit 2).
 * 2. Essentials (docs/RESULTS.md, "Fixed names"): a completed cell for every strategy × allocator
 *    installed here, each with the fixed summary names filled; allocation counters plausible
 *    (one-big-struct allocates nothing per op, uint8array at least one allocation per op above 64 B).
 * 3. Precision, stated the way issue 18's targets are: per completed cell the forks' spread
 *    (max/min − 1), the relative 95% half-width of the median, and the forks' warm-up classes; then
 *    the median and p90 of both across the suite.
 *
 * Prints problems (at most 8) and one summary line last; exits 1 when there are problems.
 */
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_NAMES, checkAvailable } from '../allocators/native-allocators.js';
import { STRATEGY_NAMES } from '../allocators/buffer-strategy.js';
import { BuflabError } from '../contract/errors.js';
import { readResultFile } from '../contract/read-result.js';
import type { CellResult, ResultFile } from '../contract/result-schema.js';
import { sortedQuantile } from '../harness/stats/sample-stats.js';

export interface EssentialsOptions {
  strategies: readonly string[];
  allocators: readonly string[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The fixed summary names a completed cell must fill (docs/RESULTS.md). */
function summaryProblems(c: CellResult): string[] {
  const s = c.summary;
  if (s === undefined) return [`${c.id}: completed without a summary`];
  const p: string[] = [];
  if (!(finite(s.opsPerSec.median) && s.opsPerSec.median > 0)) p.push(`${c.id}: summary.opsPerSec.median is not a positive number`);
  if (!(Array.isArray(s.opsPerSec.ci95) && s.opsPerSec.ci95.length === 2 && s.opsPerSec.ci95.every(finite))) p.push(`${c.id}: summary.opsPerSec.ci95 is not [lo, hi]`);
  for (const k of ['p50', 'p90', 'p99', 'p999', 'max'] as const) if (!finite(s.latencyNs[k])) p.push(`${c.id}: summary.latencyNs.${k} missing`);
  for (const k of ['count', 'pauseMsTotal', 'pauseMsMax', 'timeShare'] as const) if (!finite(s.gc[k])) p.push(`${c.id}: summary.gc.${k} missing`);
  for (const k of ['heapBytesPerOp', 'arrayBufferBytesPerOp', 'strategyAllocsPerOp'] as const) if (!finite(s.alloc[k])) p.push(`${c.id}: summary.alloc.${k} missing`);
  if (!finite(s.memory.peakRssBytes)) p.push(`${c.id}: summary.memory.peakRssBytes missing`);
  return p;
}

/** Every way the result misses the essentials for these strategies and allocators (empty: none). */
export function essentialsProblems(result: ResultFile, options: EssentialsOptions): string[] {
  const problems: string[] = [];
  if (result.cells.length === 0) problems.push('no cells');
  for (const strategy of options.strategies) {
    for (const allocator of options.allocators) {
      const cells = result.cells.filter((c) => c.strategy === strategy && c.allocator === allocator);
      if (cells.length === 0) problems.push(`no cell for ${strategy}/${allocator}`);
      for (const c of cells) {
        if (c.state !== 'completed') problems.push(`${c.id}: ${c.state}${c.error ? ` (${c.error.code}: ${c.error.message})` : ''}`);
        else problems.push(...summaryProblems(c));
      }
    }
  }
  const done = result.cells.filter((c) => c.state === 'completed' && c.summary !== undefined);
  // The design's two anchors: one-big-struct allocates nothing on the data path; uint8array
  // allocates a fresh array per buffer, so at least one per op once a payload exists.
  for (const c of done.filter((c) => c.strategy === 'one-big-struct')) {
    if (c.summary!.alloc.strategyAllocsPerOp > 0.01) problems.push(`${c.id}: one-big-struct allocates ${c.summary!.alloc.strategyAllocsPerOp} per op`);
  }
  const fresh = done.filter((c) => c.strategy === 'uint8array' && c.size > 64);
  if (fresh.length > 0 && fresh.every((c) => c.summary!.alloc.strategyAllocsPerOp < 1)) problems.push('uint8array shows fewer than 1 allocation per op in every cell above 64 B');
  return problems;
}

export interface CellPrecision {
  id: string;
  forks: number;
  /** max/min − 1 of the forks' ops/s. */
  spread: number;
  /** max/min − 1 of the forks' `instructionsPerOp` (issue 18: within 1%); null when none was counted. */
  instructionSpread: number | null;
  /** Each fork's `instructionsPerOp`, where counted. */
  instructionsPerOp: number[];
  /** (hi − lo) / 2 / median of the summary's ops/s interval. */
  halfWidth: number;
  /** Each fork's warm-up class, or the old rule's verdict for records written before classes. */
  classes: string[];
}

/** max/min − 1: how far apart the forks of one cell are. */
export const forkSpread = (xs: readonly number[]): number => Math.max(...xs) / Math.min(...xs) - 1;

export function cellPrecision(result: ResultFile): CellPrecision[] {
  return result.cells
    .filter((c) => c.state === 'completed' && c.forks.length > 0 && c.summary !== undefined)
    .map((c) => {
      const ops = c.forks.map((f) => f.opsPerSec);
      const counts = c.forks.map((f) => f.instructionsPerOp).filter(finite);
      const s = c.summary!.opsPerSec;
      return {
        id: c.id,
        forks: ops.length,
        spread: forkSpread(ops),
        instructionSpread: counts.length > 0 ? forkSpread(counts) : null,
        instructionsPerOp: counts,
        halfWidth: (s.ci95[1] - s.ci95[0]) / 2 / s.median,
        classes: c.forks.map((f) => f.warmup.class ?? (f.warmup.steady ? 'steady(old rule)' : 'not-steady(old rule)')),
      };
    });
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** One line: the suite's median and p90 spread and half-width, and the warm-up classes counted. */
export function precisionLine(suite: string, cells: readonly CellPrecision[]): string {
  if (cells.length === 0) return `${suite}: no completed cells`;
  const q = (xs: number[], p: number): string => pct(sortedQuantile([...xs].sort((a, b) => a - b), p));
  const spreads = cells.map((c) => c.spread);
  const widths = cells.map((c) => c.halfWidth);
  const classes: Record<string, number> = {};
  for (const c of cells) for (const k of c.classes) classes[k] = (classes[k] ?? 0) + 1;
  return `${suite}: ${cells.length} cells; fork spread median ${q(spreads, 0.5)} p90 ${q(spreads, 0.9)}; half-width median ${q(widths, 0.5)} p90 ${q(widths, 0.9)}; warm-up ${JSON.stringify(classes)}`;
}

/** The allocators installed on this machine (glibc always). */
export function installedAllocators(): string[] {
  return ALLOCATOR_NAMES.filter((a) => checkAvailable(a).available);
}

const USAGE = 'usage: npm run check-result -- RESULT.json SUITE [strategy ...] [--cells]\n  e.g. npm run check-result -- results/vpn.json vpn one-big-struct --cells';

export function checkResultMain(argv: readonly string[]): { stdout: string; exitCode: number } {
  const cellsFlag = argv.includes('--cells');
  const [file, suite, ...strategies] = argv.filter((a) => a !== '--cells');
  if (file === undefined || suite === undefined || argv.includes('--help')) return { stdout: `${USAGE}\n`, exitCode: file === undefined || suite === undefined ? 2 : 0 };
  let result: ResultFile;
  try {
    result = readResultFile(file, { requireSummaries: true });
  } catch (err) {
    if (err instanceof BuflabError) return { stdout: `check-result: [${err.code}] ${err.message}\n`, exitCode: 2 };
    throw err;
  }
  const out: string[] = [];
  const precision = cellPrecision(result);
  if (cellsFlag) {
    for (const c of precision) out.push(`${c.id}  forks ${c.forks}  spread ${pct(c.spread)}${c.instructionSpread === null ? '' : `  instructions/op spread ${pct(c.instructionSpread)}`}  half-width ${pct(c.halfWidth)}  ${c.classes.join(',')}`);
  }
  const allocators = installedAllocators();
  const problems = essentialsProblems(result, { strategies: strategies.length > 0 ? strategies : STRATEGY_NAMES, allocators });
  if (result.suite !== suite) problems.unshift(`the file holds suite ${JSON.stringify(result.suite)}, not ${JSON.stringify(suite)}`);
  out.push(precisionLine(suite, precision));
  if (problems.length > 0) {
    out.push(...problems.slice(0, 8), `${problems.length} problem(s) in the ${suite} result`);
    return { stdout: out.join('\n') + '\n', exitCode: 1 };
  }
  out.push(`${suite}: ${result.cells.length} cells, essentials present for ${strategies.length > 0 ? strategies.join(',') : STRATEGY_NAMES.join(',')} × ${allocators.join(',')}`);
  return { stdout: out.join('\n') + '\n', exitCode: 0 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { stdout, exitCode } = checkResultMain(process.argv.slice(2));
  process.stdout.write(stdout);
  process.exit(exitCode);
}
