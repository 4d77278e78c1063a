/**
 * `--count-instructions`: which counter counts (perf's hardware counter or valgrind's callgrind),
 * and the fixed-work plan a child follows while it is counted.
 *
 * Source: `auto` (the default) takes perf when this machine's perf can count `instructions:u`
 * (hardware counters exposed), else callgrind; `--instruction-source perf|callgrind` forces one.
 * The two are not interchangeable figures (different instrumentation, different JIT timing), so the
 * fork records name theirs (`instructionSource`) and compare refuses to mix them.
 */
import { availableParallelism } from 'node:os';
import type { CountedWorkPlan, InstructionSource } from '../../contract/result-schema.js';
import { UsageError } from '../errors.js';
import { CALLGRIND_TIMEOUT_EXTRA_MS, CALLGRIND_TIMEOUT_FACTOR, type CallgrindAvailability } from './callgrind.js';
import type { PerfAvailability } from './perf-stat.js';

/**
 * V8 flags of every counted child (perf or callgrind), so that the count of one cell is the same in
 * every fork. Without them the count depended on when threads ran (under valgrind, one at a time):
 * 8 vpn cells × 3 forks (callgrind, 2026-12-02) spread 0.7–26% per cell (max/min). Each flag removes
 * one source, measured on those cells:
 * - `--single-threaded-gc`, `--no-concurrent-array-buffer-sweeping`: all GC work, and the frees of
 *   dead ArrayBuffer backing stores, on the counted main thread — not a scheduling-dependent share
 *   of it (the uint8array forks freed 37 k or 55 k backing stores in the same window);
 * - `--predictable-gc-schedule`, `--no-incremental-marking`: no heap-growing, memory-reducer or
 *   marking-step decision taken from wall time (mark-compacts in one window: 0, 1 or 2 by fork);
 * - `--no-concurrent-recompilation`, `--no-concurrent-osr`, `--no-concurrent-sparkplug`: code is
 *   compiled when its budget runs out, not when the compiler thread got to run (forks had made
 *   different inlining decisions: 8.2 k against 10.2 k instructions per op, one-big-struct 64 B);
 * - `--no-flush-bytecode`: no bytecode flushed by age (a count of mark-compacts that differs by
 *   fork), so nothing is lazily recompiled inside the window (0.16 M against 1.6–1.9 M instructions).
 * With these and the window's aligned scavenges (measure-cell.ts, `alignYoungGeneration`) the same
 * 8 cells spread 0.07–1.4% (README "Instruction counts"). The price: the count is of this
 * configuration — every GC cycle on the main thread, compiles before the window — not of the
 * default schedule that the timed figures see; it is a comparison metric, not a CPU-time estimate.
 */
export const COUNTED_V8_FLAGS: readonly string[] = [
  '--single-threaded-gc',
  '--no-concurrent-array-buffer-sweeping',
  '--predictable-gc-schedule',
  '--no-incremental-marking',
  '--no-concurrent-recompilation',
  '--no-concurrent-osr',
  '--no-concurrent-sparkplug',
  '--no-flush-bytecode',
];

export type InstructionSourceChoice = 'auto' | InstructionSource;
export const INSTRUCTION_SOURCE_CHOICES: readonly InstructionSourceChoice[] = ['auto', 'perf', 'callgrind'];

export interface CounterProbes {
  perf: () => PerfAvailability;
  callgrind: () => CallgrindAvailability;
}

/**
 * The source `choice` resolves to on this machine. Probes only what it needs (auto: perf, then
 * callgrind if perf cannot count). Throws {@link UsageError} naming the install command when the
 * chosen (or, for auto, every) source is unavailable — never falls back to a source not asked for.
 */
export function resolveInstructionSource(choice: InstructionSourceChoice, probes: CounterProbes): InstructionSource {
  if (choice === 'perf') {
    const p = probes.perf();
    if (!p.ok) throw new UsageError(`${p.message} (--instruction-source callgrind counts without hardware counters)`);
    return 'perf';
  }
  if (choice === 'callgrind') {
    const c = probes.callgrind();
    if (!c.ok) throw new UsageError(c.message);
    return 'callgrind';
  }
  const p = probes.perf();
  if (p.ok) return 'perf';
  const c = probes.callgrind();
  if (c.ok) return 'callgrind';
  throw new UsageError(`--count-instructions: no instruction counter on this machine. perf: ${p.message}. callgrind: ${c.message}`);
}

/**
 * The fixed work of a counted fork (see {@link CountedWorkPlan}). Why fixed: a count per op is only
 * deterministic when everything the harness does around the ops is the same in every fork. Timing
 * decides the batch size (each batch adds about 1,000 instructions: forks with batches of 2 and 3
 * differed by 1.2% per op under perf), the number of yields between chunks and the op count, and
 * under valgrind timing is 5–100× slower and noisier. Fixed counts remove all three.
 * - batch size 16: the loop's per-batch cost is spread over 16 ops;
 * - 4 batches per chunk: one yield to the event loop per 64 ops, so the between-chunk code runs
 *   often in the extra warm-up and is compiled before the count starts;
 * - 4,096 measured ops after 4 × as many extra warm-up ops through the same loop: the extra warm-up
 *   runs uninstrumented (cheap under callgrind) and lets V8 finish tiering up the measured loop at
 *   this batch size. The counted window still holds a few hundred thousand instructions of one-off
 *   harness work (lazy compiles, IC misses), so it must be long: 4,096 ops of the 14,000-instruction
 *   validation op (58 M instructions) kept forks within 0.4% of each other; 1,024 ops did not.
 * `measuredOps` may be overridden (`--count-ops N`) for ops far slower or faster than that.
 */
export function countedWorkPlan(measuredOps = DEFAULT_COUNTED_OPS): CountedWorkPlan {
  return { batchSize: COUNTED_BATCH_SIZE, chunkBatches: COUNTED_CHUNK_BATCHES, warmupOps: COUNTED_WARMUP_FACTOR * measuredOps, measuredOps };
}
export const COUNTED_WARMUP_FACTOR = 4;
export const DEFAULT_COUNTED_OPS = 4096;
export const COUNTED_BATCH_SIZE = 16;
export const COUNTED_CHUNK_BATCHES = 4;

/** The child time limit under `source`: callgrind's runs are an order of magnitude slower (see ./callgrind.ts). */
export function countedTimeoutMs(timeoutMs: number, source: InstructionSource): number {
  return source === 'callgrind' ? timeoutMs * CALLGRIND_TIMEOUT_FACTOR + CALLGRIND_TIMEOUT_EXTRA_MS : timeoutMs;
}

/**
 * Counted children that run at once when `--count-jobs` is not given. A count does not depend on
 * load: the window is fixed work and COUNTED_V8_FLAGS take every time-driven decision out of it (no
 * time slices either: a counted fork runs its window in one piece). So callgrind's children, each
 * tens of seconds of valgrind for a few seconds of work, run one per CPU (README "Instruction
 * counts" measures that concurrent and one-at-a-time forks count the same). perf's children are as
 * fast as timed ones and its counter was not available to check the same on the machine this was
 * built on, so perf keeps one at a time.
 */
export function defaultCountJobs(source: InstructionSource): number {
  return source === 'callgrind' ? availableParallelism() : 1;
}
