/**
 * `poisoning`: a test strategy that wraps another one and makes two classes of bug loud.
 *
 * - Use after release: on `release` / `releaseTx` the released bytes are overwritten with
 *   {@link POISON_RELEASED} (0xDB) before the inner strategy gets them back, so a layer that keeps
 *   reading a buffer it gave back (or a view into it) sees 0xDB instead of the data it expects.
 * - Reliance on zeroed memory: every buffer handed out by `alloc`, `allocRx` and `beginTx`, and the
 *   bytes `prepend`/`append` add, are filled with {@link POISON_FRESH} (0xCD), so a codec that skips
 *   writing a "reserved, must be zero" field fails even though `uint8array` would have zeroed it.
 *   (`retain` and `handUp` are not filled: their bytes are a copy or a view of real data.)
 *
 * Counters are the inner strategy's (the same object), so allocation counts stay those of the
 * wrapped design; the scribbling itself is not counted. Not for benchmarks.
 */
import type { BufferStrategy, FrameLayout, RxCursor, StrategyCounters, TxFrame } from './buffer-strategy.js';

export const POISON_RELEASED = 0xdb;
export const POISON_FRESH = 0xcd;

export class PoisoningStrategy implements BufferStrategy {
  readonly name = 'poisoning' as const;
  readonly zeroed = false;
  readonly receiveMode: BufferStrategy['receiveMode'];

  constructor(readonly inner: BufferStrategy) {
    this.receiveMode = inner.receiveMode;
  }

  get counters(): StrategyCounters {
    return this.inner.counters;
  }

  resetCounters(): void {
    this.inner.resetCounters();
  }

  alloc(bytes: number, out: RxCursor): void {
    this.inner.alloc(bytes, out);
    out.buf.fill(POISON_FRESH, out.start, out.end);
  }

  release(cur: RxCursor): void {
    // Scribble first: after the inner release the cursor no longer says where the bytes were.
    cur.buf.fill(POISON_RELEASED, cur.start, cur.end);
    this.inner.release(cur);
  }

  beginTx(frame: TxFrame, payloadBytes: number, layout: FrameLayout): void {
    this.inner.beginTx(frame, payloadBytes, layout);
    frame.buf.fill(POISON_FRESH, frame.start, frame.end);
  }

  prepend(frame: TxFrame, headerBytes: number): void {
    this.inner.prepend(frame, headerBytes);
    frame.buf.fill(POISON_FRESH, frame.start, frame.start + headerBytes);
  }

  append(frame: TxFrame, trailerBytes: number): void {
    this.inner.append(frame, trailerBytes);
    frame.buf.fill(POISON_FRESH, frame.end - trailerBytes, frame.end);
  }

  truncate(frame: TxFrame, bytes: number): void {
    const oldEnd = frame.end;
    this.inner.truncate(frame, bytes);
    // The cut-off bytes are no longer the frame's: a codec that still reads them sees poison.
    frame.buf.fill(POISON_RELEASED, frame.end, oldEnd);
  }

  releaseTx(frame: TxFrame): void {
    frame.buf.fill(POISON_RELEASED, frame.start, frame.end);
    this.inner.releaseTx(frame);
  }

  allocRx(bytes: number, out: RxCursor): void {
    this.inner.allocRx(bytes, out);
    out.buf.fill(POISON_FRESH, out.start, out.end);
  }

  handUp(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    this.inner.handUp(src, start, end, out);
  }

  retain(src: Uint8Array, start: number, end: number, out: RxCursor): void {
    this.inner.retain(src, start, end, out);
  }

  copy(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void {
    this.inner.copy(src, srcStart, srcEnd, dst, dstStart);
  }

  copyInForeign(foreign: Uint8Array, dst: Uint8Array, dstStart: number): void {
    this.inner.copyInForeign(foreign, dst, dstStart);
  }

  countForeign(bytes: number): void {
    this.inner.countForeign(bytes);
  }
}
