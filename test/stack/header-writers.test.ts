/**
 * Issue 12: every header is written by one function in its protocol's wire.ts, called by the
 * layer's send path and by `encodeXInto`. Here each encoder (and each wire writer the send paths
 * call) round-trips through its decoder inside frames of every buffer strategy, poisoning included:
 * the header goes into a strategy's frame (stale bytes under the non-zeroing strategies, scribbles
 * under poisoning), is decoded from there, and must come back field for field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newTxFrame, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { decodeMessage, encodeMessage, type DnsMessage } from '../../stack/dns/message.js';
import * as D from '../../stack/dns/wire.js';
import { decodeEthernet, encodeEthernetInto, newEthernetHeader } from '../../stack/ethernet/packet.js';
import { decodeIpv4, encodeIpv4Into, newIpv4Header } from '../../stack/ipv4/packet.js';
import {
  decodeDataV2,
  decodeLongPacketId,
  encodeDataV2Into,
  encodeLongPacketIdInto,
  newDataV2Header,
  newLongPacketId,
} from '../../stack/openvpn/packet.js';
import { DATA_V2_AAD_BYTES, P_DATA_V2 } from '../../stack/openvpn/wire.js';
import { decodeTcp, encodeTcpInto, fillTcpChecksum, newTcpHeader, type TcpHeader } from '../../stack/tcp/packet.js';
import { FLAG_ACK, FLAG_PSH, FLAG_SYN } from '../../stack/tcp/wire.js';
import { decodeUdp, encodeUdpInto, fillUdpChecksum, newUdpHeader } from '../../stack/udp/packet.js';
import { STRATEGY_CASES } from './strategies.js';

const RUNS = { numRuns: 60 };
const u32 = fc.nat({ max: 0xffff_ffff });
const SRC_IP = 0xc000_0201; // 192.0.2.1: an address ≥ 2^31 on purpose
const DST_IP = 0x0a00_0002;

/** A frame of `bytes` from `st`, its area pre-filled with 0xa5 so that unwritten bytes show. */
function frameOf(st: BufferStrategy, bytes: number): TxFrame {
  const f = newTxFrame();
  st.beginTx(f, bytes, { headroomBytes: 0, tailroomBytes: 0 });
  f.buf.fill(0xa5, f.start, f.end);
  return f;
}

for (const { name, make } of STRATEGY_CASES) {
  describe(`header writers round-trip under ${name}`, () => {
    it('Ethernet: encodeEthernetInto → decodeEthernet', () => {
      const st = make();
      fc.assert(
        fc.property(fc.nat(0xff_ffff), fc.nat(0xff_ffff), fc.nat(0xff_ffff), fc.nat(0xff_ffff), fc.integer({ min: 0x0600, max: 0xffff }), (dh, dl, sh, sl, type) => {
          const f = frameOf(st, 14);
          const sent = { dstMacHi: dh, dstMacLo: dl, srcMacHi: sh, srcMacLo: sl, ethertype: type };
          expect(encodeEthernetInto(sent, f.buf, f.start)).toBe(14);
          const h = newEthernetHeader();
          expect(decodeEthernet(f.buf, f.start, f.end, h)).toBe('ok');
          expect(h).toEqual(sent);
          st.releaseTx(f);
        }),
        RUNS,
      );
    });

    it('IPv4: encodeIpv4Into → decodeIpv4 (checksum verified)', () => {
      const st = make();
      fc.assert(
        fc.property(
          fc.record({ tos: fc.nat(255), id: fc.nat(0xffff), ttl: fc.nat(255), protocol: fc.nat(255), src: u32, dst: u32, df: fc.boolean(), payload: fc.nat(40) }),
          (r) => {
            const f = frameOf(st, 20 + r.payload);
            const sent = { ...newIpv4Header(), tos: r.tos, id: r.id, ttl: r.ttl, protocol: r.protocol, src: r.src, dst: r.dst, dontFragment: r.df, totalLength: 20 + r.payload };
            expect(encodeIpv4Into(sent, f.buf, f.start)).toBe(20);
            const h = newIpv4Header();
            expect(decodeIpv4(f.buf, f.start, f.end, h)).toBe('ok');
            expect(h).toEqual(sent);
            st.releaseTx(f);
          },
        ),
        RUNS,
      );
    });

    it('UDP: encodeUdpInto + fillUdpChecksum → decodeUdp', () => {
      const st = make();
      fc.assert(
        fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 40 }), (sp, dp, data) => {
          const len = 8 + data.length;
          const f = frameOf(st, len);
          f.buf.set(data, f.start + 8);
          expect(encodeUdpInto({ srcPort: sp, dstPort: dp, length: len, checksum: 0 }, f.buf, f.start)).toBe(8);
          fillUdpChecksum(f.buf, f.start, f.end, SRC_IP, DST_IP);
          const h = newUdpHeader();
          expect(decodeUdp(f.buf, f.start, f.end, SRC_IP, DST_IP, h)).toBe('ok');
          expect([h.srcPort, h.dstPort, h.length]).toEqual([sp, dp, len]);
          st.releaseTx(f);
        }),
        RUNS,
      );
    });

    it('TCP: encodeTcpInto (header and every option) + fillTcpChecksum → decodeTcp', () => {
      const st = make();
      fc.assert(
        fc.property(
          fc.record({
            srcPort: fc.nat(0xffff),
            dstPort: fc.nat(0xffff),
            seq: u32,
            ack: u32,
            flags: fc.constantFrom(FLAG_SYN, FLAG_SYN | FLAG_ACK, FLAG_ACK, FLAG_ACK | FLAG_PSH),
            window: fc.nat(0xffff),
            mss: fc.nat(0xffff),
            windowScale: fc.integer({ min: -1, max: 14 }),
            sackPermitted: fc.boolean(),
            hasTimestamps: fc.boolean(),
            tsVal: u32,
            tsEcr: u32,
          }),
          fc.uint8Array({ maxLength: 40 }),
          (r, payload) => {
            const sent: TcpHeader = { ...newTcpHeader(), ...r, tsVal: r.hasTimestamps ? r.tsVal : 0, tsEcr: r.hasTimestamps ? r.tsEcr : 0 };
            const optionBytes = (r.mss > 0 ? 4 : 0) + (r.windowScale >= 0 ? 4 : 0) + (r.sackPermitted ? 4 : 0) + (r.hasTimestamps ? 12 : 0);
            const headerBytes = 20 + optionBytes;
            const f = frameOf(st, headerBytes + payload.length);
            expect(encodeTcpInto(sent, f.buf, f.start)).toBe(headerBytes);
            expect(sent.headerBytes).toBe(headerBytes);
            f.buf.set(payload, f.start + headerBytes);
            fillTcpChecksum(f.buf, f.start, f.end, SRC_IP, DST_IP);
            const h = newTcpHeader();
            expect(decodeTcp(f.buf, f.start, f.end, SRC_IP, DST_IP, h)).toBe('ok');
            expect(h).toEqual({ ...sent, payloadBytes: payload.length, tsVal: h.hasTimestamps ? sent.tsVal : h.tsVal, tsEcr: h.hasTimestamps ? sent.tsEcr : h.tsEcr });
            st.releaseTx(f);
          },
        ),
        RUNS,
      );
    });

    it('OpenVPN: encodeDataV2Into → decodeDataV2, encodeLongPacketIdInto → decodeLongPacketId', () => {
      const st = make();
      fc.assert(
        fc.property(fc.nat(7), fc.nat(0xff_ffff), u32, u32, (keyId, peerId, packetId, timeS) => {
          const f = frameOf(st, DATA_V2_AAD_BYTES);
          const sent = { keyId, peerId, packetId };
          expect(encodeDataV2Into(sent, f.buf, f.start)).toBe(8);
          expect(f.buf[f.start]! >>> 3).toBe(P_DATA_V2);
          const h = newDataV2Header();
          expect(decodeDataV2(f.buf, f.start, f.end, h)).toBe('ok');
          expect(h).toEqual(sent);
          expect(decodeDataV2(f.buf, f.start, f.end - 1, h)).toBe('too-short');
          const id = { packetId, timeS };
          expect(encodeLongPacketIdInto(id, f.buf, f.start)).toBe(8);
          const got = newLongPacketId();
          expect(decodeLongPacketId(f.buf, f.start, f.end, got)).toBe('ok');
          expect(got).toEqual(id);
          expect(decodeLongPacketId(f.buf, f.start, f.end - 1, got)).toBe('too-short');
          st.releaseTx(f);
        }),
        RUNS,
      );
    });

    it('DNS: writeHeader, writeQuestionTail, writeRecordHeader/setRdlength (encodeMessage) → decodeMessage', () => {
      const st = make();
      fc.assert(
        fc.property(fc.nat(0xffff), fc.nat(0xffff), u32, fc.nat(0xffff), (id, flags, ttl, type) => {
          const m: DnsMessage = {
            id,
            flags,
            questions: [{ name: 'www.example.', type, class: D.CLASS_IN }],
            answers: [{ name: 'www.example.', type: D.TYPE_A, class: D.CLASS_IN, ttl, data: { kind: 'a', address: '192.0.2.7' } }],
            authorities: [],
            additionals: [],
          };
          const f = frameOf(st, 512);
          const end = encodeMessage(m, f.buf, f.start, f.end);
          expect(end).toBeGreaterThan(f.start);
          const r = decodeMessage(f.buf, f.start, end);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.message).toEqual(m);
          st.releaseTx(f);
        }),
        RUNS,
      );
    });

    it('DNS: writeOptRecord (RFC 6891 §6.1.3 TTL layout) → decodeMessage', () => {
      const st = make();
      fc.assert(
        fc.property(fc.integer({ min: 512, max: 0xffff }), fc.nat(0xfff), fc.nat(255), fc.boolean(), (udpBytes, rcode, version, dnssecOk) => {
          const f = frameOf(st, D.DNS_HEADER_BYTES + D.OPT_RR_BYTES);
          D.writeHeader(f.buf, f.start, 0x1234, D.FLAG_QR | (rcode & D.RCODE_MASK), 0, 0, 0, 1);
          expect(D.writeOptRecord(f.buf, f.start + D.DNS_HEADER_BYTES, udpBytes, rcode, version, dnssecOk)).toBe(f.end);
          const r = decodeMessage(f.buf, f.start, f.end);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.message.id).toBe(0x1234);
          const opt = r.message.additionals[0]!;
          expect([opt.name, opt.type, opt.class]).toEqual(['.', D.TYPE_OPT, udpBytes]);
          // TTL = extended RCODE (upper 8 bits of the 12-bit RCODE) | version | DO | Z.
          expect(opt.ttl).toBe((((rcode >>> 4) << 24) | (version << 16) | (dnssecOk ? 0x8000 : 0)) >>> 0);
          st.releaseTx(f);
        }),
        RUNS,
      );
    });
  });
}
