/**
 * Machine factors of one phase, read from Linux procfs for the measuring (main) thread: its CPU
 * time and run-queue wait (/proc/thread-self/schedstat), its involuntary context switches
 * (/proc/thread-self/status), the CPU it last ran on (/proc/thread-self/stat field 39), and the
 * machine's steal time (/proc/stat). See proc(5) and the kernel's Documentation/scheduler/sched-stats.
 *
 * Read with the synchronous fs calls on purpose: they run on the calling (main) thread, so
 * `thread-self` is the measuring thread; an async read would run on a libuv pool thread and read
 * that thread's numbers. Snapshots are taken before and after a phase, never inside a timed batch
 * (each read allocates strings).
 */
import { readFileSync } from 'node:fs';
import type { ForkCpu } from '../../contract/result-schema.js';
import { BuflabError } from '../errors.js';

/**
 * Clock ticks per second of /proc/stat's counters (USER_HZ): 100 on every architecture Node runs on
 * (x86, arm, arm64, ppc64, s390x; `getconf CLK_TCK` prints 100 here). Only alpha and ia64 differ.
 */
export const USER_HZ = 100;

/** A procfs file that does not have the layout proc(5) describes. */
export class ProcFormatError extends BuflabError {
  constructor(file: string, detail: string) {
    super('E_PROC_FORMAT', `${file}: ${detail}; this is not the Linux proc(5) layout buflab knows — report the kernel version (uname -r) with the file's text`);
  }
}

/** One reading of the thread's and the machine's counters. */
export interface ThreadCpuSnapshot {
  /** Time the thread has spent on a CPU, ns (schedstat field 1). */
  cpuNs: number;
  /** Time the thread has waited on a run queue, ns (schedstat field 2). */
  runQueueWaitNs: number;
  /** The thread's nonvoluntary_ctxt_switches. */
  involuntaryContextSwitches: number;
  /** Machine-wide steal time, USER_HZ ticks summed over CPUs (/proc/stat "cpu" line). */
  stealTicks: number;
  /** The CPU the thread last ran on. */
  processor: number;
}

/** /proc/thread-self/schedstat: "<on-cpu ns> <run-queue wait ns> <timeslices>". */
export function parseSchedstat(text: string): { cpuNs: number; runQueueWaitNs: number; timeslices: number } {
  const f = text.trim().split(/\s+/);
  if (f.length < 3) throw new ProcFormatError('schedstat', `expected 3 numbers, got '${text.trim()}'`);
  const [cpuNs, runQueueWaitNs, timeslices] = f.map((x) => nonNegativeInteger(x, 'schedstat'));
  return { cpuNs: cpuNs!, runQueueWaitNs: runQueueWaitNs!, timeslices: timeslices! };
}

/** The `nonvoluntary_ctxt_switches:` line of /proc/thread-self/status. */
export function parseInvoluntarySwitches(statusText: string): number {
  const m = /^nonvoluntary_ctxt_switches:\s*(\S+)\s*$/m.exec(statusText);
  if (m === null) throw new ProcFormatError('status', 'no nonvoluntary_ctxt_switches line');
  return nonNegativeInteger(m[1]!, 'status');
}

/**
 * Steal ticks of the aggregate "cpu" line of /proc/stat (the sum over CPUs): the 8th number
 * (user nice system idle iowait irq softirq steal …), present since Linux 2.6.11.
 */
export function parseStealTicks(procStatText: string): number {
  const m = /^cpu\s+(.*)$/m.exec(procStatText);
  if (m === null) throw new ProcFormatError('/proc/stat', 'no aggregate "cpu" line');
  const f = m[1]!.trim().split(/\s+/);
  if (f.length < 8) throw new ProcFormatError('/proc/stat', `the "cpu" line has ${f.length} numbers, steal is the 8th`);
  return nonNegativeInteger(f[7]!, '/proc/stat');
}

/**
 * Field 39 (`processor`) of /proc/thread-self/stat. Fields are counted after the last ')' because
 * field 2, the command name in parentheses, may itself contain spaces and parentheses.
 */
export function parseLastProcessor(statText: string): number {
  const close = statText.lastIndexOf(')');
  if (close < 0) throw new ProcFormatError('stat', 'no "(comm)" field');
  const rest = statText.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field 39 is rest[36].
  const field = rest[39 - 3];
  if (field === undefined) throw new ProcFormatError('stat', `only ${rest.length + 2} fields, processor is field 39`);
  return nonNegativeInteger(field, 'stat');
}

function nonNegativeInteger(text: string, file: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new ProcFormatError(file, `'${text}' is not a non-negative integer`);
  return v;
}

/** Whether this system has the procfs files {@link readThreadCpu} reads (Linux ≥ 3.17 for thread-self). */
export function threadCpuAvailable(): boolean {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return true;
  } catch (e) {
    // Not Linux, or no schedstat (CONFIG_SCHED_INFO off): the fork record then has no `cpu`.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Reads a snapshot for the calling thread (call it on the main thread; see the file comment). */
export function readThreadCpu(): ThreadCpuSnapshot {
  const sched = parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'utf8'));
  return {
    cpuNs: sched.cpuNs,
    runQueueWaitNs: sched.runQueueWaitNs,
    involuntaryContextSwitches: parseInvoluntarySwitches(readFileSync('/proc/thread-self/status', 'utf8')),
    stealTicks: parseStealTicks(readFileSync('/proc/stat', 'utf8')),
    processor: parseLastProcessor(readFileSync('/proc/thread-self/stat', 'utf8')),
  };
}

/**
 * The fork record's machine factors for a phase of `ops` operations and `wallNs` of wall time,
 * from snapshots taken just before and just after it. `processor` is the CPU at the end.
 */
export function forkCpu(before: ThreadCpuSnapshot, after: ThreadCpuSnapshot, ops: number, wallNs: number): ForkCpu {
  const cpuNs = after.cpuNs - before.cpuNs;
  return {
    threadCpuNsPerOp: ops > 0 ? cpuNs / ops : 0,
    threadCpuShare: wallNs > 0 ? cpuNs / wallNs : 0,
    runQueueWaitMs: (after.runQueueWaitNs - before.runQueueWaitNs) / 1e6,
    stealMs: ((after.stealTicks - before.stealTicks) * 1000) / USER_HZ,
    involuntaryContextSwitches: after.involuntaryContextSwitches - before.involuntaryContextSwitches,
    processor: after.processor,
  };
}
