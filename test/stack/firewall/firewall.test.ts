/**
 * The firewall between two in-memory links under every strategy (poisoning included): our own UDP
 * stacks on both sides talk through SNAT (their checksums verify the patched headers), TCP packets
 * through DNAT are checked by an independent checksum, every drop reason is counted, and the
 * strategy counters show the forwarding design (a new frame under uint8array, in place otherwise).
 */
import { describe, expect, it } from 'vitest';
import { newTxFrame, type BufferStrategy, type RxCursor } from '../../../allocators/buffer-strategy.js';
import { encodeEthernetInto } from '../../../stack/ethernet/packet.js';
import { ETHERNET_HEADER_BYTES, ETHERTYPE_IPV4, macHi, macLo, parseMac } from '../../../stack/ethernet/wire.js';
import { Firewall, firewallDropped, type FirewallOptions } from '../../../stack/firewall/firewall.js';
import type { FirewallRule } from '../../../stack/firewall/rules.js';
import { parseIpv4 } from '../../../stack/ipv4/wire.js';
import { MemoryLink } from '../../../stack/link/memory-link.js';
import { buildUdpStack } from '../../../stack/udp/udp-stack.js';
import { InnerPacketTemplate } from '../../../workloads/vpn/inner-packet.js';
import { STRATEGY_CASES } from '../strategies.js';

const HOST_IN_MAC = parseMac('02:00:00:00:01:01');
const FW_IN_MAC = parseMac('02:00:00:00:01:fe');
const FW_OUT_MAC = parseMac('02:00:00:00:02:fe');
const HOST_OUT_MAC = parseMac('02:00:00:00:02:01');
const CLIENT = parseIpv4('10.1.0.10');
const SERVER = parseIpv4('198.51.100.1');
const PUBLIC = parseIpv4('198.51.100.254');
const WEB = parseIpv4('10.1.0.5');

const POLICY: FirewallRule[] = [
  { iface: 1, protocol: 6, dst: { addr: PUBLIC, bits: 32 }, dstPorts: { lo: 8080, hi: 8080 }, action: { kind: 'dnat', addr: WEB, port: 80 } },
  { iface: 0, protocol: 17, src: { addr: parseIpv4('10.1.0.0'), bits: 16 }, dstPorts: { lo: 7, hi: 7 }, action: { kind: 'accept' } },
  { iface: 0, protocol: 17, src: { addr: parseIpv4('10.1.0.0'), bits: 16 }, action: { kind: 'snat', addr: PUBLIC, ports: { lo: 20000, hi: 20001 } } },
  { iface: 1, protocol: 6, dstPorts: { lo: 22, hi: 22 }, action: { kind: 'drop' } },
];

function topology(make: () => BufferStrategy, extra: Partial<FirewallOptions> = {}) {
  const inside = new MemoryLink();
  const outside = new MemoryLink();
  const fw = new Firewall({
    strategy: make(),
    interfaces: [
      { device: inside.b, mac: FW_IN_MAC, prefix: { addr: parseIpv4('10.1.0.0'), bits: 16 }, neighbourMac: HOST_IN_MAC },
      { device: outside.a, mac: FW_OUT_MAC, prefix: { addr: parseIpv4('198.51.100.0'), bits: 24 }, neighbourMac: HOST_OUT_MAC },
    ],
    rules: POLICY,
    ...extra,
  });
  return { inside, outside, fw };
}

/** Captures whole frames arriving at a device (copied out: the device releases them). */
function capture(device: MemoryLink['a'], make: () => BufferStrategy): Uint8Array[] {
  const got: Uint8Array[] = [];
  device.attach(make(), { input: (cur: RxCursor) => got.push(Uint8Array.from(cur.buf.subarray(cur.start, cur.end))) });
  return got;
}

/** Sends an IPv4 packet from a raw device to the firewall. */
function inject(device: MemoryLink['a'], ipPacket: Uint8Array, dstMac: number, srcMac: number): void {
  const buf = new Uint8Array(ETHERNET_HEADER_BYTES + ipPacket.length);
  encodeEthernetInto({ dstMacHi: macHi(dstMac), dstMacLo: macLo(dstMac), srcMacHi: macHi(srcMac), srcMacLo: macLo(srcMac), ethertype: ETHERTYPE_IPV4 }, buf, 0);
  buf.set(ipPacket, ETHERNET_HEADER_BYTES);
  const f = newTxFrame();
  f.buf = buf;
  f.end = buf.length;
  device.transmit(f);
}

/** RFC 1071 written out plainly (independent of stack/checksum.ts): the sum of an IPv4 header and of the TCP/UDP pseudo-header and segment must be 0xffff. */
function checksumsHold(p: Uint8Array): boolean {
  const sum = (words: number[]): number => words.reduce((s, w) => ((s + w) & 0xffff) + ((s + w) >>> 16), 0);
  const words = (b: Uint8Array): number[] => Array.from({ length: Math.ceil(b.length / 2) }, (_, i) => (b[2 * i]! << 8) | (b[2 * i + 1] ?? 0));
  const seg = p.subarray(20);
  return sum(words(p.subarray(0, 20))) === 0xffff && sum([...words(p.subarray(12, 20)), p[9]!, seg.length, ...words(seg)]) === 0xffff;
}

/** Recomputes the IPv4 header checksum of `p` in place (after a test edited the header). */
function fixIpv4Checksum(p: Uint8Array): void {
  p[10] = 0;
  p[11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p[10] = (~sum >> 8) & 0xff;
  p[11] = ~sum & 0xff;
}

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at);
const u16 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint16(at);

describe('Firewall', () => {
  for (const sc of STRATEGY_CASES) {
    it(`${sc.name}: UDP through SNAT both ways between our own stacks; the reply is un-translated`, () => {
      const { inside, outside, fw } = topology(sc.make);
      const client = buildUdpStack({ strategy: sc.make(), device: inside.a, mac: HOST_IN_MAC, ip: CLIENT, neighbours: [[SERVER, FW_IN_MAC]] });
      const server = buildUdpStack({ strategy: sc.make(), device: outside.b, mac: HOST_OUT_MAC, ip: SERVER, neighbours: [[PUBLIC, FW_OUT_MAC]] });
      const seenByServer: Array<[number, number, string]> = [];
      const seenByClient: Array<[number, number, string]> = [];
      const text = (c: RxCursor): string => Buffer.from(c.buf.subarray(c.start, c.end)).toString();
      server.udp.bind(5353, {
        onDatagram: (payload, srcIp, srcPort) => {
          seenByServer.push([srcIp, srcPort, text(payload)]);
          const f = newTxFrame();
          const answer = Buffer.from(`re: ${text(payload)}`);
          server.udp.beginDatagram(f, answer.length);
          f.buf.set(answer, f.start);
          server.udp.sendTo(f, 5353, srcIp, srcPort);
        },
      });
      client.udp.bind(40000, { onDatagram: (payload, srcIp, srcPort) => void seenByClient.push([srcIp, srcPort, text(payload)]) });
      for (let i = 0; i < 50; i++) {
        const f = newTxFrame();
        const msg = Buffer.from(`hello ${i} `.repeat(1 + (i % 40)));
        client.udp.beginDatagram(f, msg.length);
        f.buf.set(msg, f.start);
        expect(client.udp.sendTo(f, 40000, SERVER, 5353)).toBe(true);
        for (let k = 0; k < 3; k++) {
          inside.drain();
          outside.drain();
        }
      }
      expect(seenByServer).toHaveLength(50);
      expect(seenByServer.every(([ip, port], i) => ip === PUBLIC && port === 20000 && seenByServer[i]![2].startsWith(`hello ${i} `))).toBe(true);
      expect(seenByClient).toHaveLength(50);
      expect(seenByClient.every(([ip, port, t], i) => ip === SERVER && port === 5353 && t === `re: ${seenByServer[i]![2]}`)).toBe(true);
      // Checksums verified by the receiving UDP layers (a patched checksum that were wrong is dropped there).
      expect(server.udp.counters.droppedBadChecksum + client.udp.counters.droppedBadChecksum).toBe(0);
      expect(fw.counters).toMatchObject({ received: 100, forwarded: 100, connectionsCreated: 1, connHits: 99 });
      expect(firewallDropped(fw.counters)).toBe(0);
    });

    it(`${sc.name}: TCP through DNAT and back, independent checksums, TTL decremented; allocation as designed`, () => {
      const { inside, outside, fw } = topology(sc.make);
      const atWeb = capture(inside.a, sc.make);
      const atClient = capture(outside.b, sc.make);
      const client = parseIpv4('198.51.100.7');
      for (let n = 0; n < 20; n++) {
        const t = new InnerPacketTemplate({ protocol: 'tcp', totalBytes: 60 + 71 * n, srcIp: client, dstIp: PUBLIC, srcPort: 33000, dstPort: 8080, seed: n });
        const p = Uint8Array.from(t.bytes);
        t.stamp(p, 0, n * 7919);
        const before = fw.strategy.counters.allocations;
        const missesBefore = fw.strategy.counters.poolMisses;
        const viewsBefore = fw.strategy.counters.views;
        inject(outside.b, p, FW_OUT_MAC, HOST_OUT_MAC);
        outside.drain();
        inside.drain();
        expect(fw.counters, JSON.stringify(fw.counters)).toMatchObject({ forwarded: 2 * n + 1 });
        const got = atWeb[n]!.subarray(ETHERNET_HEADER_BYTES);
        expect([u32(got, 12), u32(got, 16), u16(got, 20), u16(got, 22), got[8]]).toEqual([client, WEB, 33000, 80, 63]);
        expect(checksumsHold(got)).toBe(true);
        // Everything after the ports is as sent, but for the patched checksum (bytes 36-37).
        expect(got.subarray(24, 36)).toEqual(p.subarray(24, 36));
        expect(got.subarray(38)).toEqual(p.subarray(38));
        // The web server answers: from 10.1.0.5:80, seen outside as the public address:8080.
        const r = new InnerPacketTemplate({ protocol: 'tcp', totalBytes: 60 + 31 * n, srcIp: WEB, dstIp: client, srcPort: 80, dstPort: 33000, seed: 100 + n });
        inject(inside.a, r.bytes, FW_IN_MAC, HOST_IN_MAC);
        inside.drain();
        outside.drain();
        const back = atClient[n]!.subarray(ETHERNET_HEADER_BYTES);
        expect([u32(back, 12), u32(back, 16), u16(back, 20), u16(back, 22), back[8]]).toEqual([PUBLIC, client, 8080, 33000, 63]);
        expect(checksumsHold(back)).toBe(true);
        if (n > 0) {
          const made = fw.strategy.counters.allocations - before;
          // Per forwarded packet (two here): uint8array's receive buffer, the copy handed up and the
          // concatenated frame; the others forward the received frame in place, out of a reused
          // receive buffer (pooled's handUp makes one counted view).
          // (pooled allocates only when a growing packet needs a new size class's slab: a miss.)
          expect(made).toBe(sc.name === 'uint8array' ? 6 : fw.strategy.counters.poolMisses - missesBefore);
          if (made === 0) expect(fw.strategy.counters.views - viewsBefore).toBe(sc.name.includes('pooled') ? 2 : 0);
        }
      }
      expect(fw.counters).toMatchObject({ forwarded: 40, connectionsCreated: 1 });
    });

    it(`${sc.name}: every drop reason is counted and nothing is forwarded`, () => {
      const { inside, outside, fw } = topology(sc.make, { connTableEntries: 4 });
      const out = capture(outside.b, sc.make);
      const inn = capture(inside.a, sc.make);
      const udp = (src: number, sport: number, dst: number, dport: number, bytes = 80): Uint8Array =>
        Uint8Array.from(new InnerPacketTemplate({ protocol: 'udp', totalBytes: bytes, srcIp: src, dstIp: dst, srcPort: sport, dstPort: dport, seed: sport }).bytes);
      const fromInside = (p: Uint8Array, mac = FW_IN_MAC): void => {
        inject(inside.a, p, mac, HOST_IN_MAC);
        inside.drain();
      };
      const ttl1 = udp(CLIENT, 1, SERVER, 7);
      ttl1[8] = 1;
      fixIpv4Checksum(ttl1);
      fromInside(ttl1);
      const badSum = udp(CLIENT, 2, SERVER, 7);
      badSum[10]! ^= 0xff;
      fromInside(badSum);
      fromInside(udp(CLIENT, 3, SERVER, 7), parseMac('02:00:00:00:09:09'));
      fromInside(udp(CLIENT, 4, parseIpv4('192.0.2.1'), 7)); // accepted (port 7), but no route
      // SNAT pool of two ports towards one destination: the third flow finds none free…
      fromInside(udp(CLIENT, 5, SERVER, 9));
      fromInside(udp(CLIENT, 6, SERVER, 9));
      fromInside(udp(CLIENT, 7, SERVER, 9));
      // …and towards another destination the table (4 entries, two connections) is full.
      fromInside(udp(CLIENT, 8, parseIpv4('198.51.100.2'), 9));
      inject(outside.b, new InnerPacketTemplate({ protocol: 'tcp', totalBytes: 64, srcIp: SERVER, dstIp: CLIENT, srcPort: 1, dstPort: 22, seed: 1 }).bytes, FW_OUT_MAC, HOST_OUT_MAC);
      inject(outside.b, new InnerPacketTemplate({ protocol: 'tcp', totalBytes: 64, srcIp: SERVER, dstIp: CLIENT, srcPort: 1, dstPort: 23, seed: 1 }).bytes, FW_OUT_MAC, HOST_OUT_MAC);
      outside.drain();
      const frag = udp(CLIENT, 9, SERVER, 7);
      frag[6]! |= 0x20; // more fragments
      fixIpv4Checksum(frag);
      fromInside(frag);
      // A valid IPv4 header whose total length (24) leaves 4 of the UDP header's 8 bytes.
      const cut = udp(CLIENT, 10, SERVER, 7).slice(0, 24);
      cut[2] = 0;
      cut[3] = 24;
      fixIpv4Checksum(cut);
      fromInside(cut);
      expect(fw.counters).toMatchObject({
        droppedTtlExceeded: 1,
        droppedBadIpv4: 1,
        droppedNotForUs: 1,
        droppedNoRoute: 1,
        droppedNatPortsExhausted: 1,
        droppedConnTableFull: 1,
        droppedByRule: 1,
        droppedByDefault: 1,
        droppedFragment: 1,
        droppedTruncatedTransport: 1,
        connectionsCreated: 2,
        forwarded: 2,
      });
      expect(out).toHaveLength(2);
      expect(inn).toHaveLength(0);
    });
  }
});
