/**
 * The NAT connection table: for each translated connection, two entries keyed by the 5-tuple a
 * packet carries when it reaches the firewall, each giving the tuple to rewrite it to:
 *
 *   original direction  (src, sport → dst, dport)      ↦ (src', sport' → dst', dport')
 *   reply direction     (dst', dport' → src', sport')  ↦ (dst, dport → src, sport)
 *
 * as Linux conntrack keeps an original and a reply tuple per connection (netfilter's
 * `nf_conntrack_tuple_hash`, one hash entry per direction), so a reply is found by one lookup and
 * un-translated without consulting the rules.
 *
 * Open addressing with linear probing over typed-array columns (no object per entry, nothing
 * allocated per lookup). Limits, stated rather than hidden: a fixed capacity (a full table refuses
 * new connections, which the firewall counts and drops), and no expiry: entries live until
 * `clear()` (no TCP state tracking, no timeouts — the workload's flows are long-lived).
 * Addresses are held as signed 32-bit integers (`addr | 0`), ports as 0..65535.
 */
import { FirewallConfigError } from './rules.js';

const EMPTY = -1;

export class ConnTable {
  /** Slots (a power of two, twice `maxEntries` so probes stay short). */
  readonly slots: number;
  /** Entries the table accepts (two per connection). */
  readonly maxEntries: number;
  private readonly mask: number;
  private readonly kProto: Int32Array;
  private readonly kSrc: Int32Array;
  private readonly kDst: Int32Array;
  /** `srcPort << 16 | dstPort` as a signed 32-bit integer. */
  private readonly kPorts: Int32Array;
  private readonly vSrc: Int32Array;
  private readonly vDst: Int32Array;
  private readonly vSrcPort: Int32Array;
  private readonly vDstPort: Int32Array;
  private count = 0;

  /** Throws `FirewallConfigError` unless `maxEntries` is an integer in 2..2^22. */
  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 2 || maxEntries > 1 << 22) {
      throw new FirewallConfigError(`connection table of ${maxEntries} entries: use an integer in 2..${1 << 22}`);
    }
    this.maxEntries = maxEntries;
    let slots = 4;
    while (slots < maxEntries * 2) slots *= 2;
    this.slots = slots;
    this.mask = slots - 1;
    this.kProto = new Int32Array(slots).fill(EMPTY);
    this.kSrc = new Int32Array(slots);
    this.kDst = new Int32Array(slots);
    this.kPorts = new Int32Array(slots);
    this.vSrc = new Int32Array(slots);
    this.vDst = new Int32Array(slots);
    this.vSrcPort = new Int32Array(slots);
    this.vDstPort = new Int32Array(slots);
  }

  /** Entries in use (two per connection). */
  get entries(): number {
    return this.count;
  }

  private home(protocol: number, src: number, ports: number, dst: number): number {
    // Multiplicative mixing (MurmurHash3's fmix32 constants): cheap and spreads nearby addresses.
    let h = Math.imul(src ^ Math.imul(dst, 0x9e3779b1) ^ ports ^ (protocol << 24), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  /** The slot of the entry for this tuple, or −1. Addresses may be given unsigned or signed. */
  lookup(protocol: number, src: number, srcPort: number, dst: number, dstPort: number): number {
    const s = src | 0;
    const d = dst | 0;
    const ports = (srcPort << 16) | dstPort;
    let i = this.home(protocol, s, ports, d);
    for (;;) {
      const p = this.kProto[i]!;
      if (p === EMPTY) return -1;
      if (p === protocol && this.kSrc[i] === s && this.kDst[i] === d && this.kPorts[i] === ports) return i;
      i = (i + 1) & this.mask;
    }
  }

  private insert(protocol: number, s: number, sp: number, d: number, dp: number, ns: number, nsp: number, nd: number, ndp: number): void {
    const ports = (sp << 16) | dp;
    let i = this.home(protocol, s, ports, d);
    while (this.kProto[i] !== EMPTY) i = (i + 1) & this.mask;
    this.kProto[i] = protocol;
    this.kSrc[i] = s;
    this.kDst[i] = d;
    this.kPorts[i] = ports;
    this.vSrc[i] = ns;
    this.vSrcPort[i] = nsp;
    this.vDst[i] = nd;
    this.vDstPort[i] = ndp;
    this.count++;
  }

  /**
   * Records a connection whose packets `(src, srcPort → dst, dstPort)` are rewritten to
   * `(newSrc, newSrcPort → newDst, newDstPort)`, and its reply direction. Returns false, adding
   * nothing, when the table is full, either direction's key is already present (a NAT clash) or
   * the two keys are the same.
   */
  addConnection(protocol: number, src: number, srcPort: number, dst: number, dstPort: number, newSrc: number, newSrcPort: number, newDst: number, newDstPort: number): boolean {
    if (this.count + 2 > this.maxEntries) return false;
    // A translation onto its own reply key would make the two entries one key.
    if ((src | 0) === (newDst | 0) && srcPort === newDstPort && (dst | 0) === (newSrc | 0) && dstPort === newSrcPort) return false;
    if (this.lookup(protocol, src, srcPort, dst, dstPort) >= 0) return false;
    if (this.lookup(protocol, newDst, newDstPort, newSrc, newSrcPort) >= 0) return false;
    this.insert(protocol, src | 0, srcPort, dst | 0, dstPort, newSrc | 0, newSrcPort, newDst | 0, newDstPort);
    this.insert(protocol, newDst | 0, newDstPort, newSrc | 0, newSrcPort, dst | 0, dstPort, src | 0, srcPort);
    return true;
  }

  /** Rewrite targets of the entry at `slot` (from `lookup`); addresses as signed 32-bit integers. */
  newSrc(slot: number): number {
    return this.vSrc[slot]!;
  }
  newSrcPort(slot: number): number {
    return this.vSrcPort[slot]!;
  }
  newDst(slot: number): number {
    return this.vDst[slot]!;
  }
  newDstPort(slot: number): number {
    return this.vDstPort[slot]!;
  }

  /** Forgets every connection. */
  clear(): void {
    this.kProto.fill(EMPTY);
    this.count = 0;
  }
}
