/**
 * What every strategy shares: the counters, bounds checks that throw `StrategyError`, and the one
 * place where bytes are copied (so that a copy never creates an uncounted view).
 */
import {
  emptyCounters,
  StrategyError,
  type RxCursor,
  type StrategyCounters,
  type TxFrame,
} from './buffer-strategy.js';

export const EMPTY_BYTES = new Uint8Array(0);

/**
 * Copies below this many bytes run as a plain loop: cheaper than creating the temporary
 * `subarray` view that `TypedArray.prototype.set` needs for a partial source range.
 */
export const LOOP_COPY_MAX_BYTES = 64;
const SCRATCH = new Uint8Array(LOOP_COPY_MAX_BYTES);

/** Throws `E_BAD_SIZE` unless `bytes` is a non-negative integer (a length, in bytes). */
export function checkLength(bytes: number, what: string): void {
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new StrategyError('E_BAD_SIZE', `${what}: ${bytes} is not a byte count (a non-negative integer); fix the caller's length computation`);
  }
}

/** Throws `E_BAD_SIZE` unless `0 <= start <= end <= buf.length`. */
export function checkRange(buf: Uint8Array, start: number, end: number, what: string): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buf.length)) {
    throw new StrategyError(
      'E_BAD_SIZE',
      `${what}: range [${start}, ${end}) is outside the ${buf.length}-byte buffer; the caller computed bad offsets`,
    );
  }
}

/**
 * How `copyBytes` copies a range longer than `LOOP_COPY_MAX_BYTES` between two different arrays:
 * - `native-memmove`: node's own buffer-copy binding (the C++ `memmove` behind `Buffer#copy`),
 *   called with (array, offset) arguments, so no view object is made;
 * - `subarray`: `dst.set(src.subarray(…))`, one temporary view per copy, counted under `views`.
 *
 * Why not `Buffer.prototype.copy`: on Node 20 it builds a `Uint8Array` view of a partial source
 * range internally — the same allocation, hidden from the counters. JavaScript itself has no
 * offset-taking copy between two buffers, and a JS loop costs about 2 ns per byte (ten times
 * `memmove` at 1400 bytes), so the binding is the only view-free copy fast enough for the data path.
 * It is an undocumented API (`process.binding`, deprecated as DEP0111), so it is used only after a
 * self-test at load proves its argument convention; otherwise the counted `subarray` path is taken.
 * Set `BUFLAB_RANGE_COPY=subarray` to force the view path (to measure what the views cost).
 */
export type RangeCopyPath = 'native-memmove' | 'subarray';

/** `copy(source, target, targetStart, sourceStart, x)`; `x` is the source end (Node 20) or a byte count (newer). */
type NativeCopy = (src: Uint8Array, dst: Uint8Array, dstStart: number, srcStart: number, x: number) => number;

function findNativeCopy(): { copy: NativeCopy | null; countArg: boolean } {
  const none = { copy: null, countArg: false };
  if (process.env['BUFLAB_RANGE_COPY'] === 'subarray') return none;
  const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (typeof binding !== 'function') return none;
  try {
    const copy = (binding.call(process, 'buffer') as { copy?: unknown }).copy;
    if (typeof copy !== 'function') return none;
    const fn = copy as NativeCopy;
    // Which convention? Copy source [2, 5) to target offset 1 and look at what landed.
    const src = new Uint8Array(256).map((_, i) => i);
    const dst = new Uint8Array(256);
    const n = fn(src, dst, 1, 2, 5);
    if (n === 3 && dst[0] === 0 && dst[1] === 2 && dst[3] === 4 && dst[4] === 0) return { copy: fn, countArg: false };
    dst.fill(0);
    const m = fn(src, dst, 1, 2, 3);
    if (m === 3 && dst[0] === 0 && dst[1] === 2 && dst[3] === 4 && dst[4] === 0) return { copy: fn, countArg: true };
    return none;
  } catch (err) {
    // Fine: a Node without this binding (or with another signature) gets the counted subarray
    // path, which is correct, only slower; say so once.
    process.emitWarning(`buflab: node's buffer copy binding is unusable (${(err as Error).message}); range copies will create counted views`);
    return none;
  }
}

const NATIVE = findNativeCopy();
const NATIVE_COPY: NativeCopy | null = NATIVE.copy;
const NATIVE_COUNT_ARG = NATIVE.countArg;

/** The path range copies take in this process (see `RangeCopyPath`). */
export const RANGE_COPY_PATH: RangeCopyPath = NATIVE_COPY === null ? 'subarray' : 'native-memmove';

/**
 * `dst[dstStart …] = src[srcStart, srcEnd)`, bounds-checked (throws `E_BAD_SIZE`). Returns 1 when it
 * had to create a temporary `subarray` view (counted by the caller under `views`), else 0: whole
 * arrays are passed to `set` directly, ranges within one array use `copyWithin`, short ranges are
 * copied by a loop, and longer ranges by the native `memmove` binding when `RANGE_COPY_PATH` is
 * `native-memmove`; none of these creates an object.
 */
export function copyBytes(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): number {
  checkRange(src, srcStart, srcEnd, 'copy source');
  const n = srcEnd - srcStart;
  checkRange(dst, dstStart, dstStart + n, 'copy destination');
  if (n === 0) return 0;
  if (src === dst) {
    dst.copyWithin(dstStart, srcStart, srcEnd);
    return 0;
  }
  if (srcStart === 0 && srcEnd === src.length) {
    dst.set(src, dstStart);
    return 0;
  }
  if (n <= LOOP_COPY_MAX_BYTES) {
    // Through a scratch buffer: two views of one ArrayBuffer may overlap (a chunk and a handed-up
    // view of it), and asking `.buffer` to find out would materialise an on-heap typed array's
    // backing store, a hidden allocation.
    for (let i = 0; i < n; i++) SCRATCH[i] = src[srcStart + i]!;
    for (let i = 0; i < n; i++) dst[dstStart + i] = SCRATCH[i]!;
    return 0;
  }
  if (NATIVE_COPY !== null) {
    // memmove: correct for overlapping views of one ArrayBuffer too. Both arrays are longer than
    // 64 bytes here, so neither is an on-heap typed array whose backing store the binding would
    // have to materialise (V8 keeps only arrays of at most 64 bytes on the heap).
    NATIVE_COPY(src, dst, dstStart, srcStart, NATIVE_COUNT_ARG ? n : srcEnd);
    return 0;
  }
  dst.set(src.subarray(srcStart, srcEnd), dstStart);
  return 1;
}

/** Points a cursor at nothing (after release), so a stale read through it sees no bytes. */
export function clearCursor(cur: RxCursor): void {
  cur.buf = EMPTY_BYTES;
  cur.start = 0;
  cur.end = 0;
}

export function clearFrame(frame: TxFrame): void {
  frame.buf = EMPTY_BYTES;
  frame.start = 0;
  frame.end = 0;
  frame.handle = -1;
}

/** Counters plus the counted operations whose behaviour does not depend on the strategy. */
export abstract class CountingStrategy {
  readonly counters: StrategyCounters = emptyCounters();

  /** Zeroes every counter in place (the object stays the same, so held references stay valid). */
  resetCounters(): void {
    const c = this.counters;
    c.allocations = 0;
    c.allocatedBytes = 0;
    c.copies = 0;
    c.copiedBytes = 0;
    c.views = 0;
    c.poolHits = 0;
    c.poolMisses = 0;
    c.releases = 0;
    c.foreignAllocations = 0;
    c.foreignBytes = 0;
  }

  copy(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void {
    const c = this.counters;
    c.views += copyBytes(src, srcStart, srcEnd, dst, dstStart);
    c.copies++;
    c.copiedBytes += srcEnd - srcStart;
  }

  copyInForeign(foreign: Uint8Array, dst: Uint8Array, dstStart: number): void {
    checkRange(dst, dstStart, dstStart + foreign.length, 'copyInForeign destination');
    dst.set(foreign, dstStart);
    const c = this.counters;
    c.foreignAllocations++;
    c.foreignBytes += foreign.length;
    c.copies++;
    c.copiedBytes += foreign.length;
  }

  countForeign(bytes: number): void {
    checkLength(bytes, 'countForeign');
    this.counters.foreignAllocations++;
    this.counters.foreignBytes += bytes;
  }

  /** `truncate` for every strategy: shrinking only moves `end`. Throws `E_BAD_SIZE` when asked to grow. */
  protected truncateFrame(frame: TxFrame, bytes: number): void {
    checkLength(bytes, 'truncate');
    if (bytes > frame.end - frame.start) {
      throw new StrategyError(
        'E_BAD_SIZE',
        `truncate to ${bytes} bytes: the frame holds only ${frame.end - frame.start}; truncate can only shrink (use append to grow)`,
      );
    }
    frame.end = frame.start + bytes;
  }
}
