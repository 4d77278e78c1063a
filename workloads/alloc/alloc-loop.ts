/**
 * The allocation loop: the TypeScript counterpart of the Mirage paper's "allocate 100 million
 * strings of varying sizes". One operation allocates one buffer of `sizeBytes` through the cell's
 * strategy, touches it, and drops it into a ring of the most recent `ring` buffers (default 1024);
 * the oldest buffer in the ring is released when its slot is reused. The ring keeps a realistic
 * live set, so the GC (and the native allocator) have real work instead of a single buffer that
 * dies young and is reused forever.
 *
 * Touching: one byte is written per 64-byte cache line (plus the last byte), each a stamp derived
 * from the operation's sequence number and the line's index. That makes every cache line and page
 * of the buffer real (lazily committed memory gets faulted in) and gives `verify()` something to
 * check, while keeping the operation's cost dominated by allocation rather than by memset bandwidth
 * — which is what this loop compares. Zeroing is the strategy's own cost (`uint8array` pays it, the
 * others do not) and shows up as such.
 *
 * The `string` variant (an extra strategy of this workload) creates a fresh flat sequential
 * one-byte JS string of `sizeBytes` characters per operation (see flat-string.ts) and keeps it in
 * the same kind of ring; strings live on the V8 heap and never reach the native allocator.
 */
import { emptyCounters, newRxCursor, type BufferStrategy, type RxCursor, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { regionBytesFor } from '../../allocators/one-big-struct.js';
import { makeStrategy } from '../../allocators/registry.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadParams, type WorkloadSetup } from '../workload.js';
import { checkStringBytes, FlatStringSource } from './flat-string.js';

export const DEFAULT_RING = 1024;
export const LINE_BYTES = 64;

/** The stamp byte for line `line` of the buffer written by operation `seq`. */
export function stampByte(seq: number, line: number): number {
  return ((Math.imul(seq, 0x9e3779b1) >>> 24) + line) & 0xff;
}

/** The last byte's stamp (distinct from the line stamps, so a truncated buffer is caught too). */
export function lastByteStamp(seq: number): number {
  return stampByte(seq, 0) ^ 0x5a;
}

/** Writes the stamps of operation `seq` into `buf[start, end)`. */
export function stampBuffer(buf: Uint8Array, start: number, end: number, seq: number): void {
  let line = 0;
  for (let i = start; i < end; i += LINE_BYTES) buf[i] = stampByte(seq, line++);
  if (end > start) buf[end - 1] = lastByteStamp(seq);
}

/** Describes the first stamp of `seq` missing from `buf[start, end)`, or null when all are intact. */
export function findBadStamp(buf: Uint8Array, start: number, end: number, seq: number): string | null {
  // stampByte's hash of seq, hoisted: alloc-mt times this check on every handed-off buffer (1.5–2x faster).
  const base = stampByte(seq, 0);
  let line = 0;
  for (let i = start; i < end - 1; i += LINE_BYTES) {
    if (buf[i] !== ((base + line) & 0xff)) return `line ${line}: byte ${buf[i]} where ${stampByte(seq, line)} was written`;
    line++;
  }
  if (end > start && buf[end - 1] !== lastByteStamp(seq)) return `last byte: ${buf[end - 1]} where ${lastByteStamp(seq)} was written`;
  return null;
}

/**
 * The loop over a `BufferStrategy`, shared by the workload and scripts/bare-alloc-loop.ts so that
 * both run exactly the same code.
 */
export class StrategyAllocLoop {
  readonly ring: RxCursor[];
  /** Per slot: the sequence number of the operation whose buffer it holds (−1: empty). */
  private readonly seqOf: Int32Array;
  private next = 0;
  private seq = 0;

  constructor(
    readonly strategy: BufferStrategy,
    readonly sizeBytes: number,
    ringSize: number,
  ) {
    this.ring = Array.from({ length: ringSize }, () => newRxCursor());
    this.seqOf = new Int32Array(ringSize).fill(-1);
  }

  op(): void {
    const slot = this.next;
    const cur = this.ring[slot]!;
    if (this.seqOf[slot]! >= 0) this.strategy.release(cur);
    this.strategy.alloc(this.sizeBytes, cur);
    const seq = this.seq;
    stampBuffer(cur.buf, cur.start, cur.end, seq);
    this.seqOf[slot] = seq;
    // Wraps below 2^30 so that the sequence number stays a small integer (no heap number).
    this.seq = (seq + 1) & 0x3fffffff;
    this.next = slot + 1 === this.ring.length ? 0 : slot + 1;
  }

  /** Throws when a live buffer no longer holds its stamps; returns how many buffers it checked. */
  verify(): number {
    let checked = 0;
    for (let slot = 0; slot < this.ring.length; slot++) {
      const seq = this.seqOf[slot]!;
      if (seq < 0) continue;
      const cur = this.ring[slot]!;
      if (cur.end - cur.start !== this.sizeBytes) {
        throw new Error(`alloc: ring slot ${slot} holds ${cur.end - cur.start} bytes, not ${this.sizeBytes}`);
      }
      const bad = findBadStamp(cur.buf, cur.start, cur.end, seq);
      if (bad !== null) {
        throw new Error(`alloc/${this.strategy.name}: ring slot ${slot} (operation ${seq}) was overwritten, ${bad}: the strategy handed out memory that was still live`);
      }
      checked++;
    }
    return checked;
  }

  /** Releases every live buffer. */
  drain(): void {
    for (let slot = 0; slot < this.ring.length; slot++) {
      if (this.seqOf[slot]! < 0) continue;
      this.strategy.release(this.ring[slot]!);
      this.seqOf[slot] = -1;
    }
  }
}

/** The `string` variant: a fresh flat string per operation, kept in a ring of the same size. */
export class StringAllocLoop {
  readonly ring: string[];
  private readonly seqOf: Int32Array;
  /** Counted here because no strategy sees these allocations: one per operation, `sizeBytes` each. */
  readonly counters: StrategyCounters = emptyCounters();
  private readonly source: FlatStringSource;
  private next = 0;
  private seq = 0;

  constructor(
    readonly sizeBytes: number,
    ringSize: number,
  ) {
    checkStringBytes(sizeBytes);
    this.source = new FlatStringSource(sizeBytes);
    this.ring = new Array<string>(ringSize).fill('');
    this.seqOf = new Int32Array(ringSize).fill(-1);
  }

  op(): void {
    const slot = this.next;
    const seq = this.seq;
    const src = this.source.bytes;
    stampBuffer(src, 0, this.sizeBytes, seq);
    this.ring[slot] = this.source.fresh();
    this.seqOf[slot] = seq;
    this.counters.allocations++;
    this.counters.allocatedBytes += this.sizeBytes;
    this.seq = (seq + 1) & 0x3fffffff;
    this.next = slot + 1 === this.ring.length ? 0 : slot + 1;
  }

  verify(): number {
    let checked = 0;
    const probe = new Uint8Array(this.sizeBytes);
    for (let slot = 0; slot < this.ring.length; slot++) {
      const seq = this.seqOf[slot]!;
      if (seq < 0) continue;
      const s = this.ring[slot]!;
      if (s.length !== this.sizeBytes) throw new Error(`alloc/string: ring slot ${slot} holds ${s.length} characters, not ${this.sizeBytes}`);
      for (let i = 0; i < s.length; i++) probe[i] = s.charCodeAt(i);
      const bad = findBadStamp(probe, 0, this.sizeBytes, seq);
      if (bad !== null) throw new Error(`alloc/string: ring slot ${slot} (operation ${seq}) does not hold what was written, ${bad}`);
      checked++;
    }
    return checked;
  }
}

function ringParam(params: WorkloadParams): number {
  const raw = params.ring ?? DEFAULT_RING;
  const ring = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof ring !== 'number' || !Number.isInteger(ring) || ring < 1 || ring > 1 << 20) {
    throw new WorkloadConfigError(`alloc: param ring=${String(raw)} must be an integer from 1 to ${1 << 20} (buffers kept alive)`);
  }
  return ring;
}

function checkParams(params: WorkloadParams): void {
  for (const key of Object.keys(params)) {
    if (key !== 'ring') throw new WorkloadConfigError(`alloc: unknown param '${key}'; the only param is ring (buffers kept alive, default ${DEFAULT_RING})`);
  }
}

/**
 * The strategy for a cell. `one-big-struct` gets an arena that holds the whole ring (the default
 * 4 MiB cannot hold 1024 buffers of 64 KiB): ring × region size plus one region of slack.
 */
function strategyFor(setup: WorkloadSetup, ring: number): BufferStrategy {
  if (setup.strategy !== 'one-big-struct') return setup.makeStrategy();
  return makeStrategy('one-big-struct', { arenaBytes: ringArenaBytes(ring, setup.sizeBytes) });
}

/**
 * The `one-big-struct` arena that holds a ring of `ring` buffers of `sizeBytes` (also alloc-mt's,
 * per thread). Throws {@link WorkloadConfigError} beyond what one ArrayBuffer can hold.
 */
export function ringArenaBytes(ring: number, sizeBytes: number): number {
  const arenaBytes = (ring + 1) * regionBytesFor(sizeBytes);
  if (arenaBytes > 0x7ffffff8) {
    throw new WorkloadConfigError(`alloc: one-big-struct would need a ${arenaBytes}-byte arena for ring=${ring} × ${sizeBytes} bytes; lower ring or the size`);
  }
  return arenaBytes;
}

export const allocLoop: WorkloadDefinition = {
  name: 'alloc',
  description: 'allocation loop: one buffer of the cell size per op through the strategy (or a flat JS string), touched once per cache line, kept in a ring of the last 1024',
  extraStrategies: ['string'],
  create(setup: WorkloadSetup): WorkloadInstance {
    checkParams(setup.params);
    const ring = ringParam(setup.params);
    if (!Number.isInteger(setup.sizeBytes) || setup.sizeBytes < 0) {
      throw new WorkloadConfigError(`alloc: size ${setup.sizeBytes} must be a non-negative integer number of bytes`);
    }
    let verified = 0;
    if (setup.strategy === 'string') {
      const loop = new StringAllocLoop(setup.sizeBytes, ring);
      let ops = 0;
      return {
        op: () => {
          loop.op();
          ops++;
        },
        payloadBytesPerOp: setup.sizeBytes,
        strategyCounters: () => ({ ...loop.counters }),
        counters: () => ({ ops, verifiedBuffers: verified }),
        verify: () => {
          verified = loop.verify();
          if (verified !== Math.min(ops, ring)) throw new Error(`alloc/string: ${verified} live strings in the ring, expected ${Math.min(ops, ring)}`);
        },
        close: () => {
          loop.ring.fill('');
        },
      };
    }
    const loop = new StrategyAllocLoop(strategyFor(setup, ring), setup.sizeBytes, ring);
    let ops = 0;
    return {
      op: () => {
        loop.op();
        ops++;
      },
      payloadBytesPerOp: setup.sizeBytes,
      strategyCounters: () => ({ ...loop.strategy.counters }),
      counters: () => ({ ops, verifiedBuffers: verified }),
      verify: () => {
        verified = loop.verify();
        if (verified !== Math.min(ops, ring)) throw new Error(`alloc: ${verified} live buffers in the ring, expected ${Math.min(ops, ring)}`);
      },
      close: () => loop.drain(),
    };
  },
};
