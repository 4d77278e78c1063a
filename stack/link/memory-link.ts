/**
 * An in-memory Ethernet cable between two endpoints (`a` and `b`), for running a client and a
 * server stack in one process.
 *
 * Delivery is **queued, drained by the caller** (`drain()`), never synchronous: `transmit` copies
 * the frame into a buffer from the *receiver's* strategy (`allocRx`, then `copy` — the NIC's DMA,
 * one counted copy per frame under every strategy) and appends it to the receiver's ring; frames
 * are handed to the receiver's stack only by `drain()`. So a server that answers from inside its
 * receive callback never re-enters the client's stack (or its own) mid-packet, every TxFrame is
 * released before any receive code runs, and the call depth stays constant however long the
 * exchange. The ring has a fixed number of slots (`queueFrames`, allocated once); a frame arriving
 * at a full ring is dropped and counted, as a NIC would.
 */
import type { BufferStrategy, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import { newRxCursor } from '../../allocators/buffer-strategy.js';
import { ETHERNET_HEADER_BYTES } from '../ethernet/wire.js';
import type { FrameReceiver, NetworkDevice } from './device.js';

export interface MemoryLinkOptions {
  /** Largest Ethernet payload carried (default 1500). */
  mtuBytes?: number;
  /** Receive ring slots per endpoint (default 64). */
  queueFrames?: number;
}

export interface LinkEndpointCounters {
  /** Frames this endpoint transmitted and the peer's ring accepted. */
  transmitted: number;
  transmittedBytes: number;
  /** Frames delivered to this endpoint's receiver by `drain`. */
  delivered: number;
  /** Dropped at transmit: larger than MTU + 14 bytes. */
  droppedOversize: number;
  /** Dropped at transmit: the peer's ring was full. */
  droppedQueueFull: number;
  /** Dropped at transmit: the peer has no receiver attached. */
  droppedNoReceiver: number;
}

/** Thrown when the link is misused (draining while draining). */
export class LinkError extends Error {
  constructor(
    readonly code: 'E_LINK_REENTRANT_DRAIN',
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export class LinkEndpoint implements NetworkDevice {
  readonly mtuBytes: number;
  readonly counters: LinkEndpointCounters = {
    transmitted: 0,
    transmittedBytes: 0,
    delivered: 0,
    droppedOversize: 0,
    droppedQueueFull: 0,
    droppedNoReceiver: 0,
  };
  peer!: LinkEndpoint;
  private strategy: BufferStrategy | null = null;
  private receiver: FrameReceiver | null = null;
  private readonly ring: RxCursor[];
  private head = 0;
  private count = 0;

  constructor(mtuBytes: number, queueFrames: number) {
    this.mtuBytes = mtuBytes;
    this.ring = Array.from({ length: queueFrames }, () => newRxCursor());
  }

  attach(strategy: BufferStrategy, receiver: FrameReceiver): void {
    this.strategy = strategy;
    this.receiver = receiver;
  }

  /** Frames waiting in this endpoint's receive ring. */
  get queuedFrames(): number {
    return this.count;
  }

  transmit(frame: TxFrame): boolean {
    const bytes = frame.end - frame.start;
    if (bytes > this.mtuBytes + ETHERNET_HEADER_BYTES) {
      this.counters.droppedOversize++;
      return false;
    }
    const peer = this.peer;
    if (peer.strategy === null) {
      this.counters.droppedNoReceiver++;
      return false;
    }
    if (!peer.enqueue(peer.strategy, frame.buf, frame.start, frame.end)) {
      this.counters.droppedQueueFull++;
      return false;
    }
    this.counters.transmitted++;
    this.counters.transmittedBytes += bytes;
    return true;
  }

  private enqueue(strategy: BufferStrategy, src: Uint8Array, start: number, end: number): boolean {
    if (this.count === this.ring.length) return false;
    let at = this.head + this.count;
    if (at >= this.ring.length) at -= this.ring.length;
    const slot = this.ring[at]!;
    const bytes = end - start;
    strategy.allocRx(bytes, slot);
    strategy.copy(src, start, end, slot.buf, slot.start);
    slot.end = slot.start + bytes;
    this.count++;
    return true;
  }

  /** Delivers the oldest queued frame, then releases its buffer. Returns false when none queued. */
  deliverOne(): boolean {
    if (this.count === 0) return false;
    const slot = this.ring[this.head]!;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.count--;
    this.counters.delivered++;
    this.receiver!.input(slot);
    this.strategy!.release(slot);
    return true;
  }
}

export class MemoryLink {
  readonly a: LinkEndpoint;
  readonly b: LinkEndpoint;
  private draining = false;

  constructor(options: MemoryLinkOptions = {}) {
    const mtu = options.mtuBytes ?? 1500;
    const slots = options.queueFrames ?? 64;
    this.a = new LinkEndpoint(mtu, slots);
    this.b = new LinkEndpoint(mtu, slots);
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  /**
   * Delivers queued frames, alternating between the endpoints, until both rings are empty (frames
   * queued by receivers while draining are delivered too) or `maxFrames` were delivered.
   * Returns the number delivered. Throws `LinkError` `E_LINK_REENTRANT_DRAIN` if called from a
   * receive callback: receivers only transmit; the outermost caller drains.
   */
  drain(maxFrames = Number.POSITIVE_INFINITY): number {
    if (this.draining) throw new LinkError('E_LINK_REENTRANT_DRAIN', 'MemoryLink.drain() called from inside a receive callback: only the outermost caller drains');
    this.draining = true;
    let delivered = 0;
    try {
      while (delivered < maxFrames) {
        let progressed = false;
        if (this.a.deliverOne()) {
          delivered++;
          progressed = true;
        }
        if (delivered < maxFrames && this.b.deliverOne()) {
          delivered++;
          progressed = true;
        }
        if (!progressed) break;
      }
    } finally {
      this.draining = false;
    }
    return delivered;
  }
}
