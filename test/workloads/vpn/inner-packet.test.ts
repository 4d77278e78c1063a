/** Inner packets of the simulated tun device: checksums verified by an independent sum. */
import { describe, expect, it } from 'vitest';
import { InnerPacketTemplate, innerPacketValid } from '../../../workloads/vpn/inner-packet.js';

/** RFC 1071 sum written out plainly, independent of stack/checksum.ts. */
function onesSum(words: number[]): number {
  let s = 0;
  for (const w of words) {
    s += w;
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}
function wordsOf(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push((b[i]! << 8) | (b[i + 1] ?? 0));
  return out;
}
function verifiesIndependently(p: Uint8Array): boolean {
  const ipOk = onesSum(wordsOf(p.subarray(0, 20))) === 0xffff;
  const seg = p.subarray(20);
  const pseudo = [...wordsOf(p.subarray(12, 20)), p[9]!, seg.length];
  return ipOk && onesSum([...pseudo, ...wordsOf(seg)]) === 0xffff;
}

describe('InnerPacketTemplate', () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    for (const size of [64, 511, 1400]) {
      it(`${protocol} ${size} B: every stamped packet has correct IPv4 and ${protocol} checksums`, () => {
        const t = new InnerPacketTemplate({ protocol, totalBytes: size, srcIp: 0x0a080002, dstIp: 0x0a080001, seed: 42 });
        for (const n of [0, 1, 2, 255, 65535, 65536, 0x7fffffff, 0xfffffffe, 123456789]) {
          const p = Uint8Array.from(t.bytes);
          t.stamp(p, 0, n);
          expect(verifiesIndependently(p)).toBe(true);
          expect(innerPacketValid(p, 0, p.length)).toBe(true);
          expect(t.readCounter(p, 0, p.length)).toBe(n >>> 0);
          if (protocol === 'tcp') expect(Buffer.from(p).readUInt32BE(24)).toBe((t.tcpIsn + n * t.payloadBytes) >>> 0);
          p[size - 1]! ^= 0x40;
          expect(innerPacketValid(p, 0, p.length)).toBe(false);
        }
      });
    }
  }

  it('refuses a size that cannot hold the headers and the counter', () => {
    expect(() => new InnerPacketTemplate({ protocol: 'tcp', totalBytes: 43, srcIp: 1, dstIp: 2, seed: 1 })).toThrow(/44\.\.65535/);
  });
});
