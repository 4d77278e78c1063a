/**
 * Typed errors of the harness. One base class with a stable `code` (undici's pattern): callers and
 * tests branch on `code`, never on message text; every message says what to do about it.
 */

import { BuflabError } from '../contract/errors.js';

// The base class lives below harness/ (the result reader in contract/ throws it); harness code imports it from here.
export { BuflabError };

/** A bad command line: unknown suite, flag or value. The CLI exits 2 before any work starts. */
export class UsageError extends BuflabError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/** A suite definition that cannot be expanded (a bug in harness/suites.ts, not the user's fault). */
export class SuiteDefinitionError extends BuflabError {
  constructor(message: string) {
    super('E_SUITE_DEFINITION', message);
  }
}

/** A feature that another part of the project provides and that is not present in this tree. */
export class UnavailableError extends BuflabError {
  constructor(message: string) {
    super('E_UNAVAILABLE', message);
  }
}

/**
 * Why one fork of a cell failed. These codes end up in the result file (`cells[].error.code`) and
 * in the JSONL stream; they are part of the result format.
 */
export const CHILD_ERROR_CODES = [
  /** The child exited non-zero (other than 3) or was killed by a signal. */
  'E_CHILD_CRASHED',
  /** The child exceeded its time limit; its process group was killed. */
  'E_CHILD_TIMEOUT',
  /** The child exited 0 but did not write exactly one valid record for its cell on fd 3. */
  'E_CHILD_PROTOCOL',
  /** The child exited 3: the cell's configuration cannot run (e.g. allocator not verified). */
  'E_CHILD_CONFIG',
  /** The child could not be started at all (spawn failed). */
  'E_CHILD_SPAWN',
  /** The run was interrupted (Ctrl-C) while this child was running; it was killed. */
  'E_INTERRUPTED',
] as const;
export type ChildErrorCode = (typeof CHILD_ERROR_CODES)[number];

/** A skipped cell: its allocator is not installed on this machine. */
export const E_ALLOCATOR_MISSING = 'E_ALLOCATOR_MISSING';
