/**
 * The child's side of time-sliced rounds (harness/run/slice-coordinator.ts has the parent's side
 * and the reasons). The forks of one slice group are alive at the same time and take turns on the
 * CPU: a child asks for the turn before it does any work, keeps it through set-up and warm-up,
 * and during its measured phase hands it back every {@link SliceGate.sliceMs} ms of its own
 * measuring, at a chunk boundary (outside every timed batch). So the forks of the cells a run
 * compares sample the same seconds of the machine, 100 ms apart, instead of whole seconds apart.
 *
 * Wire: one byte each way on file descriptor {@link SLICE_FD_ENV} (a socket the parent opened as
 * an extra stdio pipe): the child writes `W` (waiting for the turn) and blocks reading until the
 * parent writes `G` (go). Exiting gives the turn back. Blocking in `readSync` keeps the main thread
 * off the CPU entirely (no event loop, no timers) while another fork measures.
 *
 * Hygiene: {@link SliceGate.maybeYield} runs between chunks only, on preallocated buffers; it
 * allocates nothing when the slice is not used up (one comparison) and nothing when it yields
 * either (`writeSync`/`readSync` on preallocated Buffers).
 */
import { readSync, writeSync } from 'node:fs';
import { nowMs } from '../measure/timer.js';

/** Env var: the file descriptor of the turn socket; absent: the fork runs alone (no gate). */
export const SLICE_FD_ENV = 'BUFLAB_SLICE_FD';
/** Env var: the measuring time per turn, ms. */
export const SLICE_MS_ENV = 'BUFLAB_SLICE_MS';
/** Env var: how many forks the group started with (recorded, not used to schedule). */
export const SLICE_GROUP_ENV = 'BUFLAB_SLICE_GROUP';

/**
 * Wall time without allocation after which V8 halves a process's new space at its next scavenge (its
 * GC tracer's allocation-throughput window, 5 s): a fork that waited longer for a turn measures with
 * a smaller young generation from then on (harness/run/slice-coordinator.ts DEFAULT_MAX_WAIT_MS keeps
 * waits under it; {@link longWaitWarning} says when one was not).
 */
export const V8_IDLE_SHRINK_MS = 5000;

/** A warning for a fork whose longest wait for a turn reached {@link V8_IDLE_SHRINK_MS}, else null. */
export function longWaitWarning(longestPauseMs: number): string | null {
  if (longestPauseMs < V8_IDLE_SHRINK_MS) return null;
  return (
    `waited ${(longestPauseMs / 1000).toFixed(1)} s for a turn (time-sliced rounds): V8 halves the young generation of a process idle for ${V8_IDLE_SHRINK_MS / 1000} s, ` +
    `so this fork's scavenges per op and GC share after that wait may be inflated; a long turn nobody can interrupt (a warm-up of several seconds) or a long cycle of turns (--slice-ms × --slice-group) causes it — shorten them, or run forks alone with --slice-ms 0`
  );
}

/** Bytes of the turn protocol. */
export const SLICE_WAIT = 0x57; // 'W'
export const SLICE_GO = 0x47; // 'G'

export class SliceGate {
  /** Loop-clock time at which the current turn's measuring time is used up (Infinity: never yields). */
  sliceEndMs = Infinity;
  /** Turns handed back, the time spent waiting for the turn again, and the longest such wait, ms. */
  yields = 0;
  pausedMs = 0;
  longestPauseMs = 0;
  private readonly out = Buffer.from([SLICE_WAIT]);
  private readonly in = Buffer.alloc(1);
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly fd: number,
    readonly sliceMs: number,
    readonly groupSize: number,
  ) {}

  /** The gate the parent asked for in `env`, or null when this fork runs alone. Throws on a malformed value. */
  static fromEnv(env: NodeJS.ProcessEnv): SliceGate | null {
    const fdRaw = env[SLICE_FD_ENV];
    if (fdRaw === undefined || fdRaw === '') return null;
    const fd = Number(fdRaw);
    const sliceMs = Number(env[SLICE_MS_ENV]);
    const groupSize = Number(env[SLICE_GROUP_ENV]);
    if (!Number.isInteger(fd) || fd < 3 || !(sliceMs > 0) || !Number.isInteger(groupSize) || groupSize < 1) {
      throw new Error(
        `bad ${SLICE_FD_ENV}=${fdRaw} / ${SLICE_MS_ENV}=${env[SLICE_MS_ENV] ?? ''} / ${SLICE_GROUP_ENV}=${env[SLICE_GROUP_ENV] ?? ''}: the harness sets them (a descriptor ≥ 3, a positive slice length, a group size ≥ 1)`,
      );
    }
    return new SliceGate(fd, sliceMs, groupSize);
  }

  /** Blocks until the parent gives this fork the turn. The turn lasts until {@link startSlicing} + a slice. */
  acquire(): void {
    writeSync(this.fd, this.out, 0, 1);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.in, 0, 1, null);
      } catch (e) {
        // A non-blocking socket: nothing yet. Sleep 1 ms and read again (the wait is never timed).
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(this.pause, 0, 0, 1);
        continue;
      }
      if (n === 0) throw new Error('the harness closed the turn socket (the run was stopped)');
      if (this.in[0] !== SLICE_GO) throw new Error(`unexpected byte ${this.in[0]} on the turn socket`);
      return;
    }
  }

  /** From now on the turn ends after {@link sliceMs} of measuring (called at the measured phase's start). */
  startSlicing(now: number): void {
    this.sliceEndMs = now + this.sliceMs;
  }

  /** Stops yielding (the measured phase is over; the fork keeps the turn until it exits). */
  stopSlicing(): void {
    this.sliceEndMs = Infinity;
  }

  /**
   * Between chunks: when this turn's measuring time is used up, hands the turn back and blocks until
   * it comes round again. Returns the ms spent waiting (0 when the turn was not used up).
   */
  maybeYield(now: number): number {
    if (now < this.sliceEndMs) return 0;
    this.acquire();
    const after = nowMs();
    const waited = after - now;
    this.yields++;
    this.pausedMs += waited;
    if (waited > this.longestPauseMs) this.longestPauseMs = waited;
    this.sliceEndMs = after + this.sliceMs;
    return waited;
  }
}
