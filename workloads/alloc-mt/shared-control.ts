/**
 * The shared memory between the alloc-mt workload (main thread) and its worker threads: one
 * Int32Array of control words (Atomics.wait/notify, ECMAScript §25.4) and one Float64Array of
 * counters per worker. Both sides index it only through the constants here.
 */
import { emptyCounters, type StrategyCounters } from '../../allocators/buffer-strategy.js';

/** Control words (Int32Array indices). */
export const CTL = {
  /** Bumped by the main thread to start a command; workers wait on it. */
  generation: 0,
  /** The command of the current generation ({@link CMD}). */
  command: 1,
  /** Workers inside their allocation loop right now. */
  active: 3,
  /** The largest `active` any worker saw on entering its loop: ≥ 2 proves two loops overlapped. */
  maxActive: 4,
  /** Workers that started (their module loaded, their strategy made). */
  ready: 5,
  /** What the failure was ({@link FAILURE}): set before `failed`. */
  failureKind: 2,
  /**
   * Set to 1 by the first worker that fails (claiming the error bytes), then to 2 once its kind and
   * message are written: the main thread reads them only at 2, so it never sees half a message.
   */
  failed: 6,
  /** Length in bytes of the failure message. */
  errorBytes: 7,
  /**
   * First of one word per worker: the last generation that worker completed. The main thread waits
   * until every worker's word equals the generation it started — no shared count to reset, so a
   * late or repeated acknowledgement cannot be mistaken for another worker's.
   */
  ackBase: 8,
} as const;
/** Control words for `threads` workers. */
export function ctlWords(threads: number): number {
  return CTL.ackBase + threads;
}
export const ERROR_TEXT_BYTES = 2048;

export const CMD = { op: 1, verify: 2, stop: 3 } as const;

/** Kinds of worker failure: `corrupt` is a buffer that arrived or stayed altered (its stamps, length or order). */
export const FAILURE = { other: 0, corrupt: 1 } as const;
export type FailureKind = (typeof FAILURE)[keyof typeof FAILURE];

/** The strategy counters in a fixed order (the keys of `emptyCounters()`). */
export const STRATEGY_COUNTER_KEYS = Object.keys(emptyCounters()) as Array<keyof StrategyCounters>;

/** Per-worker counter slots after the strategy counters (Float64Array indices relative to the worker's base). */
export const WORKER_SLOT = {
  /** Allocation-loop operations run (buffers allocated). */
  allocations: STRATEGY_COUNTER_KEYS.length,
  /** Buffers transferred to the next worker (handoff=transfer). */
  sent: STRATEGY_COUNTER_KEYS.length + 1,
  /** Buffers received from the previous worker, each checked. */
  received: STRATEGY_COUNTER_KEYS.length + 2,
  /** Live buffers checked by the last verify command. */
  verified: STRATEGY_COUNTER_KEYS.length + 3,
  /** Commands this worker completed. */
  commands: STRATEGY_COUNTER_KEYS.length + 4,
  /** Wake-ups from Atomics.wait that brought no new generation (waited again). */
  spuriousWakeups: STRATEGY_COUNTER_KEYS.length + 5,
} as const;
export const WORKER_SLOTS = STRATEGY_COUNTER_KEYS.length + 6;

/** What a worker is given (workerData). */
export interface AllocMtWorkerData {
  index: number;
  threads: number;
  /** A `makeStrategy` name (the cell's strategy, or `poisoning` in tests). */
  strategy: string;
  /** `poisoning`: the strategy it wraps. */
  inner?: 'pooled' | 'one-big-struct';
  sizeBytes: number;
  /** Buffers allocated per command by this worker. */
  allocationsPerOp: number;
  /** Buffers this worker keeps alive (its own ring, and its ring of received buffers). */
  ring: number;
  handoff: 'none' | 'transfer';
  /** Tests only: this worker flips a byte of the buffer it sends with this sequence number, after stamping it. */
  corruptInTransit?: CorruptInTransit;
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  errorText: SharedArrayBuffer;
}

/** A test's order to alter one buffer in transit (handoff=transfer): worker `worker`'s buffer `seq`, byte `byteOffset` inverted. */
export interface CorruptInTransit {
  worker: number;
  seq: number;
  byteOffset: number;
}

/** Writes `message` as the workers' failure (first failure wins) and wakes the main thread, which may be waiting on worker `index`'s word. */
export function reportFailure(ctl: Int32Array, errorText: Uint8Array, message: string, index: number, kind: FailureKind = FAILURE.other): void {
  if (Atomics.compareExchange(ctl, CTL.failed, 0, 1) === 0) {
    Atomics.store(ctl, CTL.failureKind, kind);
    const bytes = new TextEncoder().encode(message).subarray(0, errorText.length);
    errorText.set(bytes);
    Atomics.store(ctl, CTL.errorBytes, bytes.length);
    Atomics.store(ctl, CTL.failed, 2);
  }
  Atomics.notify(ctl, CTL.ackBase + index);
  Atomics.notify(ctl, CTL.ready);
}

/** The first worker failure's kind ({@link FAILURE}); meaningful once {@link failureText} is not null. */
export function failureKind(ctl: Int32Array): FailureKind {
  return Atomics.load(ctl, CTL.failureKind) === FAILURE.corrupt ? FAILURE.corrupt : FAILURE.other;
}

/** The first worker failure's message, or null. */
export function failureText(ctl: Int32Array, errorText: Uint8Array): string | null {
  if (Atomics.load(ctl, CTL.failed) !== 2) return null;
  return new TextDecoder().decode(errorText.slice(0, Atomics.load(ctl, CTL.errorBytes)));
}
