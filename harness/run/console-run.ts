/**
 * The terminal side of a run, shared by `npm run bench` and `runPaired` (harness/paired): Ctrl-C
 * handling, the default run context (real children, progress on stderr, environment per side),
 * and the end-of-run output (summary table, condensed warnings, errored cells, report).
 */
import { basename, resolve } from 'node:path';
import { REPO_ROOT } from '../child/protocol.js';
import { collectEnvironment } from '../measure/environment.js';
import { PlainProgress, TtyProgress, type ProgressReporter } from './progress.js';
import { precisionFindings } from '../../contract/precision.js';
import type { ResultFile } from '../../contract/result-schema.js';
import type { RunContext, RunOutcome } from './run-suite.js';
import { renderSummaryTable } from './summary-table.js';
import { renderWarningDigest } from './warning-digest.js';

const STDERR_TAILS_PRINTED = 3;

/** Exit codes of `npm run bench` (and of paired runs). */
export const EXIT = { ok: 0, errored: 1, usage: 2, interrupted: 130 } as const;

/**
 * A second signal within this many ms of the first is the same Ctrl-C delivered twice: under
 * `npm run bench` (tsx) the terminal signals the whole process group and tsx also relays the signal
 * to its child when the child's acknowledgement is slow — on a loaded machine both arrived, and the
 * "leave at once" path skipped the result file's end (CI, Node 24, 2026-12-02).
 */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * First SIGINT/SIGTERM: abort the returned controller (the runner kills the running child and
 * writes the result with `interrupted: true`). A second one, later than {@link DUPLICATE_SIGNAL_MS},
 * leaves at once (the JSONL already holds every record).
 */
export function installInterruptHandler(): AbortController {
  const controller = new AbortController();
  let firstAt = -1;
  const onSignal = (): void => {
    const now = performance.now();
    if (firstAt >= 0) {
      if (now - firstAt > DUPLICATE_SIGNAL_MS) process.exit(EXIT.interrupted);
      return;
    }
    firstAt = now;
    process.stderr.write('\nbench: interrupted — stopping the running child and writing the result file (Ctrl-C again to leave at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

export function consoleProgress(): ProgressReporter {
  return process.stderr.isTTY ? new TtyProgress(process.stderr) : new PlainProgress((l) => process.stderr.write(l + '\n'));
}

/** Progress on stderr, the environment of each side's own tree (git commit, dirty flag), `signal` for Ctrl-C. */
export function defaultRunContext(signal: AbortSignal): RunContext {
  return {
    progress: consoleProgress(),
    environment: (side) => collectEnvironment({ repoRoot: side.rootDir, argv: process.argv.slice(2) }),
    signal,
  };
}

/** Prints the outcome of a run, renders the report(s) when asked, and returns the exit code. */
export async function printOutcome(outcome: RunOutcome, renderReport: ReportRenderer | null): Promise<number> {
  for (const { result, resultPath, side } of outcome.sides) {
    const label = outcome.sides.length > 1 ? `[${side.label}] ` : '';
    process.stdout.write('\n' + renderSummaryTable(result.cells) + '\n\n');
    for (const line of roundsLines(result)) process.stdout.write(label + line + '\n');
    for (const line of renderWarningDigest(result.cells)) process.stdout.write(label + line + '\n');
    for (const w of result.warnings) process.stdout.write(`${label}warning: ${w}\n`);
    const errored = result.cells.filter((x) => x.state === 'errored');
    errored.forEach((c, i) => {
      process.stdout.write(`${label}errored: ${c.id}: [${c.error?.code}] ${c.error?.message}\n`);
      // The first few stderr tails explain most failures; every tail is in the result file.
      if (c.error?.stderrTail && i < STDERR_TAILS_PRINTED) process.stdout.write(c.error.stderrTail.replace(/^/gm, '    | ') + '\n');
    });
    if (errored.filter((c) => c.error?.stderrTail).length > STDERR_TAILS_PRINTED) {
      process.stdout.write(`${label}(stderr tails of the other errored cells are in ${resultPath}: cells[].error.stderrTail)\n`);
    }
    const counts = { completed: 0, errored: 0, skipped: 0 };
    for (const c of result.cells) counts[c.state]++;
    process.stdout.write(
      `${label}${result.cells.length} cells: ${counts.completed} completed, ${counts.errored} errored, ${counts.skipped} skipped${outcome.interrupted ? ' (interrupted)' : ''}\n`,
    );
    process.stdout.write(`${label}result: ${resultPath}\n`);
    if (renderReport === null) process.stdout.write(`${label}report: none produced (--no-report); render with npm run report -- ${resultPath}\n`);
    else if (outcome.interrupted) process.stdout.write(`${label}report: none produced (interrupted run); render with npm run report -- ${resultPath}\n`);
    else await maybeRenderReport(resultPath, renderReport);
  }
  process.stdout.write(`records: ${outcome.jsonlPath}\n`);
  if (outcome.interrupted) return EXIT.interrupted;
  return outcome.anyErrored ? EXIT.errored : EXIT.ok;
}

/**
 * How the rounds went, how many forks warmed up and what the forks' disagreements are: one line for
 * the rounds, one for the warm-up classes, one per cell whose forks fall into modes (with the factor
 * that separates them). Cells that ran out of budget are listed by the run's warning.
 */
export function roundsLines(result: ResultFile): string[] {
  const p = precisionFindings(result);
  const out: string[] = [];
  if (p.rounds !== null) out.push(`rounds: ${p.rounds}${p.outOfBudget.length > 0 ? ` ${p.outOfBudget.length} cell${p.outOfBudget.length === 1 ? '' : 's'} did not reach the target.` : ''}`);
  if (p.warmup !== null) out.push(`warm-up: ${p.warmup}`);
  if (p.drift !== null) out.push(`drift: ${p.drift}`);
  for (const m of p.modes) out.push(`modes: ${m.id}: ${m.explanation}`);
  return out;
}

/**
 * Renders the report of a finished run (reports/render.ts `renderReport`, handed in by the command's
 * top-level entry, harness/cli/bench.ts: reports/ reads result files and sits downstream of harness/,
 * so nothing below the entry imports it). Says so plainly when no report was produced.
 */
export type ReportRenderer = (resultPath: string, outDir: string) => Promise<{ indexHtml: string }>;

export async function maybeRenderReport(resultPath: string, renderReport: ReportRenderer): Promise<void> {
  const outDir = resolve(REPO_ROOT, 'reports', 'out', basename(resultPath).replace(/\.json$/, ''));
  try {
    const made = await renderReport(resolve(resultPath), outDir);
    process.stdout.write(`report: ${made.indexHtml}\n`);
  } catch (e) {
    // The measurements are safe on disk; a failing report must not fail the run, but it is shown.
    process.stdout.write(`report: none produced, rendering failed (${(e as Error).message}); the result file is intact: ${resultPath}\n`);
  }
}
