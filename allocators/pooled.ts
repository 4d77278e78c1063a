/**
 * `pooled`: cstruct-style views over pooled pages. ArrayBuffer slabs are carved into power-of-two
 * size classes (64 B … 64 KiB); each class keeps a free list; buffers are given back explicitly with
 * `release` / `releaseTx`. Memory is not zeroed (a reused chunk holds its previous bytes), and every
 * chunk starts at a non-zero `byteOffset` (each slab begins with a 64-byte guard), so code that wrongly
 * assumes `buf.byteOffset === 0` or reads `buf.buffer` whole breaks under this strategy as it would
 * over a real pool.
 *
 * Design choice — pre-made chunk views: when a slab is carved, one `Uint8Array` view per chunk is
 * created (counted under `views`, at the miss that created the slab) and kept with the chunk for
 * the pool's lifetime. A hit pops a chunk id from the free list and hands out that same view object,
 * so a hit allocates nothing at all, neither a backing store nor a view. This is how an honest pool
 * in a managed runtime is built (cstruct pools keep their Bigarray pages; creating a fresh
 * `subarray` on every hit would put a JS-heap allocation back on the path the pool exists to clear).
 * The price: a chunk's view spans the whole size class, so the caller must use `[start, end)`, never
 * `buf.length`. Views handed up by `handUp` are fresh `subarray`s and are counted per call.
 *
 * Requests bigger than the largest class are a counted miss served by a dedicated ArrayBuffer
 * (also with the guard, so `byteOffset` stays non-zero) that is dropped on release.
 */
import { StrategyError, type BufferStrategy, type FrameLayout, type RxCursor, type StrategyOptions, type TxFrame } from './buffer-strategy.js';
import { checkLength, checkRange, clearCursor, clearFrame, CountingStrategy } from './strategy-common.js';

export const POOL_MIN_CLASS_SHIFT = 6;
export const POOL_MAX_CLASS_SHIFT = 16;
/** Smallest and largest size classes, in bytes. */
export const POOL_MIN_CLASS_BYTES = 1 << POOL_MIN_CLASS_SHIFT;
export const POOL_MAX_CLASS_BYTES = 1 << POOL_MAX_CLASS_SHIFT;
/** Unused bytes at the front of every slab, so that no chunk has `byteOffset` 0. */
export const POOL_GUARD_BYTES = 64;
export const DEFAULT_SLAB_BYTES = 256 * 1024;

const CLASS_COUNT = POOL_MAX_CLASS_SHIFT - POOL_MIN_CLASS_SHIFT + 1;
/** `TxFrame.handle` of a frame backed by a dedicated oversize buffer. */
const OVERSIZE_HANDLE = -2;

/** Index of the smallest class that holds `bytes`, or -1 when `bytes` exceeds the largest class. */
export function sizeClassOf(bytes: number): number {
  if (bytes <= POOL_MIN_CLASS_BYTES) return 0;
  if (bytes > POOL_MAX_CLASS_BYTES) return -1;
  return 32 - Math.clz32(bytes - 1) - POOL_MIN_CLASS_SHIFT;
}

export class PooledStrategy extends CountingStrategy implements BufferStrategy {
  readonly name = 'pooled' as const;
  readonly zeroed = false;
  readonly receiveMode = 'view' as const;
  readonly slabBytes: number;

  /** Per chunk id: its pre-made view (length = its class's size). */
  private readonly chunkView: Uint8Array[] = [];
  private readonly chunkClass: number[] = [];
  /** Per chunk id: 1 while handed out. */
  private readonly chunkInUse: number[] = [];
  /** Per chunk id: for a tx frame, the end of the reserved tailroom (offset into the chunk view). */
  private readonly chunkLimit: number[] = [];
  /** Per class: stack of free chunk ids. */
  private readonly freeLists: number[][] = [];
  /** View object → chunk id, for `release(cursor)`, whose cursor carries no handle. */
  private readonly idOfView = new Map<Uint8Array, number>();
  /** Live dedicated buffers for oversize requests. */
  private readonly oversizeLive = new Set<Uint8Array>();

  constructor(options: StrategyOptions = {}) {
    super();
    const slabBytes = options.slabBytes ?? DEFAULT_SLAB_BYTES;
    if (!Number.isInteger(slabBytes) || slabBytes < POOL_GUARD_BYTES + POOL_MIN_CLASS_BYTES) {
      throw new StrategyError('E_BAD_SIZE', `pooled: slabBytes ${slabBytes} must be an integer of at least ${POOL_GUARD_BYTES + POOL_MIN_CLASS_BYTES}`);
    }
    this.slabBytes = slabBytes;
    for (let i = 0; i < CLASS_COUNT; i++) this.freeLists.push([]);
  }

  /** Chunks currently on the free lists, per class (for tests and diagnostics). */
  freeChunks(): number[] {
    return this.freeLists.map((l) => l.length);
  }

  /** Takes a chunk of class `cls` (a hit from the free list, else a miss that carves a new slab). */
  private take(cls: number): number {
    const free = this.freeLists[cls]!;
    if (free.length > 0) {
      this.counters.poolHits++;
      const id = free.pop()!;
      this.chunkInUse[id] = 1;
      return id;
    }
    this.counters.poolMisses++;
    this.carveSlab(cls);
    const id = free.pop()!;
    this.chunkInUse[id] = 1;
    return id;
  }

  private carveSlab(cls: number): void {
    const classBytes = 1 << (cls + POOL_MIN_CLASS_SHIFT);
    const chunks = Math.max(1, Math.floor((this.slabBytes - POOL_GUARD_BYTES) / classBytes));
    const slabBytes = POOL_GUARD_BYTES + chunks * classBytes;
    const slab = new ArrayBuffer(slabBytes);
    const c = this.counters;
    c.allocations++;
    c.allocatedBytes += slabBytes;
    c.views += chunks;
    const free = this.freeLists[cls]!;
    // Pushed in reverse so that pops hand chunks out in address order.
    for (let k = chunks - 1; k >= 0; k--) {
      const view = new Uint8Array(slab, POOL_GUARD_BYTES + k * classBytes, classBytes);
      const id = this.chunkView.length;
      this.chunkView.push(view);
      this.chunkClass.push(cls);
      this.chunkInUse.push(0);
      this.chunkLimit.push(classBytes);
      this.idOfView.set(view, id);
      free.push(id);
    }
  }

  private oversize(bytes: number): Uint8Array {
    const c = this.counters;
    c.poolMisses++;
    c.allocations++;
    c.allocatedBytes += POOL_GUARD_BYTES + bytes;
    c.views++;
    const view = new Uint8Array(new ArrayBuffer(POOL_GUARD_BYTES + bytes), POOL_GUARD_BYTES, bytes);
    this.oversizeLive.add(view);
    return view;
  }

  alloc(bytes: number, out: RxCursor): void {
    checkLength(bytes, 'alloc');
    const cls = sizeClassOf(bytes);
    out.buf = cls < 0 ? this.oversize(bytes) : this.chunkView[this.take(cls)]!;
    out.start = 0;
    out.end = bytes;
  }

  release(cur: RxCursor): void {
    const buf = cur.buf;
    const id = this.idOfView.get(buf);
    if (id !== undefined) {
      this.giveBack(id, 'release');
    } else if (this.oversizeLive.delete(buf)) {
      this.counters.releases++;
    } else {
      throw new StrategyError(
        'E_BAD_RELEASE',
        'pooled: release() got a buffer this pool did not hand out (a handUp view, another strategy\'s buffer, or an already released oversize buffer); release only what alloc/allocRx/retain returned, once',
      );
    }
    clearCursor(cur);
  }

  private giveBack(id: number, what: string): void {
    if (this.chunkInUse[id] !== 1) {
      throw new StrategyError('E_BAD_RELEASE', `pooled: ${what} of chunk ${id}, which is already free (double release); release each buffer exactly once`);
    }
    this.chunkInUse[id] = 0;
    this.chunkLimit[id] = this.chunkView[id]!.length;
    this.freeLists[this.chunkClass[id]!]!.push(id);
    this.counters.releases++;
  }

  /** One chunk of the class that holds headroom + payload + tailroom; the payload starts after the headroom. */
  beginTx(frame: TxFrame, payloadBytes: number, layout: FrameLayout): void {
    checkLength(payloadBytes, 'beginTx');
    checkLength(layout.headroomBytes, 'beginTx headroom');
    checkLength(layout.tailroomBytes, 'beginTx tailroom');
    const total = layout.headroomBytes + payloadBytes + layout.tailroomBytes;
    const cls = sizeClassOf(total);
    if (cls < 0) {
      frame.buf = this.oversize(total);
      frame.handle = OVERSIZE_HANDLE;
    } else {
      const id = this.take(cls);
      this.chunkLimit[id] = total;
      frame.buf = this.chunkView[id]!;
      frame.handle = id;
    }
    frame.start = layout.headroomBytes;
    frame.end = layout.headroomBytes + payloadBytes;
  }

  prepend(frame: TxFrame, headerBytes: number): void {
    checkLength(headerBytes, 'prepend');
    if (headerBytes > frame.start) {
      throw new StrategyError(
        'E_NO_HEADROOM',
        `pooled: prepend of ${headerBytes} header bytes but only ${frame.start} bytes of headroom are left; the sending layer must announce this header in FrameLayout.headroomBytes`,
      );
    }
    frame.start -= headerBytes;
  }

  append(frame: TxFrame, trailerBytes: number): void {
    checkLength(trailerBytes, 'append');
    const limit = frame.handle >= 0 ? this.chunkLimit[frame.handle]! : frame.buf.length;
    if (frame.end + trailerBytes > limit) {
      throw new StrategyError(
        'E_NO_TAILROOM',
        `pooled: append of ${trailerBytes} trailer bytes but only ${limit - frame.end} bytes of tailroom are left; announce the trailer in FrameLayout.tailroomBytes`,
      );
    }
    frame.end += trailerBytes;
  }

  truncate(frame: TxFrame, bytes: number): void {
    this.truncateFrame(frame, bytes);
  }

  releaseTx(frame: TxFrame): void {
    if (frame.handle >= 0) {
      if (this.chunkView[frame.handle] !== frame.buf) {
        throw new StrategyError('E_BAD_RELEASE', `pooled: releaseTx of a frame whose handle ${frame.handle} does not match its buffer; do not modify frame.buf or frame.handle`);
      }
      this.giveBack(frame.handle, 'releaseTx');
    } else if (frame.handle === OVERSIZE_HANDLE && this.oversizeLive.delete(frame.buf)) {
      this.counters.releases++;
    } else {
      throw new StrategyError('E_BAD_RELEASE', 'pooled: releaseTx of a frame that holds no pooled buffer (never begun, or already released)');
    }
    clearFrame(frame);
  }

  allocRx(bytes: number, out: RxCursor): void {
    this.alloc(bytes, out);
  }

  /** A counted `subarray` view: shares memory with `src`, valid as long as `src` is. */
  handUp(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    checkRange(src, start, end, 'handUp');
    this.counters.views++;
    out.buf = src.subarray(start, end);
    out.start = 0;
    out.end = end - start;
  }

  retain(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    checkRange(src, start, end, 'retain');
    this.alloc(end - start, out);
    this.copy(src, start, end, out.buf, 0);
  }
}
