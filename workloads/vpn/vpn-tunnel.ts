/**
 * The VPN tunnel workload: an OpenVPN client and server in one process (MirageVPN's microbenchmark
 * shape). `op()` moves one inner packet of a bulk transfer through the whole tunnel:
 *
 *   tun (template copy + stamp) → client data channel seal → UDP/IPv4/Ethernet → memory link
 *   → server Ethernet/IPv4/UDP → server data channel open → inner packet checked
 *
 * Everything goes through the endpoints' strategies. Each op checks the packet counter and sampled
 * bytes of what the server decoded; every 1024th op and `verify()` check every byte and the inner
 * checksums. The outer UDP checksum is off by default (`outerChecksum: false`, a NIC's checksum
 * offload: the kernel or the card computes it for a real OpenVPN), so the buffer path is what is
 * measured; turn it on with the param to include it.
 */
import type { BufferStrategy, RxCursor, StrategyCounters } from '../../allocators/buffer-strategy.js';
import { sumCounters, newRxCursor, newTxFrame } from '../../allocators/buffer-strategy.js';
import type { CryptoBackendName } from '../../stack/crypto/backends.js';
import { fillSeededBytes } from '../../allocators/prng.js';
import type { CryptoBackend } from '../../stack/crypto/crypto-backend.js';
import { parseMac } from '../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import { OpenResult, droppedTotal, type DataChannel } from '../../stack/openvpn/data-channel.js';
import { staticKeyFromBytes } from '../../stack/openvpn/static-key.js';
import { buildUdpStack, type UdpStack } from '../../stack/udp/udp-stack.js';
import { cryptoBackendFromParams } from '../crypto-param.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';
import { buildChannel, checkVpnCipher, type VpnCipher } from './ciphers.js';
import { INNER_PROTOCOLS, InnerPacketTemplate, innerPacketValid, type InnerProtocol } from './inner-packet.js';

export const VPN_PORT = 1194;
const CLIENT_MAC = parseMac('02:00:00:00:00:01');
const SERVER_MAC = parseMac('02:00:00:00:00:02');
// Small addresses on purpose: V8 keeps small integers unboxed (Smi: below 2^31 on x64, 2^30 with
// pointer compression); with 192.0.2.x the IPv4 layer's reads were boxed into heap numbers, an
// allocation per packet (seen in a heap profile) that is V8's, not the strategy's.
const CLIENT_IP = parseIpv4('10.0.0.1');
const SERVER_IP = parseIpv4('10.0.0.2');
const INNER_SRC = parseIpv4('10.8.0.2');
const INNER_DST = parseIpv4('10.8.0.1');
/** Every this many ops the server compares every byte (power of two). */
const FULL_CHECK_EVERY = 1024;
const SAMPLES = 8;

/** Deterministic 256-byte static key from the seed (the workload needs no key file). */
function seededKey(seed: number): Uint8Array {
  const out = new Uint8Array(256);
  fillSeededBytes(out, 0, out.length, seed ^ 0x5bd1e995);
  return out;
}

interface Endpoint {
  strategy: BufferStrategy;
  stack: UdpStack;
  channel: DataChannel;
  backend: CryptoBackend;
}

export interface VpnTunnelOptions {
  cipher: VpnCipher;
  inner: InnerProtocol;
  /** Crypto backend of the real ciphers (`--param crypto`); cipher `none` always uses the null one. */
  crypto: CryptoBackendName;
  outerChecksum: boolean;
}

export function vpnOptionsFromParams(params: WorkloadSetup['params']): VpnTunnelOptions {
  const cipher = checkVpnCipher(String(params['cipher'] ?? 'aes-256-gcm'));
  const inner = String(params['inner'] ?? 'udp');
  if (!(INNER_PROTOCOLS as readonly string[]).includes(inner)) {
    throw new WorkloadConfigError(`unknown inner protocol '${inner}': use ${INNER_PROTOCOLS.join(' or ')}`);
  }
  const oc = params['outerChecksum'] ?? false;
  return { cipher, inner: inner as InnerProtocol, crypto: cryptoBackendFromParams(params), outerChecksum: oc === true || oc === 'true' };
}

export class VpnTunnel implements WorkloadInstance {
  readonly payloadBytesPerOp: number;
  private readonly link = new MemoryLink({ mtuBytes: 1500, queueFrames: 64 });
  private readonly client: Endpoint;
  private readonly server: Endpoint;
  private readonly template: InnerPacketTemplate;
  private readonly frame = newTxFrame();
  private readonly plain: RxCursor = newRxCursor();
  private readonly sampleAt: Int32Array;
  /** The expected packet for the full comparison (allocated once). */
  private readonly expectScratch: Uint8Array;
  /**
   * The replay window's clock (OpenVPN's `now`, whole seconds): it starts at the wall clock and
   * then advances one second per {@link FULL_CHECK_EVERY} packets, not with wall time, so that the
   * work per packet does not depend on how fast the machine runs. With wall time, under valgrind
   * (`--count-instructions`: a second is ~50x fewer packets) the window's 5-second reap first ran
   * at a scheduler-dependent packet inside some counted phases, its call site without feedback
   * deoptimised the whole receive path, and those forks counted 16–37% more instructions per op
   * than their cell's others. The reap now runs every 5 x 1024 packets in every fork, warm-up
   * included; its cost (a pass over the 64-entry window) is under 0.1 ns per packet. In-memory
   * packets arrive in order, so the window's time expiry rejects nothing either way.
   */
  private nowS = Math.floor(Date.now() / 1000);
  private sent = 0;
  private received = 0;
  private verified = 0;
  private fullyVerified = 0;
  private mismatched = 0;
  private notData = 0;
  private sendFailed = 0;
  private lastBadCounter = -1;
  /** Set by `verify()`: check the next packet byte for byte whatever its number. */
  private forceFullCheck = false;

  constructor(
    setup: WorkloadSetup,
    readonly options: VpnTunnelOptions,
  ) {
    this.template = new InnerPacketTemplate({ protocol: options.inner, totalBytes: setup.sizeBytes, srcIp: INNER_SRC, dstIp: INNER_DST, seed: setup.seed });
    this.payloadBytesPerOp = setup.sizeBytes;
    this.expectScratch = new Uint8Array(setup.sizeBytes);
    const key = staticKeyFromBytes(seededKey(setup.seed));
    const clock = (): number => this.nowS;
    const make = (direction: 0 | 1, mac: number, ip: number, peerMac: number, peerIp: number, device: MemoryLink['a']): Endpoint => {
      const strategy = setup.makeStrategy();
      const stack = buildUdpStack({ strategy, device, mac, ip, neighbours: [[peerIp, peerMac]], udp: { checksumOnSend: options.outerChecksum } });
      const { channel, backend } = buildChannel({ cipher: options.cipher, crypto: options.crypto, key, direction, strategy, clock });
      return { strategy, stack, channel, backend };
    };
    this.client = make(0, CLIENT_MAC, CLIENT_IP, SERVER_MAC, SERVER_IP, this.link.a);
    this.server = make(1, SERVER_MAC, SERVER_IP, CLIENT_MAC, CLIENT_IP, this.link.b);
    const outerPayload = this.client.channel.layout.headroomBytes + setup.sizeBytes + this.client.channel.layout.tailroomBytes;
    if (outerPayload > this.client.stack.udp.maxPayloadBytes) {
      throw new WorkloadConfigError(
        `inner packet of ${setup.sizeBytes} bytes with ${options.cipher} needs up to ${outerPayload} bytes of UDP payload, more than the ${this.client.stack.udp.maxPayloadBytes} that fit in a 1500-byte MTU: use a smaller size`,
      );
    }
    // Sampled offsets: spread over the packet, always inside it, the counter excluded.
    const n = setup.sizeBytes;
    this.sampleAt = new Int32Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) this.sampleAt[i] = this.template.payloadStart + 4 + Math.floor(((n - this.template.payloadStart - 5) * i) / (SAMPLES - 1));
    this.server.stack.udp.bind(VPN_PORT, { onDatagram: (payload) => this.onServerDatagram(payload) });
  }

  op(): void {
    const c = this.client;
    const st = c.strategy;
    const f = this.frame;
    const n = this.sent++;
    if ((n & (FULL_CHECK_EVERY - 1)) === 0) this.nowS++;
    // The tun device hands over one inner packet: copy the template, stamp its counter.
    const t = this.template.bytes;
    // The data channel's header and trailer reserved above UDP's (one way to begin a frame).
    c.stack.udp.beginDatagram(f, t.length, c.channel.layout);
    st.copy(t, 0, t.length, f.buf, f.start);
    this.template.stamp(f.buf, f.start, n);
    if (!c.channel.seal(f)) {
      st.releaseTx(f);
      this.sendFailed++;
      return;
    }
    if (!c.stack.udp.sendTo(f, VPN_PORT, SERVER_IP, VPN_PORT)) this.sendFailed++;
    this.link.drain();
  }

  private onServerDatagram(payload: RxCursor): void {
    this.received++;
    const code = this.server.channel.open(payload, this.plain);
    if (code !== OpenResult.DATA) {
      this.notData++;
      return;
    }
    const p = this.plain;
    // Delivery is synchronous within op(): this is the packet op() just sent.
    const expected = this.sent - 1;
    const counter = this.template.readCounter(p.buf, p.start, p.end - p.start);
    let ok = counter === expected;
    const t = this.template.bytes;
    for (let i = 0; ok && i < SAMPLES; i++) {
      const at = this.sampleAt[i]!;
      if (p.buf[p.start + at] !== t[at]) ok = false;
    }
    if (ok && (this.forceFullCheck || (expected & (FULL_CHECK_EVERY - 1)) === 0)) ok = this.checkAllBytes(p, expected);
    this.forceFullCheck = false;
    if (ok) this.verified++;
    else {
      this.mismatched++;
      this.lastBadCounter = counter;
    }
  }

  /** Every byte equals the template stamped with `counter`, and the inner checksums hold. */
  private checkAllBytes(p: RxCursor, counter: number): boolean {
    const t = this.template;
    if (!innerPacketValid(p.buf, p.start, p.end)) return false;
    const expect = this.expectScratch;
    expect.set(t.bytes);
    t.stamp(expect, 0, counter);
    for (let i = 0; i < expect.length; i++) if (p.buf[p.start + i] !== expect[i]) return false;
    this.fullyVerified++;
    return true;
  }

  strategyCounters(): StrategyCounters {
    return sumCounters([this.client.strategy.counters, this.server.strategy.counters]);
  }

  counters(): Record<string, number> {
    const cs = this.client.channel.stats;
    const ss = this.server.channel.stats;
    return {
      sent: this.sent,
      received: this.received,
      verified: this.verified,
      fullyVerified: this.fullyVerified,
      mismatched: this.mismatched,
      notData: this.notData,
      sendFailed: this.sendFailed,
      sealed: cs.sealed,
      opened: ss.opened,
      dropped: droppedTotal(ss),
      droppedBadTag: ss.badTag,
      droppedBadHmac: ss.badHmac,
      droppedReplay: ss.replay,
      outerUdpDropped: this.server.stack.udp.counters.droppedBadChecksum + this.server.stack.udp.counters.droppedNoListener,
      linkDropped: this.link.a.counters.droppedOversize + this.link.a.counters.droppedQueueFull,
      cryptoViews: this.client.backend.viewsCreated + this.server.backend.viewsCreated,
    };
  }

  verify(): void {
    // One more packet, checked byte for byte (inside the receive call: its buffer is released after).
    const before = this.fullyVerified;
    this.forceFullCheck = true;
    this.op();
    const okLast = this.fullyVerified === before + 1;
    const c = this.counters();
    const problems: string[] = [];
    if (this.mismatched > 0) problems.push(`${this.mismatched} decoded packets differed from what was sent (last counter read ${this.lastBadCounter})`);
    if (this.received !== this.sent) problems.push(`${this.sent} packets sent but ${this.received} reached the server`);
    if (c['dropped']! > 0 || this.notData > 0) problems.push(`${c['dropped']} packets dropped by the server's data channel, ${this.notData} not data`);
    if (this.sendFailed > 0) problems.push(`${this.sendFailed} sends failed`);
    if (this.verified !== this.sent) problems.push(`${this.verified} of ${this.sent} packets verified`);
    if (!okLast) problems.push('the final packet did not match byte for byte');
    if (problems.length > 0) throw new Error(`vpn workload (${this.options.cipher}): ${problems.join('; ')}`);
  }

  close(): void {
    this.server.stack.udp.unbind(VPN_PORT);
  }
}

export const vpnWorkload: WorkloadDefinition = {
  name: 'vpn',
  description: 'OpenVPN data channel (P_DATA_V2 AEAD or static-key CBC+HMAC) client->server over UDP/IPv4/Ethernet in memory; op = one inner packet',
  create(setup: WorkloadSetup): WorkloadInstance {
    return new VpnTunnel(setup, vpnOptionsFromParams(setup.params));
  },
};
