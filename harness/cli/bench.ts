/**
 * `npm run bench -- --suite NAME …`: parse the command line once, then run the suite's matrix
 * (harness/run), print the summary table and render the report. Exit codes: 0 every cell completed
 * or was skipped, 1 a cell errored, 2 bad command line (nothing was run), 130 interrupted (Ctrl-C;
 * everything measured so far is in the result and JSONL files), 70 (EX_SOFTWARE) an internal error
 * of the harness itself.
 */
import { REPO_ROOT } from '../child/protocol.js';
import { BuflabError, UsageError } from '../errors.js';
import { EXIT, defaultRunContext, installInterruptHandler, printOutcome } from '../run/console-run.js';
import { prepareCompiledChildren } from '../run/compiled-child.js';
import { SpawnExecutor } from '../run/executor.js';
import { DEFAULT_SIDES, runSuite, type RunOutcome } from '../run/run-suite.js';
import { SUITES } from '../suites.js';
import { runPaired } from '../paired/run-paired.js';
import { installingRuntimeCheck } from '../runtime/runtimes.js';
import { benchHelp, parseBenchArgs, suiteListing } from './args.js';

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseBenchArgs(argv, SUITES);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n(npm run bench -- --help lists every flag)\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (command.kind === 'help') {
    process.stdout.write(benchHelp() + '\n');
    return EXIT.ok;
  }
  if (command.kind === 'list') {
    process.stdout.write(suiteListing(SUITES) + '\n');
    return EXIT.ok;
  }
  const options = command.options;
  if (options.baseline !== null) return runPaired(options);

  const controller = installInterruptHandler();
  let outcome: RunOutcome;
  try {
    const sides = DEFAULT_SIDES(REPO_ROOT);
    const children = prepareCompiledChildren(sides, (l) => process.stderr.write(`bench: ${l}\n`));
    // One table per run: each --runtime is resolved (and installed on demand) once, then the matrix and the executor share it.
    const runtimes = installingRuntimeCheck((l) => process.stderr.write(`bench: ${l}\n`));
    const ctx = { ...defaultRunContext(controller.signal), childEntry: children, runtimes };
    outcome = await runSuite(options, sides, new SpawnExecutor({ childEntry: children.entry, runtimes }), ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  // Loaded only when a report is wanted (vega is heavy); a literal path, not a computed one.
  const renderReport = options.report ? (await import('../../reports/render.js')).renderReport : null;
  return printOutcome(outcome, renderReport);
}


main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const code = e instanceof BuflabError ? ` [${e.code}]` : '';
    process.stderr.write(`bench: internal error${code}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
