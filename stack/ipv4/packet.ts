/**
 * IPv4 header (RFC 791): decoding into a caller's object and encoding into a caller's buffer.
 * Decoding never throws: malformed bytes give a status. Options are *tolerated*: their bytes are
 * covered by the checksum and skipped (the payload starts at `headerBytes`), never interpreted.
 */
import { internetChecksum } from '../checksum.js';
import * as wire from './wire.js';

export interface Ipv4Header {
  /** IHL × 4: 20 without options, up to 60. */
  headerBytes: number;
  tos: number;
  /** Header plus payload, in bytes (the Total Length field). */
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes (the field × 8). */
  fragmentOffsetBytes: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: number;
  dst: number;
}

export function newIpv4Header(): Ipv4Header {
  return {
    headerBytes: wire.IPV4_MIN_HEADER_BYTES,
    tos: 0,
    totalLength: 0,
    id: 0,
    dontFragment: true,
    moreFragments: false,
    fragmentOffsetBytes: 0,
    ttl: 64,
    protocol: 0,
    checksum: 0,
    src: 0,
    dst: 0,
  };
}

/**
 * `ok`: `out` holds the header; the payload is `buf[start + headerBytes, start + totalLength)`
 * (bytes after `totalLength`, such as Ethernet padding, are not part of the packet).
 */
export type Ipv4DecodeStatus =
  | 'ok'
  | 'truncated'
  | 'bad-version'
  | 'bad-header-length'
  | 'bad-total-length'
  | 'bad-checksum';

/** Decodes and verifies the header of `buf[start, end)`. Reads only inside `[start, end)`. */
export function decodeIpv4(buf: Uint8Array, start: number, end: number, out: Ipv4Header): Ipv4DecodeStatus {
  const avail = end - start;
  if (avail < wire.IPV4_MIN_HEADER_BYTES) return 'truncated';
  if (wire.getVersion(buf, start) !== 4) return 'bad-version';
  const headerBytes = wire.getHeaderBytes(buf, start);
  // RFC 791 §3.1: "Note that the minimum value for a correct header is 5."
  if (headerBytes < wire.IPV4_MIN_HEADER_BYTES) return 'bad-header-length';
  if (headerBytes > avail) return 'truncated';
  const totalLength = wire.getTotalLength(buf, start);
  if (totalLength < headerBytes) return 'bad-total-length';
  if (totalLength > avail) return 'truncated';
  // RFC 791 §3.1: "The checksum field is the 16 bit one's complement of the one's complement sum of
  // all 16 bit words in the header." Summing the header including its checksum gives 0xffff → 0.
  if (headerChecksum(buf, start, headerBytes) !== 0) return 'bad-checksum';
  const ff = wire.getFlagsFragment(buf, start);
  out.headerBytes = headerBytes;
  out.tos = wire.getTos(buf, start);
  out.totalLength = totalLength;
  out.id = wire.getId(buf, start);
  out.dontFragment = (ff & wire.FLAG_DF) !== 0;
  out.moreFragments = (ff & wire.FLAG_MF) !== 0;
  out.fragmentOffsetBytes = (ff & wire.FRAGMENT_OFFSET_MASK) * 8;
  out.ttl = wire.getTtl(buf, start);
  out.protocol = wire.getProtocol(buf, start);
  out.checksum = wire.getChecksum(buf, start);
  // Assembled here from small-integer halves and stored straight into the header: no call returns
  // an address, so none is boxed (V8 updates a number field in place).
  out.src = wire.getAddrHi(buf, start + wire.OFF_SRC) * 0x1_0000 + wire.getAddrLo(buf, start + wire.OFF_SRC);
  out.dst = wire.getAddrHi(buf, start + wire.OFF_DST) * 0x1_0000 + wire.getAddrLo(buf, start + wire.OFF_DST);
  return 'ok';
}

/**
 * The Internet checksum of the header `buf[start, start + headerBytes)`: the common 20-byte header
 * is summed unrolled (ten words, byte reads, no loop), a header with options by `internetChecksum`.
 */
export function headerChecksum(buf: Uint8Array, start: number, headerBytes: number): number {
  if (headerBytes !== wire.IPV4_MIN_HEADER_BYTES) return internetChecksum(buf, start, start + headerBytes);
  const hi = buf[start]! + buf[start + 2]! + buf[start + 4]! + buf[start + 6]! + buf[start + 8]! + buf[start + 10]! + buf[start + 12]! + buf[start + 14]! + buf[start + 16]! + buf[start + 18]!;
  const lo = buf[start + 1]! + buf[start + 3]! + buf[start + 5]! + buf[start + 7]! + buf[start + 9]! + buf[start + 11]! + buf[start + 13]! + buf[start + 15]! + buf[start + 17]! + buf[start + 19]!;
  // At most 10 × 0xffff: two folds bring it to 16 bits.
  let sum = hi * 256 + lo;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Writes a 20-byte header (no options; `h.headerBytes` is ignored) at `buf[offset, offset + 20)`
 * with a freshly computed checksum, which is also stored in `h.checksum`. Returns 20.
 */
export function encodeIpv4Into(h: Ipv4Header, buf: Uint8Array, offset: number): number {
  const flagsFragment = (h.dontFragment ? wire.FLAG_DF : 0) | (h.moreFragments ? wire.FLAG_MF : 0) | ((h.fragmentOffsetBytes >>> 3) & wire.FRAGMENT_OFFSET_MASK);
  // Halves, not the 32-bit value: passing an address ≥ 2^31 to a call would box it per packet.
  wire.writeIpv4Header(buf, offset, h.tos, h.totalLength, h.id, flagsFragment, h.ttl, h.protocol, 0, h.src >>> 16, h.src & 0xffff, h.dst >>> 16, h.dst & 0xffff);
  h.checksum = headerChecksum(buf, offset, wire.IPV4_MIN_HEADER_BYTES);
  wire.setChecksum(buf, offset, h.checksum);
  return wire.IPV4_MIN_HEADER_BYTES;
}
