/**
 * `npm run profile -- --suite NAME --strategy S --allocator A [--size N] [--param k=v] --tool T
 * [--out DIR] [--duration MS]`: one cell of a suite, run once from compiled JavaScript with a
 * profiler attached (see harness/profile/run-profile.ts for the tools). The cell comes from the
 * same suite expansion as `npm run bench` (harness/run/matrix.ts); the axis flags are validated by
 * the bench parser, so both commands accept and refuse the same values.
 *
 * Exit codes: 0 profile written, 1 the profile failed, 2 bad command line, 3 the cell cannot run here
 * (allocator not installed, malloc shim not built).
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './args.js';
import type { ParamValue } from '../run/bench-options.js';
import { UsageError } from '../errors.js';
import { expandCells } from '../run/matrix.js';
import { SUITES, findSuite } from '../suites.js';
import { defaultRuntimeCheck, installingRuntimeCheck, type RuntimeCheck } from '../runtime/runtimes.js';
import type { SuiteDefinition } from '../suite.js';
import type { Cell } from '../../contract/result-schema.js';
import { cellStem, findRepoRoot, isProfileTool, PROFILE_TOOLS, ProfileError, runProfile, type ProfileManifest, type ProfileTool } from '../profile/run-profile.js';

interface FlagSpec {
  name: string;
  value: string | null;
  help: string;
  /** Handed to the bench parser (suite axes and plan). */
  axis?: boolean;
}

const FLAGS: readonly FlagSpec[] = [
  { name: '--suite', value: 'NAME', help: 'the suite whose matrix holds the cell (required)', axis: true },
  { name: '--strategy', value: 'S', help: 'buffer strategy of the cell (required)', axis: true },
  { name: '--allocator', value: 'A', help: 'native allocator of the cell (required: glibc, jemalloc, tcmalloc, mimalloc)', axis: true },
  { name: '--size', value: 'N', help: "size axis in bytes (default: the middle size of the suite's quick plan)", axis: true },
  { name: '--param', value: 'k=v', help: "value of an extra axis (repeatable; default: the axis' first value)", axis: true },
  { name: '--v8', value: 'LABEL', help: "V8 flag set of the suite (default: the quick plan's first)", axis: true },
  { name: '--runtime', value: 'NAME', help: 'the runtime the profiled child runs on: node20, node22, node24, node26, or an absolute path to node (default: the running node); installed on demand as bench --runtime does', axis: true },
  { name: '--tool', value: 'T', help: `profiler: ${PROFILE_TOOLS.join(', ')} (required)` },
  { name: '--out', value: 'DIR', help: 'directory for the artifacts and profile.json (default results/profile/<cell>-<tool>-<time>)' },
  { name: '--duration', value: 'MS', help: 'measured phase, ms (default 2000)', axis: true },
  { name: '--warmup', value: 'MS', help: "warm-up, ms (default: the suite's quick plan)", axis: true },
  { name: '--seed', value: 'N', help: 'seed of the workload (default 1)', axis: true },
  { name: '--timeout', value: 'MS', help: 'kill the profiled process after this long (default 120000)' },
  { name: '--cpu-interval', value: 'US', help: 'cpu: sampling interval in microseconds (default 100)' },
  { name: '--heap-interval', value: 'BYTES', help: 'heap: mean bytes between samples (default 4096)' },
  { name: '--heap-keep-inlining', value: null, help: 'heap: keep TurboFan inlining (sites of inlined code then show as their caller)' },
  { name: '--help', value: null, help: 'this text' },
];

export interface ProfileOptions {
  cell: Cell;
  tool: ProfileTool;
  outDir: string | null;
  timeoutMs: number;
  cpuSamplingIntervalUs: number;
  heapSamplingIntervalBytes: number;
  heapKeepInlining: boolean;
  /** Axis values chosen by default rather than given (printed, so the user knows what ran). */
  defaulted: string[];
}

export type ProfileCommand = { kind: 'help' } | { kind: 'run'; options: ProfileOptions } | { kind: 'skip'; message: string };

export function profileHelp(): string {
  const width = Math.max(...FLAGS.map((f) => (f.value ? `${f.name} ${f.value}` : f.name).length));
  return [
    'usage: npm run profile -- --suite NAME --strategy S --allocator A [--size N] [--param k=v] --tool T [--out DIR] [--duration MS]',
    '',
    'Runs exactly one cell once, from compiled JavaScript (dist/, rebuilt when stale), with a profiler attached,',
    'and writes the artifacts and a manifest (profile.json) into one directory. Tools:',
    '  flame   @clinic/flame HTML flamegraph (whole child process)',
    '  0x      0x HTML flamegraph (whole child process)',
    '  cpu     .cpuprofile of the measured phase (Chrome DevTools / speedscope) + top functions + its 0x flamegraph',
    '  heap    V8 sampling heap profile of the measured phase + top allocation sites (B/op, share, stack)',
    '  malloc  native malloc/calloc/realloc/free calls and bytes per op (LD_PRELOAD shim before the allocator)',
    '',
    'flags:',
    ...FLAGS.map((f) => `  ${(f.value ? `${f.name} ${f.value}` : f.name).padEnd(width)}  ${f.help}`),
    '',
    'examples:',
    '  npm run profile -- --suite alloc --strategy uint8array --allocator glibc --size 1500 --tool flame',
    '  npm run profile -- --suite alloc --strategy uint8array --allocator jemalloc --size 1500 --tool malloc',
    '  npm run profile -- --suite alloc --strategy uint8array --allocator jemalloc --size 1500 --tool malloc --runtime node24',
    '  npm run profile -- --suite alloc --strategy pooled --allocator glibc --tool heap --duration 1000',
    '  npm run profile -- --suite alloc --strategy one-big-struct --allocator glibc --tool cpu --out /tmp/prof',
  ].join('\n');
}

/** Parses argv (without node and script) into one cell and a tool. Throws {@link UsageError}. */
export function parseProfileArgs(argv: readonly string[], suites: readonly SuiteDefinition[] = SUITES, runtimes: RuntimeCheck = defaultRuntimeCheck): ProfileCommand {
  const known = new Map(FLAGS.map((f) => [f.name, f]));
  const axisArgv: string[] = [];
  const own = new Map<string, string>();
  const given = new Set<string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = known.get(name);
    if (spec === undefined) {
      throw new UsageError(`unknown argument '${arg}'; valid flags: ${FLAGS.map((f) => f.name).join(' ')}`);
    }
    if (spec.value === null) {
      if (name === '--help') help = true;
      else own.set(name, 'true');
      continue;
    }
    let value: string;
    if (eq >= 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${name} needs a value: ${name} ${spec.value}`);
      value = next;
      i++;
    }
    if (name !== '--param' && given.has(name)) throw new UsageError(`${name} given twice`);
    given.add(name);
    if (spec.axis) axisArgv.push(name, value);
    else own.set(name, value);
  }
  if (help) return { kind: 'help' };
  const tool = own.get('--tool');
  if (tool === undefined) throw new UsageError(`--tool is required: ${PROFILE_TOOLS.join(', ')}`);
  if (!isProfileTool(tool)) throw new UsageError(`unknown tool '${tool}'; tools: ${PROFILE_TOOLS.join(', ')}`);
  for (const required of ['--suite', '--strategy', '--allocator']) {
    if (!given.has(required)) throw new UsageError(`${required} is required (one cell is profiled); see --help`);
  }
  for (const single of ['--strategy', '--allocator', '--size', '--v8', '--runtime']) {
    const i = axisArgv.indexOf(single);
    if (i >= 0 && axisArgv[i + 1]!.includes(',')) throw new UsageError(`${single} takes one value: a profile runs exactly one cell`);
  }

  const bench = parseBenchArgs([...axisArgv, '--quick'], suites);
  if (bench.kind !== 'run') throw new Error('unreachable: the bench parser saw --help or --list');
  const options = bench.options;
  const suite = findSuite(options.suite, suites)!;
  const defaulted: string[] = [];
  // One cell: an axis left open takes one default value instead of expanding.
  if (options.sizes === null) {
    const sizes = suite.quick.sizes;
    const size = sizes[Math.floor((sizes.length - 1) / 2)]!;
    options.sizes = [size];
    defaulted.push(`--size ${size}`);
  }
  for (const [key, values] of Object.entries(suite.quick.axes)) {
    const chosen = options.params[key];
    if (chosen === undefined) {
      options.params[key] = [values[0] as ParamValue];
      defaulted.push(`--param ${key}=${String(values[0])}`);
    } else if (chosen.length > 1) {
      throw new UsageError(`--param ${key} takes one value: a profile runs exactly one cell`);
    }
  }
  if (options.v8Labels === null) options.v8Labels = [suite.quick.v8FlagSets[0]!.label];
  if (options.durationMs === null) options.durationMs = 2_000;

  const planned = expandCells(suite, options, undefined, runtimes);
  if (planned.length !== 1) {
    throw new UsageError(`the selection matches ${planned.length} cells (${planned.map((p) => p.cell.id).join(', ')}): narrow it to one`);
  }
  const only = planned[0]!;
  if (only.skip !== null) return { kind: 'skip', message: only.skip.message };

  const int = (flag: string, fallback: number, min: number): number => {
    const v = own.get(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const out = own.get('--out');
  if (out === '') throw new UsageError('--out needs a directory');
  return {
    kind: 'run',
    options: {
      cell: only.cell,
      tool,
      outDir: out ?? null,
      timeoutMs: int('--timeout', 120_000, 1),
      cpuSamplingIntervalUs: int('--cpu-interval', 100, 1),
      heapSamplingIntervalBytes: int('--heap-interval', 4096, 1),
      heapKeepInlining: own.has('--heap-keep-inlining'),
      defaulted,
    },
  };
}

function timestamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

export function defaultOutDir(repoRoot: string, cell: Cell, tool: ProfileTool, at: Date): string {
  return join(repoRoot, 'results', 'profile', `${cellStem(cell)}-${tool}-${timestamp(at)}`);
}

/** What the CLI prints after a profile: the artifacts' paths and the tool's summary. */
export function describeManifest(m: ProfileManifest, manifestPath: string): string {
  const lines: string[] = [];
  const text = m.artifacts.find((a) => a.kind === 'heap-table-text' || a.kind === 'malloc-text' || a.kind === 'cpu-top-text');
  if (text) lines.push(readFileSync(text.path, 'utf8').trimEnd(), '');
  if (m.record) {
    lines.push(`cell ${m.cell.id}: ${m.record.ops} ops measured, ${m.record.opsPerSec.toFixed(0)} ops/s (profiler attached: not a benchmark figure)`);
  }
  lines.push(`scope: ${m.scope}`);
  for (const a of m.artifacts) lines.push(`${a.kind.padEnd(20)} ${a.path}`);
  lines.push(`${'manifest'.padEnd(20)} ${manifestPath}`);
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: ProfileCommand;
  try {
    // A --runtime not yet in the cache is installed from npm here, as bench does (never another node instead).
    command = parseProfileArgs(argv, SUITES, installingRuntimeCheck((l) => process.stderr.write(`profile: ${l}\n`)));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (command.kind === 'help') {
    process.stdout.write(profileHelp() + '\n');
    return 0;
  }
  if (command.kind === 'skip') {
    process.stderr.write(`cannot profile: ${command.message}\n`);
    return 3;
  }
  const o = command.options;
  const repoRoot = findRepoRoot();
  if (o.defaulted.length > 0) process.stderr.write(`defaults chosen: ${o.defaulted.join(' ')}\n`);
  const outDir = resolve(o.outDir ?? defaultOutDir(repoRoot, o.cell, o.tool, new Date()));
  try {
    const manifest = await runProfile({
      cell: o.cell,
      tool: o.tool,
      outDir,
      repoRoot,
      timeoutMs: o.timeoutMs,
      cpuSamplingIntervalUs: o.cpuSamplingIntervalUs,
      heapSamplingIntervalBytes: o.heapSamplingIntervalBytes,
      heapKeepInlining: o.heapKeepInlining,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    for (const w of manifest.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(describeManifest(manifest, join(outDir, 'profile.json')) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof ProfileError) {
      process.stderr.write(`profile failed [${e.code}]: ${e.message}\n`);
      return e.code === 'E_PROFILE_SHIM' || e.code === 'E_PROFILE_RUNTIME' ? 3 : 1;
    }
    throw e;
  }
}

// Run only as the entry point (tests import the parser).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
