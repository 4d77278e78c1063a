/**
 * The seam between the Ethernet layer and whatever carries its frames (the in-memory link here;
 * a TAP device or a socket elsewhere). Mirrors mirage-net's `NETWORK` signature.
 */
import type { BufferStrategy, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';

/** Receives whole frames from a device: `cur.buf[start, end)` is one Ethernet frame. */
export interface FrameReceiver {
  /**
   * Called once per frame. The bytes are valid only during the call: the device releases the
   * receive buffer when `input` returns (a layer that keeps bytes must `retain` them).
   */
  input(cur: RxCursor): void;
}

export interface NetworkDevice {
  /** Largest Ethernet payload the device carries (1500 for Ethernet). */
  readonly mtuBytes: number;
  /**
   * Takes the frame `frame.buf[start, end)` (a whole Ethernet frame). When this returns, the device
   * no longer reads `frame`: the caller may `releaseTx` it. Returns false when the frame was dropped
   * (too large, queue full), which the device counts.
   */
  transmit(frame: TxFrame): boolean;
  /**
   * Connects the receiving side: frames for this endpoint are copied into buffers from
   * `strategy.allocRx` (one copy per frame, like a NIC's DMA) and passed to `receiver.input`.
   */
  attach(strategy: BufferStrategy, receiver: FrameReceiver): void;
}
