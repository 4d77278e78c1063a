/**
 * A point-to-point IPv4 link without link-layer headers — what a tun device or a VPN tunnel carries:
 * whole IPv4 packets. It stands where `EthernetLayer` stands below `Ipv4Layer` (the `Ipv4Link`
 * shape): `send` hands the packet to `transmit` (no header prepended, the next hop's MAC ignored),
 * `input` hands a received packet to the registered IPv4 receiver.
 *
 * `headroomBytes` is what the carrier below needs in front of each packet (the VPN data channel's
 * header), so frames begun by the upper layers already have room for it and can be sealed in place.
 */
import type { BufferStrategy, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import type { EthernetUpper } from '../ethernet/layer.js';
import { ETHERTYPE_IPV4 } from '../ethernet/wire.js';

export interface PointToPointCounters {
  received: number;
  sent: number;
  /** Packets the carrier refused (`transmit` returned false). */
  sendFailed: number;
  /** Packets received before an IPv4 receiver was registered. */
  droppedNoReceiver: number;
}

export class PointToPointLink {
  readonly counters: PointToPointCounters = { received: 0, sent: 0, sendFailed: 0, droppedNoReceiver: 0 };
  private upper: EthernetUpper | undefined;

  /**
   * `transmit` takes `frame` (one IPv4 packet in `[start, end)`) and must release it with
   * `strategy.releaseTx` whatever it does; it returns false when it dropped the packet.
   */
  constructor(
    readonly strategy: BufferStrategy,
    readonly mtuBytes: number,
    readonly headroomBytes: number,
    private readonly transmit: (frame: TxFrame) => boolean,
  ) {}

  /** Registers the IPv4 receiver; `ethertype` must be IPv4 (the only protocol a tun link carries). */
  register(ethertype: number, upper: EthernetUpper): void {
    if (ethertype !== ETHERTYPE_IPV4) throw new RangeError(`a point-to-point link carries IPv4 only, not EtherType 0x${ethertype.toString(16)}`);
    this.upper = upper;
  }

  /** Sends one IPv4 packet; the MAC halves are ignored (one peer). Always consumes `frame`. */
  send(frame: TxFrame, _dstMacHi: number, _dstMacLo: number, _ethertype: number): boolean {
    const ok = this.transmit(frame);
    if (ok) this.counters.sent++;
    else this.counters.sendFailed++;
    return ok;
  }

  /** One received IPv4 packet; `cur` is valid only during the call. */
  input(cur: RxCursor): void {
    this.counters.received++;
    if (this.upper === undefined) {
      this.counters.droppedNoReceiver++;
      return;
    }
    this.upper.input(cur);
  }
}
