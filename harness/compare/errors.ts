/**
 * Typed errors of compare / merge / calibrate (an unreadable result file is contract/read-result.ts's
 * ResultReadError). Every one is "bad input" for the CLI (exit 2); the
 * `code` is stable, the message names the file and field and says what to do.
 */
import { BuflabError } from '../errors.js';

/** Two result files were measured in environments that differ in a field that matters. */
export class EnvironmentMismatchError extends BuflabError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('E_ENV_MISMATCH', message);
    this.field = field;
  }
}

/** The two files have no completed cell in common, or otherwise cannot be compared. */
export class NothingToCompareError extends BuflabError {
  constructor(message: string) {
    super('E_NOTHING_TO_COMPARE', message);
  }
}

/** Merge refuses: mismatched suites or environments, or a cell present in two shards. */
export class MergeError extends BuflabError {
  constructor(code: 'E_MERGE_SUITE' | 'E_MERGE_DUPLICATE_CELL' | 'E_MERGE_OPTIONS', message: string) {
    super(code, message);
  }
}

/** A noise file that cannot be used (wrong shape or version). */
export class NoiseFileError extends BuflabError {
  constructor(message: string) {
    super('E_NOISE_FILE', message);
  }
}
