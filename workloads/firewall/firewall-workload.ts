/**
 * The firewall workload: a stateful firewall (stack/firewall) between an inside and an outside
 * in-memory link, with a host on each side that sends template packets (a packet generator, as
 * pktgen or MoonGen drive a device under test) and checks every packet that comes through.
 * `op()` offers one IPv4 packet to the firewall; the packets cycle through six kinds, one flow
 * (of `flows`) per cycle:
 *
 *   0  inside host:port → outside server:5001 UDP     SNAT rule: leaves as 10.2.0.254:pool port
 *   1  that server's reply to 10.2.0.254:pool port     connection table: back to the inside host
 *   2  outside client → 10.2.0.254:8080 TCP            DNAT rule: arrives at 10.1.0.5:80
 *   3  10.1.0.5:80's reply                             connection table: leaves as 10.2.0.254:8080
 *   4  inside host → outside resolver:53 UDP           accept rule: forwarded unchanged (TTL − 1)
 *   5  outside client → inside host:22 TCP             drop rule: never arrives
 *
 * Kinds 4 and 5 (and 0 and 2 on a flow's first cycle) are decided by the rule set; the others by
 * the connection table. The rule set is `rules` rules long: the five policy rules come last, after
 * filler rules that no packet matches, so every rule decision scans the whole list (a worst case
 * that makes the list's length the axis).
 *
 * Each arriving packet is checked: MACs, TTL 63, the IPv4 header checksum, the expected addresses
 * and ports after translation, the packet counter, sampled payload bytes; every `fullCheckEvery`th
 * op and `verify()` also check every payload byte and the TCP/UDP checksum. Addresses are in 10/8
 * on purpose: below 2^30 V8 keeps them small integers (see workloads/vpn/vpn-tunnel.ts).
 */
import type { BufferStrategy, RxCursor, StrategyCounters, TxFrame } from '../../allocators/buffer-strategy.js';
import { newTxFrame, sumCounters } from '../../allocators/buffer-strategy.js';
import { getU16, getU32 } from '../../stack/bytes.js';
import { ETHERNET_HEADER_BYTES, ETHERTYPE_IPV4, OFF_DST, OFF_SRC, getMacHi, getMacLo, macHi, macLo, parseMac, setEthertype, setMacHalves } from '../../stack/ethernet/wire.js';
import { Firewall, firewallDropped } from '../../stack/firewall/firewall.js';
import { FirewallConfigError, type FirewallRule } from '../../stack/firewall/rules.js';
import { headerChecksum } from '../../stack/ipv4/packet.js';
import { PROTOCOL_TCP, PROTOCOL_UDP, parseIpv4 } from '../../stack/ipv4/wire.js';
import type { FrameReceiver, NetworkDevice } from '../../stack/link/device.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import { InnerPacketTemplate, transportChecksum } from '../vpn/inner-packet.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';

const INSIDE_HOST_MAC = parseMac('02:00:00:00:01:01');
const FW_INSIDE_MAC = parseMac('02:00:00:00:01:fe');
const FW_OUTSIDE_MAC = parseMac('02:00:00:00:02:fe');
const OUTSIDE_HOST_MAC = parseMac('02:00:00:00:02:01');
const INSIDE_NET = parseIpv4('10.1.0.0');
const OUTSIDE_NET = parseIpv4('10.2.0.0');
/** The firewall's public address: SNAT source and DNAT destination. */
export const PUBLIC_IP = parseIpv4('10.2.0.254');
const UDP_SERVER = parseIpv4('10.2.0.1');
const RESOLVER = parseIpv4('10.2.0.53');
const INSIDE_WEB = parseIpv4('10.1.0.5');
export const SNAT_PORTS = { lo: 20000, hi: 59999 } as const;
/** Policy rules (the filler rules go before them). */
export const POLICY_RULES = 5;
const KINDS = 6;
const SAMPLES = 8;
const TTL_SENT = 64;

/** Packet kinds of the cycle (see the module comment). */
const K_SNAT_OUT = 0;
const K_SNAT_REPLY = 1;
const K_DNAT_IN = 2;
const K_DNAT_REPLY = 3;
const K_ACCEPT = 4;
const K_DROP = 5;

const insideHost = (f: number): number => INSIDE_NET + 10 + f;
const outsideClient = (f: number): number => OUTSIDE_NET + 256 + 1 + f;

/** The firewall's policy, after `fillers` rules that match none of the workload's packets. */
export function firewallRules(total: number, seed: number): FirewallRule[] {
  const policy: FirewallRule[] = [
    { iface: 1, protocol: PROTOCOL_TCP, dst: { addr: PUBLIC_IP, bits: 32 }, dstPorts: { lo: 8080, hi: 8080 }, action: { kind: 'dnat', addr: INSIDE_WEB, port: 80 } },
    { iface: 0, protocol: PROTOCOL_UDP, src: { addr: INSIDE_NET, bits: 16 }, dst: { addr: RESOLVER, bits: 32 }, dstPorts: { lo: 53, hi: 53 }, action: { kind: 'accept' } },
    { iface: 0, protocol: PROTOCOL_UDP, src: { addr: INSIDE_NET, bits: 16 }, action: { kind: 'snat', addr: PUBLIC_IP, ports: { ...SNAT_PORTS } } },
    { iface: 0, protocol: PROTOCOL_TCP, src: { addr: INSIDE_NET, bits: 16 }, action: { kind: 'snat', addr: PUBLIC_IP, ports: { ...SNAT_PORTS } } },
    { iface: 1, protocol: PROTOCOL_TCP, dst: { addr: INSIDE_NET, bits: 16 }, dstPorts: { lo: 22, hi: 22 }, action: { kind: 'drop' } },
  ];
  if (!Number.isInteger(total) || total < POLICY_RULES) throw new WorkloadConfigError(`rules=${total}: the firewall workload needs at least ${POLICY_RULES} rules (its policy)`);
  let x = (seed | 0) ^ 0x2f6b_1d35 || 1;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const fillers: FirewallRule[] = [];
  for (let i = 0; i < total - POLICY_RULES; i++) {
    // A /24 inside 10.240.0.0/12, a range no packet of the workload uses: the rule never matches,
    // but only its address test says so (interface, protocol and ports vary and often match).
    const net = { addr: parseIpv4('10.240.0.0') + (rnd(4096) << 8), bits: 24 };
    const protocol = [PROTOCOL_TCP, PROTOCOL_UDP, undefined][rnd(3)];
    const lo = 1 + rnd(65000);
    const ports = protocol === undefined ? {} : { dstPorts: { lo, hi: lo + rnd(500) } };
    const iface = rnd(3) === 2 ? {} : { iface: rnd(2) };
    const onSrc = rnd(2) === 0;
    const action = rnd(4) === 0 ? { kind: 'accept' as const } : { kind: 'drop' as const };
    fillers.push({ ...iface, ...(protocol === undefined ? {} : { protocol }), ...(onSrc ? { src: net } : { dst: net }), ...ports, action });
  }
  return [...fillers, ...policy];
}

export interface FirewallWorkloadOptions {
  rules: number;
  flows: number;
  /** Every this many ops (a power of two) an arriving packet is checked byte for byte. */
  fullCheckEvery: number;
}

export function firewallOptionsFromParams(params: WorkloadSetup['params']): FirewallWorkloadOptions {
  const rules = Number(params['rules'] ?? 64);
  const flows = Number(params['flows'] ?? 16);
  if (!Number.isInteger(rules) || rules < POLICY_RULES || rules > 100_000) throw new WorkloadConfigError(`rules=${String(params['rules'])}: use an integer in ${POLICY_RULES}..100000`);
  if (!Number.isInteger(flows) || flows < 1 || flows > 250) throw new WorkloadConfigError(`flows=${String(params['flows'])}: use an integer in 1..250`);
  return { rules, flows, fullCheckEvery: 1024 };
}

/** What the receiving host must see for the packet in flight. */
interface Expected {
  /** 0: inside host, 1: outside host, −1: nothing (dropped). */
  host: number;
  protocol: number;
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  /** For a SNAT'd packet whose pool port is not known yet: accept any pool port and learn it. */
  learnPort: boolean;
}

/** One host on a link: sends template frames and checks what arrives. */
class Host implements FrameReceiver {
  readonly strategy: BufferStrategy;
  readonly frame: TxFrame = newTxFrame();
  private readonly macHi: number;
  private readonly macLo: number;
  private readonly fwMacHi: number;
  private readonly fwMacLo: number;

  constructor(
    readonly index: number,
    strategy: BufferStrategy,
    readonly device: NetworkDevice,
    mac: number,
    fwMac: number,
    private readonly onPacket: (host: number, cur: RxCursor) => void,
  ) {
    this.strategy = strategy;
    this.macHi = macHi(mac);
    this.macLo = macLo(mac);
    this.fwMacHi = macHi(fwMac);
    this.fwMacLo = macLo(fwMac);
    device.attach(strategy, this);
  }

  /** Sends `t` stamped with counter `n` in a frame to the firewall. */
  send(t: InnerPacketTemplate, n: number): boolean {
    const st = this.strategy;
    const f = this.frame;
    const len = t.bytes.length;
    st.beginTx(f, len, { headroomBytes: ETHERNET_HEADER_BYTES, tailroomBytes: 0 });
    st.copy(t.bytes, 0, len, f.buf, f.start);
    t.stamp(f.buf, f.start, n);
    st.prepend(f, ETHERNET_HEADER_BYTES);
    setMacHalves(f.buf, f.start + OFF_DST, this.fwMacHi, this.fwMacLo);
    setMacHalves(f.buf, f.start + OFF_SRC, this.macHi, this.macLo);
    setEthertype(f.buf, f.start, ETHERTYPE_IPV4);
    const ok = this.device.transmit(f);
    st.releaseTx(f);
    return ok;
  }

  /** Whether the frame's MACs say it came from the firewall to us. */
  fromFirewall(cur: RxCursor): boolean {
    const b = cur.buf;
    const s = cur.start;
    return getMacHi(b, s + OFF_DST) === this.macHi && getMacLo(b, s + OFF_DST) === this.macLo && getMacHi(b, s + OFF_SRC) === this.fwMacHi && getMacLo(b, s + OFF_SRC) === this.fwMacLo;
  }

  input(cur: RxCursor): void {
    this.onPacket(this.index, cur);
  }
}

export class FirewallWorkload implements WorkloadInstance {
  readonly payloadBytesPerOp: number;
  readonly firewall: Firewall;
  private readonly inside = new MemoryLink({ mtuBytes: 1500, queueFrames: 64 });
  private readonly outside = new MemoryLink({ mtuBytes: 1500, queueFrames: 64 });
  private readonly hosts: [Host, Host];
  /** Templates per kind × flow; kind 1 (the SNAT reply) is built when the pool port is learnt. */
  private readonly templates: Array<InnerPacketTemplate | null>;
  /** Per flow: the SNAT pool port the firewall gave kind 0, learnt from the first packet (−1: not yet). */
  private readonly snatPort: Int32Array;
  private readonly sampleAt: Int32Array;
  private readonly expected: Expected = { host: -1, protocol: 0, src: 0, srcPort: 0, dst: 0, dstPort: 0, learnPort: false };
  private readonly sizeBytes: number;
  private readonly seed: number;
  private n = 0;
  private current: InnerPacketTemplate | null = null;
  private arrived = false;
  private sent = 0;
  private sendFailed = 0;
  private delivered = 0;
  private verified = 0;
  private fullyVerified = 0;
  private mismatched = 0;
  private unexpected = 0;
  private expectedDrops = 0;
  private firstMismatch = '';
  private forceFullCheck = false;

  constructor(
    setup: WorkloadSetup,
    readonly options: FirewallWorkloadOptions,
  ) {
    const o = options;
    if ((o.fullCheckEvery & (o.fullCheckEvery - 1)) !== 0 || o.fullCheckEvery < 1) throw new WorkloadConfigError(`fullCheckEvery ${o.fullCheckEvery}: use a power of two`);
    this.sizeBytes = setup.sizeBytes;
    this.seed = setup.seed;
    this.payloadBytesPerOp = setup.sizeBytes;
    const deliver = (host: number, cur: RxCursor): void => this.onArrival(host, cur);
    this.hosts = [
      new Host(0, setup.makeStrategy(), this.inside.a, INSIDE_HOST_MAC, FW_INSIDE_MAC, deliver),
      new Host(1, setup.makeStrategy(), this.outside.b, OUTSIDE_HOST_MAC, FW_OUTSIDE_MAC, deliver),
    ];
    try {
      this.firewall = new Firewall({
        strategy: setup.makeStrategy(),
        interfaces: [
          { device: this.inside.b, mac: FW_INSIDE_MAC, prefix: { addr: INSIDE_NET, bits: 16 }, neighbourMac: INSIDE_HOST_MAC },
          { device: this.outside.a, mac: FW_OUTSIDE_MAC, prefix: { addr: OUTSIDE_NET, bits: 16 }, neighbourMac: OUTSIDE_HOST_MAC },
        ],
        rules: firewallRules(o.rules, setup.seed),
        connTableEntries: Math.max(64, 8 * o.flows),
      });
    } catch (err) {
      if (err instanceof FirewallConfigError) throw new WorkloadConfigError(err.message);
      throw err;
    }
    this.snatPort = new Int32Array(o.flows).fill(-1);
    this.templates = new Array<InnerPacketTemplate | null>(KINDS * o.flows).fill(null);
    for (let f = 0; f < o.flows; f++) {
      this.templates[K_SNAT_OUT * o.flows + f] = this.template('udp', insideHost(f), 40000 + f, UDP_SERVER, 5001, f);
      this.templates[K_DNAT_IN * o.flows + f] = this.template('tcp', outsideClient(f), 30000 + f, PUBLIC_IP, 8080, f);
      this.templates[K_DNAT_REPLY * o.flows + f] = this.template('tcp', INSIDE_WEB, 80, outsideClient(f), 30000 + f, f);
      this.templates[K_ACCEPT * o.flows + f] = this.template('udp', insideHost(f), 41000 + f, RESOLVER, 53, f);
      this.templates[K_DROP * o.flows + f] = this.template('tcp', outsideClient(f), 31000 + f, insideHost(f), 22, f);
    }
    const t = this.templates[K_DNAT_IN * o.flows]!;
    this.sampleAt = new Int32Array(SAMPLES);
    const span = setup.sizeBytes - t.payloadStart - 5;
    for (let i = 0; i < SAMPLES; i++) this.sampleAt[i] = t.payloadStart + 4 + Math.floor((span * i) / (SAMPLES - 1));
  }

  private template(protocol: 'udp' | 'tcp', src: number, srcPort: number, dst: number, dstPort: number, flow: number): InnerPacketTemplate {
    try {
      return new InnerPacketTemplate({ protocol, totalBytes: this.sizeBytes, srcIp: src, dstIp: dst, srcPort, dstPort, seed: this.seed + flow });
    } catch (err) {
      if (err instanceof WorkloadConfigError) throw new WorkloadConfigError(`firewall: ${err.message}; the packet size must be at least 44 bytes (TCP kinds) and at most 1500`);
      throw err;
    }
  }

  op(): void {
    const n = this.n++;
    const flows = this.options.flows;
    const kind = n % KINDS;
    const flow = Math.floor(n / KINDS) % flows;
    const e = this.expected;
    let from: Host;
    e.learnPort = false;
    switch (kind) {
      case K_SNAT_OUT:
        from = this.hosts[0];
        this.expect(1, PROTOCOL_UDP, PUBLIC_IP, this.snatPort[flow]!, UDP_SERVER, 5001);
        e.learnPort = this.snatPort[flow]! < 0;
        break;
      case K_SNAT_REPLY:
        from = this.hosts[1];
        this.expect(0, PROTOCOL_UDP, UDP_SERVER, 5001, insideHost(flow), 40000 + flow);
        break;
      case K_DNAT_IN:
        from = this.hosts[1];
        this.expect(0, PROTOCOL_TCP, outsideClient(flow), 30000 + flow, INSIDE_WEB, 80);
        break;
      case K_DNAT_REPLY:
        from = this.hosts[0];
        this.expect(1, PROTOCOL_TCP, PUBLIC_IP, 8080, outsideClient(flow), 30000 + flow);
        break;
      case K_ACCEPT:
        from = this.hosts[0];
        this.expect(1, PROTOCOL_UDP, insideHost(flow), 41000 + flow, RESOLVER, 53);
        break;
      default:
        from = this.hosts[1];
        this.expect(-1, PROTOCOL_TCP, 0, 0, 0, 0);
        this.expectedDrops++;
    }
    const t = this.templates[kind * flows + flow] ?? null;
    if (t === null) {
      // The reply to a flow whose first packet never arrived (the mismatch is already counted).
      this.sendFailed++;
      return;
    }
    this.current = t;
    this.arrived = false;
    this.sent++;
    if (!from.send(t, n)) this.sendFailed++;
    // Ingress link first (the firewall forwards onto the other link), then the egress link.
    if (from.index === 0) {
      this.inside.drain();
      this.outside.drain();
    } else {
      this.outside.drain();
      this.inside.drain();
    }
    if (e.host >= 0 && !this.arrived) this.mismatch(n, 'did not arrive');
    this.forceFullCheck = false;
  }

  private expect(host: number, protocol: number, src: number, srcPort: number, dst: number, dstPort: number): void {
    const e = this.expected;
    e.host = host;
    e.protocol = protocol;
    e.src = src;
    e.srcPort = srcPort;
    e.dst = dst;
    e.dstPort = dstPort;
  }

  private mismatch(n: number, why: string): void {
    this.mismatched++;
    if (this.firstMismatch === '') this.firstMismatch = `packet ${n} (kind ${n % KINDS}): ${why}`;
  }

  private onArrival(host: number, cur: RxCursor): void {
    this.delivered++;
    const n = this.n - 1;
    const e = this.expected;
    const t = this.current;
    if (this.arrived || host !== e.host || t === null) {
      this.unexpected++;
      this.mismatch(n, `arrived at host ${host}, expected ${e.host}`);
      return;
    }
    this.arrived = true;
    const h = host === 0 ? this.hosts[0] : this.hosts[1];
    const b = cur.buf;
    const ip = cur.start + ETHERNET_HEADER_BYTES;
    const len = cur.end - ip;
    if (!h.fromFirewall(cur) || getU16(b, cur.start + 12) !== ETHERTYPE_IPV4) return this.mismatch(n, 'wrong MACs or EtherType');
    if (len !== t.bytes.length || b[ip] !== 0x45 || getU16(b, ip + 2) !== len) return this.mismatch(n, 'wrong length or IPv4 version/IHL');
    if (headerChecksum(b, ip, 20) !== 0) return this.mismatch(n, 'bad IPv4 header checksum');
    if (b[ip + 8] !== TTL_SENT - 1) return this.mismatch(n, `TTL ${b[ip + 8]}, expected ${TTL_SENT - 1}`);
    if (b[ip + 9] !== e.protocol) return this.mismatch(n, 'wrong protocol');
    if (getU32(b, ip + 12) !== e.src || getU32(b, ip + 16) !== e.dst) return this.mismatch(n, 'wrong addresses after translation');
    const sport = getU16(b, ip + 20);
    const dport = getU16(b, ip + 22);
    if (dport !== e.dstPort) return this.mismatch(n, `destination port ${dport}, expected ${e.dstPort}`);
    if (e.learnPort) {
      if (sport < SNAT_PORTS.lo || sport > SNAT_PORTS.hi) return this.mismatch(n, `SNAT source port ${sport} outside the pool`);
      const flow = Math.floor(n / KINDS) % this.options.flows;
      this.snatPort[flow] = sport;
      this.templates[K_SNAT_REPLY * this.options.flows + flow] = this.template('udp', UDP_SERVER, 5001, PUBLIC_IP, sport, flow);
    } else if (sport !== e.srcPort) return this.mismatch(n, `source port ${sport}, expected ${e.srcPort}`);
    if (getU32(b, ip + t.counterAt) !== n >>> 0) return this.mismatch(n, 'wrong packet counter');
    const tb = t.bytes;
    for (let i = 0; i < SAMPLES; i++) {
      const at = this.sampleAt[i]!;
      if (b[ip + at] !== tb[at]) return this.mismatch(n, `payload byte ${at} differs`);
    }
    if (this.forceFullCheck || (n & (this.options.fullCheckEvery - 1)) === 0) {
      const field = getU16(b, ip + t.checksumAt);
      if (field !== transportChecksum(b, ip, cur.end)) return this.mismatch(n, 'bad TCP/UDP checksum after forwarding');
      for (let i = t.counterAt + 4; i < len; i++) if (b[ip + i] !== tb[i]) return this.mismatch(n, `payload byte ${i} differs`);
      this.fullyVerified++;
    }
    this.verified++;
  }

  strategyCounters(): StrategyCounters {
    return sumCounters([this.hosts[0].strategy.counters, this.firewall.strategy.counters, this.hosts[1].strategy.counters]);
  }

  counters(): Record<string, number> {
    const c = this.firewall.counters;
    return {
      sent: this.sent,
      delivered: this.delivered,
      verified: this.verified,
      fullyVerified: this.fullyVerified,
      mismatched: this.mismatched,
      unexpected: this.unexpected,
      sendFailed: this.sendFailed,
      expectedDrops: this.expectedDrops,
      forwarded: c.forwarded,
      connHits: c.connHits,
      connectionsCreated: c.connectionsCreated,
      droppedByRule: c.droppedByRule,
      dropped: firewallDropped(c),
      firewallSendFailed: c.sendFailed,
      connTableEntries: this.firewall.conns.entries,
      ruleSetSize: this.firewall.rules.size,
      linkDropped: this.inside.a.counters.droppedQueueFull + this.inside.b.counters.droppedQueueFull + this.outside.a.counters.droppedQueueFull + this.outside.b.counters.droppedQueueFull,
    };
  }

  verify(): void {
    // The packets of one more cycle, each checked byte for byte.
    for (let i = 0; i < KINDS; i++) {
      this.forceFullCheck = true;
      this.op();
    }
    const c = this.counters();
    const problems: string[] = [];
    if (this.mismatched > 0) problems.push(`${this.mismatched} packets wrong or missing (first: ${this.firstMismatch})`);
    if (this.sendFailed > 0 || c['firewallSendFailed']! > 0 || c['linkDropped']! > 0) problems.push(`${this.sendFailed} sends failed, the firewall failed ${c['firewallSendFailed']}, the links dropped ${c['linkDropped']}`);
    if (c['dropped'] !== this.expectedDrops || c['droppedByRule'] !== this.expectedDrops) problems.push(`the firewall dropped ${c['dropped']} packets (${c['droppedByRule']} by rule), the policy drops ${this.expectedDrops}`);
    if (this.verified !== this.sent - this.expectedDrops) problems.push(`${this.verified} of ${this.sent - this.expectedDrops} forwarded packets verified`);
    if (c['forwarded'] !== this.sent - this.expectedDrops) problems.push(`${c['forwarded']} forwarded, expected ${this.sent - this.expectedDrops}`);
    // One SNAT connection per flow whose kind-0 packet was sent, one DNAT per kind-2 packet's flow.
    const sentOfKind = (k: number): number => (this.n > k ? Math.floor((this.n - 1 - k) / KINDS) + 1 : 0);
    const conns = Math.min(sentOfKind(K_SNAT_OUT), this.options.flows) + Math.min(sentOfKind(K_DNAT_IN), this.options.flows);
    if (c['connectionsCreated'] !== conns) problems.push(`${c['connectionsCreated']} NAT connections created, expected ${conns} (one SNAT and one DNAT per flow)`);
    if (problems.length > 0) throw new Error(`firewall workload (${this.options.rules} rules): ${problems.join('; ')}`);
  }

  close(): void {
    this.firewall.conns.clear();
  }
}

export const firewallWorkload: WorkloadDefinition = {
  name: 'firewall',
  description: 'stateful IPv4 firewall (rules, SNAT/DNAT connection table) forwarding between two in-memory links; op = one packet offered',
  create(setup: WorkloadSetup): WorkloadInstance {
    return new FirewallWorkload(setup, firewallOptionsFromParams(setup.params));
  },
};
