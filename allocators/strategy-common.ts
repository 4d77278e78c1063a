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
 * How `copyBytes` copies a range longer than `LOOP_COPY_MAX_BYTES` between two different arrays,
 * with public APIs only:
 * - `buffer-copy`: `Buffer.prototype.copy` called on the arrays with (target, targetStart,
 *   sourceStart, sourceEnd): from Node 22 on it copies a partial range natively (memmove) without
 *   creating a view — measured at 0.2 B of JS heap per copy on Node 22, 24 and 26 against 45–56 B
 *   for a view (test/allocators/range-copy.test.ts checks it on the running node);
 * - `subarray`: `dst.set(src.subarray(…))`, one temporary view per copy, counted under `views`.
 *   Node 20 takes this path: its `Buffer#copy` builds the same view internally for a partial
 *   source range, hidden from the counters, so the public view is the honest choice there.
 * - `native-copy`: a `memmove` in the native AEAD addon (stack/crypto/native/aead-addon.c
 *   `copyRange`), which takes offsets and so makes no view. Taken instead of `subarray` once a
 *   process has loaded that addon (`installNativeRangeCopy`, called by its loader; the dependency
 *   points from stack/ down to here): on Node 20 it makes `one-big-struct` with the `native` crypto
 *   backend allocation-free. Where the addon is absent the pure-JS `subarray` path stays.
 * JavaScript itself has no offset-taking copy between two buffers, and a JS loop costs about 2 ns
 * per byte (ten times `memmove` at 1400 bytes). The undocumented buffer binding's `copy` (DEP0111)
 * that earlier versions used is gone: its cost against these paths is in the README
 * ("Runtimes"). Set `BUFLAB_RANGE_COPY=subarray` to force the view path (to measure what views cost).
 */
export type RangeCopyPath = 'buffer-copy' | 'subarray' | 'native-copy';

/**
 * The path for this process: `buffer-copy` on Node 22 and later (not on runtimes that only imitate
 * Node's API, whose `Buffer#copy` was not checked), unless `BUFLAB_RANGE_COPY=subarray`.
 */
export function rangeCopyPathFor(versions: NodeJS.ProcessVersions, env: NodeJS.ProcessEnv): RangeCopyPath {
  if (env['BUFLAB_RANGE_COPY'] === 'subarray') return 'subarray';
  const imitation = (versions as Record<string, string | undefined>)['bun'] !== undefined || (versions as Record<string, string | undefined>)['deno'] !== undefined;
  const major = Number(versions.node.split('.')[0]);
  return !imitation && major >= 22 ? 'buffer-copy' : 'subarray';
}

/**
 * The path range copies take in this process (see `RangeCopyPath`). A live binding: it changes
 * once, from `subarray` to `native-copy`, when the native addon is loaded (`installNativeRangeCopy`);
 * readers that record it (the child's fork record) read it after the workload is built.
 */
export let RANGE_COPY_PATH: RangeCopyPath = rangeCopyPathFor(process.versions, process.env);

/** `Buffer.prototype.copy`, applied to plain `Uint8Array`s (it accepts any Uint8Array as source and target). */
const bufferCopy = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;
const USE_BUFFER_COPY = RANGE_COPY_PATH === 'buffer-copy';

/** `dst[dstStart …] = src[srcStart, srcEnd)` as memmove, ranges already checked; makes no object. */
export type NativeRangeCopy = (src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number) => void;
let nativeCopy: NativeRangeCopy | null = null;

/**
 * Makes `copy` the range copy of this process when the path would otherwise be `subarray` and
 * was not forced there (`BUFLAB_RANGE_COPY=subarray` keeps the view path, to measure what views
 * cost); returns the path in effect afterwards. Called by the native addon's loader.
 */
export function installNativeRangeCopy(copy: NativeRangeCopy, env: NodeJS.ProcessEnv = process.env): RangeCopyPath {
  if (RANGE_COPY_PATH === 'subarray' && env['BUFLAB_RANGE_COPY'] !== 'subarray') {
    nativeCopy = copy;
    RANGE_COPY_PATH = 'native-copy';
  }
  return RANGE_COPY_PATH;
}

/**
 * `dst[dstStart …] = src[srcStart, srcEnd)`, bounds-checked (throws `E_BAD_SIZE`). Returns 1 when it
 * had to create a temporary `subarray` view (counted by the caller under `views`), else 0: whole
 * arrays are passed to `set` directly, ranges within one array use `copyWithin`, short ranges are
 * copied by a loop, and longer ranges by `Buffer.prototype.copy` when `RANGE_COPY_PATH` is
 * `buffer-copy` or by the native addon's memmove when it is `native-copy`; none of these creates
 * an object.
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
  if (USE_BUFFER_COPY) {
    // memmove: correct for overlapping views of one ArrayBuffer too. Both arrays are longer than
    // 64 bytes here, so neither is an on-heap typed array whose backing store the copy would
    // have to materialise (V8 keeps only arrays of at most 64 bytes on the heap).
    bufferCopy.call(src, dst, dstStart, srcStart, srcEnd);
    return 0;
  }
  if (nativeCopy !== null) {
    // memmove too (overlap-safe); both arrays are over 64 bytes, so off-heap (as above).
    nativeCopy(src, srcStart, srcEnd, dst, dstStart);
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
