/**
 * `npm run runtime -- install node24 [node26 bun deno …]` puts official Node, Bun and Deno binaries into the runtime cache
 * (harness/runtime/runtimes.ts) for `npm run bench -- --runtime …`; `npm run runtime -- list`
 * shows where every runtime name resolves; `npm run runtime -- path node24` prints one binary's path
 * (for scripts such as .ci/run). Exit 0 on success, 1 when an install failed, 2 on a bad
 * command line.
 */
import { BuflabError, UsageError } from '../errors.js';
import { checkRuntimeName, installRuntime, nodeMajorOf, resolveRuntime, runtimeCacheDir, RUNTIME_NAMES, RuntimeError } from '../runtime/runtimes.js';

const USAGE = [
  'usage: npm run runtime -- install NAME [NAME…]   install Node majors (node20 … node26), bun or deno from npm into the cache',
  '       npm run runtime -- list                    where each runtime name resolves (running node, cache, missing)',
  '       npm run runtime -- path NAME               the binary of NAME (exit 1 when it is not installed), for scripts',
  '',
  `cache: ${runtimeCacheDir()} (set BUFLAB_RUNTIME_CACHE to move it)`,
  'example: npm run runtime -- install node24 node26 bun deno',
  'bun and deno are installed, but their cells are skipped while they lack an API the child measures with (list names it)',
].join('\n');

function main(argv: string[]): number {
  const [command, ...names] = argv;
  if (command === '--help' || command === undefined) {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === 'list') {
    for (const name of RUNTIME_NAMES) {
      const a = resolveRuntime(name);
      process.stdout.write(a.available ? `${name}  ${a.info.version} (V8 ${a.info.v8})  ${a.info.source}  ${a.info.path}  sha256 ${a.info.sha256}\n` : `${name}  not available: ${a.reason}; ${a.installHint}\n`);
    }
    return 0;
  }
  if (command === 'path') {
    const [name] = names;
    if (name === undefined || names.length > 1) throw new UsageError(`path needs exactly one runtime name, e.g. path node24\n${USAGE}`);
    checkRuntimeName(name);
    const a = resolveRuntime(name);
    if (!a.available) {
      process.stderr.write(`runtime: ${name} is not available (${a.reason}): ${a.installHint}\n`);
      return 1;
    }
    process.stdout.write(a.info.path + '\n');
    return 0;
  }
  if (command !== 'install') throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  if (names.length === 0) throw new UsageError(`install needs a runtime name, e.g. install node24\n${USAGE}`);
  for (const n of names) {
    checkRuntimeName(n);
    if (nodeMajorOf(n) === null && n !== 'bun' && n !== 'deno') throw new UsageError(`only Node majors (node20, node22, node24, node26), bun and deno can be installed, not '${n}'`);
  }
  let failed = 0;
  for (const n of names) {
    try {
      const info = installRuntime(n);
      process.stdout.write(`${n}: ${info.version} (V8 ${info.v8}) at ${info.path}, sha256 ${info.sha256}, from ${info.source}\n`);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      process.stderr.write(`runtime: ${n}: [${e.code}] ${e.message}\n`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`runtime: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`runtime: internal error${e instanceof BuflabError ? ` [${e.code}]` : ''}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  }
}
