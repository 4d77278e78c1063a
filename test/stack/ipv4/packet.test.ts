import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEthernet, encodeEthernetInto, newEthernetHeader } from '../../../stack/ethernet/packet.js';
import { formatMac, getMac, macFromHalves, macHi, macLo, parseMac } from '../../../stack/ethernet/wire.js';
import { decodeIpv4, encodeIpv4Into, newIpv4Header } from '../../../stack/ipv4/packet.js';
import { formatIpv4, parseIpv4 } from '../../../stack/ipv4/wire.js';
import { decodeUdp, encodeUdpInto, fillUdpChecksum, newUdpHeader } from '../../../stack/udp/packet.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('header codecs: encodeInto then decode gives the header back (property)', () => {
  it('Ethernet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0x0600, max: 0xffff }), fc.nat(40), (dst, src, type, off) => {
        const buf = new Uint8Array(off + 14).fill(0x5a);
        const sent = { dstMacHi: macHi(dst), dstMacLo: macLo(dst), srcMacHi: macHi(src), srcMacLo: macLo(src), ethertype: type };
        encodeEthernetInto(sent, buf, off);
        const h = newEthernetHeader();
        expect(decodeEthernet(buf, off, off + 14, h)).toBe('ok');
        expect(h).toEqual(sent);
        // The halves are the 48-bit address split at bit 24, as written on the wire.
        expect(macFromHalves(h.dstMacHi, h.dstMacLo)).toBe(dst);
        expect(getMac(buf, off + 6)).toBe(src);
        expect(h.dstMacHi).toBeLessThan(2 ** 24);
        expect(h.srcMacLo).toBeLessThan(2 ** 24);
        expect(decodeEthernet(buf, off, off + 13, h)).toBe('truncated');
      }),
    );
    expect(formatMac(parseMac('02:aB:00:ff:10:01'))).toBe('02:ab:00:ff:10:01');
    expect(() => parseMac('02:ab')).toThrow(RangeError);
  });

  it('IPv4 (with a valid checksum; any flipped header bit is caught)', () => {
    fc.assert(
      fc.property(
        fc.record({ tos: fc.nat(255), id: fc.nat(0xffff), ttl: fc.nat(255), protocol: fc.nat(255), src: u32, dst: u32, payload: fc.nat(100), df: fc.boolean() }),
        fc.nat(159),
        (r, bit) => {
          const h = { ...newIpv4Header(), tos: r.tos, id: r.id, ttl: r.ttl, protocol: r.protocol, src: r.src, dst: r.dst, dontFragment: r.df, totalLength: 20 + r.payload };
          const buf = new Uint8Array(20 + r.payload + 4);
          encodeIpv4Into(h, buf, 2);
          const out = newIpv4Header();
          expect(decodeIpv4(buf, 2, buf.length, out)).toBe('ok');
          expect(out).toEqual({ ...h, headerBytes: 20 });
          buf[2 + (bit >> 3)] = buf[2 + (bit >> 3)]! ^ (1 << (bit & 7));
          expect(decodeIpv4(buf, 2, buf.length, out)).not.toBe('ok');
        },
      ),
    );
    expect(formatIpv4(parseIpv4('192.0.2.255'))).toBe('192.0.2.255');
    expect(() => parseIpv4('256.0.0.1')).toThrow(RangeError);
  });

  it('UDP (checksum over the pseudo-header: a different address fails it)', () => {
    fc.assert(
      fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 60 }), u32, u32, (sp, dp, data, src, dst) => {
        const len = 8 + data.length;
        const buf = new Uint8Array(len);
        buf.set(data, 8);
        encodeUdpInto({ srcPort: sp, dstPort: dp, length: len, checksum: 0 }, buf, 0);
        fillUdpChecksum(buf, 0, len, src, dst);
        const h = newUdpHeader();
        expect(decodeUdp(buf, 0, len, src, dst, h)).toBe('ok');
        expect([h.srcPort, h.dstPort, h.length]).toEqual([sp, dp, len]);
        expect(h.checksum).not.toBe(0);
        expect(decodeUdp(buf, 0, len, src ^ 0x0100, dst, h)).toBe('bad-checksum');
        expect(decodeUdp(buf, 0, len - 1, src, dst, h)).toBe('truncated');
      }),
    );
  });
});
