/**
 * The simulated tun device's packets: inner IPv4/UDP or IPv4/TCP packets of a bulk transfer, built
 * once as a template with correct checksums; per packet only a sequence field changes, patched with
 * an incremental checksum update (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')), so generating a packet
 * costs one copy of the template and a few integer operations.
 *
 * TCP: no state machine, just a correct header (RFC 9293 §3.1): the sequence number advances by the
 * payload length per packet (a bulk sender), ACK|PSH set, data offset 5, checksum over the IPv4
 * pseudo-header (RFC 9293 §3.1, "Checksum").
 * Every packet's payload starts with a 32-bit packet counter; the rest is seeded pseudo-random bytes.
 */
import { fillSeededBytes } from '../../allocators/prng.js';
import { getU16, getU32, setU16, setU32 } from '../../stack/bytes.js';
import { finishChecksum, foldSum, internetChecksum, sumWords } from '../../stack/checksum.js';
import { WorkloadConfigError } from '../workload.js';

export const INNER_PROTOCOLS = ['udp', 'tcp'] as const;
export type InnerProtocol = (typeof INNER_PROTOCOLS)[number];

const IPV4_BYTES = 20;
const UDP_BYTES = 8;
const TCP_BYTES = 20;
const PROTO_UDP = 17;
const PROTO_TCP = 6;
const TCP_FLAGS_ACK_PSH = 0x18;

export interface InnerPacketSpec {
  protocol: InnerProtocol;
  /** Whole inner packet (IPv4 header included). */
  totalBytes: number;
  srcIp: number;
  dstIp: number;
  seed: number;
  /** Transport ports (default 40000 → 5001). */
  srcPort?: number;
  dstPort?: number;
}

/** A template inner packet and the offsets a sender patches per packet. */
export class InnerPacketTemplate {
  readonly bytes: Uint8Array;
  readonly protocol: InnerProtocol;
  readonly transportStart = IPV4_BYTES;
  readonly payloadStart: number;
  /** Where the checksum of the transport header is. */
  readonly checksumAt: number;
  /** Offset of the 32-bit counter at the start of the payload. */
  readonly counterAt: number;
  /** Offset of the TCP sequence number (−1 for UDP). */
  readonly tcpSeqAt: number;
  readonly payloadBytes: number;
  /** Initial TCP sequence number. */
  readonly tcpIsn = 0x1000_0000;

  constructor(spec: InnerPacketSpec) {
    const headers = IPV4_BYTES + (spec.protocol === 'tcp' ? TCP_BYTES : UDP_BYTES);
    if (!Number.isInteger(spec.totalBytes) || spec.totalBytes < headers + 4 || spec.totalBytes > 65535) {
      throw new WorkloadConfigError(`inner ${spec.protocol} packet of ${spec.totalBytes} bytes: need ${headers + 4}..65535 (headers plus a 4-byte counter)`);
    }
    this.protocol = spec.protocol;
    this.payloadStart = headers;
    this.payloadBytes = spec.totalBytes - headers;
    this.counterAt = headers;
    const b = new Uint8Array(spec.totalBytes);
    this.bytes = b;
    // IPv4 header (RFC 791): version 4, IHL 5, DF, TTL 64.
    b[0] = 0x45;
    setU16(b, 2, spec.totalBytes);
    setU16(b, 4, spec.seed & 0xffff);
    setU16(b, 6, 0x4000);
    b[8] = 64;
    b[9] = spec.protocol === 'tcp' ? PROTO_TCP : PROTO_UDP;
    setU32(b, 12, spec.srcIp);
    setU32(b, 16, spec.dstIp);
    setU16(b, 10, internetChecksum(b, 0, IPV4_BYTES));
    // Payload: counter 0, then seeded bytes.
    fillSeededBytes(b, headers + 4, b.length, spec.seed);
    const t = IPV4_BYTES;
    if (spec.protocol === 'udp') {
      setU16(b, t, spec.srcPort ?? 40000);
      setU16(b, t + 2, spec.dstPort ?? 5001);
      setU16(b, t + 4, spec.totalBytes - IPV4_BYTES);
      this.checksumAt = t + 6;
      this.tcpSeqAt = -1;
    } else {
      setU16(b, t, spec.srcPort ?? 40000);
      setU16(b, t + 2, spec.dstPort ?? 5001);
      setU32(b, t + 4, this.tcpIsn);
      setU32(b, t + 8, 0x2000_0001);
      b[t + 12] = 5 << 4;
      b[t + 13] = TCP_FLAGS_ACK_PSH;
      setU16(b, t + 14, 65535);
      this.checksumAt = t + 16;
      this.tcpSeqAt = t + 4;
    }
    setU16(b, this.checksumAt, transportChecksum(b, 0, b.length));
  }

  /**
   * Writes packet number `n`'s fields into a copy of the template at `buf[at, at + length)`:
   * the payload counter (and the TCP sequence number) and the patched checksum.
   */
  stamp(buf: Uint8Array, at: number, n: number): void {
    const counter = n >>> 0;
    let sum = (~getU16(this.bytes, this.checksumAt) & 0xffff) + (counter >>> 16) + (counter & 0xffff);
    setU32(buf, at + this.counterAt, counter);
    if (this.tcpSeqAt >= 0) {
      const seq = (this.tcpIsn + counter * this.payloadBytes) >>> 0;
      sum += (seq >>> 16) + (seq & 0xffff) + (~(this.tcpIsn >>> 16) & 0xffff) + (~this.tcpIsn & 0xffff);
      setU32(buf, at + this.tcpSeqAt, seq);
    }
    // The template's counter is 0, so "~m" of RFC 1624 is 0xffff per word, which is −0: nothing to add.
    let c = ~foldSum(sum) & 0xffff;
    if (c === 0 && this.protocol === 'udp') c = 0xffff;
    setU16(buf, at + this.checksumAt, c);
  }

  /** The expected counter of a packet at `buf[at…)`, or −1 when the fixed header fields are wrong. */
  readCounter(buf: Uint8Array, at: number, length: number): number {
    const t = this.bytes;
    if (length !== t.length || buf[at] !== 0x45 || buf[at + 9] !== t[9] || getU32(buf, at + 16) !== getU32(t, 16)) return -1;
    return getU32(buf, at + this.counterAt);
  }
}

/**
 * The checksum field value for the transport segment of the IPv4 packet `buf[start, end)` (field
 * treated as zero), with the IPv4 pseudo-header (RFC 768; RFC 9293 §3.1).
 */
export function transportChecksum(buf: Uint8Array, start: number, end: number): number {
  const proto = buf[start + 9]!;
  const t = start + IPV4_BYTES;
  const length = end - t;
  const fieldAt = t + (proto === PROTO_TCP ? 16 : 6);
  let sum = getU16(buf, start + 12) + getU16(buf, start + 14) + getU16(buf, start + 16) + getU16(buf, start + 18) + proto + length;
  sum = sumWords(buf, t, fieldAt, sum);
  sum = sumWords(buf, fieldAt + 2, end, sum);
  const c = finishChecksum(sum);
  return proto === PROTO_UDP && c === 0 ? 0xffff : c;
}

/** Full check of an inner packet: IPv4 header checksum, total length, transport checksum. */
export function innerPacketValid(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < IPV4_BYTES || buf[start] !== 0x45) return false;
  if (getU16(buf, start + 2) !== end - start) return false;
  if (internetChecksum(buf, start, start + IPV4_BYTES) !== 0) return false;
  const proto = buf[start + 9]!;
  const fieldAt = start + IPV4_BYTES + (proto === PROTO_TCP ? 16 : 6);
  return getU16(buf, fieldAt) === transportChecksum(buf, start, end);
}
