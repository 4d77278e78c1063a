/**
 * The seam between the scheduler and a child process. The runner only sees {@link ChildExecutor};
 * {@link SpawnExecutor} runs the real child (harness/child/main.ts), tests inject a fake one so that
 * the parent's output can be asserted exactly (hyperfine's mock executor, pyperf's manager).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { childCommand, parseChildError, parseForkRecord, REPO_ROOT } from '../child/protocol.js';
import { slowdownForSide, TEST_SLOWDOWN_ENV } from '../child/test-slowdown.js';
import { parsePerfStatCsv, PERF_ACK_ENV, PERF_CTL_ENV, perfStatArgs, type PerfFiles } from '../measure/perf-stat.js';
import { COUNTED_V8_FLAGS } from '../measure/instruction-counting.js';
import { CallgrindControl, callgrindArgs, mainThreadOutFile, parseCallgrindTotals, type CallgrindFiles } from '../measure/callgrind.js';
import type { ChildErrorCode } from '../errors.js';
import type { Cell, ForkRecord, InstructionSource } from '../../contract/result-schema.js';
import { compiledChildMain, compiledFile, type ChildEntry } from './compiled-child.js';
import { measuredPhaseOps } from '../child/fork-series.js';
import { defaultRuntimeCheck, type RuntimeCheck } from '../runtime/runtimes.js';
import { SLICE_FD_ENV, SLICE_GROUP_ENV, SLICE_MS_ENV } from '../child/slice-gate.js';
import type { SliceSlot } from './slice-coordinator.js';

/** The file a tree must have for its children to take turns. */
const SLICE_GATE_SOURCE = 'harness/child/slice-gate.ts';

/** The child's descriptor of its turn socket in a slice group (the fifth stdio entry). */
const SLICE_FD = 4;

/** One side of a run: the tree whose child is spawned (a paired run has `base` and `head`). */
export interface Side {
  label: 'base' | 'head';
  /** Repository root the child is spawned in (its harness/child/main.ts is used). */
  rootDir: string;
}

export interface ChildRequest {
  cell: Cell;
  forkIndex: number;
  side: Side;
  /** Kill the child's process group after this many ms. */
  timeoutMs: number;
  /** Aborted on Ctrl-C: the executor kills the running child and reports `E_INTERRUPTED`. */
  signal: AbortSignal;
  /**
   * Additive (`--count-instructions`): run the child under `perf stat` (harness/measure/perf-stat.ts)
   * or valgrind's callgrind (harness/measure/callgrind.ts), counting the user-space instructions of
   * its main thread during the measured phase; the record then carries `instructions`,
   * `instructionsPerOp` and `instructionSource`. Absent: no counter, no agent.
   */
  countInstructions?: InstructionSource;
  /**
   * Additive (time-sliced rounds, ./slice-coordinator.ts): the fork's place in a slice group; the
   * child then takes turns with the group's other forks. Absent: the fork runs alone.
   */
  slice?: SliceSlot;
}

export interface ChildFailure {
  code: ChildErrorCode;
  message: string;
  /** The last lines of the child's stderr (may be empty). */
  stderrTail: string;
}

export type ChildOutcome = { ok: true; record: ForkRecord } | { ok: false; error: ChildFailure };

export interface ChildExecutor {
  run(request: ChildRequest): Promise<ChildOutcome>;
  /**
   * Additive (time-sliced rounds): whether this side's children take turns when given a
   * {@link ChildRequest.slice}. Absent: the executor cannot slice, and every fork runs alone.
   */
  canSlice?(side: Side): boolean;
}

/**
 * The environment a child inherits from the parent; everything else is dropped so that a stray
 * NODE_OPTIONS, LD_PRELOAD, MALLOC_* or UV_THREADPOOL_SIZE cannot change what is measured.
 * PATH (node, dpkg for the allocator's version), HOME and TMPDIR (tsx's cache), locale and TZ
 * (stable formatting). Not TERM: the child's output is a pipe, never a terminal.
 * BUFLAB_RANGE_COPY (`subarray` forces the strategies' counted-view copy path) passes through so
 * that the path the parent records in the environment (`rangeCopyPath`) is the one the child runs.
 * BUFLAB_TEST_SLOWDOWN is a test-only knob (harness/child/test-slowdown.ts): set only by tests and
 * the compare acceptance runs; a fork it touched says so in its warnings.
 * The child's own variables (BUFLAB_CELL, the cell's LD_PRELOAD) come from `childCommand`.
 */
export const CHILD_ENV_ALLOW_LIST = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'BUFLAB_RANGE_COPY', 'BUFLAB_TEST_SLOWDOWN'] as const;

export function allowListedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CHILD_ENV_ALLOW_LIST) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Bytes of stderr kept per child (the tail is what explains a crash). */
const STDERR_KEEP_BYTES = 16 * 1024;
/** Lines of that tail put into the error. */
export const STDERR_TAIL_LINES = 20;

export function tailLines(text: string, lines = STDERR_TAIL_LINES): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

export interface SpawnExecutorOptions {
  /** The parent's environment, filtered through {@link CHILD_ENV_ALLOW_LIST} (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Additive: `dist` starts the side's compiled child (./compiled-child.ts; the caller builds it
   * first) instead of `--import tsx harness/child/main.ts`; default `tsx`.
   */
  childEntry?: ChildEntry;
  /**
   * Additive: a command the child runs under, e.g. `['setarch', 'x86_64', '-R']` (no ASLR) or
   * `['taskset', '-c', '1']` (scripts/variance-sources.ts compares such launch configurations).
   * Not combinable with instruction counting (perf/valgrind must wrap node itself).
   */
  wrapper?: readonly string[];
  /** Additive (issue 14): where a cell's `runtime` is (default: the running node and the runtime cache). */
  runtimes?: RuntimeCheck;
}

/** Process groups of running children: killed if the parent exits while they run (e.g. a crash of the parent). */
const runningGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const g of runningGroups) {
        try {
          process.kill(-g, 'SIGKILL');
        } catch (e) {
          // ESRCH: already gone. Anything else cannot be reported any more: the parent is exiting.
          void e;
        }
      }
    });
  }
  runningGroups.add(pid);
}

/** The agent that switches perf's counter on and off around the measured phase (this tree's TypeScript copy, through tsx). */
export const PERF_AGENT_PATH = resolve(REPO_ROOT, 'harness', 'measure', 'perf-control-agent.ts');

/**
 * The agent a counted child preloads. A compiled child takes its own tree's compiled agent, so that
 * it needs no tsx: under valgrind, loading tsx costs about 6 s of a counted child's 30 (node alone
 * starts in 5 s; `node --import tsx -e 0` in 11 s, measured 2026-12-03). A tree whose dist/ has no
 * agent (an older `--baseline` commit) keeps this tree's TypeScript agent through tsx. The agent
 * talks to the child over a named diagnostics channel, so either copy hears either tree's child.
 */
export function counterAgentPath(root: string, entry: ChildEntry): string | null {
  if (entry !== 'dist') return null;
  const compiled = compiledFile(root, 'harness', 'measure', 'perf-control-agent.js');
  return existsSync(compiled) ? compiled : null;
}

/**
 * A per-fork temporary directory holding the counter's control and ack fifos and its output file
 * (perf's CSV, or callgrind's per-thread files and vgdb's fifos).
 */
function makeCounterFiles(): { dir: string; files: PerfFiles & CallgrindFiles } {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-perf-'));
  const files = { ctlFifo: join(dir, 'ctl'), ackFifo: join(dir, 'ack'), outFile: join(dir, 'counter.out'), vgdbPrefix: join(dir, 'vgdb') };
  try {
    execFileSync('mkfifo', ['-m', '600', files.ctlFifo, files.ackFifo], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, files };
}

/**
 * The tsx command line's arguments with the compiled child as entry point. `--import tsx` stays
 * only for a counted child whose tree has no compiled counter agent ({@link counterAgentPath}): the
 * TypeScript agent is loaded before the entry point.
 */
export function compiledArgs(args: readonly string[], root: string, keepTsx: boolean): string[] {
  const out = args.slice(0, -1);
  if (!keepTsx) {
    const at = out.findIndex((a, i) => a === '--import' && out[i + 1] === 'tsx');
    if (at >= 0) out.splice(at, 2);
  }
  return [...out, compiledChildMain(root)];
}

/**
 * Runs the real child: `node [v8Flags] --expose-gc --import tsx harness/child/main.ts`; with
 * `countInstructions`, `perf stat … -- node … --import <agent> …` or
 * `valgrind --tool=callgrind … node … --import <agent> …`.
 */
export class SpawnExecutor implements ChildExecutor {
  private readonly baseEnv: Record<string, string>;
  private readonly childEntry: ChildEntry;
  private readonly wrapper: readonly string[];
  private readonly runtimes: RuntimeCheck;

  constructor(options: SpawnExecutorOptions = {}) {
    this.baseEnv = allowListedEnv(options.env ?? process.env);
    this.childEntry = options.childEntry ?? 'tsx';
    this.wrapper = options.wrapper ?? [];
    this.runtimes = options.runtimes ?? defaultRuntimeCheck;
  }

  /**
   * A tree's children take turns only if it has the child's slice gate: a `--baseline` commit from
   * before it would ignore its turns and run beside the others. A wrapper (setarch, taskset) is
   * fine; counting is decided by the runner.
   */
  canSlice(side: Side): boolean {
    return existsSync(resolve(side.rootDir, SLICE_GATE_SOURCE));
  }

  run(request: ChildRequest): Promise<ChildOutcome> {
    const { cell, forkIndex, side, timeoutMs, signal } = request;
    // A cell without a runtime (written before the axis) runs on the running node, as it always did.
    const rt = cell.runtime === undefined ? null : this.runtimes(cell.runtime);
    if (rt !== null && !rt.available) {
      // The matrix skips such cells; reaching here means a caller bypassed it: never fall back to the running node.
      return Promise.resolve({ ok: false, error: { code: 'E_CHILD_SPAWN', message: `runtime ${cell.runtime} is not available (${rt.reason}): ${rt.installHint}`, stderrTail: '' } });
    }
    const runtime = rt?.info ?? null;
    let cmd: ReturnType<typeof childCommand>;
    try {
      cmd = childCommand(cell, forkIndex, runtime === null ? {} : { nodePath: runtime.path });
    } catch (e) {
      // A cell the protocol refuses (unknown allocator…) fails this fork like any other; the run goes on.
      return Promise.resolve({ ok: false, error: { code: 'E_CHILD_SPAWN', message: `cannot build the child command: ${(e as Error).message}`, stderrTail: '' } });
    }
    // childCommand resolves inside this tree; a paired run's base side is another checkout.
    const root = resolve(side.rootDir);
    let args = cmd.args.map((a) => (a.startsWith(REPO_ROOT + '/') ? resolve(root, relative(REPO_ROOT, a)) : a));
    const compiledAgent = request.countInstructions === undefined ? null : counterAgentPath(root, this.childEntry);
    if (this.childEntry === 'dist') args = compiledArgs(args, root, request.countInstructions !== undefined && compiledAgent === null);
    let command = cmd.command;
    const env: Record<string, string> = { ...this.baseEnv, ...cmd.env };
    // The test-only slowdown knob may name one side of a paired run (harness/child/test-slowdown.ts).
    const knob = env[TEST_SLOWDOWN_ENV];
    if (knob !== undefined) env[TEST_SLOWDOWN_ENV] = slowdownForSide(knob, side.label);
    const source = request.countInstructions;
    if (this.wrapper.length > 0 && source !== undefined) {
      return Promise.resolve({ ok: false, error: { code: 'E_CHILD_SPAWN', message: 'a wrapper command cannot be combined with --count-instructions (perf or valgrind must start node itself)', stderrTail: '' } });
    }
    let counter: { dir: string; files: PerfFiles & CallgrindFiles } | null = null;
    let control: CallgrindControl | null = null;
    if (source !== undefined && !signal.aborted) {
      try {
        counter = makeCounterFiles();
        // callgrind has no fifo of its own: the parent answers the agent and drives vgdb.
        if (source === 'callgrind') control = new CallgrindControl(counter.files);
      } catch (e) {
        if (counter !== null) rmSync(counter.dir, { recursive: true, force: true });
        return Promise.resolve({ ok: false, error: { code: 'E_CHILD_SPAWN', message: `--count-instructions: cannot create the ${source} control fifos: ${(e as Error).message}`, stderrTail: '' } });
      }
      // The agent loads after tsx (when it is TypeScript) and before the child's entry point.
      const main = args.length - 1;
      // The counted child's V8 flags (COUNTED_V8_FLAGS: GC and compiler on the main thread, no
      // time-based GC heuristics), so that its count does not depend on thread scheduling.
      args = [...args.slice(0, main), ...COUNTED_V8_FLAGS, '--import', compiledAgent ?? PERF_AGENT_PATH, ...args.slice(main)];
      if (source === 'perf') {
        args = [...perfStatArgs(counter.files), command, ...args];
        command = 'perf';
      } else {
        args = [...callgrindArgs(counter.files), command, ...args];
        command = 'valgrind';
      }
      env[PERF_CTL_ENV] = counter.files.ctlFifo;
      env[PERF_ACK_ENV] = counter.files.ackFifo;
    }
    if (this.wrapper.length > 0) {
      args = [...this.wrapper.slice(1), command, ...args];
      command = this.wrapper[0]!;
    }
    const slot = request.slice;
    if (slot !== undefined) {
      env[SLICE_FD_ENV] = String(SLICE_FD);
      env[SLICE_MS_ENV] = String(slot.group.sliceMs);
      env[SLICE_GROUP_ENV] = String(slot.group.size);
    }
    const counterFiles = counter;
    const counterControl = control;
    const cleanUp = (): void => {
      counterControl?.close();
      if (counterFiles !== null) rmSync(counterFiles.dir, { recursive: true, force: true });
    };
    return new Promise<ChildOutcome>((resolveOutcome) => {
      const done = (outcome: ChildOutcome): void => {
        cleanUp();
        resolveOutcome(outcome);
      };
      if (signal.aborted) {
        done({ ok: false, error: { code: 'E_INTERRUPTED', message: 'not started: the run was interrupted', stderrTail: '' } });
        return;
      }
      const child = spawn(command, args, {
        cwd: root,
        env,
        stdio: slot === undefined ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
        // Its own process group, so that a time limit or Ctrl-C kills everything it started.
        detached: true,
      });
      let record = '';
      let stderr = '';
      let why: 'timeout' | 'turn' | 'interrupted' | null = null;
      let spawnError: Error | null = null;
      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch (e) {
          // ESRCH: the group is already gone (the child exited on its own): nothing left to kill.
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        }
      };
      const timer = setTimeout(() => {
        why = 'timeout';
        killGroup();
      }, timeoutMs);
      const onAbort = (): void => {
        why ??= 'interrupted';
        killGroup();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (slot !== undefined && child.stdio[SLICE_FD] != null) {
        slot.attach(child.stdio[SLICE_FD] as Duplex, () => {
          why ??= 'turn';
          killGroup();
        });
      }
      // The turn passes on as soon as the process is gone (its stdio may close later).
      child.on('exit', () => slot?.leave());
      if (child.pid !== undefined) {
        trackGroup(child.pid);
        // valgrind runs the child in its own process: vgdb addresses this pid.
        counterControl?.attach(child.pid);
      }
      child.stdout!.resume(); // workload chatter is not part of the protocol; drain it
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        stderr += d;
        if (stderr.length > 2 * STDERR_KEEP_BYTES) stderr = stderr.slice(-STDERR_KEEP_BYTES);
      });
      const fd3 = child.stdio[3] as NodeJS.ReadableStream;
      fd3.setEncoding('utf8');
      fd3.on('data', (d: string) => {
        record += d;
      });
      child.on('error', (e) => {
        spawnError = e;
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        slot?.leave();
        if (child.pid !== undefined) runningGroups.delete(child.pid);
        signal.removeEventListener('abort', onAbort);
        const stderrTail = tailLines(stderr);
        const fail = (c: ChildErrorCode, message: string): void => done({ ok: false, error: { code: c, message, stderrTail } });
        const childSaid = parseChildError(stderr);
        const said = childSaid ? ` — child: [${childSaid.code}] ${childSaid.message}` : '';
        if (why === 'interrupted') return fail('E_INTERRUPTED', `killed: the run was interrupted (fork ${forkIndex} of ${cell.id})`);
        if (why === 'turn') {
          return fail('E_CHILD_TIMEOUT', `fork ${forkIndex} held its slice group's turn for ${slot!.group.turnLimitMs} ms (the per-fork time limit) without handing it back; its process group was killed (raise --timeout if the cell is only slow)`);
        }
        if (why === 'timeout') {
          return fail('E_CHILD_TIMEOUT', `fork ${forkIndex} exceeded its time limit of ${timeoutMs} ms; its process group was killed (raise --timeout if the cell is only slow)`);
        }
        if (spawnError !== null) return fail('E_CHILD_SPAWN', `could not start ${command}: ${(spawnError as Error).message}`);
        if (code === 0) {
          let parsed: ForkRecord;
          try {
            parsed = parseForkRecord(record, cell);
          } catch (e) {
            return fail('E_CHILD_PROTOCOL', `fork ${forkIndex}: ${(e as Error).message}`);
          }
          if (runtime !== null) {
            // The child's own process.version confirms the binary (as the allocator is confirmed from /proc/self/maps).
            if (parsed.node.version !== runtime.version) {
              return fail('E_CHILD_PROTOCOL', `fork ${forkIndex}: the cell asks for runtime ${runtime.name} (${runtime.version} at ${runtime.path}) but the child ran on ${parsed.node.version}`);
            }
            parsed = { ...parsed, runtime };
          }
          if (counterFiles !== null && source !== undefined) {
            try {
              const instructions = readInstructionCount(source, counterFiles.files, counterControl);
              // Counted over the whole measured phase: divide by its ops, not the figure's (a steady segment's).
              parsed = { ...parsed, instructions, instructionsPerOp: instructions / measuredPhaseOps(parsed), instructionSource: source };
            } catch (e) {
              return fail('E_CHILD_PROTOCOL', `fork ${forkIndex}: --count-instructions: ${(e as Error).message}`);
            }
          }
          return done({ ok: true, record: parsed });
        }
        if (counterControl?.failure != null) return fail('E_CHILD_CRASHED', `fork ${forkIndex}: --count-instructions: ${counterControl.failure}${said}`);
        if (code === 3) return fail('E_CHILD_CONFIG', `fork ${forkIndex}: configuration error (exit 3)${said}`);
        const how = sig !== null ? `was killed by ${sig}` : `exited with code ${code}`;
        return fail('E_CHILD_CRASHED', `fork ${forkIndex} ${how}${said}`);
      });
    });
  }
}

/**
 * The measured phase's instruction count of a child that exited 0. perf: its CSV. callgrind: the
 * main thread's file, which must hold thread 1 and must have seen both `enable` and `disable`
 * (otherwise the count would cover nothing, or everything after the phase started).
 */
function readInstructionCount(source: InstructionSource, files: PerfFiles & CallgrindFiles, control: CallgrindControl | null): number {
  if (source === 'perf') return parsePerfStatCsv(readFileSync(files.outFile, 'utf8'));
  const seen = control?.done.join(',') ?? '';
  if (seen !== 'enable,disable') {
    throw new Error(`callgrind: the child's agent asked for '${seen}' (expected enable,disable): did the child announce its measured phase? it needs harness/child/measured-phase.ts`);
  }
  const totals = parseCallgrindTotals(readFileSync(mainThreadOutFile(files), 'utf8'));
  if (totals.thread !== 1) throw new Error(`callgrind: ${mainThreadOutFile(files)} holds thread ${totals.thread ?? '(none)'}, not the main thread 1`);
  return totals.instructions;
}
