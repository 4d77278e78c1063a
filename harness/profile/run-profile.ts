/**
 * Profiles one cell: runs the compiled child (dist/harness/child/main.js) once with a tool attached
 * and writes the artifacts plus a manifest (`profile.json`) into one directory.
 *
 * Tools:
 * - `flame` — @clinic/flame's HTML flamegraph; `0x` — 0x's HTML flamegraph. Both sample the whole
 *   child process with V8's `--prof` (start-up and warm-up included; they run the same operation).
 * - `cpu` — a `.cpuprofile` of the measured phase (V8's CPU profiler through node:inspector, started
 *   and stopped by the agent at the child's measured-phase hook), for Chrome DevTools or speedscope,
 *   plus 0x's HTML flamegraph of it and a table of the top functions.
 * - `heap` — V8's sampling heap profiler over the measured phase: `.heapprofile` plus the top
 *   allocation sites (bytes per operation, share, stack) as text and markdown.
 * - `malloc` — native malloc/calloc/realloc/free/aligned calls and bytes per operation over the
 *   measured phase, from the counting shim preloaded in front of the cell's own allocator.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childCommand, parseForkRecord, parseChildError } from '../child/protocol.js';
import type { Cell, ForkRecord, RuntimeInfo } from '../../contract/result-schema.js';
import { defaultRuntimeCheck, type RuntimeCheck } from '../runtime/runtimes.js';
import { allowListedEnv, tailLines } from '../run/executor.js';
import { agentResultPath, PROFILE_AGENT_ENV, type AgentConfig, type AgentResult } from './agent-protocol.js';
import { BuildError, ensureBuilt } from './dist-build.js';
import type { FlameRunnerInput, FlameRunnerOutput } from './flame-runner.js';
import { heapTable, heapTableMarkdown, heapTableText, type HeapTable, type SamplingHeapProfile } from './heap-table.js';
import { MALLOC_COUNT_FILE_ENV, mallocShimPath, perOp, type MallocCounts, type MallocPerOp } from './malloc-counters.js';
import { cpuSummary, cpuSummaryText, type CpuProfile, type CpuSummary } from './cpu-summary.js';

export const PROFILE_TOOLS = ['flame', '0x', 'cpu', 'heap', 'malloc'] as const;
export type ProfileTool = (typeof PROFILE_TOOLS)[number];

export function isProfileTool(s: string): s is ProfileTool {
  return (PROFILE_TOOLS as readonly string[]).includes(s);
}

/** Misuse or a failed profile run; `code` is stable. */
export class ProfileError extends Error {
  constructor(
    readonly code: 'E_PROFILE_CHILD' | 'E_PROFILE_TOOL' | 'E_PROFILE_SHIM' | 'E_PROFILE_AGENT' | 'E_PROFILE_RUNTIME',
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

export interface ProfileRequest {
  cell: Cell;
  tool: ProfileTool;
  /** Directory for the artifacts (created; files of a previous run with the same names are replaced). */
  outDir: string;
  repoRoot: string;
  /** CPU profiler sampling interval, µs (default 100). */
  cpuSamplingIntervalUs?: number;
  /** Heap profiler: mean bytes between samples (default 4096). */
  heapSamplingIntervalBytes?: number;
  /**
   * Heap profiler: keep the optimising compilers' inlining (default false). V8's sampling heap
   * profiler records only the outermost frame of an optimised function, so with inlining every
   * allocation of an inlined `op()` lands on the harness loop that calls it; the heap tool therefore
   * runs with `--no-turbo-inlining --no-maglev-inlining` unless this is set (Maglev inlines too
   * since V8 12: on Node 24 a strategy's `fresh()` inlined into a workload's `send()` by Maglev put
   * the strategy's arrays on the workload's frame).
   */
  heapKeepInlining?: boolean;
  /** Kill the child after this long, ms. */
  timeoutMs: number;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Where the allow-listed base environment comes from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the cell's `runtime` is (issue 14): the profiled child runs on that binary. Default: the
   * running node and the runtime cache, without installing (the CLI passes an installing check).
   */
  runtimes?: RuntimeCheck;
  /**
   * Rebuild dist/ when it is stale (default true). False runs whatever dist/ holds — for a caller
   * that built once up front (the tests) while other files keep changing.
   */
  build?: boolean;
}

export interface ProfileArtifact {
  kind: 'flamegraph-html' | 'flame-data' | 'cpuprofile' | 'cpu-flamegraph-html' | 'cpu-top-text' | 'heapprofile' | 'heap-table-text' | 'heap-table-markdown' | 'malloc-text' | 'malloc-markdown' | 'child-stderr';
  /** Absolute path. */
  path: string;
  /** Relative to the manifest's directory, for links in reports. */
  href: string;
}

/** `profile.json`: what was profiled, how, and where the artifacts are. */
export interface ProfileManifest {
  kind: 'buflab-profile';
  version: 1;
  tool: ProfileTool;
  cell: Cell;
  /** What the artifacts cover: the measured phase only, or the whole child process. */
  scope: 'measured-phase' | 'whole-process';
  createdAt: string;
  command: { node: string; args: string[]; env: Record<string, string> };
  /** Additive (issue 14): the runtime binary the child ran on (its name, version, V8 and sha256). */
  runtime?: RuntimeInfo;
  artifacts: ProfileArtifact[];
  /** The child's own record of the run (null when the tool hides fd 3 and no record could be read). */
  record: { ops: number; opsPerSec: number; elapsedNs: number; warmupOps: number } | null;
  /** Operations the per-op figures divide by. */
  ops: number | null;
  malloc: { allocator: string; shim: string; delta: MallocCounts; perOp: MallocPerOp } | null;
  heap: { samplingIntervalBytes: number; totalBytesPerOp: number; top: HeapTable['sites'] } | null;
  cpu: { samplingIntervalUs: number; top: CpuSummary['functions'] } | null;
  warnings: string[];
}

export const MANIFEST_FILE = 'profile.json';

interface Paths {
  childMain: string;
  agent: string;
  flameRunner: string;
}

export function distPaths(repoRoot: string): Paths {
  const dist = join(repoRoot, 'dist', 'harness');
  return {
    childMain: join(dist, 'child', 'main.js'),
    agent: join(dist, 'profile', 'child-agent.js'),
    flameRunner: join(dist, 'profile', 'flame-runner.js'),
  };
}

/** The repository root: the nearest ancestor of `from` holding buflab's package.json. */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'buflab') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no buflab package.json above ${from}`);
    dir = up;
  }
}

/** A file-name stem for the cell: its id with `/` and `=` made safe. */
export function cellStem(cell: Cell): string {
  return cell.id.replace(/[/=]/g, '-').replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Runs the profile; returns the manifest (also written to `<outDir>/profile.json`). */
export async function runProfile(req: ProfileRequest): Promise<ProfileManifest> {
  const log = req.log ?? ((): void => {});
  const paths = distPaths(req.repoRoot);
  const required = [paths.childMain, paths.agent, paths.flameRunner];
  const build = req.build === false ? { built: false, diagnostics: null } : ensureBuilt(req.repoRoot, required, log);
  const missing = required.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new BuildError(`${missing.join(', ')} missing: run npm run build`);
  const warnings: string[] = [];
  if (build.diagnostics !== null) {
    const count = (build.diagnostics.match(/error TS\d+/g) ?? []).length;
    warnings.push(`npm run build reported ${count} type error(s) elsewhere in the tree; the profile runs on what tsc emitted`);
    log(`warning: ${warnings[warnings.length - 1]}`);
  }
  const runtime = profileRuntime(req);
  const outDir = resolve(req.outDir);
  mkdirSync(outDir, { recursive: true });
  const stem = cellStem(req.cell);
  const base = childCommand(req.cell, 0, req.env ? { env: req.env } : {});
  const env: Record<string, string> = { ...allowListedEnv(req.env ?? process.env), ...base.env };
  const artifacts: ProfileArtifact[] = [];
  const add = (kind: ProfileArtifact['kind'], path: string): void => {
    artifacts.push({ kind, path, href: relative(outDir, path) });
  };

  let manifest: ProfileManifest;
  if (req.tool === 'flame' || req.tool === '0x') {
    manifest = await runFlame(req, runtime, paths, outDir, stem, env, add, warnings, log);
  } else {
    manifest = await runWithAgent(req, runtime, req.tool, paths, outDir, stem, env, add, warnings, log);
  }
  if (runtime !== null) manifest.runtime = runtime;
  manifest.artifacts = artifacts;
  writeFileSync(join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

type Add = (kind: ProfileArtifact['kind'], path: string) => void;

/**
 * The binary of the cell's runtime, resolved as the bench executor does (a cell written before the
 * runtime axis runs on this node). Throws {@link ProfileError} `E_PROFILE_RUNTIME` when it is not
 * available: a profile is never taken on another runtime than the one asked for.
 */
function profileRuntime(req: ProfileRequest): RuntimeInfo | null {
  if (req.cell.runtime === undefined) return null;
  const a = (req.runtimes ?? defaultRuntimeCheck)(req.cell.runtime);
  if (!a.available) throw new ProfileError('E_PROFILE_RUNTIME', `runtime ${req.cell.runtime} is not available (${a.reason}): ${a.installHint}`);
  return a.info;
}

/** The child's own process.version confirms the binary (as harness/run/executor.ts does for bench). */
function checkRanOn(record: ForkRecord, runtime: RuntimeInfo | null): void {
  if (runtime !== null && record.node.version !== runtime.version) {
    throw new ProfileError('E_PROFILE_CHILD', `the cell asks for runtime ${runtime.name} (${runtime.version} at ${runtime.path}) but the child ran on ${record.node.version}`);
  }
}

function emptyManifest(req: ProfileRequest, command: ProfileManifest['command'], warnings: string[]): ProfileManifest {
  return {
    kind: 'buflab-profile',
    version: 1,
    tool: req.tool,
    cell: req.cell,
    scope: 'whole-process',
    createdAt: new Date().toISOString(),
    command,
    artifacts: [],
    record: null,
    ops: null,
    malloc: null,
    heap: null,
    cpu: null,
    warnings,
  };
}

function recordSummary(r: ForkRecord): NonNullable<ProfileManifest['record']> {
  return { ops: r.ops, opsPerSec: r.opsPerSec, elapsedNs: r.elapsedNs, warmupOps: r.warmup.ops };
}

async function runFlame(
  req: ProfileRequest,
  runtime: RuntimeInfo | null,
  paths: Paths,
  outDir: string,
  stem: string,
  env: Record<string, string>,
  add: Add,
  warnings: string[],
  log: (line: string) => void,
): Promise<ProfileManifest> {
  const tool = req.tool as 'flame' | '0x';
  const node = runtime?.path ?? process.execPath;
  const htmlStem = `${stem}.${tool}`;
  const resultFile = join(outDir, `${htmlStem}.runner.json`);
  rmSync(resultFile, { force: true });
  // Both tools refuse to overwrite their data directory from an earlier run.
  rmSync(join(outDir, tool === '0x' ? `${htmlStem}.0x` : `${htmlStem}.clinic-flame`), { recursive: true, force: true });
  const nodeArgs = [...req.cell.v8Flags, '--expose-gc', paths.childMain];
  const input: FlameRunnerInput = { tool, outDir, stem: htmlStem, nodeArgs, nodePath: node, resultFile };
  const command = { node, args: nodeArgs, env: childEnvForManifest(env) };
  log(`profiling ${req.cell.id} with ${tool === 'flame' ? '@clinic/flame' : '0x'} …`);
  // cwd = outDir: clinic keeps 0x's temporary V8 logs in its working directory and picks them up
  // by listing it, so two runs sharing a directory could take each other's logs.
  const run = await spawnCollect(process.execPath, [paths.flameRunner, JSON.stringify(input)], env, outDir, req.timeoutMs, false);
  const stderrPath = join(outDir, `${htmlStem}.stderr.log`);
  writeFileSync(stderrPath, run.stderr);
  if (!existsSync(resultFile)) {
    throw new ProfileError('E_PROFILE_TOOL', `${tool} runner failed (${run.exit}) without a result; stderr tail:\n${tailLines(run.stderr)}`);
  }
  const out = JSON.parse(readFileSync(resultFile, 'utf8')) as FlameRunnerOutput;
  rmSync(resultFile, { force: true });
  if (out.error !== null || out.html === null) {
    throw new ProfileError('E_PROFILE_TOOL', `${tool} failed: ${out.error ?? 'no HTML'}; child stderr tail:\n${tailLines(run.stderr)}`);
  }
  const manifest = emptyManifest(req, command, warnings);
  // Under both tools the child's fd 3 is the tools' stdout pipe: its record arrives on our stdout.
  const recordLine = run.stdout.split('\n').find((l) => l.startsWith('{"kind":"buflab-fork"'));
  if (recordLine !== undefined) {
    const record = parseForkRecord(recordLine, req.cell);
    checkRanOn(record, runtime);
    manifest.record = recordSummary(record);
  } else {
    const childError = parseChildError(run.stderr);
    throw new ProfileError(
      'E_PROFILE_CHILD',
      `the child under ${tool} wrote no fork record${childError ? ` (${childError.code}: ${childError.message})` : ''}; stderr tail:\n${tailLines(run.stderr)}`,
    );
  }
  warnings.push(`${tool} samples the whole child process (start-up, warm-up and measurement); use --tool cpu for the measured phase alone`);
  add('flamegraph-html', out.html);
  if (out.dataDir !== null && existsSync(out.dataDir)) add('flame-data', out.dataDir);
  add('child-stderr', stderrPath);
  return manifest;
}

async function runWithAgent(
  req: ProfileRequest,
  runtime: RuntimeInfo | null,
  tool: 'cpu' | 'heap' | 'malloc',
  paths: Paths,
  outDir: string,
  stem: string,
  env: Record<string, string>,
  add: Add,
  warnings: string[],
  log: (line: string) => void,
): Promise<ProfileManifest> {
  const config: AgentConfig = {
    tool,
    outDir,
    stem,
    cpuSamplingIntervalUs: req.cpuSamplingIntervalUs ?? 100,
    heapSamplingIntervalBytes: req.heapSamplingIntervalBytes ?? 4096,
  };
  const node = runtime?.path ?? process.execPath;
  const childEnv = { ...env };
  if (tool === 'malloc') {
    const shim = mallocShimPath(req.repoRoot);
    if (!existsSync(shim)) {
      throw new ProfileError('E_PROFILE_SHIM', `${shim} is missing: build it with 'bash scripts/malloc-count/build.sh' (or npm run setup)`);
    }
    config.mallocCountFile = join(outDir, `${stem}.malloc-count.bin`);
    // The shim creates the file exclusively; a stale one from an earlier run would disable counting.
    rmSync(config.mallocCountFile, { force: true });
    childEnv.LD_PRELOAD = [shim, ...(env.LD_PRELOAD ? [env.LD_PRELOAD] : [])].join(':');
    childEnv[MALLOC_COUNT_FILE_ENV] = config.mallocCountFile;
  }
  childEnv[PROFILE_AGENT_ENV] = JSON.stringify(config);
  const agentFile = agentResultPath(config);
  rmSync(agentFile, { force: true });
  const toolFlags = tool === 'heap' && req.heapKeepInlining !== true ? ['--no-turbo-inlining', '--no-maglev-inlining'] : [];
  if (toolFlags.length > 0) {
    warnings.push(
      `heap: the child ran with ${toolFlags.join(' ')} so that allocation sites keep their own frames; without inlining, escape analysis removes fewer allocations, so B/op here can exceed the benchmark's heap B/op (use --heap-keep-inlining to compare)`,
    );
  }
  const args = [...req.cell.v8Flags, ...toolFlags, '--expose-gc', '--import', pathToFileURL(paths.agent).href, paths.childMain];
  const manifest = emptyManifest(req, { node, args, env: childEnvForManifest(childEnv) }, warnings);
  log(`profiling ${req.cell.id} with ${tool} …`);
  const run = await spawnCollect(node, args, childEnv, req.repoRoot, req.timeoutMs, true);
  const stderrPath = join(outDir, `${stem}.${tool}.stderr.log`);
  writeFileSync(stderrPath, run.stderr + run.stdout);
  add('child-stderr', stderrPath);
  if (run.exit !== 0 || run.fd3.trim() === '') {
    const childError = parseChildError(run.stderr);
    throw new ProfileError(
      'E_PROFILE_CHILD',
      `the child failed (${run.exit})${childError ? `: ${childError.code}: ${childError.message}` : ''}; stderr tail:\n${tailLines(run.stderr)}`,
    );
  }
  const record = parseForkRecord(run.fd3, req.cell);
  checkRanOn(record, runtime);
  manifest.record = recordSummary(record);
  if (!existsSync(agentFile)) throw new ProfileError('E_PROFILE_AGENT', `the profiling agent wrote no ${agentFile}; stderr tail:\n${tailLines(run.stderr)}`);
  const agent = JSON.parse(readFileSync(agentFile, 'utf8')) as AgentResult;
  rmSync(agentFile, { force: true });
  if (config.mallocCountFile) rmSync(config.mallocCountFile, { force: true });
  if (agent.error !== null) throw new ProfileError('E_PROFILE_AGENT', `the profiling agent failed: ${agent.error}`);

  let ops: number;
  if (agent.scope === 'measured-phase') {
    manifest.scope = 'measured-phase';
    ops = agent.ops ?? record.ops;
    if (agent.ops !== null && agent.ops !== record.ops) {
      warnings.push(`the end hook reported ${agent.ops} ops, the record ${record.ops}: per-op figures use the hook's`);
    }
  } else {
    // Without the hook the instrument ran from start-up to exit: divide by every op the child ran.
    manifest.scope = 'whole-process';
    ops = record.ops + record.warmup.ops;
    warnings.push(
      `the child did not announce its measured phase (harness/child/measured-phase.ts hooks ${agent.scope === 'unterminated' ? 'started but never ended' : 'not called'}): ` +
        `the ${tool} figures cover the whole process (start-up, warm-up, baseline, measurement) and per-op values divide by warm-up + measured ops (${ops}), so they are upper bounds`,
    );
  }
  manifest.ops = ops;

  if (tool === 'cpu') {
    if (agent.artifact === null) throw new ProfileError('E_PROFILE_AGENT', 'the agent wrote no .cpuprofile');
    add('cpuprofile', agent.artifact);
    const summary = cpuSummary(JSON.parse(readFileSync(agent.artifact, 'utf8')) as CpuProfile, { repoRoot: req.repoRoot });
    const textPath = join(outDir, `${stem}.cpu-top.txt`);
    writeFileSync(textPath, cpuSummaryText(summary));
    add('cpu-top-text', textPath);
    manifest.cpu = { samplingIntervalUs: config.cpuSamplingIntervalUs, top: summary.functions };
    add('cpu-flamegraph-html', await renderCpuFlamegraph(agent.artifact, join(outDir, `${stem}.cpu.html`), req.cell.id));
  } else if (tool === 'heap') {
    if (agent.artifact === null) throw new ProfileError('E_PROFILE_AGENT', 'the agent wrote no .heapprofile');
    add('heapprofile', agent.artifact);
    const table = heapTable(JSON.parse(readFileSync(agent.artifact, 'utf8')) as SamplingHeapProfile, { ops, repoRoot: req.repoRoot });
    const textPath = join(outDir, `${stem}.heap-top.txt`);
    const mdPath = join(outDir, `${stem}.heap-top.md`);
    writeFileSync(textPath, heapTableText(table));
    writeFileSync(mdPath, `## Heap allocation sites: ${req.cell.id}\n\n${heapTableMarkdown(table)}`);
    add('heap-table-text', textPath);
    add('heap-table-markdown', mdPath);
    manifest.heap = { samplingIntervalBytes: config.heapSamplingIntervalBytes, totalBytesPerOp: table.totalBytesPerOp, top: table.sites };
  } else {
    if (agent.malloc === null) throw new ProfileError('E_PROFILE_AGENT', 'the agent read no malloc counters');
    const per = perOp(agent.malloc.delta, ops);
    manifest.malloc = { allocator: req.cell.allocator, shim: mallocShimPath(req.repoRoot), delta: agent.malloc.delta, perOp: per };
    const textPath = join(outDir, `${stem}.malloc.txt`);
    const mdPath = join(outDir, `${stem}.malloc.md`);
    writeFileSync(textPath, mallocText(req.cell, agent.malloc.delta, per, ops, manifest.scope));
    writeFileSync(mdPath, mallocMarkdown(req.cell, agent.malloc.delta, per, ops, manifest.scope));
    add('malloc-text', textPath);
    add('malloc-markdown', mdPath);
  }
  return manifest;
}

/**
 * 0x's flamegraph of a `.cpuprofile` (`0x --visualize-cpu-profile`): the measured phase alone, as an
 * HTML page like the `0x` tool's (which samples the whole process). Returns the HTML's path.
 */
async function renderCpuFlamegraph(cpuprofile: string, html: string, title: string): Promise<string> {
  const zeroEks = createRequire(import.meta.url)('0x') as (args: Record<string, unknown>) => Promise<string>;
  const written = await zeroEks({
    visualizeCpuProfile: cpuprofile,
    outputHtml: html,
    workingDir: dirname(html),
    name: basename(html, '.html'),
    title: `buflab ${title} (measured phase)`,
    silent: true,
  });
  const path = written.startsWith('file://') ? fileURLToPath(written) : written;
  if (!existsSync(path)) throw new ProfileError('E_PROFILE_TOOL', `0x --visualize-cpu-profile wrote no ${path}`);
  return path;
}

function mallocRows(delta: MallocCounts, per: MallocPerOp): Array<[string, number, number, number, number]> {
  return [
    ['malloc', delta.mallocCalls, per.byCall.mallocCalls, delta.mallocBytes, per.byCall.mallocBytes],
    ['calloc', delta.callocCalls, per.byCall.callocCalls, delta.callocBytes, per.byCall.callocBytes],
    ['realloc', delta.reallocCalls, per.byCall.reallocCalls, delta.reallocBytes, per.byCall.reallocBytes],
    ['aligned', delta.alignedCalls, per.byCall.alignedCalls, delta.alignedBytes, per.byCall.alignedBytes],
    ['new', delta.newCalls, per.byCall.newCalls, delta.newBytes, per.byCall.newBytes],
    ['free', delta.freeCalls, per.byCall.freeCalls, 0, 0],
    ['delete', delta.deleteCalls, per.byCall.deleteCalls, 0, 0],
  ];
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4));

export function mallocText(cell: Cell, delta: MallocCounts, per: MallocPerOp, ops: number, scope: string): string {
  const lines = [
    `native allocation calls, ${cell.id} (allocator ${cell.allocator}; ${scope}; ${ops} ops)`,
    `  all threads:  allocating calls/op ${fmt(per.allocCallsPerOp)}   bytes/op ${fmt(per.allocBytesPerOp)}   free/op ${fmt(per.freeCallsPerOp)}`,
    `  main thread:  allocating calls/op ${fmt(per.mainThreadAllocCallsPerOp)}   bytes/op ${fmt(per.mainThreadAllocBytesPerOp)}   free/op ${fmt(delta.mainFreeCalls / ops)}`,
    '  (allocating = malloc + calloc + realloc + aligned + C++ new; free/op = free + C++ delete)',
    `  ${'call'.padEnd(8)} ${'calls'.padStart(12)} ${'calls/op'.padStart(10)} ${'bytes'.padStart(14)} ${'bytes/op'.padStart(10)}`,
  ];
  for (const [name, calls, callsPerOp, bytes, bytesPerOp] of mallocRows(delta, per)) {
    lines.push(`  ${name.padEnd(8)} ${String(calls).padStart(12)} ${fmt(callsPerOp).padStart(10)} ${String(bytes).padStart(14)} ${fmt(bytesPerOp).padStart(10)}`);
  }
  return lines.join('\n') + '\n';
}

export function mallocMarkdown(cell: Cell, delta: MallocCounts, per: MallocPerOp, ops: number, scope: string): string {
  const lines = [
    `## Native allocation calls: ${cell.id}`,
    '',
    `Allocator **${cell.allocator}**, ${scope}, ${ops} operations: **${fmt(per.allocCallsPerOp)} allocating calls/op**, ${fmt(per.allocBytesPerOp)} B/op requested, ${fmt(per.freeCallsPerOp)} free/op ` +
      `(main thread alone: ${fmt(per.mainThreadAllocCallsPerOp)} calls/op, ${fmt(per.mainThreadAllocBytesPerOp)} B/op; the rest are V8's GC, compiler and platform threads).`,
    '',
    '| call | calls | calls/op | bytes | bytes/op |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, calls, callsPerOp, bytes, bytesPerOp] of mallocRows(delta, per)) {
    lines.push(`| ${name} | ${calls} | ${fmt(callsPerOp)} | ${bytes} | ${fmt(bytesPerOp)} |`);
  }
  return lines.join('\n') + '\n';
}

/** The child-specific variables (not the allow-listed base) for the manifest: enough to rerun by hand. */
function childEnvForManifest(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('BUFLAB_') || k === 'LD_PRELOAD') out[k] = v;
  return out;
}

interface Collected {
  exit: number | string;
  stdout: string;
  stderr: string;
  fd3: string;
}

/** Spawns in its own process group, collects stdout/stderr (and fd 3), kills the group on timeout. */
function spawnCollect(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  recordPipe: boolean,
): Promise<Collected> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: recordPipe ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const rec: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (recordPipe) (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => rec.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (e) {
        // ESRCH: the group is already gone between the timer firing and the kill — nothing to stop.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ProfileError('E_PROFILE_CHILD', `could not start ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new ProfileError('E_PROFILE_CHILD', `the profiled process exceeded ${timeoutMs} ms and was killed; stderr tail:\n${tailLines(stderr)}`));
        return;
      }
      resolveRun({
        exit: code ?? signal ?? 'unknown',
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        fd3: Buffer.concat(rec).toString('utf8'),
      });
    });
  });
}
