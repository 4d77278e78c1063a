/**
 * Where do the forks of one cell disagree, and does a launch configuration change it? Runs the
 * cells of a bench selection under several launch configurations, interleaved (every config once
 * per round, in a fresh seeded shuffle, so the machine's drift hits all alike), and prints per
 * cell and config the forks' spread and the 95% half-width of their median for three per-fork
 * estimators:
 *   - `phase`:  the fork's figure (ops/s of its steady segment or measured phase: a mean, GC included);
 *   - `medwin`: 1 / the median over measured windows of each window's median batch time (robust to
 *               bursts shorter than half the phase; excludes GC pauses, which land in few batches);
 *   - `cpu`:    1 / the main thread's CPU time per op (excludes time the thread was not running).
 * If a config narrows the spread, the variance it removes came from what that config fixes.
 *
 *   npx tsx scripts/variance-sources.ts [--rounds N] [--configs a,b,…] [--out FILE.jsonl] -- BENCH FLAGS
 *   e.g. … --rounds 10 --configs default,no-aslr,v8-seeds,single-threaded,pinned -- --suite vpn
 *        --strategy one-big-struct --allocator glibc --size 1400 --param cipher=none --warmup 400 --duration 400
 *
 * Configs (README "Where the variance comes from" has what each did on the 2-core VM): default;
 * no-aslr (`setarch -R`); v8-seeds (`--random-seed=1 --hash-seed=1`); single-threaded
 * (`--single-threaded`: no concurrent compiler or GC threads); no-concurrent-recompilation;
 * pinned (`taskset -c 1`: child and all its threads on one vCPU); no-osr (`--no-use-osr`);
 * largepages (`--use-largepages=on`: node's text on huge pages); fixed (no-aslr + v8-seeds);
 * fixed-single (fixed + single-threaded). Transparent huge pages are a system setting
 * (/sys/kernel/mm/transparent_hugepage/enabled), not a launch configuration: run twice to compare.
 */
import { writeFileSync, appendFileSync } from 'node:fs';
import { quantileSorted, standardDeviation } from 'simple-statistics';
import type { ForkRecord } from '../contract/result-schema.js';
import { parseBenchArgs } from '../harness/cli/args.js';
import { prepareCompiledChildren } from '../harness/run/compiled-child.js';
import { SpawnExecutor, type Side } from '../harness/run/executor.js';
import { expandCells } from '../harness/run/matrix.js';
import { checkedSamples, estimate, relativeHalfWidth } from '../harness/stats/bootstrap.js';
import { seededRandom, shuffled } from '../harness/stats/prng.js';
import { median } from '../harness/stats/sample-stats.js';
import { SUITES } from '../harness/suites.js';
import { REPO_ROOT } from '../harness/child/protocol.js';

interface LaunchConfig {
  wrapper: string[];
  v8Flags: string[];
}

const CONFIGS: Record<string, LaunchConfig> = {
  default: { wrapper: [], v8Flags: [] },
  'no-aslr': { wrapper: ['setarch', 'x86_64', '-R'], v8Flags: [] },
  'v8-seeds': { wrapper: [], v8Flags: ['--random-seed=1', '--hash-seed=1'] },
  fixed: { wrapper: ['setarch', 'x86_64', '-R'], v8Flags: ['--random-seed=1', '--hash-seed=1'] },
  'fixed-single': { wrapper: ['setarch', 'x86_64', '-R'], v8Flags: ['--random-seed=1', '--hash-seed=1', '--single-threaded'] },
  'single-threaded': { wrapper: [], v8Flags: ['--single-threaded'] },
  'no-concurrent-recompilation': { wrapper: [], v8Flags: ['--no-concurrent-recompilation'] },
  pinned: { wrapper: ['taskset', '-c', '1'], v8Flags: [] },
  'no-osr': { wrapper: [], v8Flags: ['--no-use-osr'] },
  largepages: { wrapper: [], v8Flags: ['--use-largepages=on'] },
};

function usage(message: string): never {
  process.stderr.write(`variance-sources: ${message}\nusage: npx tsx scripts/variance-sources.ts [--rounds N] [--configs ${Object.keys(CONFIGS).join(',')}] [--out FILE.jsonl] -- BENCH FLAGS\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 0) usage('give the bench flags that select the cells after --');
const own = argv.slice(0, dash);
let rounds = 8;
let configNames = ['default', 'no-aslr', 'v8-seeds', 'single-threaded', 'pinned'];
let out: string | null = null;
for (let i = 0; i < own.length; i += 2) {
  const v = own[i + 1];
  if (v === undefined) usage(`${own[i]} needs a value`);
  if (own[i] === '--rounds') rounds = Number(v);
  else if (own[i] === '--configs') configNames = v.split(',');
  else if (own[i] === '--out') out = v;
  else usage(`unknown flag ${own[i]}`);
}
if (!Number.isInteger(rounds) || rounds < 3) usage('--rounds must be an integer of 3 or more (a median interval needs forks)');
const unknown = configNames.filter((c) => !(c in CONFIGS));
if (unknown.length > 0) usage(`unknown config(s) ${unknown.join(', ')}`);

const command = parseBenchArgs(argv.slice(dash + 1), SUITES);
if (command.kind !== 'run') usage('the bench flags must describe a run (--suite …)');
const options = command.options;
const suite = SUITES.find((s) => s.name === options.suite)!;
const cells = expandCells(suite, options).filter((p) => p.skip === null).map((p) => p.cell);
if (cells.length === 0) usage('the bench flags select no runnable cell');
if (cells.length * configNames.length * rounds > 600) usage(`${cells.length} cells x ${configNames.length} configs x ${rounds} rounds is more than 600 forks: narrow the selection`);

const side: Side = { label: 'head', rootDir: REPO_ROOT };
const entry = prepareCompiledChildren([side], (l) => process.stderr.write(`variance-sources: ${l}\n`)).entry;
const executors = new Map(configNames.map((n) => [n, new SpawnExecutor({ childEntry: entry, wrapper: CONFIGS[n]!.wrapper })]));
if (out !== null) writeFileSync(out, '');

const records = new Map<string, ForkRecord[]>();
const random = seededRandom(options.seed);
const timeoutMs = options.timeoutMs ?? 60_000;
for (let round = 0; round < rounds; round++) {
  const jobs = shuffled(cells.flatMap((cell) => configNames.map((config) => ({ cell, config }))), random);
  for (const { cell, config } of jobs) {
    const withFlags = { ...cell, v8Flags: [...cell.v8Flags, ...CONFIGS[config]!.v8Flags] };
    const outcome = await executors.get(config)!.run({ cell: withFlags, forkIndex: round, side, timeoutMs, signal: new AbortController().signal });
    if (!outcome.ok) {
      process.stderr.write(`variance-sources: ${cell.id} [${config}] round ${round}: [${outcome.error.code}] ${outcome.error.message}\n`);
      continue;
    }
    const key = `${cell.id}\t${config}`;
    records.set(key, [...(records.get(key) ?? []), outcome.record]);
    if (out !== null) appendFileSync(out, JSON.stringify({ config, cellId: cell.id, record: outcome.record }) + '\n');
  }
  process.stderr.write(`variance-sources: round ${round + 1}/${rounds} done\n`);
}

/** 1 / the median over measured windows of the window's median batch time, ops/s. */
function medianWindowOpsPerSec(r: ForkRecord): number | undefined {
  const s = r.series;
  if (s === undefined) return undefined;
  const measured = s.nsPerOp.slice(s.measuredFromIndex);
  return measured.length === 0 ? undefined : 1e9 / median(measured);
}
const ESTIMATORS: Record<string, (r: ForkRecord) => number | undefined> = {
  phase: (r) => r.opsPerSec,
  medwin: medianWindowOpsPerSec,
  cpu: (r) => (r.cpu === undefined || r.cpu.threadCpuNsPerOp <= 0 ? undefined : 1e9 / r.cpu.threadCpuNsPerOp),
};

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
process.stdout.write(`${rounds} rounds, configs ${configNames.join(', ')}; per estimator: median ops/s, CV (standard deviation / mean of the forks), spread (median |x - median| / median), 95% half-width of the median\n`);
for (const [key, forks] of records) {
  const [cellId, config] = key.split('\t');
  const parts: string[] = [];
  for (const [name, read] of Object.entries(ESTIMATORS)) {
    const xs = forks.map(read).filter((x): x is number => x !== undefined && Number.isFinite(x) && x > 0);
    if (xs.length < 3) continue;
    const e = estimate(checkedSamples(xs, key), options.seed);
    const spread = median(xs.map((x) => Math.abs(x - e.median))) / e.median;
    const cv = standardDeviation(xs) / e.mean;
    parts.push(`${name} ${(e.median / 1e3).toFixed(1)}k CV ${pct(cv)} spread ${pct(spread)} hw ${pct(relativeHalfWidth(e.median, e.ci95))}`);
  }
  const sorted = forks.map((f) => f.opsPerSec).sort((a, b) => a - b);
  const range = `forks ${(quantileSorted(sorted, 0) / 1e3).toFixed(0)}k…${(quantileSorted(sorted, 1) / 1e3).toFixed(0)}k`;
  process.stdout.write(`${cellId} [${config}] n=${forks.length} ${range} | ${parts.join(' | ')}\n`);
}
