/**
 * `one-big-struct`: one large buffer per endpoint, preallocated once (awa-ssh's `dbuf`, MTU-sized
 * device buffers that upper layers fill in place). `alloc`, `allocRx` and `beginTx` carve regions
 * from it; outgoing packets are built in place, lower layers writing their headers into headroom;
 * received payloads are handed up as cursors (same buffer, new bounds). In steady state it makes no
 * ArrayBuffer allocation and creates no view: every cursor's `buf` is the one arena array.
 *
 * The ring: regions are placed by a bump pointer that wraps to the start of the arena when it
 * reaches the end, and are reclaimed in FIFO order — releasing the oldest live region advances the
 * tail past it and past every already-released region behind it. Releases may come in any order,
 * but the space of a released region is reused only once every region allocated before it has been
 * released too. Live data is never overwritten: a request that would overrun the oldest live region
 * throws `E_ARENA_FULL` (naming the live bytes and what to do) instead. So the contract for the
 * stack is: release every buffer, and size `arenaBytes` for the longest-lived buffer plus everything
 * allocated while it lives (the allocation loop's ring, a reassembly window).
 *
 * Each region starts with an 8-byte header (its record index and a sequence number) so that
 * `release(cursor)` finds its record in O(1) and rejects cursors it did not hand out. The cursor
 * given to `release` must have the `start` that `alloc` returned.
 */
import { StrategyError, type BufferStrategy, type FrameLayout, type RxCursor, type StrategyOptions, type TxFrame } from './buffer-strategy.js';
import { checkLength, checkRange, clearCursor, clearFrame, CountingStrategy } from './strategy-common.js';

export const DEFAULT_ARENA_BYTES = 4 * 1024 * 1024;
export const REGION_HEADER_BYTES = 8;
const ALIGN_BYTES = 8;
const SEQ_MASK = 0x3fffffff;
const STATE_FREE = 0;
const STATE_LIVE = 1;
const STATE_RELEASED = 2;

/** Arena bytes one region of `bytes` usable bytes occupies (header plus alignment). */
export function regionBytesFor(bytes: number): number {
  return (REGION_HEADER_BYTES + bytes + ALIGN_BYTES - 1) & ~(ALIGN_BYTES - 1);
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class OneBigStructStrategy extends CountingStrategy implements BufferStrategy {
  readonly name = 'one-big-struct' as const;
  readonly zeroed = false;
  readonly receiveMode = 'cursor' as const;
  readonly arenaBytes: number;
  /** The endpoint's one buffer: every cursor this strategy fills points at it. */
  readonly arena: Uint8Array;
  private readonly words: Uint32Array;

  private readonly recordCapacity: number;
  private readonly recordMask: number;
  /** Per record: arena offset of the region's header. */
  private readonly recStart: Int32Array;
  /** Per record: end of the region (aligned), where the next region may start. */
  private readonly recEnd: Int32Array;
  /** Per record: end of the usable bytes including reserved tailroom (the `append` limit). */
  private readonly recLimit: Int32Array;
  private readonly recSeq: Int32Array;
  private readonly recState: Uint8Array;

  /** Record index of the oldest region not yet reclaimed, and how many regions are not reclaimed. */
  private oldest = 0;
  private regionCount = 0;
  /** Arena offset where the oldest unreclaimed region starts, and where the newest one ends. */
  private tail = 0;
  private head = 0;
  private seq = 0;

  constructor(options: StrategyOptions = {}) {
    super();
    const arenaBytes = options.arenaBytes ?? DEFAULT_ARENA_BYTES;
    if (!Number.isInteger(arenaBytes) || arenaBytes < 64 || arenaBytes % ALIGN_BYTES !== 0 || arenaBytes > 0x7ffffff8) {
      throw new StrategyError('E_BAD_SIZE', `one-big-struct: arenaBytes ${arenaBytes} must be a multiple of ${ALIGN_BYTES} between 64 and 2^31-8`);
    }
    this.arenaBytes = arenaBytes;
    this.arena = new Uint8Array(arenaBytes);
    this.words = new Uint32Array(this.arena.buffer);
    const c = this.counters;
    c.allocations = 1;
    c.allocatedBytes = arenaBytes;
    c.views = 1;
    this.recordCapacity = Math.min(1 << 20, nextPowerOfTwo(Math.max(1024, Math.ceil(arenaBytes / 128))));
    this.recordMask = this.recordCapacity - 1;
    this.recStart = new Int32Array(this.recordCapacity);
    this.recEnd = new Int32Array(this.recordCapacity);
    this.recLimit = new Int32Array(this.recordCapacity);
    this.recSeq = new Int32Array(this.recordCapacity);
    this.recState = new Uint8Array(this.recordCapacity);
  }

  /** Regions handed out and not yet reclaimed (released ones behind a live older one included). */
  get liveRegions(): number {
    return this.regionCount;
  }

  /** Arena bytes between the tail and the head (including a skipped gap at the end after a wrap). */
  liveBytes(): number {
    if (this.regionCount === 0) return 0;
    return this.tail < this.head ? this.head - this.tail : this.arenaBytes - this.tail + this.head;
  }

  /** Places a region of `regionBytes` (header included, aligned) and returns its record index. */
  private place(regionBytes: number, usableBytes: number): number {
    if (regionBytes > this.arenaBytes) {
      throw new StrategyError(
        'E_TOO_LARGE',
        `one-big-struct: a buffer of ${usableBytes} bytes needs ${regionBytes} arena bytes but the arena holds ${this.arenaBytes}; raise the strategy option arenaBytes`,
      );
    }
    let start: number;
    if (this.regionCount === 0) {
      start = 0;
      this.tail = 0;
    } else if (this.regionCount === this.recordCapacity) {
      throw this.full(regionBytes, `all ${this.recordCapacity} region records are in use`);
    } else if (this.tail < this.head) {
      if (this.head + regionBytes <= this.arenaBytes) start = this.head;
      else if (regionBytes <= this.tail) start = 0;
      else throw this.full(regionBytes, 'no gap large enough before the end of the arena or before the oldest live region');
    } else if (this.head + regionBytes <= this.tail) {
      start = this.head;
    } else {
      throw this.full(regionBytes, 'the ring has wrapped and the gap before the oldest live region is too small');
    }
    const idx = (this.oldest + this.regionCount) & this.recordMask;
    const seq = (this.seq = (this.seq + 1) & SEQ_MASK);
    this.recStart[idx] = start;
    this.recEnd[idx] = start + regionBytes;
    this.recSeq[idx] = seq;
    this.recState[idx] = STATE_LIVE;
    this.regionCount++;
    this.head = start + regionBytes;
    const w = start >>> 2;
    this.words[w] = idx;
    this.words[w + 1] = seq;
    return idx;
  }

  private full(regionBytes: number, why: string): StrategyError {
    const oldestStart = this.recStart[this.oldest]!;
    return new StrategyError(
      'E_ARENA_FULL',
      `one-big-struct: cannot place ${regionBytes} bytes in the ${this.arenaBytes}-byte arena: ${why} ` +
        `(${this.regionCount} regions, ${this.liveBytes()} bytes live, oldest unreleased region at offset ${oldestStart}). ` +
        'Release buffers sooner (space is reclaimed oldest-first) or raise the strategy option arenaBytes.',
    );
  }

  private reclaim(idx: number): void {
    this.recState[idx] = STATE_RELEASED;
    this.counters.releases++;
    if (idx !== this.oldest) return;
    while (this.regionCount > 0 && this.recState[this.oldest] === STATE_RELEASED) {
      this.recState[this.oldest] = STATE_FREE;
      this.oldest = (this.oldest + 1) & this.recordMask;
      this.regionCount--;
    }
    if (this.regionCount === 0) {
      this.head = 0;
      this.tail = 0;
    } else {
      this.tail = this.recStart[this.oldest]!;
    }
  }

  alloc(bytes: number, out: RxCursor): void {
    checkLength(bytes, 'alloc');
    const idx = this.place(regionBytesFor(bytes), bytes);
    const start = this.recStart[idx]! + REGION_HEADER_BYTES;
    this.recLimit[idx] = start + bytes;
    out.buf = this.arena;
    out.start = start;
    out.end = start + bytes;
  }

  release(cur: RxCursor): void {
    const header = cur.start - REGION_HEADER_BYTES;
    let idx = -1;
    if (cur.buf === this.arena && header >= 0 && (header & (ALIGN_BYTES - 1)) === 0) {
      const w = header >>> 2;
      const candidate = this.words[w]!;
      if (
        candidate < this.recordCapacity &&
        this.recStart[candidate] === header &&
        this.recSeq[candidate] === this.words[w + 1] &&
        this.recState[candidate] === STATE_LIVE
      ) {
        idx = candidate;
      }
    }
    if (idx < 0) {
      throw new StrategyError(
        'E_BAD_RELEASE',
        'one-big-struct: release() got a cursor that is not a live region of this arena (already released, moved start, or from another strategy); release the cursor exactly as alloc/allocRx/retain returned it, once',
      );
    }
    this.reclaim(idx);
    clearCursor(cur);
  }

  /** A region with the headroom and tailroom of `layout`; the packet is built in place in the arena. */
  beginTx(frame: TxFrame, payloadBytes: number, layout: FrameLayout): void {
    checkLength(payloadBytes, 'beginTx');
    checkLength(layout.headroomBytes, 'beginTx headroom');
    checkLength(layout.tailroomBytes, 'beginTx tailroom');
    const usable = layout.headroomBytes + payloadBytes + layout.tailroomBytes;
    const idx = this.place(regionBytesFor(usable), usable);
    const base = this.recStart[idx]! + REGION_HEADER_BYTES;
    this.recLimit[idx] = base + usable;
    frame.buf = this.arena;
    frame.start = base + layout.headroomBytes;
    frame.end = frame.start + payloadBytes;
    // The region's sequence number, not just its record index: a stale copy of a released frame
    // whose record has been reused is then rejected rather than releasing someone else's region.
    frame.handle = this.recSeq[idx]!;
  }

  private checkFrame(frame: TxFrame, what: string): number {
    // Records and sequence numbers advance together from (index 0, seq 1), and the record capacity
    // divides the sequence range, so a region's record index is always (seq - 1) mod capacity.
    const idx = (frame.handle - 1) & this.recordMask;
    if (frame.buf !== this.arena || frame.handle < 0 || this.recSeq[idx] !== frame.handle || this.recState[idx] !== STATE_LIVE) {
      throw new StrategyError('E_BAD_RELEASE', `one-big-struct: ${what} on a frame that holds no live region (never begun, or already released)`);
    }
    return idx;
  }

  prepend(frame: TxFrame, headerBytes: number): void {
    checkLength(headerBytes, 'prepend');
    const idx = this.checkFrame(frame, 'prepend');
    const lowest = this.recStart[idx]! + REGION_HEADER_BYTES;
    if (frame.start - headerBytes < lowest) {
      throw new StrategyError(
        'E_NO_HEADROOM',
        `one-big-struct: prepend of ${headerBytes} header bytes but only ${frame.start - lowest} bytes of headroom are left; the sending layer must announce this header in FrameLayout.headroomBytes`,
      );
    }
    frame.start -= headerBytes;
  }

  append(frame: TxFrame, trailerBytes: number): void {
    checkLength(trailerBytes, 'append');
    const idx = this.checkFrame(frame, 'append');
    const limit = this.recLimit[idx]!;
    if (frame.end + trailerBytes > limit) {
      throw new StrategyError(
        'E_NO_TAILROOM',
        `one-big-struct: append of ${trailerBytes} trailer bytes but only ${limit - frame.end} bytes of tailroom are left; announce the trailer in FrameLayout.tailroomBytes`,
      );
    }
    frame.end += trailerBytes;
  }

  truncate(frame: TxFrame, bytes: number): void {
    this.truncateFrame(frame, bytes);
  }

  releaseTx(frame: TxFrame): void {
    this.reclaim(this.checkFrame(frame, 'releaseTx'));
    clearFrame(frame);
  }

  allocRx(bytes: number, out: RxCursor): void {
    this.alloc(bytes, out);
  }

  /** A cursor: `out` gets the same buffer with new bounds; no object is created, nothing is counted. */
  handUp(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    checkRange(src, start, end, 'handUp');
    out.buf = src;
    out.start = start;
    out.end = end;
  }

  retain(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    checkRange(src, start, end, 'retain');
    this.alloc(end - start, out);
    this.copy(src, start, end, out.buf, out.start);
  }
}
