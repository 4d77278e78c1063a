/**
 * The IPv4 layer of one host (RFC 791, host requirements of RFC 1122 §3.2.1).
 *
 * - Sends with TTL 64 and DF set; never fragments (a packet larger than the MTU is refused and
 *   counted as `sendTooBig`).
 * - Receives: verifies version, lengths and header checksum; drops packets not addressed to us
 *   (no forwarding); **fragments are refused and counted, never reassembled** (`droppedFragment`);
 *   **options are tolerated**: covered by the checksum, skipped, not interpreted.
 * - TTL on receive is not checked: RFC 1122 §3.2.1.7: "A host MUST NOT discard a datagram just
 *   because it was received with TTL less than 2."
 * - No ARP: the next hop's MAC comes from a static neighbour table (`addNeighbour`); over a
 *   point-to-point link the neighbour entry only says "this address is reachable" (MAC ignored).
 */
import type { BufferStrategy, FrameLayout, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import { newRxCursor } from '../../allocators/buffer-strategy.js';
import type { EthernetLayer, EthernetUpper } from '../ethernet/layer.js';

/**
 * What IPv4 needs from the link below: Ethernet (`EthernetLayer`), or a point-to-point link without
 * link headers (a tun device; ../link/point-to-point.ts), which ignores the next hop's MAC.
 */
export interface Ipv4Link extends Pick<EthernetLayer, 'strategy' | 'mtuBytes' | 'register' | 'send'> {
  /** Bytes the link and the layers below prepend to an IPv4 packet. */
  readonly headroomBytes: number;
}
import { ETHERTYPE_IPV4, macHi, macLo } from '../ethernet/wire.js';
import { decodeIpv4, newIpv4Header } from './packet.js';
import { sumWords } from '../checksum.js';
import { FLAG_DF, IPV4_MIN_HEADER_BYTES, writeIpv4Header } from './wire.js';

/** A transport above IPv4. `cur` is the transport's packet, valid only during the call. */
export interface Ipv4Upper {
  input(cur: RxCursor, srcIp: number, dstIp: number): void;
}

export interface Ipv4Counters {
  received: number;
  delivered: number;
  sent: number;
  /** Refused before sending: no neighbour entry for the destination. */
  sendNoRoute: number;
  /** Refused before sending: larger than the MTU and fragmentation is not implemented. */
  sendTooBig: number;
  droppedTruncated: number;
  droppedBadVersion: number;
  droppedBadHeaderLength: number;
  droppedBadTotalLength: number;
  droppedBadChecksum: number;
  droppedNotForUs: number;
  droppedFragment: number;
  droppedUnknownProtocol: number;
  /** Packets that carried options (accepted; the options were skipped). */
  withOptions: number;
}

export const DEFAULT_TTL = 64;

/** A neighbour's MAC, split once into the 24-bit halves the Ethernet layer writes. */
interface NextHop {
  macHi: number;
  macLo: number;
}

export class Ipv4Layer implements EthernetUpper {
  readonly headroomBytes: number;
  /** Largest transport packet (IPv4 payload) that fits in one frame. */
  readonly maxPayloadBytes: number;
  readonly strategy: BufferStrategy;
  readonly counters: Ipv4Counters = {
    received: 0,
    delivered: 0,
    sent: 0,
    sendNoRoute: 0,
    sendTooBig: 0,
    droppedTruncated: 0,
    droppedBadVersion: 0,
    droppedBadHeaderLength: 0,
    droppedBadTotalLength: 0,
    droppedBadChecksum: 0,
    droppedNotForUs: 0,
    droppedFragment: 0,
    droppedUnknownProtocol: 0,
    withOptions: 0,
  };
  private readonly rxHeader = newIpv4Header();
  private readonly up: RxCursor = newRxCursor();
  private readonly uppers = new Map<number, Ipv4Upper>();
  /** The last protocol looked up and its receiver (one transport carries the bulk of the traffic). */
  private lastProtocol = -1;
  private lastUpper: Ipv4Upper | undefined = undefined;
  private readonly neighbours = new Map<number, NextHop>();
  /** The last destination looked up and its next hop: a tunnel or a client sends to one peer. */
  private lastDstIp = -1;
  private lastHop: NextHop | undefined = undefined;
  private nextId = 0;
  /**
   * The send template for the last (protocol, destination): a 20-byte header with Total Length, ID
   * and checksum zero, and the one's complement word sum of it (unfolded, a small integer).
   */
  private readonly fixedHeader = new Uint8Array(IPV4_MIN_HEADER_BYTES);
  private fixedSum = 0;
  /** Address halves (small integers) of our address and the template's destination. */
  private readonly srcHi: number;
  private readonly srcLo: number;
  private fixedDstHi = 0;
  private fixedDstLo = 0;
  private fixedDstIp = -1;
  private fixedProtocol = -1;
  /**
   * The source and destination addresses handed up, held as elements of a generic (tagged) array.
   * An address ≥ 128.0.0.0 is not a small integer: read from a header field and passed to a call,
   * V8 boxes it into a fresh heap number per packet; an element of this array is one heap number
   * created when the value changes and then passed as it is. Index 0: last source, 1: our address.
   */
  private readonly upAddresses: Array<number | null> = [null, null];
  private lastSrc = -1;
  /** Filled per `beginPacket` (two stores, no allocation): the strategy only reads it. */
  private readonly txLayout: FrameLayout = { headroomBytes: 0, tailroomBytes: 0 };

  constructor(
    private readonly ethernet: Ipv4Link,
    readonly address: number,
  ) {
    this.strategy = ethernet.strategy;
    this.headroomBytes = IPV4_MIN_HEADER_BYTES + ethernet.headroomBytes;
    this.maxPayloadBytes = ethernet.mtuBytes - IPV4_MIN_HEADER_BYTES;
    this.srcHi = address >>> 16;
    this.srcLo = address & 0xffff;
    this.upAddresses[1] = address;
    ethernet.register(ETHERTYPE_IPV4, this);
  }

  /** Static neighbour entry: packets to `ip` go to Ethernet address `mac`. */
  addNeighbour(ip: number, mac: number): void {
    this.neighbours.set(ip, { macHi: macHi(mac), macLo: macLo(mac) });
    this.lastDstIp = -1;
    this.lastHop = undefined;
  }

  /** Builds the send template (see `fixedHeader`) for `protocol` and `dstIp`. */
  private prepareFixed(protocol: number, dstIp: number): void {
    // The same writer and constants as `send`, with Total Length, ID and checksum zero.
    writeIpv4Header(this.fixedHeader, 0, 0, 0, 0, FLAG_DF, DEFAULT_TTL, protocol, 0, this.srcHi, this.srcLo, dstIp >>> 16, dstIp & 0xffff);
    this.fixedSum = sumWords(this.fixedHeader, 0, IPV4_MIN_HEADER_BYTES, 0);
    this.fixedDstIp = dstIp;
    this.fixedDstHi = dstIp >>> 16;
    this.fixedDstLo = dstIp & 0xffff;
    this.fixedProtocol = protocol;
  }

  /** Registers the receiver of one IP protocol number (replaces any previous one). */
  register(protocol: number, upper: Ipv4Upper): void {
    this.uppers.set(protocol, upper);
    this.lastProtocol = -1;
    this.lastUpper = undefined;
  }

  /**
   * Begins an outgoing packet — the one way every transport (and anything above it) begins a frame:
   * on return `frame.buf[frame.start, frame.end)` is the area of `payloadBytes` bytes for the
   * topmost layer (not zeroed unless the strategy zeroes), with `aboveHeaderBytes` (the headers the
   * layers between it and IPv4 will prepend) plus IPv4's and Ethernet's headroom in front, and
   * `tailroomBytes` behind (trailers appended later). Fill it, let each layer prepend, then `send`.
   */
  beginPacket(frame: TxFrame, payloadBytes: number, aboveHeaderBytes: number, tailroomBytes: number): void {
    const layout = this.txLayout;
    layout.headroomBytes = aboveHeaderBytes + this.headroomBytes;
    layout.tailroomBytes = tailroomBytes;
    this.strategy.beginTx(frame, payloadBytes, layout);
  }

  /**
   * Prepends an IPv4 header to `frame` (the transport packet) and sends it. Always consumes the
   * frame: on return it has been transmitted and released, or released and counted as refused.
   */
  send(frame: TxFrame, protocol: number, dstIp: number): boolean {
    let hop = this.lastHop;
    if (dstIp !== this.lastDstIp || hop === undefined) {
      hop = this.neighbours.get(dstIp);
      this.lastDstIp = dstIp;
      this.lastHop = hop;
    }
    if (hop === undefined) {
      this.counters.sendNoRoute++;
      this.strategy.releaseTx(frame);
      return false;
    }
    const payloadBytes = frame.end - frame.start;
    if (payloadBytes > this.maxPayloadBytes) {
      this.counters.sendTooBig++;
      this.strategy.releaseTx(frame);
      return false;
    }
    this.strategy.prepend(frame, IPV4_MIN_HEADER_BYTES);
    if (dstIp !== this.fixedDstIp || protocol !== this.fixedProtocol) this.prepareFixed(protocol, dstIp);
    const totalLength = IPV4_MIN_HEADER_BYTES + payloadBytes;
    const id = this.nextId;
    // RFC 6864 §4.1: the ID of an atomic datagram (DF=1, MF=0, offset 0) carries no meaning;
    // a counter is as good as anything.
    this.nextId = (id + 1) & 0xffff;
    // Only Total Length and ID change between packets to one destination: the header is the fixed
    // template plus those two words, and its checksum the template's word sum plus theirs
    // (RFC 1071 §2(B): the sum is commutative; RFC 1624 incremental update from a known sum).
    let sum = this.fixedSum + totalLength + id;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    // RFC 791: TOS 0, DF set, fragment offset 0; every argument a small integer (no boxing).
    writeIpv4Header(frame.buf, frame.start, 0, totalLength, id, FLAG_DF, DEFAULT_TTL, protocol, ~sum & 0xffff, this.srcHi, this.srcLo, this.fixedDstHi, this.fixedDstLo);
    const ok = this.ethernet.send(frame, hop.macHi, hop.macLo, ETHERTYPE_IPV4);
    if (ok) this.counters.sent++;
    return ok;
  }

  input(cur: RxCursor): void {
    this.counters.received++;
    const h = this.rxHeader;
    const status = decodeIpv4(cur.buf, cur.start, cur.end, h);
    if (status !== 'ok') {
      this.countDrop(status);
      return;
    }
    if (h.dst !== this.address) {
      this.counters.droppedNotForUs++;
      return;
    }
    if (h.moreFragments || h.fragmentOffsetBytes !== 0) {
      this.counters.droppedFragment++;
      return;
    }
    if (h.headerBytes > IPV4_MIN_HEADER_BYTES) this.counters.withOptions++;
    let upper = this.lastUpper;
    if (h.protocol !== this.lastProtocol || upper === undefined) {
      upper = this.uppers.get(h.protocol);
      this.lastProtocol = h.protocol;
      this.lastUpper = upper;
    }
    if (upper === undefined) {
      this.counters.droppedUnknownProtocol++;
      return;
    }
    this.counters.delivered++;
    this.strategy.handUp(cur.buf, cur.start + h.headerBytes, cur.start + h.totalLength, this.up);
    const addrs = this.upAddresses;
    if (h.src !== this.lastSrc) {
      this.lastSrc = h.src;
      addrs[0] = h.src;
    }
    // h.dst === this.address (checked above): pass the boxed copy of our own address.
    upper.input(this.up, addrs[0]!, addrs[1]!);
  }

  private countDrop(status: Exclude<ReturnType<typeof decodeIpv4>, 'ok'>): void {
    switch (status) {
      case 'truncated':
        this.counters.droppedTruncated++;
        break;
      case 'bad-version':
        this.counters.droppedBadVersion++;
        break;
      case 'bad-header-length':
        this.counters.droppedBadHeaderLength++;
        break;
      case 'bad-total-length':
        this.counters.droppedBadTotalLength++;
        break;
      case 'bad-checksum':
        this.counters.droppedBadChecksum++;
        break;
    }
  }
}
