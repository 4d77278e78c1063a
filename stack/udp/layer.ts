/**
 * The UDP layer of one host (RFC 768): port demultiplexing, checksums, and the send path's frame
 * allocation (the top of the lower stack asks the strategy for a frame with the headroom of every
 * layer below).
 *
 * Receive: a datagram for a port nobody bound is dropped and counted (no ICMP port unreachable).
 * Send: checksums are computed unless the layer was built with `checksumOnSend: false`; frames are
 * begun with `beginDatagram` (through `Ipv4Layer.beginPacket`).
 */
import type { BufferStrategy, FrameLayout, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import { newRxCursor } from '../../allocators/buffer-strategy.js';
import type { Ipv4Layer, Ipv4Upper } from '../ipv4/layer.js';
import { PROTOCOL_UDP } from '../ipv4/wire.js';
import { addressSum, decodeUdp, fillUdpChecksumWithAddressSum, newUdpHeader } from './packet.js';
import { UDP_HEADER_BYTES, writeUdpHeader } from './wire.js';

/** What a bound port receives: `payload` is valid only during the call. */
export interface UdpListener {
  onDatagram(payload: RxCursor, srcIp: number, srcPort: number, dstPort: number): void;
}

export interface UdpCounters {
  received: number;
  delivered: number;
  sent: number;
  /** Sends refused below (no route, too big, device drop). */
  sendFailed: number;
  droppedTruncated: number;
  droppedBadLength: number;
  droppedBadChecksum: number;
  /** No listener on the destination port. */
  droppedNoListener: number;
  /** Datagrams received with checksum 0 ("none"): accepted. */
  withoutChecksum: number;
}

/** The layout of a datagram whose payload is written directly (no layer between it and UDP). */
const NOTHING_ABOVE: FrameLayout = { headroomBytes: 0, tailroomBytes: 0 };

export interface UdpLayerOptions {
  /** Compute checksums on send (default true); false sends 0, "no checksum". */
  checksumOnSend?: boolean;
}

export class UdpLayer implements Ipv4Upper {
  /** Bytes UDP and the layers below prepend to a payload. */
  readonly headroomBytes: number;
  /** Largest UDP payload that fits in one frame (no fragmentation). */
  readonly maxPayloadBytes: number;
  readonly strategy: BufferStrategy;
  readonly counters: UdpCounters = {
    received: 0,
    delivered: 0,
    sent: 0,
    sendFailed: 0,
    droppedTruncated: 0,
    droppedBadLength: 0,
    droppedBadChecksum: 0,
    droppedNoListener: 0,
    withoutChecksum: 0,
  };
  private readonly checksumOnSend: boolean;
  private readonly rxHeader = newUdpHeader();
  private readonly up: RxCursor = newRxCursor();
  private readonly listeners = new Map<number, UdpListener>();
  /** The last destination port looked up and its listener (a tunnel endpoint uses one port). */
  private lastPort = -1;
  private lastListener: UdpListener | undefined = undefined;
  /** Our address's share of the pseudo-header sum, computed once (a small integer). */
  private readonly ownAddressSum: number;

  constructor(
    private readonly ipv4: Ipv4Layer,
    options: UdpLayerOptions = {},
  ) {
    this.strategy = ipv4.strategy;
    this.headroomBytes = UDP_HEADER_BYTES + ipv4.headroomBytes;
    this.maxPayloadBytes = ipv4.maxPayloadBytes - UDP_HEADER_BYTES;
    this.checksumOnSend = options.checksumOnSend ?? true;
    this.ownAddressSum = addressSum(ipv4.address);
    ipv4.register(PROTOCOL_UDP, this);
  }

  get address(): number {
    return this.ipv4.address;
  }

  /** Binds `port`; throws `RangeError` when it is already bound (a configuration error). */
  bind(port: number, listener: UdpListener): void {
    if (this.listeners.has(port)) throw new RangeError(`UDP port ${port} is already bound: unbind it first`);
    this.listeners.set(port, listener);
    this.lastPort = -1;
    this.lastListener = undefined;
  }

  unbind(port: number): void {
    this.listeners.delete(port);
    this.lastPort = -1;
    this.lastListener = undefined;
  }

  /**
   * Starts an outgoing datagram: on return `frame.buf[frame.start, frame.end)` is the payload area
   * of `payloadBytes` bytes (not zeroed unless the strategy zeroes), with headroom for UDP, IPv4 and
   * Ethernet. Fill it (optionally `strategy.truncate` it), then call `sendTo`.
   *
   * A layer above UDP that adds its own header and trailer (a tunnel's data channel) passes its
   * `above` layout: the area is then its plaintext, with its headroom and tailroom reserved too;
   * it prepends and appends them, then calls `sendTo`. Every UDP sender begins frames here.
   */
  beginDatagram(frame: TxFrame, payloadBytes: number, above: FrameLayout = NOTHING_ABOVE): void {
    this.ipv4.beginPacket(frame, payloadBytes, UDP_HEADER_BYTES + above.headroomBytes, above.tailroomBytes);
  }

  /**
   * Prepends the UDP header to `frame` (the payload) and sends it down. Always consumes the frame
   * (transmitted and released, or released and counted). Returns false when a layer refused it.
   */
  sendTo(frame: TxFrame, srcPort: number, dstIp: number, dstPort: number): boolean {
    this.strategy.prepend(frame, UDP_HEADER_BYTES);
    // Checksum 0 until filled below (or left 0, "none", with `checksumOnSend: false`).
    writeUdpHeader(frame.buf, frame.start, srcPort, dstPort, frame.end - frame.start, 0);
    if (this.checksumOnSend) {
      // The destination's halves are summed here (dstIp arrives boxed if ≥ 2^31; arithmetic on it
      // allocates nothing, passing our own address from a field into a call would).
      fillUdpChecksumWithAddressSum(frame.buf, frame.start, frame.end, this.ownAddressSum + (dstIp >>> 16) + (dstIp & 0xffff));
    }
    const ok = this.ipv4.send(frame, PROTOCOL_UDP, dstIp);
    if (ok) this.counters.sent++;
    else this.counters.sendFailed++;
    return ok;
  }

  input(cur: RxCursor, srcIp: number, dstIp: number): void {
    this.counters.received++;
    const h = this.rxHeader;
    const status = decodeUdp(cur.buf, cur.start, cur.end, srcIp, dstIp, h);
    switch (status) {
      case 'truncated':
        this.counters.droppedTruncated++;
        return;
      case 'bad-length':
        this.counters.droppedBadLength++;
        return;
      case 'bad-checksum':
        this.counters.droppedBadChecksum++;
        return;
      case 'ok':
        break;
    }
    if (h.checksum === 0) this.counters.withoutChecksum++;
    let listener = this.lastListener;
    if (h.dstPort !== this.lastPort || listener === undefined) {
      listener = this.listeners.get(h.dstPort);
      this.lastPort = h.dstPort;
      this.lastListener = listener;
    }
    if (listener === undefined) {
      this.counters.droppedNoListener++;
      return;
    }
    this.counters.delivered++;
    this.strategy.handUp(cur.buf, cur.start + UDP_HEADER_BYTES, cur.start + h.length, this.up);
    listener.onDatagram(this.up, srcIp, h.srcPort, h.dstPort);
  }
}
