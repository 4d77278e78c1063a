/**
 * The experiment's variable: how a protocol stack gets, shares and copies bytes.
 *
 * The stack never calls `new Uint8Array`, `Buffer.alloc*`, `slice` or `concat` on the data path;
 * it asks the cell's strategy, so the strategy alone decides what is allocated and copied, and its
 * counters are exact numbers rather than estimates (see docs/DESIGN.md, "How the stack talks
 * to a strategy").
 *
 * Bytes travel through the stack as *cursors*: a `(buf, start, end)` triple held in a small mutable
 * object that each layer allocates once and reuses. Passing cursors rather than `subarray()` views is
 * what lets `one-big-struct` be allocation-free: a view is a heap object of its own (about 33 ns and
 * 64+ bytes each), so strategies that hand up views count them under `views`.
 */

export const STRATEGY_NAMES = ['uint8array', 'pooled', 'one-big-struct'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Every counter is cumulative since construction or the last `resetCounters()`. */
export interface StrategyCounters {
  /** ArrayBuffer-backed allocations made by the strategy (fresh typed arrays, new slabs). */
  allocations: number;
  /** Bytes of those allocations. */
  allocatedBytes: number;
  /** Copies made by the strategy (prepend-by-concatenation, copy-on-receive, retain, copyIn). */
  copies: number;
  /** Bytes moved by those copies. */
  copiedBytes: number;
  /** Typed-array view objects created over existing memory (`subarray`); JS-heap objects, no backing store. */
  views: number;
  /** Acquisitions served from a free list (pooled only). */
  poolHits: number;
  /** Acquisitions that needed a new slab or an oversize allocation (pooled only). */
  poolMisses: number;
  /** Buffers handed back with `release` / `releaseTx`. */
  releases: number;
  /**
   * Allocations the stack cannot avoid and did not ask the strategy for: node:crypto returns a fresh
   * Buffer from every `update()` / `final()` / `digest()`. Counted apart so that the strategy's own
   * numbers stay exact while the API's cost stays visible.
   */
  foreignAllocations: number;
  /** Bytes of those foreign allocations. */
  foreignBytes: number;
}

/** The sum of several strategies' counters (a workload with one strategy per endpoint reports them together). */
export function sumCounters(parts: Iterable<StrategyCounters>): StrategyCounters {
  const sum = emptyCounters();
  const keys = Object.keys(sum) as Array<keyof StrategyCounters>;
  for (const c of parts) for (const k of keys) sum[k] += c[k];
  return sum;
}

/** `after − before`, counter by counter (what happened between two readings). */
export function diffCounters(after: StrategyCounters, before: StrategyCounters): StrategyCounters {
  const d = emptyCounters();
  for (const k of Object.keys(d) as Array<keyof StrategyCounters>) d[k] = after[k] - before[k];
  return d;
}

export function emptyCounters(): StrategyCounters {
  return {
    allocations: 0,
    allocatedBytes: 0,
    copies: 0,
    copiedBytes: 0,
    views: 0,
    poolHits: 0,
    poolMisses: 0,
    releases: 0,
    foreignAllocations: 0,
    foreignBytes: 0,
  };
}

/**
 * An outgoing frame under construction. The bytes of the frame so far are `buf[start, end)`.
 * Created once per endpoint with {@link newTxFrame} and reused for every packet.
 *
 * Ownership: between `beginTx` and `releaseTx` the frame's memory belongs to the layer that holds
 * it; after `releaseTx` `buf` must not be read (the poisoning strategy scribbles over it).
 */
export interface TxFrame {
  buf: Uint8Array;
  start: number;
  end: number;
  /** Strategy-private: which pooled chunk / region backs `buf` (−1 when none). */
  handle: number;
}

/**
 * A received packet or payload handed up the stack: the bytes are `buf[start, end)`.
 * Each layer owns one and reuses it; a layer may hand its own `RxCursor` to the layer above.
 * `buf` may be a view into memory the layer below still owns: it is valid only for the duration of
 * the `deliver` call unless the receiver calls `retain`.
 */
export interface RxCursor {
  buf: Uint8Array;
  start: number;
  end: number;
}

export function newTxFrame(): TxFrame {
  return { buf: EMPTY, start: 0, end: 0, handle: -1 };
}

export function newRxCursor(): RxCursor {
  return { buf: EMPTY, start: 0, end: 0 };
}

const EMPTY = new Uint8Array(0);

/** Sizes a sending layer announces so that the frame is allocated once with room for everything. */
export interface FrameLayout {
  /** Bytes reserved in front of the payload for the headers the lower layers will prepend. */
  headroomBytes: number;
  /** Bytes reserved after the payload for trailers (an AEAD tag, an HMAC) appended later. */
  tailroomBytes: number;
}

export interface BufferStrategy {
  readonly name: StrategyName | 'poisoning';
  /** Whether `alloc` and `beginTx` return zero-filled memory. Only `uint8array` does. */
  readonly zeroed: boolean;
  /**
   * How `handUp` passes a payload to the layer above: `copy` (a fresh array the upper layer owns),
   * `view` (a `subarray` over the same memory) or `cursor` (the same buffer, new offsets; no object).
   */
  readonly receiveMode: 'copy' | 'view' | 'cursor';
  readonly counters: StrategyCounters;
  resetCounters(): void;

  // ---- general-purpose buffers (allocation loop, reassembly queues, record buffers) ----

  /**
   * A buffer of exactly `bytes` bytes (`buf[start, start + bytes)`), written into `out`.
   * Not zeroed unless `zeroed` is true. Must be given back with `release(out)` when done; for
   * `one-big-struct` the region is reused by a later `alloc` of the same endpoint after release or
   * when the ring wraps, so holding it past its release is a use-after-release bug.
   */
  alloc(bytes: number, out: RxCursor): void;
  /** Gives a buffer from `alloc` or `retain` back. Idempotence is not promised: release once. */
  release(cur: RxCursor): void;

  // ---- send path ----

  /**
   * Starts a frame whose payload is `payloadBytes` long, with `layout`'s head- and tailroom reserved
   * where the strategy reserves room (`pooled`, `one-big-struct`). On return `buf[start, end)` is the
   * payload area, to be filled by the caller. `uint8array` allocates exactly `payloadBytes`.
   */
  beginTx(frame: TxFrame, payloadBytes: number, layout: FrameLayout): void;
  /**
   * Makes room for a `headerBytes` header in front of the frame and returns nothing: on return
   * `frame.start` is where the header goes and `buf[start, end)` covers header plus old contents.
   * `uint8array` allocates a new array of `headerBytes + length` and copies (the concatenating writer);
   * the others move `start` back into the headroom. Throws `StrategyError` `E_NO_HEADROOM` when a
   * reserving strategy has too little headroom (a layer under-announced its header).
   */
  prepend(frame: TxFrame, headerBytes: number): void;
  /** Like `prepend` for a trailer: on return the trailer's bytes are `buf[end - trailerBytes, end)`. */
  append(frame: TxFrame, trailerBytes: number): void;
  /** Shrinks the frame to `bytes` from `start` (e.g. padding not used). No allocation. */
  truncate(frame: TxFrame, bytes: number): void;
  /** The link has taken the frame: its memory may be reused. */
  releaseTx(frame: TxFrame): void;

  // ---- receive path ----

  /**
   * A receive buffer for a frame of `bytes` bytes arriving from the link (the NIC's DMA target),
   * written into `out`. Same contract as `alloc`; every strategy copies the frame into it exactly once.
   */
  allocRx(bytes: number, out: RxCursor): void;
  /**
   * Hands `src.buf[start, end)` up to the next layer in `out`: as a fresh copy (`copy`), a counted
   * `subarray` view (`view`) or the same buffer with new bounds (`cursor`). `out` may be `src`.
   */
  handUp(src: Uint8Array, start: number, end: number, out: RxCursor): void;
  /**
   * Keeps `src[start, end)` beyond the current call (a reassembly queue, a TLS record buffer):
   * always a copy into a buffer from `alloc`, which the caller must `release`.
   */
  retain(src: Uint8Array, start: number, end: number, out: RxCursor): void;

  // ---- copies the stack must make, counted ----

  /** `dst.set(src[srcStart, srcEnd), dstStart)`, counted as a copy. */
  copy(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void;
  /**
   * Records an allocation the stack could not avoid (e.g. node:crypto's output Buffer) and copies
   * it into `dst` at `dstStart`; counted under `foreign*` and `copies`.
   */
  copyInForeign(foreign: Uint8Array, dst: Uint8Array, dstStart: number): void;
  /** Records a foreign allocation without copying it (the bytes are used in place, then dropped). */
  countForeign(bytes: number): void;
}

/**
 * `E_ARENA_FULL` (added with the strategies): `one-big-struct` cannot place a region because live
 * (unreleased) regions occupy the arena; `E_UNKNOWN_STRATEGY`: `makeStrategy` got a name it does not know.
 */
export type StrategyErrorCode =
  | 'E_NO_HEADROOM'
  | 'E_NO_TAILROOM'
  | 'E_TOO_LARGE'
  | 'E_BAD_RELEASE'
  | 'E_BAD_SIZE'
  | 'E_ARENA_FULL'
  | 'E_UNKNOWN_STRATEGY';

/** Misuse of a strategy (a bug in the calling layer), never bad bytes from the wire. */
export class StrategyError extends Error {
  constructor(
    readonly code: StrategyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StrategyError';
  }
}

/** Options common to every strategy factory. */
export interface StrategyOptions {
  /**
   * `one-big-struct`: size of the endpoint's big buffer in bytes. Must hold the live working set
   * (the ring of retained buffers in the allocation loop, a window of frames in the stack).
   */
  arenaBytes?: number;
  /** `pooled`: bytes per slab. */
  slabBytes?: number;
}
