/**
 * The Ethernet II layer of one endpoint: prepends its header to outgoing frames, decodes incoming
 * ones and hands the payload to the protocol registered for the EtherType.
 */
import type { BufferStrategy, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import { newRxCursor } from '../../allocators/buffer-strategy.js';
import type { FrameReceiver, NetworkDevice } from '../link/device.js';
import { decodeEthernet, newEthernetHeader } from './packet.js';
import { BROADCAST_MAC_HALF, ETHERNET_HEADER_BYTES, macHi, macLo, writeEthernetHeader } from './wire.js';

/** A protocol above Ethernet (IPv4). `cur` is valid only during the call. */
export interface EthernetUpper {
  input(cur: RxCursor): void;
}

export interface EthernetCounters {
  received: number;
  sent: number;
  /** Frames the device refused (too large, queue full). */
  sendFailed: number;
  droppedTruncated: number;
  droppedNotEthernetII: number;
  /** Destination MAC neither ours nor broadcast. */
  droppedNotForUs: number;
  /** No protocol registered for the EtherType. */
  droppedUnknownEthertype: number;
}

export class EthernetLayer implements FrameReceiver {
  /** Bytes this layer and the ones below prepend to a payload. */
  readonly headroomBytes = ETHERNET_HEADER_BYTES;
  /** Largest payload (the IPv4 packet) a frame can carry. */
  readonly mtuBytes: number;
  readonly counters: EthernetCounters = {
    received: 0,
    sent: 0,
    sendFailed: 0,
    droppedTruncated: 0,
    droppedNotEthernetII: 0,
    droppedNotForUs: 0,
    droppedUnknownEthertype: 0,
  };
  private readonly rxHeader = newEthernetHeader();
  private readonly up: RxCursor = newRxCursor();
  private readonly uppers = new Map<number, EthernetUpper>();
  /** The last EtherType looked up and its receiver: a link carries one protocol in the main. */
  private lastType = -1;
  private lastUpper: EthernetUpper | undefined = undefined;
  /** Our MAC as two 24-bit halves: compared per frame without building a 48-bit double. */
  private readonly macHi: number;
  private readonly macLo: number;

  constructor(
    readonly strategy: BufferStrategy,
    readonly mac: number,
    private readonly device: NetworkDevice,
  ) {
    this.mtuBytes = device.mtuBytes;
    this.macHi = macHi(mac);
    this.macLo = macLo(mac);
    device.attach(strategy, this);
  }

  /** Registers the receiver of one EtherType (replaces any previous one). */
  register(ethertype: number, upper: EthernetUpper): void {
    this.uppers.set(ethertype, upper);
    this.lastType = -1;
    this.lastUpper = undefined;
  }

  /**
   * Prepends the Ethernet header to `frame` (whose contents are the payload), transmits it and
   * releases it: after this call `frame` holds no memory. Returns false when the device dropped it.
   * The destination MAC comes as its two 24-bit halves (`macHi` / `macLo` of wire.ts, computed once
   * per neighbour), so that no 48-bit double is split per frame.
   */
  send(frame: TxFrame, dstMacHi: number, dstMacLo: number, ethertype: number): boolean {
    this.strategy.prepend(frame, ETHERNET_HEADER_BYTES);
    writeEthernetHeader(frame.buf, frame.start, dstMacHi, dstMacLo, this.macHi, this.macLo, ethertype);
    const ok = this.device.transmit(frame);
    this.strategy.releaseTx(frame);
    if (ok) this.counters.sent++;
    else this.counters.sendFailed++;
    return ok;
  }

  input(cur: RxCursor): void {
    this.counters.received++;
    const h = this.rxHeader;
    const status = decodeEthernet(cur.buf, cur.start, cur.end, h);
    if (status === 'truncated') {
      this.counters.droppedTruncated++;
      return;
    }
    if (status === 'not-ethernet-ii') {
      this.counters.droppedNotEthernetII++;
      return;
    }
    const forUs = h.dstMacHi === this.macHi && h.dstMacLo === this.macLo;
    if (!forUs && !(h.dstMacHi === BROADCAST_MAC_HALF && h.dstMacLo === BROADCAST_MAC_HALF)) {
      this.counters.droppedNotForUs++;
      return;
    }
    let upper = this.lastUpper;
    if (h.ethertype !== this.lastType || upper === undefined) {
      upper = this.uppers.get(h.ethertype);
      this.lastType = h.ethertype;
      this.lastUpper = upper;
    }
    if (upper === undefined) {
      this.counters.droppedUnknownEthertype++;
      return;
    }
    this.strategy.handUp(cur.buf, cur.start + ETHERNET_HEADER_BYTES, cur.end, this.up);
    upper.input(this.up);
  }
}
