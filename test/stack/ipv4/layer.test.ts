import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RxCursor, TxFrame } from '../../../allocators/buffer-strategy.js';
import { newTxFrame } from '../../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../../allocators/registry.js';
import { internetChecksum } from '../../../stack/checksum.js';
import { EthernetLayer } from '../../../stack/ethernet/layer.js';
import { parseMac } from '../../../stack/ethernet/wire.js';
import { Ipv4Layer, type Ipv4Upper } from '../../../stack/ipv4/layer.js';
import { decodeIpv4, encodeIpv4Into, headerChecksum, newIpv4Header } from '../../../stack/ipv4/packet.js';
import { parseIpv4 } from '../../../stack/ipv4/wire.js';
import type { NetworkDevice } from '../../../stack/link/device.js';
import { MemoryLink } from '../../../stack/link/memory-link.js';
import { bytesOf, IP_A, IP_B, makePair } from '../lower-layers-helpers.js';

/** A device that keeps a copy of every transmitted frame. */
function capturingDevice(): NetworkDevice & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  return {
    mtuBytes: 1500,
    frames,
    transmit(frame: TxFrame): boolean {
      frames.push(Uint8Array.from(frame.buf.subarray(frame.start, frame.end)));
      return true;
    },
    attach(): void {
      // frames are only captured: nothing is received on this device
    },
  };
}

describe('IPv4 send: header from a per-destination template with an incrementally computed checksum', () => {
  it('writes exactly what encodeIpv4Into writes, for alternating destinations and protocols, across the ID wrap', () => {
    const device = capturingDevice();
    const strategy = makeStrategy('one-big-struct');
    const ip = new Ipv4Layer(new EthernetLayer(strategy, parseMac('02:00:00:00:00:01'), device), parseIpv4('192.0.2.1'));
    const dsts = [parseIpv4('10.0.0.2'), parseIpv4('255.255.255.254'), parseIpv4('203.0.113.9')];
    for (const d of dsts) ip.addNeighbour(d, parseMac('02:00:00:00:00:02'));
    const f = newTxFrame();
    const n = 0x10000 + 40;
    for (let i = 0; i < n; i++) {
      const dst = dsts[i % 3]!;
      const protocol = i % 5 === 0 ? 6 : 17;
      const payloadBytes = (i * 7919) % 1481;
      strategy.beginTx(f, payloadBytes, { headroomBytes: ip.headroomBytes, tailroomBytes: 0 });
      expect(ip.send(f, protocol, dst)).toBe(true);
      // Check a spread of packets byte for byte (all of them would make the test slow).
      if (i % 97 !== 0 && i < n - 40) continue;
      const got = device.frames[i]!.subarray(14, 34);
      const h = newIpv4Header();
      Object.assign(h, { totalLength: 20 + payloadBytes, id: i & 0xffff, protocol, src: parseIpv4('192.0.2.1'), dst });
      const want = new Uint8Array(20);
      encodeIpv4Into(h, want, 0);
      expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(want).toString('hex'));
      expect(internetChecksum(got, 0, 20)).toBe(0);
      const whole = device.frames[i]!;
      const back = newIpv4Header();
      expect(decodeIpv4(whole, 14, whole.length, back)).toBe('ok');
      expect([back.totalLength, back.id, back.protocol, back.dst, back.ttl, back.dontFragment]).toEqual([20 + payloadBytes, i & 0xffff, protocol, dst, 64, true]);
    }
    expect(ip.counters.sent).toBe(n);
  });
});

describe('headerChecksum: the unrolled 20-byte sum equals internetChecksum (property)', () => {
  it('any bytes, with and without options', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.integer({ min: 5, max: 15 }), fc.nat(3), (bytes, ihl, off) => {
        const buf = new Uint8Array(64);
        buf.set(bytes, off);
        expect(headerChecksum(buf, off, ihl * 4)).toBe(internetChecksum(buf, off, off + ihl * 4));
        expect(headerChecksum(buf, off, 20)).toBe(internetChecksum(buf, off, off + 20));
      }),
    );
  });
});

describe('receive dispatch caches follow register / bind / unbind', () => {
  it('a re-registered IPv4 protocol, re-bound UDP port and re-registered EtherType take effect at once', () => {
    const pair = makePair(() => makeStrategy('pooled'));
    const send = (port: number): void => {
      const f = newTxFrame();
      pair.a.udp.beginDatagram(f, 3);
      f.buf.set([1, 2, 3], f.start);
      pair.a.udp.sendTo(f, 1000, IP_B, port);
      pair.link.drain();
    };
    const got: string[] = [];
    pair.b.udp.bind(7, { onDatagram: (p: RxCursor) => got.push(`first:${bytesOf(p).join(',')}`) });
    pair.b.udp.bind(8, { onDatagram: () => got.push('eight') });
    send(7);
    send(8);
    send(7);
    pair.b.udp.unbind(7);
    send(7);
    expect(pair.b.udp.counters.droppedNoListener).toBe(1);
    pair.b.udp.bind(7, { onDatagram: () => got.push('second') });
    send(7);
    expect(got).toEqual(['first:1,2,3', 'eight', 'first:1,2,3', 'second']);
    // Replace the UDP receiver at the IPv4 layer: the cached one must not be used any more.
    const seen: number[] = [];
    const upper: Ipv4Upper = { input: (cur: RxCursor, src: number) => seen.push(cur.end - cur.start, src) };
    pair.b.ipv4.register(17, upper);
    send(7);
    expect(seen).toEqual([8 + 3, IP_A]);
    expect(got).toHaveLength(4);
    // Same at the Ethernet layer.
    let frames = 0;
    pair.b.ethernet.register(0x0800, { input: () => frames++ });
    send(7);
    expect(frames).toBe(1);
    expect(seen).toHaveLength(2);
  });
});

describe('memory link ring wraps around', () => {
  it('keeps frame order over many fill/drain cycles on a ring whose size does not divide the count', () => {
    const link = new MemoryLink({ queueFrames: 5 });
    const strategy = makeStrategy('pooled');
    const seen: number[] = [];
    link.b.attach(strategy, { input: (cur: RxCursor) => seen.push(cur.buf[cur.start]!) });
    link.a.attach(makeStrategy('pooled'), { input: () => undefined });
    const buf = new Uint8Array(60);
    let next = 0;
    for (let round = 0; round < 7; round++) {
      for (let k = 0; k < 3; k++) {
        buf[0] = next++ & 0xff;
        expect(link.a.transmit({ buf, start: 0, end: 60, handle: -1 })).toBe(true);
      }
      link.drain(round % 2 === 0 ? 2 : Number.POSITIVE_INFINITY);
    }
    link.drain();
    expect(seen).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(link.b.queuedFrames).toBe(0);
  });
});
