/**
 * The contract between a workload (a scenario that drives the stack in memory) and the harness
 * that times it. A workload knows nothing of measurement: it exposes one synchronous operation and
 * its counters; the harness decides how often to call it and what to record.
 */
import type { BufferStrategy, StrategyCounters } from '../allocators/buffer-strategy.js';

/** Values of a cell's extra axes (cipher, query mix, variant…), as given by the suite or the CLI. */
export type WorkloadParams = Readonly<Record<string, string | number | boolean>>;

export interface WorkloadSetup {
  /** The cell's strategy name (a workload may accept extra names, e.g. alloc's `string`). */
  strategy: string;
  /** Makes a fresh strategy instance of the cell's kind: one per endpoint (client, server…). */
  makeStrategy: () => BufferStrategy;
  /** The cell's size axis, in bytes (packet, payload, record or buffer size as the workload defines). */
  sizeBytes: number;
  params: WorkloadParams;
  /** Seed for any randomness (query mixes, payload contents), so forks are reproducible. */
  seed: number;
}

export interface WorkloadInstance {
  /**
   * One operation: the unit the harness times and divides by. Must be synchronous and must not
   * throw on the steady-state path; a thrown error fails the fork (an errored cell), by design.
   */
  op(): void;
  /** Application payload bytes moved by one operation (for bytes/s). 0 when meaningless. */
  readonly payloadBytesPerOp: number;
  /** The strategies' counters summed over every endpoint, cumulative. */
  strategyCounters(): StrategyCounters;
  /** Workload counters (dropped, malformed, verified…), cumulative. */
  counters(): Record<string, number>;
  /**
   * Called once after measurement: throws if the workload did not do what it claims
   * (e.g. a decoded packet did not match what was sent, or packets were lost).
   */
  verify(): void;
  close(): void;
}

export interface WorkloadDefinition {
  readonly name: string;
  /** One line for `--list` and reports. */
  readonly description: string;
  /** Strategy names this workload accepts beyond the three standard ones (e.g. `string`). */
  readonly extraStrategies?: readonly string[];
  create(setup: WorkloadSetup): WorkloadInstance;
}

/** Thrown for a setup the workload cannot run (unknown param value…): a configuration error. */
export class WorkloadConfigError extends Error {
  readonly code = 'E_WORKLOAD_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadConfigError';
  }
}
