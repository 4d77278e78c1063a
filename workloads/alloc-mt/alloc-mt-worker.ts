/**
 * One worker thread of the alloc-mt workload: waits for a command from the main thread (Atomics on
 * shared memory, so the loop never needs the event loop), runs its share of the allocation loop
 * through its own strategy, and reports its counters in shared memory.
 *
 * handoff=none: the allocation loop of the `alloc` workload (StrategyAllocLoop), unchanged.
 * handoff=transfer: every buffer is stamped and transferred (postMessage with a transfer list, so
 * the backing store moves, no copy) to the next worker, which receives it synchronously
 * (receiveMessageOnPort), checks its stamps and keeps it in a ring: the buffer is freed by the
 * thread that did not allocate it — the cross-thread pattern of mimalloc-bench's xmalloc.
 *
 * The check on arrival is the alloc workload's stamps (workloads/alloc/alloc-loop.ts): one byte per
 * 64-byte line, derived from the sequence number, plus the last byte. It catches a buffer that is
 * not the one sent (another's, a stale one, a zeroed or reused backing store), a truncated or
 * reordered one, and any altered line's stamp byte; not a lone byte flipped between two stamps —
 * the price of keeping the check at one byte read per line (about 2% of the op, README).
 * A failed check is a `corrupt` failure: the main thread throws AllocMtCorruptionError.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { newRxCursor, type BufferStrategy } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { findBadStamp, ringArenaBytes, StrategyAllocLoop, stampBuffer } from '../alloc/alloc-loop.js';
import { CMD, CTL, FAILURE, reportFailure, STRATEGY_COUNTER_KEYS, WORKER_SLOT, WORKER_SLOTS, type AllocMtWorkerData } from './shared-control.js';

interface Ports {
  tx: MessagePort;
  rx: MessagePort;
}

/** A buffer in flight between two workers: the sender's sequence number and the transferred bytes. */
interface Handoff {
  seq: number;
  buf: Uint8Array;
}

const data = workerData as AllocMtWorkerData & { ports?: Ports };

/** A buffer that arrived, or stayed, other than it was sent. */
class HandoffCorrupt extends Error {}
const ctl = new Int32Array(data.control);
const counters = new Float64Array(data.counters, data.index * WORKER_SLOTS * 8, WORKER_SLOTS);
const errorText = new Uint8Array(data.errorText);

function strategyFor(d: AllocMtWorkerData): BufferStrategy {
  const obs = d.strategy === 'one-big-struct' || d.inner === 'one-big-struct';
  return makeStrategy(d.strategy, { ...(d.inner === undefined ? {} : { inner: d.inner }), ...(obs ? { arenaBytes: ringArenaBytes(d.ring, d.sizeBytes) } : {}) });
}

/** handoff=transfer: the sender's and the receiver's side of one worker. */
class TransferLoop {
  private readonly cur = newRxCursor();
  private seq = 0;
  /** Received buffers kept alive, with the sequence numbers their stamps were written with. */
  private readonly received: Array<Handoff | null>;
  private next = 0;
  /** The next sequence number expected from the previous worker (transfers arrive in order). */
  private expectedSeq = 0;
  sent = 0;
  receivedCount = 0;
  /** Tests: the sequence number of the one buffer this worker alters after stamping (−1: none). */
  private readonly corruptSeq: number;
  private readonly corruptByte: number;

  constructor(
    readonly strategy: BufferStrategy,
    private readonly sizeBytes: number,
    ring: number,
    private readonly ports: Ports,
  ) {
    this.received = new Array<Handoff | null>(ring).fill(null);
    const c = data.corruptInTransit;
    this.corruptSeq = c !== undefined && c.worker === data.index ? c.seq : -1;
    this.corruptByte = c?.byteOffset ?? 0;
  }

  op(): void {
    const cur = this.cur;
    this.strategy.alloc(this.sizeBytes, cur);
    const seq = this.seq;
    stampBuffer(cur.buf, cur.start, cur.end, seq);
    if (seq === this.corruptSeq) cur.buf[cur.start + this.corruptByte]! ^= 0xff;
    // Only a buffer that owns its whole ArrayBuffer can move between threads (uint8array's do).
    this.ports.tx.postMessage({ seq, buf: cur.buf } satisfies Handoff, [cur.buf.buffer as ArrayBuffer]);
    this.seq = (seq + 1) & 0x3fffffff;
    this.sent++;
  }

  /** Takes every buffer that has arrived, checking each; throws on a wrong or reordered one. */
  drain(): void {
    for (let m = receiveMessageOnPort(this.ports.rx); m !== undefined; m = receiveMessageOnPort(this.ports.rx)) {
      const h = m.message as Handoff;
      if (h.seq !== this.expectedSeq) throw new HandoffCorrupt(`alloc-mt: worker ${data.index} received buffer ${h.seq}, expected ${this.expectedSeq}`);
      if (h.buf.length !== this.sizeBytes) throw new HandoffCorrupt(`alloc-mt: worker ${data.index} received ${h.buf.length} bytes, not ${this.sizeBytes}`);
      const bad = findBadStamp(h.buf, 0, h.buf.length, h.seq);
      if (bad !== null) throw new HandoffCorrupt(`alloc-mt: worker ${data.index} received buffer ${h.seq} altered in transit, ${bad}`);
      this.expectedSeq = (this.expectedSeq + 1) & 0x3fffffff;
      // The oldest received buffer is dropped here: this thread's GC frees what another thread allocated.
      this.received[this.next] = h;
      this.next = this.next + 1 === this.received.length ? 0 : this.next + 1;
      this.receivedCount++;
    }
  }

  /** Live received buffers whose stamps still hold (throws otherwise). */
  verify(): number {
    let checked = 0;
    for (const h of this.received) {
      if (h === null) continue;
      const bad = findBadStamp(h.buf, 0, h.buf.length, h.seq);
      if (bad !== null) throw new HandoffCorrupt(`alloc-mt: worker ${data.index}'s received buffer ${h.seq} was overwritten, ${bad}`);
      checked++;
    }
    return checked;
  }
}

function publish(strategy: BufferStrategy): void {
  const c = strategy.counters;
  for (let i = 0; i < STRATEGY_COUNTER_KEYS.length; i++) counters[i] = c[STRATEGY_COUNTER_KEYS[i]!];
}

function enterLoop(): void {
  const now = Atomics.add(ctl, CTL.active, 1) + 1;
  for (let seen = Atomics.load(ctl, CTL.maxActive); now > seen; seen = Atomics.load(ctl, CTL.maxActive)) {
    if (Atomics.compareExchange(ctl, CTL.maxActive, seen, now) === seen) break;
  }
}

function main(): void {
  const strategy = strategyFor(data);
  const own = data.handoff === 'none' ? new StrategyAllocLoop(strategy, data.sizeBytes, data.ring) : null;
  if (data.handoff === 'transfer' && data.ports === undefined) throw new Error('alloc-mt: handoff=transfer without ports');
  const transfer = data.handoff === 'transfer' ? new TransferLoop(strategy, data.sizeBytes, data.ring, data.ports!) : null;
  Atomics.add(ctl, CTL.ready, 1);
  Atomics.notify(ctl, CTL.ready);
  let seen = 0;
  for (;;) {
    // Exactly one command per generation: a wake-up without a new generation waits again, and a
    // skipped generation is a protocol failure (the main thread waits for every worker each time).
    let generation = seen;
    for (;;) {
      Atomics.wait(ctl, CTL.generation, seen);
      generation = Atomics.load(ctl, CTL.generation);
      if (generation !== seen) break;
      counters[WORKER_SLOT.spuriousWakeups] = counters[WORKER_SLOT.spuriousWakeups]! + 1;
    }
    if (generation !== seen + 1) throw new Error(`alloc-mt: woke at generation ${generation} after ${seen}: a command was skipped`);
    seen = generation;
    const command = Atomics.load(ctl, CTL.command);
    if (command === CMD.stop) return;
    if (command === CMD.op) {
      enterLoop();
      const n = data.allocationsPerOp;
      if (own !== null) for (let i = 0; i < n; i++) own.op();
      else {
        for (let i = 0; i < n; i++) transfer!.op();
        transfer!.drain();
      }
      Atomics.sub(ctl, CTL.active, 1);
      counters[WORKER_SLOT.allocations] = counters[WORKER_SLOT.allocations]! + n;
    } else if (command === CMD.verify) {
      // Every worker has finished the last op (the main thread waited for all): all transfers are queued.
      if (transfer !== null) transfer.drain();
      counters[WORKER_SLOT.verified] = own !== null ? own.verify() : transfer!.verify();
    }
    if (transfer !== null) {
      counters[WORKER_SLOT.sent] = transfer.sent;
      counters[WORKER_SLOT.received] = transfer.receivedCount;
    }
    publish(strategy);
    counters[WORKER_SLOT.commands] = counters[WORKER_SLOT.commands]! + 1;
    Atomics.store(ctl, CTL.ackBase + data.index, generation);
    Atomics.notify(ctl, CTL.ackBase + data.index);
  }
}

try {
  main();
} catch (e) {
  reportFailure(ctl, errorText, `worker ${data.index}: ${(e as Error).stack ?? String(e)}`, data.index, e instanceof HandoffCorrupt ? FAILURE.corrupt : FAILURE.other);
}
