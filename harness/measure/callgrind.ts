/**
 * Instruction counts of a child's measured phase with valgrind's callgrind (`--count-instructions`
 * where the machine exposes no hardware counters): the command that wraps a child, the parent-side
 * controller that switches callgrind's instrumentation on and off when the child's agent asks, the
 * probe that says whether valgrind is here, and the parser of callgrind's output totals.
 *
 * Method (Valgrind manual, "Callgrind: a call-graph generating cache and branch prediction
 * profiler", §6.2.3 "Limiting the range of collected events" and §3.2 "vgdb"):
 * - `--instr-atstart=no`: start-up, module loading and warm-up run *uninstrumented* (about 5× native
 *   time here, against 30–100× instrumented), so only the measured phase pays callgrind's price.
 * - The child's preloaded agent (./perf-control-agent.ts, the same one perf uses) writes `enable` /
 *   `disable` on a control fifo at the measured phase's start and end and blocks until it reads `ack`.
 *   The parent ({@link CallgrindControl}) answers each by running `vgdb --pid=P instrumentation on|off`
 *   (callgrind's monitor command; vgdb wakes the blocked child with ptrace) and only then acks. So
 *   the count covers exactly the measured phase, as perf's `-D -1 --control` does. Client requests
 *   (CALLGRIND_START_INSTRUMENTATION) would be cheaper but cannot be issued from JavaScript.
 * - `--separate-threads=yes`: one output file per thread; the parent reads thread 1's (`-01`), the
 *   main thread, which runs JavaScript and the timed loop — the equivalent of perf's `--no-inherit`.
 *   V8's background compiler and GC helpers and the libuv pool are counted in their own files and
 *   ignored (under valgrind they run interleaved with the main thread, one at a time).
 * - `--smc-check=all-non-file` (the amd64 default, given explicitly): V8 writes machine code into
 *   anonymous mappings and reuses that memory; valgrind must re-check translations of such code, or
 *   it would run stale translations of replaced code.
 * - The event is `Ir`: guest instructions executed, user space only (valgrind cannot see the
 *   kernel), the same quantity as perf's `instructions:u` on the same code path.
 */
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { BuflabError } from '../errors.js';

/** The apt package that provides valgrind, callgrind and vgdb. */
export const CALLGRIND_PACKAGE = 'valgrind';

export interface CallgrindFiles {
  /** Control fifo: the agent writes `enable\n` / `disable\n`. */
  ctlFifo: string;
  /** Acknowledgement fifo: the parent writes `ack\n` once vgdb has switched instrumentation. */
  ackFifo: string;
  /** `--callgrind-out-file`; with separate threads callgrind writes `<outFile>-01`, `-02`, … */
  outFile: string;
  /** `--vgdb-prefix`: per fork, so that no other valgrind on the machine can answer. */
  vgdbPrefix: string;
}

/** valgrind arguments that count the wrapped command's measured phase; append the command after them. */
export function callgrindArgs(files: CallgrindFiles): string[] {
  return [
    '--tool=callgrind',
    '-q',
    '--instr-atstart=no',
    '--separate-threads=yes',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${files.outFile}`,
    '--vgdb=yes',
    `--vgdb-prefix=${files.vgdbPrefix}`,
  ];
}

/** The output file of valgrind thread 1, the main thread (callgrind numbers threads from 1 in creation order). */
export function mainThreadOutFile(files: CallgrindFiles): string {
  return `${files.outFile}-01`;
}

/**
 * Child time limits under callgrind: valgrind starts node about 10× slower (about 4 s of CPU for
 * node itself, and 6 s more for tsx where a child still loads it: see counterAgentPath in
 * harness/run/executor.ts), runs uninstrumented code about 5× and the instrumented measured phase
 * 30–100× slower. The plan's limit is multiplied by this and given this much more.
 */
export const CALLGRIND_TIMEOUT_FACTOR = 10;
export const CALLGRIND_TIMEOUT_EXTRA_MS = 120_000;

export type CallgrindErrorCode = 'E_CALLGRIND_OUTPUT' | 'E_CALLGRIND_MISSING' | 'E_CALLGRIND_CONTROL';

export class CallgrindError extends BuflabError {
  declare readonly code: CallgrindErrorCode;
  constructor(code: CallgrindErrorCode, message: string) {
    super(code, message);
  }
}

export interface CallgrindTotals {
  /** The `thread:` header (1 = main thread); null when the file has none (not `--separate-threads`). */
  thread: number | null;
  /** Guest instructions executed while instrumentation was on (`Ir`). */
  instructions: number;
}

/**
 * The `Ir` total of one callgrind output file (format: Valgrind manual §"Callgrind Format
 * Specification": header lines `events: Ir …`, then `totals: N …` or, in older files only,
 * `summary: N …`; callgrind 3.19 writes `summary: 0` and the real sum in `totals:`, so `totals:`
 * wins). Throws {@link CallgrindError} `E_CALLGRIND_OUTPUT` when the events line is missing or does
 * not start with `Ir`, when there is no total, or when the total is not a non-negative safe integer.
 */
export function parseCallgrindTotals(text: string): CallgrindTotals {
  const header = (key: string): string[] =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${key}:`))
      .map((l) => l.slice(key.length + 1).trim());
  const events = header('events');
  if (events.length !== 1) throw new CallgrindError('E_CALLGRIND_OUTPUT', `callgrind output has ${events.length} 'events:' lines (expected 1): ${JSON.stringify(text.slice(0, 200))}`);
  const names = events[0]!.split(/\s+/);
  if (names[0] !== 'Ir') throw new CallgrindError('E_CALLGRIND_OUTPUT', `callgrind output counts '${events[0]}', not Ir first`);
  const totals = header('totals');
  const summary = header('summary');
  const line = totals.length > 0 ? totals : summary;
  if (line.length !== 1) throw new CallgrindError('E_CALLGRIND_OUTPUT', `callgrind output has ${line.length} 'totals:' lines (expected 1; was the file cut short?)`);
  const value = line[0]!.split(/\s+/)[0]!;
  if (!/^\d+$/.test(value)) throw new CallgrindError('E_CALLGRIND_OUTPUT', `callgrind Ir total '${value}' is not a non-negative integer`);
  const instructions = Number(value);
  if (!Number.isSafeInteger(instructions)) throw new CallgrindError('E_CALLGRIND_OUTPUT', `callgrind Ir total '${value}' is too large`);
  const threadLine = header('thread');
  const thread = threadLine.length === 1 && /^\d+$/.test(threadLine[0]!) ? Number(threadLine[0]) : null;
  return { thread, instructions };
}

export type CallgrindAvailability = { ok: true } | { ok: false; code: 'E_CALLGRIND_MISSING'; message: string };

/** Probes `valgrind --version` and `vgdb -h` once (both ship in the valgrind package). */
export function probeCallgrind(valgrind = 'valgrind', vgdb = 'vgdb'): CallgrindAvailability {
  const missing = (what: string, why: string): CallgrindAvailability => ({
    ok: false,
    code: 'E_CALLGRIND_MISSING',
    message: `--count-instructions without hardware counters needs valgrind's callgrind and ${what}, which ${why}: install it with 'apt-get install ${CALLGRIND_PACKAGE}' (or npm run setup)`,
  });
  const v = spawnSync(valgrind, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (v.error !== undefined || v.status !== 0 || !/^valgrind-3\./.test(v.stdout)) {
    return missing(`'${valgrind}'`, v.error !== undefined ? `could not be run (${v.error.message})` : `answered ${JSON.stringify((v.stdout + v.stderr).trim().slice(0, 100))} to --version`);
  }
  const g = spawnSync(vgdb, ['-h'], { encoding: 'utf8', timeout: 20_000 });
  if (g.error !== undefined || g.status !== 0) {
    return missing(`'${vgdb}' (which switches callgrind on and off around the measured phase)`, g.error !== undefined ? `could not be run (${g.error.message})` : `exited with ${g.status}`);
  }
  return { ok: true };
}

let cached: CallgrindAvailability | null = null;
/** {@link probeCallgrind}, run at most once per process. */
export function callgrindAvailable(): CallgrindAvailability {
  cached ??= probeCallgrind();
  return cached;
}

/** How long one vgdb command may take before the fork fails (it wakes a blocked child through ptrace). */
const VGDB_TIMEOUT_MS = 60_000;

/**
 * The parent's side of the control fifos for one callgrind child: answers the agent's `enable` and
 * `disable` by switching callgrind's instrumentation with vgdb, then writes `ack`. Create it (it
 * opens both fifos read-write, so neither the agent's opens nor its own block) before spawning the
 * child, call {@link attach} with the child's pid, and {@link close} once the child has exited.
 * A failed vgdb command answers `error` instead of `ack` (the agent then fails the child) and is
 * kept in {@link failure}.
 */
export class CallgrindControl {
  /** Commands carried out, in order (`enable`, `disable`). */
  readonly done: string[] = [];
  failure: string | null = null;
  private readonly ctlFd: number;
  private readonly ackFd: number;
  private readonly ctl: Socket;
  private pid: number | null = null;
  private pending = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly files: CallgrindFiles,
    private readonly vgdb = 'vgdb',
  ) {
    this.ctlFd = openSync(files.ctlFifo, 'r+');
    this.ackFd = openSync(files.ackFifo, 'r+');
    // A fifo is a pipe to libuv: read through the event loop, not a blocking thread-pool read.
    this.ctl = new Socket({ fd: this.ctlFd, readable: true, writable: false });
    this.ctl.setEncoding('latin1');
    this.ctl.on('data', (d: string) => {
      this.pending += d;
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) >= 0) {
        const cmd = this.pending.slice(0, nl).trim();
        this.pending = this.pending.slice(nl + 1);
        this.queue = this.queue.then(() => this.handle(cmd));
      }
    });
  }

  attach(pid: number): void {
    this.pid = pid;
  }

  private async handle(cmd: string): Promise<void> {
    const arg = cmd === 'enable' ? 'on' : cmd === 'disable' ? 'off' : null;
    let answer = 'ack';
    if (arg === null) {
      this.failure ??= `the agent sent '${cmd}' (expected enable or disable)`;
      answer = 'error';
    } else if (this.pid === null) {
      this.failure ??= `the agent sent '${cmd}' before the child's pid was known`;
      answer = 'error';
    } else {
      const why = await runVgdb(this.vgdb, this.pid, this.files.vgdbPrefix, ['instrumentation', arg]);
      if (why === null) this.done.push(cmd);
      else {
        this.failure ??= `vgdb instrumentation ${arg} failed: ${why}`;
        answer = 'error';
      }
    }
    writeSync(this.ackFd, `${answer}\n`);
  }

  close(): void {
    this.ctl.destroy();
    closeSync(this.ackFd);
  }
}

function runVgdb(vgdb: string, pid: number, prefix: string, command: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(vgdb, [`--pid=${pid}`, `--vgdb-prefix=${prefix}`, ...command], { timeout: VGDB_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) resolve(null);
      else resolve(`${error.message.split('\n')[0]} ${(stderr + stdout).trim().split('\n').slice(-2).join(' | ')}`);
    });
  });
}
