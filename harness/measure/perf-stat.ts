/**
 * Instruction counts of a child's measured phase with `perf stat` (`--count-instructions`): the
 * command that wraps a child, the probe that says whether this machine can count, and the parser of
 * perf's CSV (`-x,`) output.
 *
 * What is counted: `instructions:u` (user space only) of the child's MAIN THREAD only
 * (`--no-inherit`: perf 6.1 opens the counter on the forked task before it execs node, with
 * `inherit` off, so the threads node starts later — V8's concurrent compiler and GC helpers, the
 * libuv pool — are not counted; checked here: a worker thread running 9 G instructions added
 * nothing under --no-inherit), and only between the child's `enable` and `disable` commands on the
 * control fifo (`-D -1` starts with the counter disabled), which ./perf-control-agent.ts sends at
 * the start and end of the measured phase.
 */
import { spawnSync } from 'node:child_process';
import { BuflabError } from '../errors.js';

/** The event counted: retired user-space instructions. */
export const PERF_EVENT = 'instructions:u';

/** Environment variables that hand the agent its fifos (set by the executor, removed by the agent). */
export const PERF_CTL_ENV = 'BUFLAB_PERF_CTL';
export const PERF_ACK_ENV = 'BUFLAB_PERF_ACK';

export interface PerfFiles {
  /** Control fifo: the agent writes `enable\n` / `disable\n`. */
  ctlFifo: string;
  /** Acknowledgement fifo: perf writes `ack\n` after each command. */
  ackFifo: string;
  /** perf's `-o` output file (CSV). */
  outFile: string;
}

/** `perf stat …  --` arguments that count the wrapped command's measured phase; append the command after them. */
export function perfStatArgs(files: PerfFiles): string[] {
  return [
    'stat', '-x,', '--no-inherit', '-e', PERF_EVENT,
    '-D', '-1',
    '--control', `fifo:${files.ctlFifo},${files.ackFifo}`,
    '-o', files.outFile,
    '--',
  ];
}

export type PerfStatErrorCode = 'E_PERF_OUTPUT' | 'E_PERF_MISSING' | 'E_PERF_NO_COUNTERS';

export class PerfStatError extends BuflabError {
  declare readonly code: PerfStatErrorCode;
  constructor(code: PerfStatErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * The count of {@link PERF_EVENT} in perf's `-x,` output (`value,unit,event,runTimeNs,pct,…`;
 * `#` comments and blank lines ignored). Throws {@link PerfStatError} `E_PERF_OUTPUT` when the event
 * is absent, not counted (`<not counted>`: the counter was never enabled, e.g. the child never
 * announced its measured phase), not supported (`<not supported>`: no hardware counters), listed
 * twice, or not a non-negative integer — never NaN.
 */
export function parsePerfStatCsv(text: string, event: string = PERF_EVENT): number {
  const rows = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(','))
    .filter((f) => f[2] === event);
  if (rows.length === 0) throw new PerfStatError('E_PERF_OUTPUT', `perf stat reported no '${event}' line: ${JSON.stringify(text.slice(0, 300))}`);
  if (rows.length > 1) throw new PerfStatError('E_PERF_OUTPUT', `perf stat reported '${event}' ${rows.length} times (expected once): ${JSON.stringify(text.slice(0, 300))}`);
  const value = rows[0]![0]!;
  if (value === '<not counted>') {
    throw new PerfStatError('E_PERF_OUTPUT', `perf stat: ${event} <not counted>: the counter was never enabled (did the child announce its measured phase? it needs harness/child/measured-phase.ts)`);
  }
  if (value === '<not supported>') {
    throw new PerfStatError('E_PERF_OUTPUT', `perf stat: ${event} <not supported>: this machine (VM) exposes no hardware counters`);
  }
  if (!/^\d+$/.test(value)) throw new PerfStatError('E_PERF_OUTPUT', `perf stat: ${event} count '${value}' is not a non-negative integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new PerfStatError('E_PERF_OUTPUT', `perf stat: ${event} count '${value}' is too large`);
  return n;
}

export type PerfAvailability = { ok: true } | { ok: false; code: 'E_PERF_MISSING' | 'E_PERF_NO_COUNTERS'; message: string };

/** Probes `perf stat -x, -e instructions:u true` once. */
export function probePerfCounting(perf = 'perf'): PerfAvailability {
  const r = spawnSync(perf, ['stat', '-x,', '-e', PERF_EVENT, 'true'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { ok: false, code: 'E_PERF_MISSING', message: `--count-instructions needs 'perf', which is not installed: install linux-perf (npm run setup)` };
    }
    return { ok: false, code: 'E_PERF_NO_COUNTERS', message: `--count-instructions: could not run 'perf stat': ${r.error.message}` };
  }
  let why: string | null = null;
  if (r.status !== 0) why = `perf stat exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  else {
    try {
      parsePerfStatCsv(r.stderr);
    } catch (e) {
      why = (e as Error).message;
    }
  }
  if (why === null) return { ok: true };
  return {
    ok: false,
    code: 'E_PERF_NO_COUNTERS',
    message: `--count-instructions: perf is installed but cannot count ${PERF_EVENT} here — this machine (VM) exposes no hardware counters to perf (a property of the VM, not a missing package; check /proc/sys/kernel/perf_event_paranoid too). perf said: ${why}`,
  };
}

let cached: PerfAvailability | null = null;
/** {@link probePerfCounting}, run at most once per process (the validation experiment parses its flags 40 times). */
export function perfCountingAvailable(): PerfAvailability {
  cached ??= probePerfCounting();
  return cached;
}
