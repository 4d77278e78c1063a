/**
 * alloc-mt: the allocation loop of the `alloc` workload run by N worker threads at once — the SMP
 * question of the Unikraft mimalloc port (cache-scratch/cache-thrash need real parallelism to show
 * an allocator's worth) asked of a managed runtime, and the glibc arena contention behind this
 * project's uint8array/glibc cost. Each worker has its own isolate, its own strategy and its own
 * ring of live buffers; every ArrayBuffer backing store a worker allocates comes from the process's
 * one native allocator, which is where threads meet.
 *
 * One operation = {@link ALLOCATIONS_PER_OP} buffers of the cell size allocated, stamped and kept
 * (the oldest in each ring dropped), split evenly over the threads, which all start together
 * (Atomics.notify) and all finish before the op returns (the main thread waits): fixed total work,
 * so ops/s at threads=2 over threads=1 is the speed-up (at most 2 on 2 cores). Even threads=1 runs in
 * a worker, so every cell pays the same wake-up and wait.
 *
 * handoff=transfer (uint8array only): each buffer is transferred to the next worker, which checks
 * and keeps it, so a buffer is freed by another thread than the one that allocated it
 * (mimalloc-bench's xmalloc pattern). At threads=1 the worker sends to itself: the same messaging
 * cost without the cross-thread free — the control.
 *
 * What the harness sees: wall time per op is the figure (the effect is contention, visible only
 * there). The main thread's CPU time, JS heap and ArrayBuffer bytes per op are near zero (it only
 * waits); the workers' allocations are the summed strategy counters. Instruction counts are not
 * meaningful: callgrind serialises threads and perf counts the main thread.
 */
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { emptyCounters, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadParams, type WorkloadSetup } from '../workload.js';
import { BuflabError } from '../../contract/errors.js';
import {
  CMD,
  CTL,
  ctlWords,
  ERROR_TEXT_BYTES,
  FAILURE,
  failureKind,
  failureText,
  STRATEGY_COUNTER_KEYS,
  WORKER_SLOT,
  WORKER_SLOTS,
  type AllocMtWorkerData,
  type CorruptInTransit,
} from './shared-control.js';

/** Buffers allocated per operation, over all threads (so threads must divide it). */
export const ALLOCATIONS_PER_OP = 256;
/** Buffers each thread keeps alive (its ring). */
export const DEFAULT_RING_PER_THREAD = 256;
export const MAX_THREADS = 64;
/** How long a worker may take to start or to finish one command before the op fails (ms). */
const WORKER_TIMEOUT_MS = 30_000;

/** A buffer handed between threads arrived altered (stamps, length or order), or a kept one was overwritten. */
export class AllocMtCorruptionError extends BuflabError {
  constructor(message: string) {
    super('E_ALLOC_MT_CORRUPT', message);
  }
}

export interface AllocMtOptions {
  threads: number;
  handoff: 'none' | 'transfer';
  ringPerThread: number;
  /** Tests: run the workers on `poisoning` over this strategy instead of the cell's. */
  poisonInner?: 'pooled' | 'one-big-struct';
  /** Tests: alter one buffer after its sender stamped it (handoff=transfer), to prove the receiver fails loudly. */
  corruptInTransitForTest?: CorruptInTransit;
}

const PARAM_KEYS = ['threads', 'handoff', 'ring'];

/** The options a cell's params ask for. Throws {@link WorkloadConfigError} naming what is wrong. */
export function allocMtOptionsFromParams(params: WorkloadParams): AllocMtOptions {
  for (const k of Object.keys(params)) {
    if (!PARAM_KEYS.includes(k)) throw new WorkloadConfigError(`alloc-mt: unknown param '${k}'; params: ${PARAM_KEYS.join(', ')}`);
  }
  const threads = Number(params['threads'] ?? 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS || ALLOCATIONS_PER_OP % threads !== 0) {
    throw new WorkloadConfigError(`alloc-mt: threads=${String(params['threads'])} must be an integer from 1 to ${MAX_THREADS} that divides ${ALLOCATIONS_PER_OP} (1, 2, 4, 8…)`);
  }
  const handoff = params['handoff'] ?? 'none';
  if (handoff !== 'none' && handoff !== 'transfer') throw new WorkloadConfigError(`alloc-mt: handoff=${String(handoff)} must be none or transfer`);
  const ring = Number(params['ring'] ?? DEFAULT_RING_PER_THREAD);
  if (!Number.isInteger(ring) || ring < 1 || ring > 1 << 16) throw new WorkloadConfigError(`alloc-mt: ring=${String(params['ring'])} must be an integer from 1 to ${1 << 16} (buffers kept per thread)`);
  return { threads, handoff, ringPerThread: ring };
}

/**
 * How to start a worker: the compiled `.js` module beside this one (children run from dist/), or
 * under tsx and vitest the `.ts` one through tsx's CommonJS API — Node 20 applies neither the
 * parent's `--import tsx` nor module.register() hooks to worker threads, so a `.ts` worker needs
 * its loader brought in by an eval'd bootstrap.
 */
function workerEntry(): { filename: string | URL; eval: boolean } {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const path = join(dirname(self), `alloc-mt-worker${ext}`);
  if (ext !== '.ts') return { filename: pathToFileURL(path), eval: false };
  const tsxApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return { filename: `require(${JSON.stringify(tsxApi)}).require(${JSON.stringify(path)}, ${JSON.stringify(path)});`, eval: true };
}

export class AllocMtWorkload implements WorkloadInstance {
  readonly payloadBytesPerOp: number;
  private readonly ctl: Int32Array;
  private readonly counterView: Float64Array;
  private readonly errorText: Uint8Array;
  private readonly workers: Worker[] = [];
  private ops = 0;
  private verifiedBuffers = 0;
  /** verify() calls so far (each is one command every worker completes). */
  private verifyCount = 0;
  private closed = false;

  constructor(
    setup: WorkloadSetup,
    readonly options: AllocMtOptions,
  ) {
    if (!Number.isInteger(setup.sizeBytes) || setup.sizeBytes < 1) throw new WorkloadConfigError(`alloc-mt: size ${setup.sizeBytes} must be a positive integer number of bytes`);
    if (options.handoff === 'transfer' && (setup.strategy !== 'uint8array' || options.poisonInner !== undefined)) {
      throw new WorkloadConfigError(`alloc-mt: handoff=transfer needs strategy uint8array (a buffer that owns its ArrayBuffer); ${setup.strategy}'s buffers are views into shared slabs and cannot move between threads`);
    }
    const threads = options.threads;
    this.payloadBytesPerOp = setup.sizeBytes * ALLOCATIONS_PER_OP;
    const control = new SharedArrayBuffer(ctlWords(threads) * 4);
    const counters = new SharedArrayBuffer(threads * WORKER_SLOTS * 8);
    const errorText = new SharedArrayBuffer(ERROR_TEXT_BYTES);
    this.ctl = new Int32Array(control);
    this.counterView = new Float64Array(counters);
    this.errorText = new Uint8Array(errorText);
    // Worker i sends to worker i+1 (mod threads) over channel i.
    const channels = options.handoff === 'transfer' ? Array.from({ length: threads }, () => new MessageChannel()) : [];
    const entry = workerEntry();
    for (let index = 0; index < threads; index++) {
      const data: AllocMtWorkerData = {
        index,
        threads,
        strategy: options.poisonInner === undefined ? setup.strategy : 'poisoning',
        ...(options.poisonInner === undefined ? {} : { inner: options.poisonInner }),
        sizeBytes: setup.sizeBytes,
        allocationsPerOp: ALLOCATIONS_PER_OP / threads,
        ring: options.ringPerThread,
        handoff: options.handoff,
        ...(options.corruptInTransitForTest === undefined ? {} : { corruptInTransit: options.corruptInTransitForTest }),
        control,
        counters,
        errorText,
      };
      const transferList: MessagePort[] = [];
      let ports: { tx: MessagePort; rx: MessagePort } | undefined;
      if (options.handoff === 'transfer') {
        ports = { tx: channels[index]!.port1, rx: channels[(index + threads - 1) % threads]!.port2 };
        transferList.push(ports.tx, ports.rx);
      }
      const w = new Worker(entry.filename, { eval: entry.eval, workerData: ports === undefined ? data : { ...data, ports }, transferList });
      // Errors come back through shared memory (the main thread never runs its event loop mid-run).
      w.on('error', () => undefined);
      w.unref();
      this.workers.push(w);
    }
    this.waitFor(CTL.ready, threads, 'start');
  }

  /**
   * Blocks until control word `index` reaches `target` (the ready count, or a worker's last completed
   * generation), failing on a worker failure or a timeout.
   */
  private waitFor(index: number, target: number, what: string): void {
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (let v = Atomics.load(this.ctl, index); v < target; v = Atomics.load(this.ctl, index)) {
      this.throwIfFailed();
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`alloc-mt: a worker did not ${what} within ${WORKER_TIMEOUT_MS} ms (a worker that cannot load its module prints why on stderr)`);
      Atomics.wait(this.ctl, index, v, Math.min(left, 1000));
    }
    this.throwIfFailed();
  }

  /** Throws a worker's failure: {@link AllocMtCorruptionError} for a corrupt buffer, an Error otherwise. */
  private throwIfFailed(): void {
    const failed = failureText(this.ctl, this.errorText);
    if (failed === null) return;
    if (failureKind(this.ctl) === FAILURE.corrupt) throw new AllocMtCorruptionError(`alloc-mt: a buffer arrived corrupt: ${failed}`);
    throw new Error(`alloc-mt: a worker failed: ${failed}`);
  }

  /** Starts command `cmd` on every worker and returns when each has acknowledged this generation. */
  private command(cmd: number, what: string): void {
    if (this.closed) throw new Error('alloc-mt: the workload is closed');
    Atomics.store(this.ctl, CTL.command, cmd);
    const generation = Atomics.add(this.ctl, CTL.generation, 1) + 1;
    Atomics.notify(this.ctl, CTL.generation);
    for (let w = 0; w < this.options.threads; w++) this.waitFor(CTL.ackBase + w, generation, what);
  }

  op(): void {
    this.command(CMD.op, 'finish an op');
    this.ops++;
  }

  private slot(worker: number, slot: number): number {
    return this.counterView[worker * WORKER_SLOTS + slot]!;
  }

  strategyCounters(): StrategyCounters {
    const c = emptyCounters();
    for (let w = 0; w < this.options.threads; w++) {
      for (let i = 0; i < STRATEGY_COUNTER_KEYS.length; i++) c[STRATEGY_COUNTER_KEYS[i]!] += this.slot(w, i);
    }
    return c;
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = { ops: this.ops, threads: this.options.threads, maxConcurrentThreads: Atomics.load(this.ctl, CTL.maxActive), verifiedBuffers: this.verifiedBuffers };
    let allocations = 0;
    let spurious = 0;
    let sent = 0;
    let received = 0;
    for (let w = 0; w < this.options.threads; w++) {
      const a = this.slot(w, WORKER_SLOT.allocations);
      out[`thread${w}Allocations`] = a;
      allocations += a;
      sent += this.slot(w, WORKER_SLOT.sent);
      spurious += this.slot(w, WORKER_SLOT.spuriousWakeups);
      received += this.slot(w, WORKER_SLOT.received);
    }
    out['allocations'] = allocations;
    out['spuriousWakeups'] = spurious;
    if (this.options.handoff === 'transfer') {
      out['handedOff'] = sent;
      out['received'] = received;
    }
    return out;
  }

  /**
   * Every worker checks its live buffers' stamps (and, with handoff, takes and checks every buffer
   * still in flight); then the counts must add up: each thread allocated its exact share of every
   * op, and every buffer sent was received.
   */
  verify(): void {
    this.command(CMD.verify, 'verify');
    const threads = this.options.threads;
    const share = ALLOCATIONS_PER_OP / threads;
    let verified = 0;
    for (let w = 0; w < threads; w++) {
      const a = this.slot(w, WORKER_SLOT.allocations);
      const commands = this.slot(w, WORKER_SLOT.commands);
      if (a !== this.ops * share) {
        throw new Error(`alloc-mt: thread ${w} allocated ${a} buffers in ${this.ops} ops, expected ${this.ops * share} (it completed ${commands} commands of ${Atomics.load(this.ctl, CTL.generation)})`);
      }
      if (commands !== this.ops + 1 + this.verifyCount) throw new Error(`alloc-mt: thread ${w} completed ${commands} commands, expected ${this.ops + 1 + this.verifyCount}`);
      verified += this.slot(w, WORKER_SLOT.verified);
    }
    this.verifyCount++;
    const live = threads * Math.min(this.ops * share, this.options.ringPerThread);
    if (verified !== live) throw new Error(`alloc-mt: ${verified} live buffers checked, expected ${live}`);
    if (this.options.handoff === 'transfer') {
      const c = this.counters();
      if (c['handedOff'] !== this.ops * ALLOCATIONS_PER_OP || c['received'] !== c['handedOff']) {
        throw new Error(`alloc-mt: ${c['handedOff']} buffers handed off and ${c['received']} received in ${this.ops} ops (expected ${this.ops * ALLOCATIONS_PER_OP} each)`);
      }
    }
    this.verifiedBuffers = verified;
  }

  close(): void {
    if (this.closed) return;
    if (failureText(this.ctl, this.errorText) === null) {
      Atomics.store(this.ctl, CTL.command, CMD.stop);
      Atomics.add(this.ctl, CTL.generation, 1);
      Atomics.notify(this.ctl, CTL.generation);
    }
    this.closed = true;
    // terminate() settles asynchronously; the workers are unref'd, so the process need not wait.
    for (const w of this.workers) void w.terminate();
  }
}

export const allocMtWorkload: WorkloadDefinition = {
  name: 'alloc-mt',
  description: 'the allocation loop in N worker threads at once (256 buffers per op split over the threads), optionally handing every buffer to the next thread',
  create(setup: WorkloadSetup): WorkloadInstance {
    return new AllocMtWorkload(setup, allocMtOptionsFromParams(setup.params));
  },
};
