/**
 * A firewall's rule set: an ordered list of rules, each matching on the ingress interface, the IP
 * protocol, source and destination address prefixes and port ranges, with an action (accept, drop,
 * source NAT, destination NAT). Evaluation is **first match wins** over the list in order, as in
 * iptables chains and pf's `quick` rules; a packet no rule matches gets the set's default action.
 *
 * The list is searched linearly on purpose: it is the classic baseline of packet classification
 * (Gupta & McKeown, "Algorithms for packet classification", IEEE Network 2001, §III-A), and what
 * makes the rule-set size an axis worth measuring. Rules are compiled once into typed arrays
 * (columns), so a lookup reads numbers only and allocates nothing.
 */
import { BuflabError } from '../../contract/errors.js';
import { PROTOCOL_TCP, PROTOCOL_UDP } from '../ipv4/wire.js';

/** An address prefix: `addr` (unsigned 32-bit) with its first `bits` bits significant (0..32). */
export interface Prefix {
  addr: number;
  bits: number;
}

/** An inclusive port range. */
export interface PortRange {
  lo: number;
  hi: number;
}

export type FirewallAction =
  | { kind: 'accept' }
  | { kind: 'drop' }
  /** Rewrite the source to `addr` and a port from `ports` (a fresh one per connection). */
  | { kind: 'snat'; addr: number; ports: PortRange }
  /** Rewrite the destination to `addr`:`port`. */
  | { kind: 'dnat'; addr: number; port: number };

export interface FirewallRule {
  /** Ingress interface index; absent: any. */
  iface?: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP…); absent: any. */
  protocol?: number;
  src?: Prefix;
  dst?: Prefix;
  /** Port ranges need `protocol` TCP or UDP (as iptables' `--dport` needs `-p`). */
  srcPorts?: PortRange;
  dstPorts?: PortRange;
  action: FirewallAction;
}

/** A rule or rule set that cannot be compiled; the message names the rule and what to change. */
export class FirewallConfigError extends BuflabError {
  constructor(message: string) {
    super('E_FIREWALL_CONFIG', message);
  }
}

export const ACTION_ACCEPT = 0;
export const ACTION_DROP = 1;
export const ACTION_SNAT = 2;
export const ACTION_DNAT = 3;

/** The prefix mask of `bits` as a signed 32-bit integer (0 for /0). */
export function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) | 0;
}

/** Whether `addr` lies in `p` (configuration and tests; the data path uses the compiled columns). */
export function prefixContains(p: Prefix, addr: number): boolean {
  return ((addr ^ p.addr) & prefixMask(p.bits)) === 0;
}

function checkPrefix(p: Prefix, where: string): void {
  if (!Number.isInteger(p.bits) || p.bits < 0 || p.bits > 32) throw new FirewallConfigError(`${where}: prefix length ${p.bits} is not 0..32`);
  if (!Number.isInteger(p.addr) || p.addr < 0 || p.addr > 0xffff_ffff) throw new FirewallConfigError(`${where}: address ${p.addr} is not an unsigned 32-bit integer`);
  if (((p.addr & ~prefixMask(p.bits)) | 0) !== 0) throw new FirewallConfigError(`${where}: address has bits set beyond /${p.bits}; give the network address`);
}

function checkPorts(r: PortRange, where: string): void {
  if (!Number.isInteger(r.lo) || !Number.isInteger(r.hi) || r.lo < 0 || r.hi > 65535 || r.lo > r.hi) {
    throw new FirewallConfigError(`${where}: port range ${r.lo}-${r.hi} is not within 0-65535 with lo <= hi`);
  }
}

/**
 * The compiled rule set. Columns are indexed by rule number; a field the rule leaves out matches
 * anything (mask 0, range 0-65535, protocol and interface −1).
 */
export class RuleSet {
  readonly size: number;
  readonly defaultAction: typeof ACTION_ACCEPT | typeof ACTION_DROP;
  private readonly iface: Int32Array;
  private readonly protocol: Int32Array;
  private readonly srcAddr: Int32Array;
  private readonly srcMask: Int32Array;
  private readonly dstAddr: Int32Array;
  private readonly dstMask: Int32Array;
  private readonly srcPortLo: Int32Array;
  private readonly srcPortHi: Int32Array;
  private readonly dstPortLo: Int32Array;
  private readonly dstPortHi: Int32Array;
  /** ACTION_* per rule. */
  readonly action: Int32Array;
  /** NAT address (snat: new source; dnat: new destination) as a signed 32-bit integer (`addr | 0`). */
  readonly natAddr: Int32Array;
  /** snat: first port of the pool; dnat: the new destination port. */
  readonly natPortLo: Int32Array;
  /** snat: last port of the pool. */
  readonly natPortHi: Int32Array;
  /** Packets each rule decided (for counters and tests). */
  readonly hits: Float64Array;

  /** Throws `FirewallConfigError` for a malformed rule, naming its index. */
  constructor(rules: readonly FirewallRule[], defaultAction: 'accept' | 'drop' = 'drop') {
    const n = rules.length;
    this.size = n;
    this.defaultAction = defaultAction === 'accept' ? ACTION_ACCEPT : ACTION_DROP;
    this.iface = new Int32Array(n);
    this.protocol = new Int32Array(n);
    this.srcAddr = new Int32Array(n);
    this.srcMask = new Int32Array(n);
    this.dstAddr = new Int32Array(n);
    this.dstMask = new Int32Array(n);
    this.srcPortLo = new Int32Array(n);
    this.srcPortHi = new Int32Array(n);
    this.dstPortLo = new Int32Array(n);
    this.dstPortHi = new Int32Array(n);
    this.action = new Int32Array(n);
    this.natAddr = new Int32Array(n);
    this.natPortLo = new Int32Array(n);
    this.natPortHi = new Int32Array(n);
    this.hits = new Float64Array(n);
    rules.forEach((r, i) => this.compile(r, i));
  }

  private compile(r: FirewallRule, i: number): void {
    const where = `firewall rule ${i}`;
    const p = r.protocol ?? -1;
    if (p !== -1 && (!Number.isInteger(p) || p < 0 || p > 255)) throw new FirewallConfigError(`${where}: protocol ${p} is not 0..255`);
    const hasPorts = r.srcPorts !== undefined || r.dstPorts !== undefined;
    const portProtocol = p === PROTOCOL_TCP || p === PROTOCOL_UDP;
    if (hasPorts && !portProtocol) throw new FirewallConfigError(`${where}: port ranges need protocol 6 (TCP) or 17 (UDP)`);
    const a = r.action;
    if ((a.kind === 'snat' || a.kind === 'dnat') && !portProtocol) {
      throw new FirewallConfigError(`${where}: ${a.kind} rewrites ports and needs protocol 6 (TCP) or 17 (UDP)`);
    }
    this.iface[i] = r.iface ?? -1;
    this.protocol[i] = p;
    if (r.src) checkPrefix(r.src, `${where} src`);
    if (r.dst) checkPrefix(r.dst, `${where} dst`);
    this.srcAddr[i] = r.src ? r.src.addr | 0 : 0;
    this.srcMask[i] = r.src ? prefixMask(r.src.bits) : 0;
    this.dstAddr[i] = r.dst ? r.dst.addr | 0 : 0;
    this.dstMask[i] = r.dst ? prefixMask(r.dst.bits) : 0;
    const sp = r.srcPorts ?? { lo: 0, hi: 65535 };
    const dp = r.dstPorts ?? { lo: 0, hi: 65535 };
    checkPorts(sp, `${where} src ports`);
    checkPorts(dp, `${where} dst ports`);
    this.srcPortLo[i] = sp.lo;
    this.srcPortHi[i] = sp.hi;
    this.dstPortLo[i] = dp.lo;
    this.dstPortHi[i] = dp.hi;
    switch (a.kind) {
      case 'accept':
        this.action[i] = ACTION_ACCEPT;
        break;
      case 'drop':
        this.action[i] = ACTION_DROP;
        break;
      case 'snat':
        checkPorts(a.ports, `${where} snat ports`);
        if (a.ports.lo === 0) throw new FirewallConfigError(`${where}: snat port pool must not include port 0`);
        this.action[i] = ACTION_SNAT;
        this.natAddr[i] = a.addr | 0;
        this.natPortLo[i] = a.ports.lo;
        this.natPortHi[i] = a.ports.hi;
        break;
      case 'dnat':
        checkPorts({ lo: a.port, hi: a.port }, `${where} dnat port`);
        this.action[i] = ACTION_DNAT;
        this.natAddr[i] = a.addr | 0;
        this.natPortLo[i] = a.port;
        this.natPortHi[i] = a.port;
        break;
    }
  }

  /**
   * The index of the first rule that matches, or −1 when none does (the default action applies).
   * Addresses are compared as signed 32-bit integers under the mask (`(a ^ b) & mask`), which is
   * exact for every address; ports are 0 for protocols without them.
   */
  match(iface: number, protocol: number, src: number, srcPort: number, dst: number, dstPort: number): number {
    const s = src | 0;
    const d = dst | 0;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const ri = this.iface[i]!;
      if (ri !== -1 && ri !== iface) continue;
      const rp = this.protocol[i]!;
      if (rp !== -1 && rp !== protocol) continue;
      if (((s ^ this.srcAddr[i]!) & this.srcMask[i]!) !== 0) continue;
      if (((d ^ this.dstAddr[i]!) & this.dstMask[i]!) !== 0) continue;
      if (srcPort < this.srcPortLo[i]! || srcPort > this.srcPortHi[i]!) continue;
      if (dstPort < this.dstPortLo[i]! || dstPort > this.dstPortHi[i]!) continue;
      return i;
    }
    return -1;
  }
}
