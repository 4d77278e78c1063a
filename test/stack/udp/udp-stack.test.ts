import { describe, expect, it } from 'vitest';
import type { RxCursor, TxFrame } from '../../../allocators/buffer-strategy.js';
import { newTxFrame } from '../../../allocators/buffer-strategy.js';
import { internetChecksum } from '../../../stack/checksum.js';
import { LinkError, MemoryLink } from '../../../stack/link/memory-link.js';
import { parseMac } from '../../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../../stack/ipv4/wire.js';
import { buildUdpStack } from '../../../stack/udp/udp-stack.js';
import { STRATEGY_CASES } from '../strategies.js';
import { bytesOf, IP_A, IP_B, makePair, type Pair } from '../lower-layers-helpers.js';

interface Got {
  payload: Uint8Array;
  srcIp: number;
  srcPort: number;
  dstPort: number;
}

function listen(pair: Pair, port: number): Got[] {
  const got: Got[] = [];
  pair.b.udp.bind(port, {
    onDatagram(p: RxCursor, srcIp: number, srcPort: number, dstPort: number) {
      got.push({ payload: bytesOf(p), srcIp, srcPort, dstPort });
    },
  });
  return got;
}

function sendBytes(pair: Pair, data: Uint8Array, srcPort = 1234, dstPort = 53): boolean {
  const f = newTxFrame();
  pair.a.udp.beginDatagram(f, data.length);
  for (let i = 0; i < data.length; i++) f.buf[f.start + i] = data[i]!;
  return pair.a.udp.sendTo(f, srcPort, IP_B, dstPort);
}

/** Captures the next frame a→b as raw bytes (bypassing the receiver) for mutation tests. */
function captureFrame(pair: Pair, data: Uint8Array): Uint8Array {
  let captured: Uint8Array | null = null;
  pair.b.ethernet.input = (cur: RxCursor) => {
    captured = bytesOf(cur);
  };
  sendBytes(pair, data);
  pair.link.drain();
  if (captured === null) throw new Error('no frame captured');
  return captured;
}

function inject(pair: Pair, frame: Uint8Array): void {
  const f: TxFrame = { buf: frame, start: 0, end: frame.length, handle: -1 };
  pair.link.a.transmit(f);
  pair.link.drain();
}

/** Re-fixes the IPv4 header checksum after a test edits the header. */
function fixIpChecksum(frame: Uint8Array): void {
  frame[24] = 0;
  frame[25] = 0;
  const ihl = (frame[14]! & 0x0f) * 4;
  const c = internetChecksum(frame, 14, 14 + ihl);
  frame[24] = c >>> 8;
  frame[25] = c & 0xff;
}

for (const sc of STRATEGY_CASES) {
  describe(`addresses ≥ 128.0.0.0 and MACs with the top bits set (not small integers) — ${sc.name}`, () => {
    it('round trips with exact addresses, and each datagram reports its own source when sources alternate', () => {
      const ipA = parseIpv4('192.0.2.1');
      const ipB = parseIpv4('198.51.100.7');
      const ipC = parseIpv4('203.0.113.200');
      const macA = parseMac('fe:dc:ba:98:76:54');
      const macB = parseMac('ff:ff:fe:00:00:0b');
      const link = new MemoryLink();
      const a = buildUdpStack({ strategy: sc.make(), device: link.a, mac: macA, ip: ipA, neighbours: [[ipB, macB]] });
      const b = buildUdpStack({ strategy: sc.make(), device: link.b, mac: macB, ip: ipB, neighbours: [[ipA, macA]] });
      const seen: number[] = [];
      b.udp.bind(53, {
        onDatagram(_p: RxCursor, srcIp: number) {
          seen.push(srcIp);
        },
      });
      const send = (): Uint8Array => {
        let wire: Uint8Array | null = null;
        const saved = b.ethernet.input.bind(b.ethernet);
        b.ethernet.input = (cur: RxCursor) => {
          wire = bytesOf(cur);
          saved(cur);
        };
        const f = newTxFrame();
        a.udp.beginDatagram(f, 4);
        f.buf.set([1, 2, 3, 4], f.start);
        expect(a.udp.sendTo(f, 1000, ipB, 53)).toBe(true);
        link.drain();
        b.ethernet.input = saved;
        if (wire === null) throw new Error('no frame');
        return wire;
      };
      const frame = send();
      expect(Buffer.from(frame.subarray(0, 12)).toString('hex')).toBe('fffffe00000bfedcba987654');
      expect(Buffer.from(frame.subarray(26, 34)).toString('hex')).toBe('c0000201c6336407');
      // The same frame from another source (IPv4 checksum fixed, UDP checksum 0 = none).
      const fromC = Uint8Array.from(frame);
      fromC.set([203, 0, 113, 200], 26);
      fixIpChecksum(fromC);
      fromC[40] = 0;
      fromC[41] = 0;
      const injectFrom = (bytes: Uint8Array): void => {
        link.a.transmit({ buf: bytes, start: 0, end: bytes.length, handle: -1 });
        link.drain();
      };
      injectFrom(fromC);
      send();
      injectFrom(fromC);
      expect(seen).toEqual([ipA, ipC, ipA, ipC]);
      expect(b.udp.counters.delivered).toBe(4);
    });
  });

  describe(`Ethernet/IPv4/UDP over the memory link — ${sc.name}`, () => {
    it('delivers a datagram with addresses, ports and payload intact, counted on every layer', () => {
      const pair = makePair(sc.make);
      const got = listen(pair, 53);
      const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      expect(sendBytes(pair, data, 40000, 53)).toBe(true);
      expect(got).toHaveLength(0); // queued, not delivered until drained
      expect(pair.link.drain()).toBe(1);
      expect(got).toEqual([{ payload: data, srcIp: IP_A, srcPort: 40000, dstPort: 53 }]);
      expect(pair.a.ethernet.counters.sent).toBe(1);
      expect(pair.a.ipv4.counters.sent).toBe(1);
      expect(pair.a.udp.counters.sent).toBe(1);
      expect(pair.b.ethernet.counters.received).toBe(1);
      expect(pair.b.ipv4.counters.delivered).toBe(1);
      expect(pair.b.udp.counters.delivered).toBe(1);
      expect(pair.link.a.counters.transmittedBytes).toBe(14 + 20 + 8 + 300);
    });

    it('writes a correct wire image: Ethernet, IPv4 (TTL 64, DF, checksum), UDP (pseudo-header checksum)', () => {
      const pair = makePair(sc.make);
      const frame = captureFrame(pair, Uint8Array.from([1, 2, 3]));
      expect(Buffer.from(frame.subarray(0, 14)).toString('hex')).toBe('02000000000b02000000000a0800');
      expect(frame[14]).toBe(0x45);
      expect((frame[16]! << 8) | frame[17]!).toBe(20 + 8 + 3);
      expect(frame[20]! & 0x40).toBe(0x40); // DF
      expect(frame[22]).toBe(64); // TTL
      expect(frame[23]).toBe(17);
      expect(internetChecksum(frame, 14, 34)).toBe(0);
      // UDP checksum verified independently: pseudo-header + datagram sums to 0xffff.
      const pseudo = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 11]);
      const all = Uint8Array.from([...pseudo, ...frame.subarray(34)]);
      expect(internetChecksum(all, 0, all.length)).toBe(0);
    });

    it('drops and counts a corrupted UDP checksum, accepts a zero one', () => {
      const pair = makePair(sc.make);
      const got = listen(pair, 53);
      const good = captureFrame(pair, Uint8Array.from([9, 8, 7, 6]));
      const fresh = makePair(sc.make);
      const got2 = listen(fresh, 53);
      const bad = Uint8Array.from(good);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
      inject(fresh, bad);
      expect(got2).toHaveLength(0);
      expect(fresh.b.udp.counters.droppedBadChecksum).toBe(1);
      const none = Uint8Array.from(bad);
      none[40] = 0;
      none[41] = 0;
      inject(fresh, none);
      expect(got2).toHaveLength(1);
      expect(fresh.b.udp.counters.withoutChecksum).toBe(1);
      expect(got).toHaveLength(0);
    });

    it('drops and counts bad IPv4 checksum, fragments, truncation, not-for-us, unknown protocol', () => {
      const src = makePair(sc.make);
      const good = captureFrame(src, Uint8Array.from([1, 2, 3, 4]));
      const pair = makePair(sc.make);
      const got = listen(pair, 53);

      const badSum = Uint8Array.from(good);
      badSum[22] = 63; // TTL changed without fixing the checksum
      inject(pair, badSum);
      expect(pair.b.ipv4.counters.droppedBadChecksum).toBe(1);

      const frag = Uint8Array.from(good);
      frag[20] = 0x20; // MF
      fixIpChecksum(frag);
      inject(pair, frag);
      const frag2 = Uint8Array.from(good);
      frag2[20] = 0x00;
      frag2[21] = 0x10; // offset 128 bytes
      fixIpChecksum(frag2);
      inject(pair, frag2);
      expect(pair.b.ipv4.counters.droppedFragment).toBe(2);

      inject(pair, good.subarray(0, 30));
      expect(pair.b.ipv4.counters.droppedTruncated).toBe(1);
      inject(pair, good.subarray(0, 10));
      expect(pair.b.ethernet.counters.droppedTruncated).toBe(1);

      const other = Uint8Array.from(good);
      other[33] = 99; // dst 10.0.0.99
      fixIpChecksum(other);
      inject(pair, other);
      expect(pair.b.ipv4.counters.droppedNotForUs).toBe(1);

      const otherMac = Uint8Array.from(good);
      otherMac[5] = 0x0c;
      inject(pair, otherMac);
      expect(pair.b.ethernet.counters.droppedNotForUs).toBe(1);

      const proto = Uint8Array.from(good);
      proto[23] = 6;
      fixIpChecksum(proto);
      inject(pair, proto);
      expect(pair.b.ipv4.counters.droppedUnknownProtocol).toBe(1);

      expect(got).toHaveLength(0);
      inject(pair, good);
      expect(got).toHaveLength(1);
    });

    it('tolerates IPv4 options (skipped, counted) and ignores Ethernet padding', () => {
      const src = makePair(sc.make);
      const good = captureFrame(src, Uint8Array.from([5, 6]));
      const pair = makePair(sc.make);
      const got = listen(pair, 53);
      // Insert 4 bytes of options (NOP NOP NOP EOL) after the 20-byte header.
      const withOpt = Uint8Array.from([...good.subarray(0, 34), 1, 1, 1, 0, ...good.subarray(34), 0, 0, 0, 0, 0, 0]);
      withOpt[14] = 0x46;
      const total = 24 + 8 + 2;
      withOpt[16] = total >>> 8;
      withOpt[17] = total & 0xff;
      fixIpChecksum(withOpt);
      inject(pair, withOpt);
      expect(pair.b.ipv4.counters.withOptions).toBe(1);
      expect(got.map((g) => [...g.payload])).toEqual([[5, 6]]);
    });

    it('drops datagrams to unbound ports and refuses sends with no route or above the MTU', () => {
      const pair = makePair(sc.make);
      sendBytes(pair, Uint8Array.from([1]), 1, 9999);
      pair.link.drain();
      expect(pair.b.udp.counters.droppedNoListener).toBe(1);
      expect(pair.a.udp.maxPayloadBytes).toBe(1472);
      expect(sendBytes(pair, new Uint8Array(1473))).toBe(false);
      expect(pair.a.ipv4.counters.sendTooBig).toBe(1);
      const f = newTxFrame();
      pair.a.udp.beginDatagram(f, 4);
      expect(pair.a.udp.sendTo(f, 1, IP_A + 77, 53)).toBe(false);
      expect(pair.a.ipv4.counters.sendNoRoute).toBe(1);
      expect(pair.link.a.counters.transmitted).toBe(1);
    });

    it('a server answering inside its receive callback does not re-enter: answers are queued', () => {
      const pair = makePair(sc.make);
      const answers: number[] = [];
      let depth = 0;
      pair.b.udp.bind(7, {
        onDatagram(p, srcIp, srcPort) {
          depth++;
          const f = newTxFrame();
          pair.b.udp.beginDatagram(f, 1);
          f.buf[f.start] = p.buf[p.start]! + 1;
          pair.b.udp.sendTo(f, 7, srcIp, srcPort);
          expect(() => pair.link.drain()).toThrow(LinkError);
          depth--;
        },
      });
      pair.a.udp.bind(5000, {
        onDatagram(p) {
          expect(depth).toBe(0);
          answers.push(p.buf[p.start]!);
        },
      });
      for (let i = 0; i < 10; i++) sendBytes(pair, Uint8Array.from([i]), 5000, 7);
      expect(pair.link.drain()).toBe(20);
      expect(answers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('drops and counts frames arriving at a full receive ring', () => {
      const pair = makePair(sc.make);
      const got = listen(pair, 53);
      for (let i = 0; i < 70; i++) sendBytes(pair, Uint8Array.from([i]));
      expect(pair.link.a.counters.droppedQueueFull).toBe(6);
      expect(pair.a.ethernet.counters.sendFailed).toBe(6);
      pair.link.drain();
      expect(got).toHaveLength(64);
    });
  });
}
