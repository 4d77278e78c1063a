/**
 * `npm run bench` command line: argv is parsed once, here, into validated and typed options;
 * nothing deeper reads argv or the environment (hyperfine's rule). Every refusal is a
 * {@link UsageError} that lists the valid choices; the CLI exits 2 before any work starts.
 */
import { ALLOCATOR_NAMES, isAllocatorName } from '../../allocators/native-allocators.js';
import { MEMORY_KNOB_KEYS, MemoryKnobError, parseMemoryKnobs } from '../../allocators/memory-knobs.js';
import { UsageError } from '../errors.js';
import { callgrindAvailable, type CallgrindAvailability } from '../measure/callgrind.js';
import { INSTRUCTION_SOURCE_CHOICES, resolveInstructionSource, type InstructionSourceChoice } from '../measure/instruction-counting.js';
import { perfCountingAvailable, type PerfAvailability } from '../measure/perf-stat.js';
import type { InstructionSource } from '../../contract/result-schema.js';
import type { SuiteDefinition } from '../suite.js';
import type { BenchOptions, ParamValue, Shard } from '../run/bench-options.js';
import { checkRuntimeName, NODE_BINARY_PACKAGE, RUNTIME_NAMES } from '../runtime/runtimes.js';

export interface ParseBenchOptions {
  /** Whether `perf stat` can count instructions here (default: probed once per process). */
  perfAvailable?: () => PerfAvailability;
  /** Whether valgrind's callgrind and vgdb are installed (default: probed once per process). */
  callgrindAvailable?: () => CallgrindAvailability;
}

export type BenchCommand = { kind: 'help' } | { kind: 'list' } | { kind: 'run'; options: BenchOptions };

export const DEFAULT_SEED = 1;

interface FlagSpec {
  name: string;
  value: string | null;
  help: string;
}

export const BENCH_FLAGS: readonly FlagSpec[] = [
  { name: '--suite', value: 'NAME', help: 'the suite to run (required; see --list)' },
  { name: '--quick', value: null, help: "the suite's small matrix (about 3 minutes on 2 cores): a fixed number of rounds, no adaptive stopping" },
  { name: '--out', value: 'FILE', help: 'result file (default results/<suite>-<timestamp>.json); records stream to FILE with .jsonl' },
  { name: '--strategy', value: 'a,b', help: "only these buffer strategies (default: the suite's)" },
  { name: '--allocator', value: 'a,b', help: `only these native allocators (${ALLOCATOR_NAMES.join(', ')})` },
  { name: '--size', value: 'n,m', help: "these sizes in bytes instead of the suite's" },
  { name: '--runtime', value: 'a,b', help: `run the children on these runtimes (${RUNTIME_NAMES.join(', ')}, or an absolute path to node); Node majors are installed on demand from npm (${NODE_BINARY_PACKAGE}@<major>); default: the running node` },
  { name: '--v8', value: 'label,…', help: "only these V8 flag sets of the suite (e.g. default, semi16)" },
  { name: '--param', value: 'key=v1,v2', help: 'values of an extra axis of the suite (repeatable)' },
  { name: '--forks', value: 'N', help: 'exactly N rounds (one fresh child per cell per round): no adaptive stopping' },
  { name: '--target', value: 'F', help: 'adaptive rounds stop for a cell once its median and its within-run ratios are within ±F (default 0.02; also 2%)' },
  { name: '--budget', value: 'TIME', help: "wall-time budget of the run, e.g. 35m, 90s, 1h (default: the suite's; cells still short of the target are listed)" },
  { name: '--min-rounds', value: 'N', help: 'rounds every cell gets before adaptive stopping (default: the suite\'s)' },
  { name: '--max-rounds', value: 'N', help: "rounds a cell gets at most (default: the suite's)" },
  { name: '--slice-ms', value: 'MS', help: 'time-sliced rounds: the forks of compared cells run together and take turns, MS of measuring each (default 100; 0: every fork alone)' },
  { name: '--slice-group', value: 'N', help: 'time-sliced rounds: forks per group at most (default 12; 1: every fork alone)' },
  { name: '--warmup', value: 'MS', help: "warm-up per fork, ms (all of it runs; the fork's series classifies it)" },
  { name: '--duration', value: 'MS', help: 'measured time per fork, ms' },
  { name: '--timeout', value: 'MS', help: 'time limit per child process, ms (default derived from warm-up + duration)' },
  { name: '--rate', value: 'N', help: 'open loop: N operations per second, latency from each intended start (suites with open-loop support: dns, vpn)' },
  { name: '--seed', value: 'N', help: `seed of the run order, bootstrap and workload (default ${DEFAULT_SEED})` },
  { name: '--shard', value: 'K/N', help: 'run only cells whose index in the id-sorted list is K-1 modulo N' },
  { name: '--baseline', value: 'GIT_REF', help: 'paired run: this git ref (base) against the working tree (head)' },
  { name: '--count-instructions', value: null, help: "also count the measured phase's user-space instructions (main thread), over fixed work per fork: compare gets instructionsPerOp" },
  { name: '--instruction-source', value: 'auto|perf|callgrind', help: 'with --count-instructions: the counter (default auto: perf where hardware counters exist, else valgrind callgrind)' },
  { name: '--count-ops', value: 'N', help: 'with --count-instructions: measured ops per fork (default 4096; lower it for slow ops under callgrind)' },
  { name: '--count-jobs', value: 'N', help: 'with --count-instructions: counted children run N at a time (default: the CPU count under callgrind, 1 under perf; a count does not depend on load)' },
  { name: '--no-report', value: null, help: 'do not render the HTML/markdown report at the end' },
  { name: '--list', value: null, help: 'list the suites with their axes and defaults' },
  { name: '--help', value: null, help: 'this text' },
];

export function benchHelp(): string {
  const width = Math.max(...BENCH_FLAGS.map((f) => (f.value ? `${f.name} ${f.value}` : f.name).length));
  const lines = BENCH_FLAGS.map((f) => `  ${(f.value ? `${f.name} ${f.value}` : f.name).padEnd(width)}  ${f.help}`);
  return [
    'usage: npm run bench -- --suite NAME [flags]',
    '',
    'Runs every cell of a suite (workload x strategy x allocator x size x extra axes) in fresh child',
    'processes, streams each fork record to a JSONL file, writes the result JSON and prints a summary.',
    'Exit codes: 0 all cells completed or skipped, 1 a cell errored, 2 bad command line, 130 interrupted, 70 internal error of the harness (a bug: please report it).',
    '',
    'flags:',
    ...lines,
    '',
    'examples:',
    '  npm run bench -- --suite alloc --quick',
    '  npm run bench -- --suite alloc --strategy pooled,uint8array --allocator glibc,jemalloc --size 1500',
    '  npm run bench -- --suite alloc --quick --runtime node20,node24 --strategy uint8array --allocator glibc,jemalloc --size 1500',
    '  npm run bench -- --suite alloc --forks 10 --duration 5000 --out results/alloc-long.json',
    '  npm run bench -- --suite vpn --allocator glibc --budget 15m --target 0.03',
    '  npm run bench -- --suite alloc --quick --shard 1/4 --no-report',
    '  npm run bench -- --suite vpn --quick --strategy pooled --allocator glibc --rate 20000',
    '  npm run bench -- --suite alloc --quick --strategy pooled --allocator glibc --count-instructions',
    '  npm run bench -- --suite vpn --quick --strategy one-big-struct --allocator glibc --count-instructions --instruction-source callgrind --count-ops 1024',
    '  npm run bench -- --list',
  ].join('\n');
}

export function suiteListing(suites: readonly SuiteDefinition[]): string {
  const out: string[] = [];
  for (const s of suites.filter((x) => !x.hidden)) {
    out.push(`${s.name}  (workload ${s.workload}) — ${s.description}`);
    out.push(`  strategies: ${s.strategies.join(', ')}`);
    out.push(`  allocators: ${s.allocators.join(', ')}`);
    for (const [mode, p] of [['full', s.full], ['quick', s.quick]] as const) {
      const axes = Object.entries(p.axes).map(([k, v]) => `${k}=${v.join(',')}`);
      out.push(
        `  ${mode.padEnd(5)}: sizes ${p.sizes.join(',')} (${s.sizeMeaning}); ${roundsText(p)}; warm-up ${p.warmupMs} ms; ` +
          `${p.durationMs} ms measured; v8 ${p.v8FlagSets.map((f) => f.label).join(',')}${axes.length ? `; ${axes.join('; ')}` : ''}`,
      );
    }
    // Axes that enter the matrix only when given (--param), with the values they take.
    const optional = Object.entries(s.axisChoices ?? {}).filter(([k]) => s.full.axes[k] === undefined && s.quick.axes[k] === undefined);
    if (optional.length > 0) out.push(`  optional (--param): ${optional.map(([k, v]) => `${k}=${v.join(',')}`).join('; ')}`);
  }
  return out.join('\n');
}

/** `5 forks`, or for an adaptive plan `5–30 rounds until ±2% (budget 35 min)`. */
function roundsText(p: SuiteDefinition['full']): string {
  const r = p.rounds;
  if (r === undefined) return `${p.forks} forks`;
  return `${r.minRounds}–${r.maxRounds} rounds until ±${(r.targetHalfWidth * 100).toFixed(0)}%${r.budgetMs === null ? '' : ` (budget ${Math.round(r.budgetMs / 60_000)} min)`}`;
}

/**
 * Parses `argv` (without node and script). Throws {@link UsageError} for anything unknown or
 * invalid, naming the valid choices.
 */
export function parseBenchArgs(argv: readonly string[], suites: readonly SuiteDefinition[], parseOptions: ParseBenchOptions = {}): BenchCommand {
  const known = new Map(BENCH_FLAGS.map((f) => [f.name, f]));
  const seen = new Map<string, string | true>();
  const params: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      throw new UsageError(`unexpected argument '${arg}': every option is a flag (see --help), e.g. --suite ${suites[0]?.name ?? 'NAME'}`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = known.get(name);
    if (spec === undefined) {
      throw new UsageError(`unknown flag '${name}'; valid flags: ${BENCH_FLAGS.map((f) => f.name).join(' ')}`);
    }
    let value: string | true = true;
    if (spec.value !== null) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${name} needs a value: ${name} ${spec.value}`);
        value = next;
        i++;
      }
    } else if (eq >= 0) {
      throw new UsageError(`${name} takes no value`);
    }
    if (name === '--param') {
      params.push(value as string);
      continue;
    }
    if (seen.has(name)) throw new UsageError(`${name} given twice`);
    seen.set(name, value);
  }

  if (seen.has('--help')) return { kind: 'help' };
  if (seen.has('--list')) return { kind: 'list' };

  const visible = suites.filter((s) => !s.hidden).map((s) => s.name);
  const suiteName = seen.get('--suite');
  if (suiteName === undefined) throw new UsageError(`--suite is required; suites: ${visible.join(', ')}`);
  const suite = suites.find((s) => s.name === suiteName);
  if (suite === undefined) throw new UsageError(`unknown suite '${String(suiteName)}'; suites: ${visible.join(', ')}`);

  const str = (flag: string): string | null => {
    const v = seen.get(flag);
    return v === undefined ? null : (v as string);
  };
  const quick = seen.has('--quick');
  const plan = quick ? suite.quick : suite.full;

  const strategies = listOf(str('--strategy'), '--strategy', suite.strategies);
  const allocatorList = listOf(str('--allocator'), '--allocator', suite.allocators);
  const allocators = allocatorList === null ? null : allocatorList.filter(isAllocatorName);
  const v8Labels = listOf(str('--v8'), '--v8', plan.v8FlagSets.map((f) => f.label));
  const runtimesRaw = str('--runtime');
  const runtimes = runtimesRaw === null ? null : splitList(runtimesRaw, '--runtime');
  for (const r of runtimes ?? []) checkRuntimeName(r);
  const sizesRaw = str('--size');
  const sizes = sizesRaw === null ? null : splitList(sizesRaw, '--size').map((s) => positiveInt(s, '--size', 'a size in bytes, e.g. --size 64,1500'));

  const intFlag = (flag: string, min: number, example: string): number | null => {
    const v = str(flag);
    if (v === null) return null;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${v}' (e.g. ${flag} ${example})`);
    return n;
  };

  const parsedParams: Record<string, ParamValue[]> = {};
  const axisNames = [...new Set([...Object.keys(plan.axes), ...Object.keys(suite.axisChoices ?? {})])];
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param needs key=v1,v2, got '${p}'`);
    const key = p.slice(0, eq);
    const defaults = plan.axes[key] ?? suite.axisChoices?.[key];
    if (defaults === undefined) {
      throw new UsageError(
        `suite ${suite.name} has no axis '${key}'; ${axisNames.length ? `axes: ${axisNames.join(', ')}` : 'it has no extra axes'}`,
      );
    }
    if (parsedParams[key] !== undefined) throw new UsageError(`--param ${key} given twice`);
    const values = splitList(p.slice(eq + 1), `--param ${key}`).map((v) => coerceParam(v, defaults, key));
    if (typeof defaults[0] === 'string') {
      const allowed = [...new Set([...(suite.full.axes[key] ?? []), ...(suite.quick.axes[key] ?? []), ...(suite.axisChoices?.[key] ?? [])])];
      const bad = values.find((v) => !allowed.includes(v));
      if (bad !== undefined) throw new UsageError(`--param ${key}: unknown value '${String(bad)}'; choices: ${allowed.join(', ')}`);
    }
    parsedParams[key] = values;
    // The memory knobs' values are checked here, before any work (allocators/memory-knobs.ts).
    if ((MEMORY_KNOB_KEYS as readonly string[]).includes(key)) {
      for (const v of values) {
        try {
          parseMemoryKnobs({ [key]: v });
        } catch (e) {
          if (e instanceof MemoryKnobError) throw new UsageError(`--param ${key}: ${e.message}`);
          throw e;
        }
      }
    }
  }

  let shard: Shard | null = null;
  const shardRaw = str('--shard');
  if (shardRaw !== null) {
    const m = /^(\d+)\/(\d+)$/.exec(shardRaw);
    const k = m ? Number(m[1]) : NaN;
    const n = m ? Number(m[2]) : NaN;
    if (!m || n < 1 || k < 1 || k > n) throw new UsageError(`--shard must be K/N with 1 <= K <= N, got '${shardRaw}' (e.g. --shard 1/4)`);
    shard = { index: k, count: n };
  }

  const baseline = str('--baseline');
  if (baseline !== null && (baseline === '' || baseline.startsWith('-'))) {
    throw new UsageError(`--baseline needs a git ref (branch, tag or commit), got '${baseline}'`);
  }
  const rateRaw = str('--rate');
  let rateOpsPerSec: number | null = null;
  if (rateRaw !== null) {
    if (suite.openLoop !== true) {
      const open = suites.filter((s) => s.openLoop === true && !s.hidden).map((s) => s.name);
      throw new UsageError(`suite ${suite.name} does not support open-loop load (--rate); suites that do: ${open.join(', ') || 'none'}`);
    }
    rateOpsPerSec = Number(rateRaw);
    if (!Number.isFinite(rateOpsPerSec) || rateOpsPerSec <= 0) {
      throw new UsageError(`--rate must be a positive number of operations per second, got '${rateRaw}' (e.g. --rate 20000)`);
    }
  }
  const forks = intFlag('--forks', 1, '5');
  const minRounds = intFlag('--min-rounds', 2, '5');
  const maxRounds = intFlag('--max-rounds', 2, '20');
  if (forks !== null) {
    const clash = ['--target', '--min-rounds', '--max-rounds'].find((f) => seen.has(f));
    if (clash !== undefined) throw new UsageError(`--forks N runs exactly N rounds; ${clash} is for adaptive runs: give one or the other`);
  }
  if (minRounds !== null && maxRounds !== null && maxRounds < minRounds) throw new UsageError(`--max-rounds ${maxRounds} is below --min-rounds ${minRounds}`);
  if (!seen.has('--forks') && plan.rounds === undefined && ['--target', '--min-rounds', '--max-rounds'].some((f) => seen.has(f))) {
    throw new UsageError(`the ${quick ? 'quick' : 'full'} plan of suite ${suite.name} runs a fixed number of rounds (no adaptive stopping): drop --target/--min-rounds/--max-rounds, or use --forks N`);
  }
  const targetRaw = str('--target');
  const targetHalfWidth = targetRaw === null ? null : parseFraction(targetRaw);
  const budgetRaw = str('--budget');
  const budgetMs = budgetRaw === null ? null : parseDurationMs(budgetRaw, '--budget');
  const out = str('--out');
  if (out !== null && out === '') throw new UsageError('--out needs a file name, e.g. --out results/alloc.json');
  const sourceRaw = str('--instruction-source');
  const countOps = intFlag('--count-ops', 1, '1024');
  const countJobs = intFlag('--count-jobs', 1, '2');
  let countInstructions: InstructionSource | null = null;
  if (!seen.has('--count-instructions')) {
    const stray = ['--instruction-source', '--count-ops', '--count-jobs'].filter((f) => seen.has(f));
    if (stray.length > 0) throw new UsageError(`${stray.join(' and ')} only applies with --count-instructions`);
  } else {
    if (sourceRaw !== null && !(INSTRUCTION_SOURCE_CHOICES as readonly string[]).includes(sourceRaw)) {
      throw new UsageError(`--instruction-source: unknown value '${sourceRaw}'; valid: ${INSTRUCTION_SOURCE_CHOICES.join(', ')}`);
    }
    if (rateRaw !== null) throw new UsageError('--count-instructions counts closed-loop cells (fixed work per fork); drop --rate');
    // Refused here, once, before any child runs — not as one failure per fork.
    countInstructions = resolveInstructionSource((sourceRaw ?? 'auto') as InstructionSourceChoice, {
      perf: parseOptions.perfAvailable ?? perfCountingAvailable,
      callgrind: parseOptions.callgrindAvailable ?? callgrindAvailable,
    });
  }

  return {
    kind: 'run',
    options: {
      suite: suite.name,
      quick,
      out,
      strategies,
      allocators,
      sizes,
      v8Labels,
      forks,
      warmupMs: intFlag('--warmup', 0, '1000'),
      durationMs: intFlag('--duration', 1, '2000'),
      timeoutMs: intFlag('--timeout', 1, '60000'),
      seed: intFlag('--seed', 0, '42') ?? DEFAULT_SEED,
      params: parsedParams,
      report: !seen.has('--no-report'),
      shard,
      baseline,
      ...(rateOpsPerSec === null ? {} : { rateOpsPerSec }),
      ...(countInstructions === null ? {} : { countInstructions }),
      ...(countInstructions === null || countOps === null ? {} : { countOps }),
      ...(countInstructions === null || countJobs === null ? {} : { countJobs }),
      targetHalfWidth,
      budgetMs,
      minRounds,
      maxRounds,
      sliceMs: intFlag('--slice-ms', 0, '100'),
      sliceGroup: intFlag('--slice-group', 1, '12'),
      ...(runtimes === null ? {} : { runtimes }),
    },
  };
}

/** `0.02` or `2%` → 0.02; refuses values outside (0, 0.5). */
function parseFraction(raw: string): number {
  const pct = raw.endsWith('%');
  const n = Number(pct ? raw.slice(0, -1) : raw) / (pct ? 100 : 1);
  if (!Number.isFinite(n) || n <= 0 || n >= 0.5) throw new UsageError(`--target must be a relative half-width between 0 and 0.5, got '${raw}' (e.g. --target 0.02 or --target 2%)`);
  return n;
}

/** `35m`, `90s`, `1h`, `1h30m` → ms. */
export function parseDurationMs(raw: string, flag: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(raw);
  const ms = m === null || raw === '' ? NaN : (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
  if (!(ms > 0)) throw new UsageError(`${flag} needs a duration with a unit, e.g. ${flag} 35m, 90s or 1h30m; got '${raw}'`);
  return ms;
}

function splitList(raw: string, flag: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag}: empty item in '${raw}' (use a,b without spaces or empty entries)`);
  if (new Set(items).size !== items.length) throw new UsageError(`${flag}: duplicate item in '${raw}'`);
  return items;
}

function listOf(raw: string | null, flag: string, valid: readonly string[]): string[] | null {
  if (raw === null) return null;
  const items = splitList(raw, flag);
  const bad = items.filter((s) => !valid.includes(s));
  if (bad.length > 0) throw new UsageError(`${flag}: unknown value${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')}; valid: ${valid.join(', ')}`);
  return items;
}

function positiveInt(s: string, flag: string, example: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: '${s}' is not a positive integer (${example})`);
  return n;
}

/** Gives a `--param` value the type of the axis' default values (number or boolean), else string. */
function coerceParam(v: string, defaults: readonly ParamValue[], key: string): ParamValue {
  const kind = typeof defaults[0];
  if (kind === 'number') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--param ${key}: '${v}' is not a number (defaults: ${defaults.join(',')})`);
    return n;
  }
  if (kind === 'boolean') {
    if (v !== 'true' && v !== 'false') throw new UsageError(`--param ${key}: '${v}' must be true or false`);
    return v === 'true';
  }
  return v;
}
