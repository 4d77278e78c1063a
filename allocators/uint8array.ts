/**
 * `uint8array`: what typical JavaScript code does. Every buffer is a fresh, zeroed
 * `new Uint8Array(n)`; each layer that prepends or appends allocates a new array of header plus
 * contents and copies (the concatenating writer, like ocaml-tls' writer); every received payload
 * handed up is a fresh copy that the upper layer owns. Nothing is ever reused, so `release` only
 * counts and forgets. Arrays of 64 bytes or less live on the V8 heap (on-heap typed arrays); larger
 * ones get a backing store from the native allocator — this is the strategy the allocator axis moves.
 */
import { type BufferStrategy, type FrameLayout, type RxCursor, type TxFrame } from './buffer-strategy.js';
import { checkLength, checkRange, clearCursor, clearFrame, CountingStrategy } from './strategy-common.js';

export class Uint8ArrayStrategy extends CountingStrategy implements BufferStrategy {
  readonly name = 'uint8array' as const;
  readonly zeroed = true;
  readonly receiveMode = 'copy' as const;

  private fresh(bytes: number): Uint8Array {
    const c = this.counters;
    c.allocations++;
    c.allocatedBytes += bytes;
    return new Uint8Array(bytes);
  }

  alloc(bytes: number, out: RxCursor): void {
    checkLength(bytes, 'alloc');
    out.buf = this.fresh(bytes);
    out.start = 0;
    out.end = bytes;
  }

  release(cur: RxCursor): void {
    this.counters.releases++;
    clearCursor(cur);
  }

  beginTx(frame: TxFrame, payloadBytes: number, _layout: FrameLayout): void {
    checkLength(payloadBytes, 'beginTx');
    frame.buf = this.fresh(payloadBytes);
    frame.start = 0;
    frame.end = payloadBytes;
    frame.handle = -1;
  }

  /** Concatenation: a new array of `headerBytes + length`, the old contents copied after the header. */
  prepend(frame: TxFrame, headerBytes: number): void {
    checkLength(headerBytes, 'prepend');
    const length = frame.end - frame.start;
    const next = this.fresh(headerBytes + length);
    this.copy(frame.buf, frame.start, frame.end, next, headerBytes);
    frame.buf = next;
    frame.start = 0;
    frame.end = headerBytes + length;
  }

  /** Concatenation: a new array of `length + trailerBytes`, the old contents copied to its front. */
  append(frame: TxFrame, trailerBytes: number): void {
    checkLength(trailerBytes, 'append');
    const length = frame.end - frame.start;
    const next = this.fresh(length + trailerBytes);
    this.copy(frame.buf, frame.start, frame.end, next, 0);
    frame.buf = next;
    frame.start = 0;
    frame.end = length + trailerBytes;
  }

  truncate(frame: TxFrame, bytes: number): void {
    this.truncateFrame(frame, bytes);
  }

  releaseTx(frame: TxFrame): void {
    this.counters.releases++;
    clearFrame(frame);
  }

  allocRx(bytes: number, out: RxCursor): void {
    this.alloc(bytes, out);
  }

  /**
   * A fresh array the upper layer owns: one allocation and one copy of `end - start` bytes, made by
   * `slice` (allocate and copy in one call, no temporary view), as typical JavaScript code does.
   */
  handUp(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    checkRange(src, start, end, 'handUp');
    const length = end - start;
    let next: Uint8Array;
    if (src.constructor === Uint8Array) {
      const c = this.counters;
      c.allocations++;
      c.allocatedBytes += length;
      c.copies++;
      c.copiedBytes += length;
      next = src.slice(start, end);
    } else {
      // A Node Buffer's `slice` is a view, not a copy (and its species constructor is deprecated).
      next = this.fresh(length);
      this.copy(src, start, end, next, 0);
    }
    out.buf = next;
    out.start = 0;
    out.end = length;
  }

  retain(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    this.handUp(src, start, end, out);
  }
}

