/**
 * The parent/child protocol for measuring one cell fork (see docs/DESIGN.md, "Process model").
 *
 * The parent runs `node [cell.v8Flags...] --expose-gc --import tsx harness/child/main.ts` with the env
 * var `BUFLAB_CELL` = JSON of {@link ChildInput} and stdio `['ignore', 'pipe', 'pipe', 'pipe']`.
 * The child writes exactly one line of JSON — a {@link ForkRecord} — to file descriptor 3 and exits 0.
 * Whatever the workload prints goes to stdout/stderr and is not part of the protocol.
 * On failure the child prints `buflab-child-error [CODE]: message` to stderr, writes nothing to fd 3 and
 * exits {@link CHILD_EXIT}.config (3) for a configuration error (unknown workload, unverified allocator…)
 * or {@link CHILD_EXIT}.failure (1) otherwise.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Cell, ForkRecord } from '../../contract/result-schema.js';
import { BuflabError } from '../errors.js';
import { forkRecordProblems as contractForkRecordProblems, isFiniteNumber, isObject as isPlainObject } from '../../contract/read-result.js';
import { allocatorPath, isAllocatorName, preloadEnv, type AllocatorName } from '../../allocators/native-allocators.js';
import { memoryKnobEnv, parseMemoryKnobs } from '../../allocators/memory-knobs.js';

/** The name of the environment variable that carries the child's input. */
export const CELL_ENV_VAR = 'BUFLAB_CELL';

/** What the parent hands a child, as JSON in {@link CELL_ENV_VAR}. */
export interface ChildInput {
  cell: Cell;
  forkIndex: number;
}

/** The child's exit codes. Anything else (a signal, 134 from an abort…) is a crash. */
export const CHILD_EXIT = { ok: 0, failure: 1, config: 3 } as const;

/** The file descriptor the record is written to (the fourth stdio entry, a pipe). */
export const RECORD_FD = 3;

/** Prefix of the one error line the child prints to stderr on failure. */
export const CHILD_ERROR_PREFIX = 'buflab-child-error';

/** Absolute path of the repository root (where `--import tsx` resolves from). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the child's entry point. */
export const CHILD_MAIN = resolve(REPO_ROOT, 'harness', 'child', 'main.ts');

export interface ChildCommand {
  command: string;
  args: string[];
  /**
   * The child-specific variables only: `BUFLAB_CELL`, for a preloaded allocator `LD_PRELOAD`, and the
   * cell's memory knobs (allocators/memory-knobs.ts).
   * The parent adds its allow-listed base environment.
   */
  env: Record<string, string>;
  /** Working directory to spawn in: the repository root, so that `--import tsx` resolves. */
  cwd: string;
}

export interface ChildCommandOptions {
  /** Allocator library paths overriding BUFLAB_<NAME>_PATH and the Debian defaults. */
  allocatorPaths?: Partial<Record<AllocatorName, string>>;
  /** Where BUFLAB_<NAME>_PATH is read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The node binary (default `process.execPath`). */
  nodePath?: string;
}

/**
 * The command line for fork `forkIndex` of `cell`. `LD_PRELOAD` is set for a non-glibc allocator
 * even when its library is missing: the parent is expected to skip unavailable allocators first
 * (`checkAvailable`); if it does not, the child's own verification fails with exit 3.
 * Throws {@link ProtocolError} `E_BAD_CELL` for an unknown allocator name or a negative fork index.
 */
export function childCommand(cell: Cell, forkIndex: number, options: ChildCommandOptions = {}): ChildCommand {
  if (!Number.isInteger(forkIndex) || forkIndex < 0) {
    throw new ProtocolError('E_BAD_CELL', `forkIndex must be a non-negative integer, got ${forkIndex}`);
  }
  if (!isAllocatorName(cell.allocator)) {
    throw new ProtocolError('E_BAD_CELL', `cell ${cell.id}: unknown allocator '${cell.allocator}' (use glibc, jemalloc, tcmalloc or mimalloc)`);
  }
  const input: ChildInput = { cell, forkIndex };
  const path = allocatorPath(cell.allocator, options.allocatorPaths ?? {}, options.env ?? process.env);
  return {
    command: options.nodePath ?? process.execPath,
    args: [...cell.v8Flags, '--expose-gc', '--import', 'tsx', CHILD_MAIN],
    // Hook (issue 17): the cell's allocator knobs (GLIBC_TUNABLES, MALLOC_CONF…), read at the allocator's start.
    env: { [CELL_ENV_VAR]: JSON.stringify(input), ...preloadEnv(cell.allocator, path), ...memoryKnobEnv(cell.allocator, parseMemoryKnobs(cell.params)) },
    cwd: REPO_ROOT,
  };
}

export type ProtocolErrorCode = 'E_BAD_RECORD' | 'E_BAD_CELL' | 'E_NO_CELL';

/** The protocol was not followed: bad input to the child, or a reply the parent must refuse. */
export class ProtocolError extends BuflabError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(code, message);
  }
}

/** Parses the child's input from its environment. Throws {@link ProtocolError} `E_NO_CELL` / `E_BAD_CELL`. */
export function parseChildInput(raw: string | undefined): ChildInput {
  if (raw === undefined || raw === '') {
    throw new ProtocolError('E_NO_CELL', `${CELL_ENV_VAR} is not set: the child is started by the harness (npm run bench), not by hand`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new ProtocolError('E_BAD_CELL', `${CELL_ENV_VAR} is not JSON: ${(e as Error).message}`);
  }
  const o = asObject(v, CELL_ENV_VAR, 'E_BAD_CELL');
  const cell = asObject(o.cell, 'cell', 'E_BAD_CELL');
  const problems: string[] = [];
  for (const k of ['id', 'suite', 'workload', 'strategy', 'allocator'] as const) {
    if (typeof cell[k] !== 'string') problems.push(`cell.${k} must be a string`);
  }
  if (!isFiniteNumber(cell.size)) problems.push('cell.size must be a number');
  if (!isPlainObject(cell.params)) problems.push('cell.params must be an object');
  if (!Array.isArray(cell.v8Flags) || !cell.v8Flags.every((f) => typeof f === 'string')) problems.push('cell.v8Flags must be a string array');
  const plan = isPlainObject(cell.plan) ? cell.plan : undefined;
  if (plan === undefined) problems.push('cell.plan must be an object');
  else {
    for (const k of ['warmupMs', 'durationMs', 'seed'] as const) {
      if (!isFiniteNumber(plan[k]) || (plan[k] as number) < 0) problems.push(`cell.plan.${k} must be a non-negative number`);
    }
    if (plan.rateOpsPerSec !== undefined && (!isFiniteNumber(plan.rateOpsPerSec) || plan.rateOpsPerSec <= 0)) {
      problems.push('cell.plan.rateOpsPerSec, when present, must be a positive number (operations per second)');
    }
  }
  if (!Number.isInteger(o.forkIndex) || (o.forkIndex as number) < 0) problems.push('forkIndex must be a non-negative integer');
  if (problems.length > 0) throw new ProtocolError('E_BAD_CELL', `bad ${CELL_ENV_VAR}: ${problems.join('; ')}`);
  return v as ChildInput;
}

/**
 * Validates the child's reply: `text` must be exactly one line of JSON (one trailing newline allowed)
 * holding a complete fork record for `cell`. Throws {@link ProtocolError} `E_BAD_RECORD` naming every
 * problem found otherwise (garbage, several lines, another cell's id, a missing or non-finite field).
 */
export function parseForkRecord(text: string, cell: Cell): ForkRecord {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (line.length === 0) throw new ProtocolError('E_BAD_RECORD', `cell ${cell.id}: the child wrote no record`);
  if (line.includes('\n')) {
    throw new ProtocolError('E_BAD_RECORD', `cell ${cell.id}: the child wrote ${line.split('\n').length} lines, exactly one record is allowed`);
  }
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new ProtocolError('E_BAD_RECORD', `cell ${cell.id}: the record is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
  }
  const problems = forkRecordProblems(v, cell);
  if (problems.length > 0) {
    throw new ProtocolError('E_BAD_RECORD', `cell ${cell.id}: invalid fork record: ${problems.slice(0, 10).join('; ')}`);
  }
  return v as ForkRecord;
}

/**
 * Every way `v` fails to be a fork record of `cell` (empty when it is one): the contract's record
 * check (contract/read-result.ts, the same one every reader of a result file applies) plus what
 * only the parent knows, the cell's load mode.
 */
export function forkRecordProblems(v: unknown, cell: Cell): string[] {
  const p = contractForkRecordProblems(v, { cellId: cell.id, allocator: cell.allocator });
  if (!isPlainObject(v)) return p;
  // An open-loop cell must come back measured open loop at its rate (and a closed-loop one closed loop).
  const rate = cell.plan.rateOpsPerSec;
  const open = isPlainObject(v.openLoop) ? v.openLoop : undefined;
  if (rate !== undefined && (open === undefined || open.rateOpsPerSec !== rate)) {
    p.push(`the cell asks for open-loop load at ${rate} ops/s but openLoop.rateOpsPerSec is ${JSON.stringify(open?.rateOpsPerSec)}`);
  }
  if (rate === undefined && v.openLoop !== undefined) p.push('openLoop is present but the cell is closed loop');
  return p;
}

/** The code and message of the child's error line in `stderr`, when it printed one. */
export function parseChildError(stderr: string): { code: string; message: string } | null {
  const re = new RegExp(`^${CHILD_ERROR_PREFIX} \\[([A-Z0-9_]+)\\]: (.*)$`, 'm');
  const m = re.exec(stderr);
  if (m === null) return null;
  return { code: m[1]!, message: m[2]! };
}

/** The line the child prints to stderr for a failure. */
export function formatChildError(code: string, message: string): string {
  return `${CHILD_ERROR_PREFIX} [${code}]: ${message.replace(/\n/g, ' | ')}`;
}

type Obj = Record<string, unknown>;

function asObject(v: unknown, what: string, code: 'E_BAD_CELL'): Obj {
  if (!isPlainObject(v)) throw new ProtocolError(code, `${what} must be a JSON object`);
  return v;
}
