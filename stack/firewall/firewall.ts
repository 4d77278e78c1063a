/**
 * A stateful IPv4 firewall (router) between two or more interfaces: every Ethernet frame that comes
 * in is decoded (Ethernet, IPv4, the TCP/UDP ports), looked up in the NAT connection table, else
 * matched against the rule set (first match wins), and then dropped and counted, or forwarded out
 * of the interface whose connected prefix holds the destination, with the TTL decremented and, for
 * a NAT'd connection, addresses and ports rewritten. Checksums are patched, never recomputed:
 * RFC 1624 eqn. 3 per changed 16-bit word, on the IPv4 header and on the TCP/UDP checksum (whose
 * pseudo-header covers the addresses, RFC 768 / RFC 9293 §3.1); a UDP checksum of 0 ("none",
 * RFC 768) stays 0.
 *
 * Router rules enforced (RFC 1812): a packet whose TTL would reach 0 is not forwarded (§5.3.1; no
 * ICMP Time Exceeded is sent, it is counted); the IPv4 header is verified before forwarding (§5.2.2).
 * Fragments are refused and counted (ports are only in the first fragment; no reassembly here).
 * No ARP: each interface has one static neighbour that takes every packet routed out of it.
 *
 * Buffers: the firewall is one endpoint with one strategy, and the **strategy decides how a packet
 * is forwarded**. The IPv4 packet is handed up from the Ethernet frame with `strategy.handUp`:
 * - `copy` (uint8array): the packet is a fresh array the firewall owns, as every layer owns its
 *   bytes in typical JavaScript code; it is rewritten there and sent as a new frame, the Ethernet
 *   header prepended by the strategy (a new array and a copy: the concatenating writer).
 * - `view` (pooled) / `cursor` (one-big-struct): the packet is a view of / cursor into the received
 *   frame; it is rewritten in place, the Ethernet header is rewritten in the same buffer, and the
 *   received frame itself is transmitted — the in-place forwarding of DPDK's l3fwd example, which
 *   rewrites the Ethernet header of the received mbuf and sends that mbuf. No allocation, no copy
 *   besides the links' own.
 */
import type { BufferStrategy, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import { newRxCursor, newTxFrame } from '../../allocators/buffer-strategy.js';
import { adjustChecksum } from '../checksum.js';
import { decodeEthernet, newEthernetHeader } from '../ethernet/packet.js';
import { ETHERNET_HEADER_BYTES, ETHERTYPE_IPV4, macHi, macLo, setEthertype, setMacHalves, OFF_DST, OFF_SRC } from '../ethernet/wire.js';
import type { FrameReceiver, NetworkDevice } from '../link/device.js';
import { decodeIpv4, newIpv4Header } from '../ipv4/packet.js';
import * as ip4 from '../ipv4/wire.js';
import * as tcpWire from '../tcp/wire.js';
import * as udpWire from '../udp/wire.js';
import { ConnTable } from './conn-table.js';
import { ACTION_ACCEPT, ACTION_DNAT, ACTION_DROP, ACTION_SNAT, FirewallConfigError, RuleSet, prefixMask, type FirewallRule, type Prefix } from './rules.js';

const NO_BYTES = new Uint8Array(0);

export interface FirewallInterface {
  device: NetworkDevice;
  mac: number;
  /** Destinations in this prefix are routed out of this interface. */
  prefix: Prefix;
  /** MAC of the neighbour that takes every packet routed out of this interface (static, no ARP). */
  neighbourMac: number;
}

export interface FirewallOptions {
  strategy: BufferStrategy;
  /** At least two; the index is the `iface` of the rules. Prefixes must not overlap. */
  interfaces: readonly FirewallInterface[];
  rules: readonly FirewallRule[];
  /** For packets no rule matches (default `drop`). */
  defaultAction?: 'accept' | 'drop';
  /** Connection-table capacity in entries, two per NAT'd connection (default 8192). */
  connTableEntries?: number;
}

export interface FirewallCounters {
  received: number;
  forwarded: number;
  /** Packets of a known NAT connection (no rule consulted). */
  connHits: number;
  /** NAT connections created. */
  connectionsCreated: number;
  /** Dropped by a rule whose action is drop, or by the default action. */
  droppedByRule: number;
  droppedByDefault: number;
  droppedNotForUs: number;
  droppedNotIpv4: number;
  droppedBadEthernet: number;
  droppedBadIpv4: number;
  droppedFragment: number;
  /** TTL would reach 0 (RFC 1812 §5.3.1). */
  droppedTtlExceeded: number;
  /** TCP/UDP header cut short. */
  droppedTruncatedTransport: number;
  droppedNoRoute: number;
  /** A new NAT connection could not be recorded: the table is full. */
  droppedConnTableFull: number;
  /** No free port left in the SNAT pool for this destination. */
  droppedNatPortsExhausted: number;
  /** The egress device refused the frame (too large, queue full). */
  sendFailed: number;
}

function zeroCounters(): FirewallCounters {
  return {
    received: 0,
    forwarded: 0,
    connHits: 0,
    connectionsCreated: 0,
    droppedByRule: 0,
    droppedByDefault: 0,
    droppedNotForUs: 0,
    droppedNotIpv4: 0,
    droppedBadEthernet: 0,
    droppedBadIpv4: 0,
    droppedFragment: 0,
    droppedTtlExceeded: 0,
    droppedTruncatedTransport: 0,
    droppedNoRoute: 0,
    droppedConnTableFull: 0,
    droppedNatPortsExhausted: 0,
    sendFailed: 0,
  };
}

/** The sum of every `dropped…` counter. */
export function firewallDropped(c: FirewallCounters): number {
  return (
    c.droppedByRule + c.droppedByDefault + c.droppedNotForUs + c.droppedNotIpv4 + c.droppedBadEthernet + c.droppedBadIpv4 + c.droppedFragment +
    c.droppedTtlExceeded + c.droppedTruncatedTransport + c.droppedNoRoute + c.droppedConnTableFull + c.droppedNatPortsExhausted
  );
}

export class Firewall {
  readonly strategy: BufferStrategy;
  readonly rules: RuleSet;
  readonly conns: ConnTable;
  readonly counters: FirewallCounters = zeroCounters();
  private readonly devices: NetworkDevice[];
  private readonly macHi: Int32Array;
  private readonly macLo: Int32Array;
  private readonly nbrHi: Int32Array;
  private readonly nbrLo: Int32Array;
  private readonly netAddr: Int32Array;
  private readonly netMask: Int32Array;
  /** Per SNAT rule: the next pool port to try. */
  private readonly snatNext: Int32Array;
  private readonly eth = newEthernetHeader();
  private readonly ip = newIpv4Header();
  private readonly pkt: RxCursor = newRxCursor();
  private readonly frame: TxFrame = newTxFrame();
  private readonly inPlace: boolean;

  /** Throws `FirewallConfigError` for fewer than two interfaces, overlapping prefixes or a bad rule. */
  constructor(o: FirewallOptions) {
    const n = o.interfaces.length;
    if (n < 2) throw new FirewallConfigError(`a firewall needs at least two interfaces, got ${n}`);
    this.strategy = o.strategy;
    this.inPlace = o.strategy.receiveMode !== 'copy';
    this.rules = new RuleSet(o.rules, o.defaultAction ?? 'drop');
    this.conns = new ConnTable(o.connTableEntries ?? 8192);
    this.snatNext = new Int32Array(this.rules.size);
    for (let r = 0; r < this.rules.size; r++) this.snatNext[r] = this.rules.natPortLo[r]!;
    this.devices = o.interfaces.map((i) => i.device);
    this.macHi = Int32Array.from(o.interfaces, (i) => macHi(i.mac));
    this.macLo = Int32Array.from(o.interfaces, (i) => macLo(i.mac));
    this.nbrHi = Int32Array.from(o.interfaces, (i) => macHi(i.neighbourMac));
    this.nbrLo = Int32Array.from(o.interfaces, (i) => macLo(i.neighbourMac));
    this.netAddr = Int32Array.from(o.interfaces, (i) => i.prefix.addr | 0);
    this.netMask = Int32Array.from(o.interfaces, (i) => prefixMask(i.prefix.bits));
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const m = this.netMask[a]! & this.netMask[b]!;
        if (((this.netAddr[a]! ^ this.netAddr[b]!) & m) === 0) throw new FirewallConfigError(`interfaces ${a} and ${b} have overlapping prefixes: routing would be ambiguous`);
      }
    }
    o.interfaces.forEach((i, index) => {
      const receiver: FrameReceiver = { input: (cur) => this.input(index, cur) };
      i.device.attach(o.strategy, receiver);
    });
  }

  /** The interface whose prefix holds `dst` (signed 32-bit), or −1. */
  private route(dst: number): number {
    const n = this.devices.length;
    for (let i = 0; i < n; i++) if (((dst ^ this.netAddr[i]!) & this.netMask[i]!) === 0) return i;
    return -1;
  }

  /** One frame from interface `ifIn`; `cur` is valid only during the call (the device releases it). */
  input(ifIn: number, cur: RxCursor): void {
    const c = this.counters;
    c.received++;
    const e = this.eth;
    const es = decodeEthernet(cur.buf, cur.start, cur.end, e);
    if (es !== 'ok') {
      c.droppedBadEthernet++;
      return;
    }
    if (e.dstMacHi !== this.macHi[ifIn] || e.dstMacLo !== this.macLo[ifIn]) {
      c.droppedNotForUs++;
      return;
    }
    if (e.ethertype !== ETHERTYPE_IPV4) {
      c.droppedNotIpv4++;
      return;
    }
    const st = this.strategy;
    const p = this.pkt;
    st.handUp(cur.buf, cur.start + ETHERNET_HEADER_BYTES, cur.end, p);
    const h = this.ip;
    if (decodeIpv4(p.buf, p.start, p.end, h) !== 'ok') {
      c.droppedBadIpv4++;
      return;
    }
    if (h.moreFragments || h.fragmentOffsetBytes !== 0) {
      c.droppedFragment++;
      return;
    }
    if (h.ttl <= 1) {
      c.droppedTtlExceeded++;
      return;
    }
    const buf = p.buf;
    const ipAt = p.start;
    const t = ipAt + h.headerBytes;
    const ipEnd = ipAt + h.totalLength;
    const proto = h.protocol;
    let sport = 0;
    let dport = 0;
    if (proto === ip4.PROTOCOL_TCP || proto === ip4.PROTOCOL_UDP) {
      if (t + (proto === ip4.PROTOCOL_TCP ? tcpWire.TCP_MIN_HEADER_BYTES : udpWire.UDP_HEADER_BYTES) > ipEnd) {
        c.droppedTruncatedTransport++;
        return;
      }
      sport = udpWire.getSrcPort(buf, t);
      dport = udpWire.getDstPort(buf, t);
    }
    const src = h.src | 0;
    const dst = h.dst | 0;
    let nsrc = src;
    let ndst = dst;
    let nsport = sport;
    let ndport = dport;
    // Only TCP/UDP connections are ever NAT'd (RuleSet refuses NAT of other protocols): others skip the table.
    const slot = sport === 0 && dport === 0 ? -1 : this.conns.lookup(proto, src, sport, dst, dport);
    if (slot >= 0) {
      c.connHits++;
      nsrc = this.conns.newSrc(slot);
      ndst = this.conns.newDst(slot);
      nsport = this.conns.newSrcPort(slot);
      ndport = this.conns.newDstPort(slot);
    } else {
      const rs = this.rules;
      const r = rs.match(ifIn, proto, src, sport, dst, dport);
      const action = r < 0 ? rs.defaultAction : rs.action[r]!;
      if (r >= 0) rs.hits[r]!++;
      if (action === ACTION_DROP) {
        if (r < 0) c.droppedByDefault++;
        else c.droppedByRule++;
        return;
      }
      if (action !== ACTION_ACCEPT) {
        if (action === ACTION_SNAT) {
          nsrc = rs.natAddr[r]!;
          nsport = this.snatPort(r, proto, nsrc, dst, dport);
          if (nsport < 0) {
            c.droppedNatPortsExhausted++;
            return;
          }
        } else if (action === ACTION_DNAT) {
          ndst = rs.natAddr[r]!;
          ndport = rs.natPortLo[r]!;
        }
        if (!this.conns.addConnection(proto, src, sport, dst, dport, nsrc, nsport, ndst, ndport)) {
          c.droppedConnTableFull++;
          return;
        }
        c.connectionsCreated++;
      }
    }
    const out = this.route(ndst);
    if (out < 0) {
      c.droppedNoRoute++;
      return;
    }
    this.rewrite(buf, ipAt, t, proto, h.ttl, src, sport, dst, dport, nsrc, nsport, ndst, ndport);
    this.emit(out, cur, p, ipEnd);
  }

  /**
   * A pool port of SNAT rule `r` whose reply key (dst:dport → natAddr:port) is free, or −1 when
   * every port of the pool is taken for this destination. Ports are handed out round-robin.
   */
  private snatPort(r: number, proto: number, natAddr: number, dst: number, dport: number): number {
    const lo = this.rules.natPortLo[r]!;
    const hi = this.rules.natPortHi[r]!;
    let port = this.snatNext[r]!;
    for (let tries = hi - lo + 1; tries > 0; tries--) {
      const next = port === hi ? lo : port + 1;
      if (this.conns.lookup(proto, dst, dport, natAddr, port) < 0) {
        this.snatNext[r] = next;
        return port;
      }
      port = next;
    }
    return -1;
  }

  /** TTL − 1 and the NAT rewrite, each with its checksum patched (RFC 1624). */
  private rewrite(b: Uint8Array, ipAt: number, t: number, proto: number, ttl: number, src: number, sport: number, dst: number, dport: number, nsrc: number, nsport: number, ndst: number, ndport: number): void {
    // TTL shares its 16-bit word with the protocol field (RFC 791 §3.1: TTL at byte 8, protocol 9).
    let ipSum = adjustChecksum(ip4.getChecksum(b, ipAt), (ttl << 8) | proto, ((ttl - 1) << 8) | proto);
    ip4.setTtl(b, ipAt, ttl - 1);
    if (nsrc !== src || ndst !== dst || nsport !== sport || ndport !== dport) {
      const isTcp = proto === ip4.PROTOCOL_TCP;
      const hasL4 = isTcp || proto === ip4.PROTOCOL_UDP;
      let l4Sum = hasL4 ? (isTcp ? tcpWire.getChecksum(b, t) : udpWire.getChecksum(b, t)) : 0;
      // RFC 768: a UDP checksum of 0 means none was computed; it stays 0.
      const patchL4 = isTcp || (hasL4 && l4Sum !== 0);
      if (nsrc !== src) {
        const oh = (src >>> 16) & 0xffff;
        const ol = src & 0xffff;
        const nh = (nsrc >>> 16) & 0xffff;
        const nl = nsrc & 0xffff;
        ipSum = adjustChecksum(adjustChecksum(ipSum, oh, nh), ol, nl);
        if (patchL4) l4Sum = adjustChecksum(adjustChecksum(l4Sum, oh, nh), ol, nl);
        ip4.setAddrHalves(b, ipAt + ip4.OFF_SRC, nh, nl);
      }
      if (ndst !== dst) {
        const oh = (dst >>> 16) & 0xffff;
        const ol = dst & 0xffff;
        const nh = (ndst >>> 16) & 0xffff;
        const nl = ndst & 0xffff;
        ipSum = adjustChecksum(adjustChecksum(ipSum, oh, nh), ol, nl);
        if (patchL4) l4Sum = adjustChecksum(adjustChecksum(l4Sum, oh, nh), ol, nl);
        ip4.setAddrHalves(b, ipAt + ip4.OFF_DST, nh, nl);
      }
      if (hasL4) {
        if (nsport !== sport) {
          if (patchL4) l4Sum = adjustChecksum(l4Sum, sport, nsport);
          udpWire.setSrcPort(b, t, nsport);
        }
        if (ndport !== dport) {
          if (patchL4) l4Sum = adjustChecksum(l4Sum, dport, ndport);
          udpWire.setDstPort(b, t, ndport);
        }
        if (patchL4) {
          if (!isTcp && l4Sum === 0) l4Sum = 0xffff;
          if (isTcp) tcpWire.setChecksum(b, t, l4Sum);
          else udpWire.setChecksum(b, t, l4Sum);
        }
      }
    }
    ip4.setChecksum(b, ipAt, ipSum);
  }

  /** Sends the rewritten packet `p.buf[p.start, ipEnd)` out of interface `out` (see the module comment). */
  private emit(out: number, cur: RxCursor, p: RxCursor, ipEnd: number): void {
    const st = this.strategy;
    const f = this.frame;
    if (this.inPlace) {
      // The packet lies in the received frame right after its Ethernet header: send that frame.
      f.buf = cur.buf;
      f.start = cur.start;
      f.end = cur.start + ETHERNET_HEADER_BYTES + (ipEnd - p.start);
    } else {
      f.buf = p.buf;
      f.start = p.start;
      f.end = ipEnd;
      st.prepend(f, ETHERNET_HEADER_BYTES);
    }
    const b = f.buf;
    setMacHalves(b, f.start + OFF_DST, this.nbrHi[out]!, this.nbrLo[out]!);
    setMacHalves(b, f.start + OFF_SRC, this.macHi[out]!, this.macLo[out]!);
    setEthertype(b, f.start, ETHERTYPE_IPV4);
    const ok = this.devices[out]!.transmit(f);
    if (this.inPlace) {
      // Not released here: the received frame is the device's, released when `input` returns.
      f.buf = NO_BYTES;
      f.start = 0;
      f.end = 0;
    } else {
      st.releaseTx(f);
    }
    if (ok) this.counters.forwarded++;
    else this.counters.sendFailed++;
  }
}
