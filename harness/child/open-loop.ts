/**
 * Open-loop load (`--rate N`): operation i is *due* at t0 + i / rate, whatever happened before it,
 * and its latency is measured from that intended start to its end. A stall (a GC pause, a slow
 * operation, the harness yielding) therefore delays every operation queued behind it and each of
 * them shows the delay — the measurement does not "coordinate" with the system under test by
 * waiting for it before issuing the next request. This is Gil Tene's definition of avoiding
 * coordinated omission ("How NOT to Measure Latency", Strange Loop 2015; HdrHistogram's
 * `recordValueWithExpectedInterval` corrects for it after the fact; wrk2 issues requests at a
 * constant rate and measures from the intended send time, which is what is done here).
 *
 * Operations are timed one by one (no batching): batching would hide exactly the queueing delay
 * this mode exists to show. Between operations the loop *spins* on the clock until the next one is
 * due: a sleep or timer would wake up late by tens of µs and add that to every latency. The cost:
 * the child keeps a core busy for the whole phase even at low rates, and each spin iteration is a
 * clock read (about 30–70 ns, allocation-free; see ../measure/timer.ts).
 *
 * Operations due before the phase ended but never started (the system is overloaded) are not
 * dropped: each is recorded with latency = phase end − intended start, a lower bound of what it
 * would have seen, and counted in `pendingAtEnd`.
 */
import type { HdrHistogram } from '../measure/hdr-histogram.js';
import type { BatchTimeline } from '../measure/gc-tails.js';
import { newClockSlot } from '../measure/timer.js';

/**
 * A clock that stores its reading (ms) into `slot[0]` instead of returning it. Production passes
 * `readClockMs`; tests pass a fake clock. Why not a clock that returns a double: a double returned
 * from a call that TurboFan did not inline is boxed — 16 B of JS heap per read, and the open loop
 * reads the clock at least three times per operation (see ../measure/timer.ts).
 */
export type ClockInto = (slot: Float64Array) => void;

/** The open loop's clock slot (off-heap, as ../measure/timer.ts explains); one loop runs at a time. */
const OPEN_LOOP_CLOCK = newClockSlot();

/** What the open loop needs of a workload. */
export interface OpenLoopOp {
  op(): void;
}

/** The intended start of operation `i` (0-based), ms: t0 + i / rate. Computed from i, never accumulated, so no rounding drift. */
export function intendedStartMs(t0Ms: number, i: number, rateOpsPerSec: number): number {
  return t0Ms + (i * 1000) / rateOpsPerSec;
}

/** Per-chunk storage of the open loop (preallocated; the loop writes into it and nothing else). */
export interface OpenLoopBuffers {
  /** Intended start of each op of the chunk, ms (the loop clock). */
  intendedMs: Float64Array;
  /** End − intended start, ms. */
  latencyMs: Float64Array;
  /** End − actual start, ms. */
  serviceMs: Float64Array;
}

export function openLoopBuffers(capacity: number): OpenLoopBuffers {
  return { intendedMs: new Float64Array(capacity), latencyMs: new Float64Array(capacity), serviceMs: new Float64Array(capacity) };
}

/**
 * Runs operations `firstIndex`, `firstIndex + 1`, … of the schedule t0 + i / rate, each after
 * spinning until it is due, until the buffers are full, an operation ends at or after `untilMs`, or
 * the next operation is due at or after `untilMs` (it is left for the next call). Returns the
 * number of operations run; entry k of the buffers describes operation `firstIndex + k`.
 */
export function openLoopOps(
  w: OpenLoopOp,
  clock: ClockInto,
  t0Ms: number,
  rateOpsPerSec: number,
  firstIndex: number,
  buf: OpenLoopBuffers,
  untilMs: number,
): number {
  const intendedMs = buf.intendedMs;
  const latencyMs = buf.latencyMs;
  const serviceMs = buf.serviceMs;
  const cap = latencyMs.length;
  const slot = OPEN_LOOP_CLOCK;
  let n = 0;
  while (n < cap) {
    const intended = t0Ms + ((firstIndex + n) * 1000) / rateOpsPerSec;
    if (intended >= untilMs) break;
    // Two clock sites per op, not three: each inlined read carries process.hrtime() (≈ 300 bytes of
    // bytecode with its callers) against TurboFan's cumulative inlining budget (920 on Node 20); with
    // a third site (a first read before the spin) the budget ran out and one site kept hrtime's
    // array alive — 64 B of JS heap per op (test/harness/child/zero-alloc-loop.test.ts).
    let start: number;
    do {
      clock(slot);
      start = slot[0]!;
    } while (start < intended);
    w.op();
    clock(slot);
    const end = slot[0]!;
    intendedMs[n] = intended;
    latencyMs[n] = end - intended;
    serviceMs[n] = end - start;
    n++;
    if (end >= untilMs) break;
  }
  return n;
}

/**
 * Records a chunk: latency and service time (ns) into their histograms, and (intended start,
 * latency) into the GC-tail timeline. Synchronous, allocation-free (see measure-cell.ts's accountChunk).
 */
export function accountOpenLoopChunk(buf: OpenLoopBuffers, n: number, latency: HdrHistogram, service: HdrHistogram, timeline: BatchTimeline | null): void {
  for (let i = 0; i < n; i++) {
    latency.record(buf.latencyMs[i]! * 1e6);
    service.record(buf.serviceMs[i]! * 1e6);
  }
  if (timeline !== null) timeline.append(buf.intendedMs, buf.latencyMs, n);
}

/**
 * Operations due in [t0, `dueBeforeMs`) that were not started (indices from `nextIndex` on), each
 * recorded into `latency` with the lower bound `observedAtMs − intended` (ns): at `observedAtMs`
 * it had still not started. Returns how many.
 */
export function recordPendingAtEnd(
  latency: HdrHistogram,
  t0Ms: number,
  rateOpsPerSec: number,
  nextIndex: number,
  dueBeforeMs: number,
  observedAtMs: number,
): number {
  let pending = 0;
  for (let i = nextIndex; ; i++) {
    const intended = intendedStartMs(t0Ms, i, rateOpsPerSec);
    if (intended >= dueBeforeMs) break;
    latency.record(Math.max(0, observedAtMs - intended) * 1e6);
    pending++;
  }
  return pending;
}

/** Operations whose intended start lies in [t0, endMs). */
export function intendedOpsIn(t0Ms: number, rateOpsPerSec: number, endMs: number): number {
  // The smallest i with t0 + i·1000/rate >= endMs, checked with the same arithmetic as the loop.
  let i = Math.max(0, Math.floor(((endMs - t0Ms) * rateOpsPerSec) / 1000) - 1);
  while (intendedStartMs(t0Ms, i, rateOpsPerSec) < endMs) i++;
  return i;
}
