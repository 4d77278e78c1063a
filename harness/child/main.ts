/**
 * The child process that measures one fork of one cell (protocol: ./protocol.ts).
 *
 * Order: read the cell → verify the native allocator really is the cell's → create the workload
 * with the cell's strategy → measure (./measure-cell.ts) → `verify()` the workload → write one
 * record line to fd 3 → exit 0. Any failure: one error line on stderr, nothing on fd 3, exit 3 for
 * a configuration error, 1 otherwise.
 */
import { writeSync } from 'node:fs';
import { STRATEGY_NAMES } from '../../allocators/buffer-strategy.js';
import { isAllocatorName, verifyInProcess } from '../../allocators/native-allocators.js';
import { applyMemoryKnobs, MemoryKnobError, workloadParams, type MemoryKnobErrorCode } from '../../allocators/memory-knobs.js';
import { makeStrategy } from '../../allocators/registry.js';
import { RANGE_COPY_PATH } from '../../allocators/strategy-common.js';
import { loadWorkload, WORKLOAD_NAMES } from '../../workloads/registry.js';
import type { WorkloadInstance } from '../../workloads/workload.js';
import { applyTestSlowdown } from './test-slowdown.js';
import { BuflabError } from '../errors.js';
import { SCHEMA_VERSION, type Cell, type ForkRecord } from '../../contract/result-schema.js';
import { measureCell } from './measure-cell.js';
import { longWaitWarning, SliceGate } from './slice-gate.js';
import { CELL_ENV_VAR, CHILD_EXIT, RECORD_FD, formatChildError, parseChildInput } from './protocol.js';

export type ChildConfigErrorCode =
  | 'E_ALLOCATOR_UNVERIFIED'
  | 'E_UNKNOWN_WORKLOAD'
  | 'E_UNKNOWN_STRATEGY'
  | 'E_UNKNOWN_ALLOCATOR'
  | 'E_NOT_A_STRATEGY'
  | MemoryKnobErrorCode
  | SetupConfigCode;

/** A cell this process cannot run as asked: exit 3 (the parent reports E_CHILD_CONFIG). */
export class ChildConfigError extends BuflabError {
  declare readonly code: ChildConfigErrorCode;
  constructor(code: ChildConfigErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Error codes that mean "this configuration cannot run" rather than "the run failed". A strategy's
 * `E_BAD_SIZE` is a configuration error only while the workload is being set up (a bad arena or
 * slab size from the cell); thrown from an operation it is a bug in the stack: a failed run.
 */
const CONFIG_CODES = new Set(['E_NO_CELL', 'E_BAD_CELL', 'E_WORKLOAD_CONFIG', 'E_UNKNOWN_STRATEGY']);
const SETUP_CONFIG_CODES = ['E_NO_CELL', 'E_BAD_CELL', 'E_WORKLOAD_CONFIG', 'E_UNKNOWN_STRATEGY', 'E_BAD_SIZE'] as const;
type SetupConfigCode = (typeof SETUP_CONFIG_CODES)[number];
const isSetupConfigCode = (code: unknown): code is SetupConfigCode => (SETUP_CONFIG_CODES as readonly unknown[]).includes(code);

async function main(): Promise<ForkRecord> {
  const startedAt = new Date().toISOString();
  const { cell, forkIndex } = parseChildInput(process.env[CELL_ENV_VAR]);
  // In a slice group nothing runs before this fork has the turn: its set-up and warm-up would
  // otherwise compete with another fork's measured phase (./slice-gate.ts).
  const gate = SliceGate.fromEnv(process.env);
  gate?.acquire();
  if (!isAllocatorName(cell.allocator)) {
    throw new ChildConfigError('E_UNKNOWN_ALLOCATOR', `unknown allocator '${cell.allocator}': use glibc, jemalloc, tcmalloc or mimalloc`);
  }
  const allocator = verifyInProcess(cell.allocator);
  if (!allocator.verified) {
    throw new ChildConfigError(
      'E_ALLOCATOR_UNVERIFIED',
      `allocator ${cell.allocator} not verified in the child: ${allocator.problem ?? 'unknown reason'} — refusing to measure another allocator than the one asked for`,
    );
  }
  // Hook (issue 17): the cell's memory knobs, applied and read back before the workload exists.
  let knobs: ReturnType<typeof applyMemoryKnobs>;
  try {
    knobs = applyMemoryKnobs(cell.allocator, cell.params);
  } catch (e) {
    if (e instanceof MemoryKnobError) throw new ChildConfigError(e.code, e.message);
    throw e;
  }
  let created: Awaited<ReturnType<typeof createWorkload>>;
  try {
    created = await createWorkload(cell);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (isSetupConfigCode(code)) throw new ChildConfigError(code, (e as Error).message);
    throw e;
  }
  const knob = applyTestSlowdown(created, cell.id, process.env);
  const instance = knob.instance;
  let measurement;
  try {
    measurement = await measureCell(instance, cell.plan, gate);
    try {
      instance.verify();
    } catch (e) {
      throw new BuflabError('E_VERIFY_FAILED', `workload ${cell.workload} failed verify() after measuring: ${(e as Error).message}`);
    }
  } finally {
    instance.close();
  }
  let memoryKnobs;
  try {
    memoryKnobs = knobs?.confirm();
  } catch (e) {
    if (e instanceof MemoryKnobError) throw new ChildConfigError(e.code, e.message);
    throw e;
  }
  const { problem: _problem, ...allocatorInfo } = allocator;
  return {
    kind: 'buflab-fork',
    schemaVersion: SCHEMA_VERSION,
    cellId: cell.id,
    forkIndex,
    pid: process.pid,
    startedAt,
    finishedAt: new Date().toISOString(),
    allocator: allocatorInfo,
    // The copy path is the child's: each runtime decides its own (allocators/strategy-common.ts).
    node: { version: process.version, v8: process.versions.v8, execArgv: process.execArgv, rangeCopyPath: RANGE_COPY_PATH },
    ...measurement,
    ...(gate === null ? {} : { slicing: { sliceMs: gate.sliceMs, groupSize: gate.groupSize, turns: gate.yields, pausedMs: gate.pausedMs, longestPauseMs: gate.longestPauseMs } }),
    warnings: [...measurement.warnings, ...[knob.warning, gate === null ? null : longWaitWarning(gate.longestPauseMs)].filter((w): w is string => w !== null)],
    workloadCounters: instance.counters(),
    ...(memoryKnobs === undefined ? {} : { memoryKnobs }),
  };
}

async function createWorkload(cell: Cell): Promise<WorkloadInstance> {
  const def = await loadWorkload(cell.workload);
  if (def === undefined) {
    throw new ChildConfigError('E_UNKNOWN_WORKLOAD', `unknown workload '${cell.workload}'; known: ${WORKLOAD_NAMES.join(', ')}`);
  }
  const standard = (STRATEGY_NAMES as readonly string[]).includes(cell.strategy);
  const extra = def.extraStrategies ?? [];
  if (!standard && !extra.includes(cell.strategy)) {
    throw new ChildConfigError(
      'E_UNKNOWN_STRATEGY',
      `workload ${def.name} does not accept strategy '${cell.strategy}'; use one of ${[...STRATEGY_NAMES, ...extra].join(', ')}`,
    );
  }
  const strategy = cell.strategy;
  return def.create({
    strategy,
    makeStrategy: standard
      ? () => makeStrategy(strategy)
      : () => {
          throw new ChildConfigError(
            'E_NOT_A_STRATEGY',
            `'${strategy}' is a ${def.name}-specific variant, not a BufferStrategy: the workload must not call makeStrategy() for it`,
          );
        },
    sizeBytes: cell.size,
    // The memory knobs are the harness's (applied above); the workload sees only its own params.
    params: workloadParams(cell.params),
    seed: cell.plan.seed,
  });
}

/** Writes all of `text` to `fd`, retrying partial writes and EAGAIN (a full non-blocking pipe). */
function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (e) {
      // EAGAIN: the parent has not drained the pipe yet; wait 1 ms and retry. Anything else is fatal.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function fail(e: unknown): never {
  const err = e as { code?: unknown; message?: unknown; stack?: unknown };
  const code = typeof err.code === 'string' ? err.code : 'E_CHILD_FAILED';
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (typeof err.stack === 'string') process.stderr.write(`${err.stack}\n`);
  process.stderr.write(`${formatChildError(code, message)}\n`);
  const exitCode = e instanceof ChildConfigError || CONFIG_CODES.has(code) ? CHILD_EXIT.config : CHILD_EXIT.failure;
  // process.exitCode + return would let the workload's open handles keep the process alive.
  process.exit(exitCode);
}

main().then((record) => {
  try {
    writeAllSync(RECORD_FD, `${JSON.stringify(record)}\n`);
  } catch (e) {
    fail(e);
  }
  process.exit(CHILD_EXIT.ok);
}, fail);
