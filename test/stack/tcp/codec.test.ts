import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTcp, encodeOptionsInto, newTcpHeader, optionsBytes, tcpChecksum, type TcpOptions } from '../../../stack/tcp/packet.js';
import { FLAG_ACK, FLAG_SYN, setChecksum, TCP_MIN_HEADER_BYTES, writeTcpHeader } from '../../../stack/tcp/wire.js';

const SRC = 0x0a000001;
const DST = 0x0a000002;

function segment(o: TcpOptions, payload: Uint8Array, seq = 0xfffffff0, ack = 12345, flags = FLAG_SYN | FLAG_ACK): Uint8Array {
  const hb = TCP_MIN_HEADER_BYTES + optionsBytes(o);
  const b = new Uint8Array(hb + payload.length);
  writeTcpHeader(b, 0, 40000, 443, seq, ack, hb, flags, 65535);
  encodeOptionsInto(o, b, TCP_MIN_HEADER_BYTES);
  b.set(payload, hb);
  setChecksum(b, 0, tcpChecksum(b, 0, b.length, SRC, DST, false));
  return b;
}

describe('TCP segment codec (RFC 9293 §3.1, RFC 7323, RFC 2018)', () => {
  const all: TcpOptions = { mss: 1460, windowScale: 7, sackPermitted: true, hasTimestamps: true, tsVal: 0xdeadbeef, tsEcr: 42, sackBlocks: 0, sackEdges: [0, 0, 0, 0, 0, 0, 0, 0] };

  it('round-trips header fields and every option', () => {
    const seg = segment(all, Uint8Array.of(1, 2, 3));
    const h = newTcpHeader();
    expect(decodeTcp(seg, 0, seg.length, SRC, DST, h)).toBe('ok');
    expect(h).toMatchObject({ srcPort: 40000, dstPort: 443, seq: 0xfffffff0, ack: 12345, headerBytes: 44, flags: FLAG_SYN | FLAG_ACK, window: 65535, payloadBytes: 3, mss: 1460, windowScale: 7, sackPermitted: true, hasTimestamps: true, tsVal: 0xdeadbeef, tsEcr: 42 });
    expect(optionsBytes(all)).toBe(24);
  });

  it('a known segment checksums to the value computed by hand (RFC 1071 sum over pseudo-header)', () => {
    // SYN 10.0.0.1:1 -> 10.0.0.2:2, seq 0, no options: pseudo-header sum + header words.
    const b = new Uint8Array(20);
    writeTcpHeader(b, 0, 1, 2, 0, 0, 20, FLAG_SYN, 0);
    const words = [0x0a00, 0x0001, 0x0a00, 0x0002, 6, 20, 1, 2, 0, 0, 0, 0, 0x5002, 0, 0, 0];
    let sum = words.reduce((a, w) => a + w, 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(tcpChecksum(b, 0, 20, SRC, DST, false)).toBe(~sum & 0xffff);
  });

  it('corrupted twins: bad checksum, truncation, bad data offset, bad option lengths', () => {
    const seg = segment(all, Uint8Array.of(9, 9));
    const h = newTcpHeader();
    const flipped = seg.slice();
    flipped[seg.length - 1]! ^= 1;
    expect(decodeTcp(flipped, 0, flipped.length, SRC, DST, h)).toBe('bad-checksum');
    expect(decodeTcp(seg, 0, 19, SRC, DST, h)).toBe('truncated');
    expect(decodeTcp(seg, 0, 30, SRC, DST, h)).toBe('truncated');
    const off = seg.slice();
    off[12] = 4 << 4;
    setChecksum(off, 0, tcpChecksum(off, 0, off.length, SRC, DST, false));
    expect(decodeTcp(off, 0, off.length, SRC, DST, h)).toBe('bad-data-offset');
    const opt = seg.slice();
    opt[21] = 5; // MSS with length 5
    setChecksum(opt, 0, tcpChecksum(opt, 0, opt.length, SRC, DST, false));
    expect(decodeTcp(opt, 0, opt.length, SRC, DST, h)).toBe('bad-options');
    // a SACK option whose length is not 2 + 8n (n = 1..4)
    const sack = segment({ ...all, mss: 0, windowScale: -1, sackPermitted: false, sackBlocks: 1, sackEdges: [100, 200, 0, 0, 0, 0, 0, 0] }, Uint8Array.of(9));
    expect(decodeTcp(sack, 0, sack.length, SRC, DST, h)).toBe('ok');
    expect([h.sackBlocks, h.sackEdges[0], h.sackEdges[1]]).toEqual([1, 100, 200]);
    sack[20 + 12 + 3] = 2 + 7; // after NOP NOP + timestamps, NOP NOP kind len
    setChecksum(sack, 0, tcpChecksum(sack, 0, sack.length, SRC, DST, false));
    expect(decodeTcp(sack, 0, sack.length, SRC, DST, h)).toBe('bad-options');
    // wrong pseudo-header (another destination) fails too
    expect(decodeTcp(seg, 0, seg.length, SRC, DST + 1, h)).toBe('bad-checksum');
  });

  it('property: any header and options round-trip; decoding random bytes never throws nor reads outside', () => {
    fc.assert(
      fc.property(
        fc.record({ mss: fc.integer({ min: 0, max: 65535 }), windowScale: fc.integer({ min: -1, max: 14 }), sackPermitted: fc.boolean(), hasTimestamps: fc.boolean(), tsVal: fc.nat({ max: 0xffffffff }), tsEcr: fc.nat({ max: 0xffffffff }), sackBlocks: fc.integer({ min: 0, max: 4 }), sackEdges: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 8, maxLength: 8 }) }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat({ max: 0xffffffff }),
        (o, payload, seq) => {
          // as many SACK blocks as fit beside the other options in 40 bytes
          o.sackBlocks = Math.max(0, Math.min(o.sackBlocks, Math.floor((40 - optionsBytes({ ...o, sackBlocks: 0 }) - 4) / 8)));
          const seg = segment(o, payload, seq, seq ^ 0x5555, FLAG_ACK);
          const h = newTcpHeader();
          expect(decodeTcp(seg, 0, seg.length, SRC, DST, h)).toBe('ok');
          expect([h.seq, h.mss, h.windowScale, h.sackPermitted, h.hasTimestamps, h.payloadBytes, h.sackBlocks]).toEqual([seq, o.mss, o.windowScale, o.sackPermitted, o.hasTimestamps, payload.length, o.sackBlocks]);
          expect(h.sackEdges.slice(0, 2 * h.sackBlocks)).toEqual(o.sackEdges.slice(0, 2 * o.sackBlocks));
          if (o.hasTimestamps) expect([h.tsVal, h.tsEcr]).toEqual([o.tsVal, o.tsEcr]);
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const a = new Uint8Array(bytes.length + 20).fill(0);
        const b = new Uint8Array(bytes.length + 20).fill(0xff);
        a.set(bytes, 10);
        b.set(bytes, 10);
        const ha = newTcpHeader();
        const hb = newTcpHeader();
        expect(decodeTcp(a, 10, 10 + bytes.length, SRC, DST, ha)).toBe(decodeTcp(b, 10, 10 + bytes.length, SRC, DST, hb));
        expect(ha).toEqual(hb);
      }),
    );
  });
});
