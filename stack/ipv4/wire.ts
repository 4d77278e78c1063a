/**
 * IPv4 header layout (RFC 791 §3.1): offsets and accessors at `(buf, offset)` where `offset` is the
 * header's first byte. No checks, no allocation. Addresses are unsigned 32-bit integers.
 */
import { getU16, getU32, setU16 } from '../bytes.js';

export const IPV4_MIN_HEADER_BYTES = 20;
export const OFF_VERSION_IHL = 0;
export const OFF_TOS = 1;
export const OFF_TOTAL_LENGTH = 2;
export const OFF_ID = 4;
export const OFF_FLAGS_FRAGMENT = 6;
export const OFF_TTL = 8;
export const OFF_PROTOCOL = 9;
export const OFF_CHECKSUM = 10;
export const OFF_SRC = 12;
export const OFF_DST = 16;

export const FLAG_DF = 0x4000;
export const FLAG_MF = 0x2000;
export const FRAGMENT_OFFSET_MASK = 0x1fff;

export const PROTOCOL_UDP = 17;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_ICMP = 1;

export function getVersion(buf: Uint8Array, h: number): number {
  return buf[h + OFF_VERSION_IHL]! >>> 4;
}
/** Header length in bytes (IHL × 4). */
export function getHeaderBytes(buf: Uint8Array, h: number): number {
  return (buf[h + OFF_VERSION_IHL]! & 0x0f) * 4;
}
export function getTos(buf: Uint8Array, h: number): number {
  return buf[h + OFF_TOS]!;
}
export function getTotalLength(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_TOTAL_LENGTH);
}
export function getId(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_ID);
}
export function getFlagsFragment(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_FLAGS_FRAGMENT);
}
export function getTtl(buf: Uint8Array, h: number): number {
  return buf[h + OFF_TTL]!;
}
export function setTtl(buf: Uint8Array, h: number, v: number): void {
  buf[h + OFF_TTL] = v;
}
export function getProtocol(buf: Uint8Array, h: number): number {
  return buf[h + OFF_PROTOCOL]!;
}
export function getChecksum(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_CHECKSUM);
}
export function setChecksum(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_CHECKSUM, v);
}
/**
 * Writes a whole 20-byte header (version 4, IHL 5, no options) at `buf[h, h + 20)`. The one writer
 * of this header: `Ipv4Layer.send` (checksum computed incrementally from its template) and
 * `encodeIpv4Into` (checksum 0, then summed and stored with `setChecksum`) both call it. Addresses
 * come as 16-bit halves (see `getAddrHi`); every argument is a small integer, so nothing is boxed
 * when V8 does not inline the call. Plain byte stores (a Uint8Array store keeps the low 8 bits).
 */
export function writeIpv4Header(
  buf: Uint8Array,
  h: number,
  tos: number,
  totalLength: number,
  id: number,
  flagsFragment: number,
  ttl: number,
  protocol: number,
  checksum: number,
  srcHi: number,
  srcLo: number,
  dstHi: number,
  dstLo: number,
): void {
  // Literal offsets (the OFF_* above), not module constants: fewer bytecodes, so that V8 inlines
  // it into the send path within its inlining budget.
  buf[h] = 0x45;
  buf[h + 1] = tos;
  buf[h + 2] = totalLength >>> 8;
  buf[h + 3] = totalLength;
  buf[h + 4] = id >>> 8;
  buf[h + 5] = id;
  buf[h + 6] = flagsFragment >>> 8;
  buf[h + 7] = flagsFragment;
  buf[h + 8] = ttl;
  buf[h + 9] = protocol;
  buf[h + 10] = checksum >>> 8;
  buf[h + 11] = checksum;
  buf[h + 12] = srcHi >>> 8;
  buf[h + 13] = srcHi;
  buf[h + 14] = srcLo >>> 8;
  buf[h + 15] = srcLo;
  buf[h + 16] = dstHi >>> 8;
  buf[h + 17] = dstHi;
  buf[h + 18] = dstLo >>> 8;
  buf[h + 19] = dstLo;
}

/**
 * An address as two 16-bit halves (`hi` = first two octets). Each half is a small integer, so
 * reading or writing an address this way never boxes a heap number even when a call is not
 * inlined, where a 32-bit address ≥ 128.0.0.0 returned from or passed to a call is one per packet.
 */
export function getAddrHi(buf: Uint8Array, at: number): number {
  return getU16(buf, at);
}
export function getAddrLo(buf: Uint8Array, at: number): number {
  return getU16(buf, at + 2);
}
/** Writes an address as two 16-bit halves (in-place rewrites: the firewall's NAT). */
export function setAddrHalves(buf: Uint8Array, at: number, hi: number, lo: number): void {
  setU16(buf, at, hi);
  setU16(buf, at + 2, lo);
}

/** Not for the data path: the unsigned result ≥ 2^31 is a heap number (see `getAddrHi`). */
export function getSrc(buf: Uint8Array, h: number): number {
  return getU32(buf, h + OFF_SRC);
}
/** Not for the data path (see `getSrc`). */
export function getDst(buf: Uint8Array, h: number): number {
  return getU32(buf, h + OFF_DST);
}

/** `a.b.c.d` → unsigned 32-bit integer; throws `RangeError` on a malformed string (configuration). */
export function parseIpv4(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null || m.slice(1).some((p) => Number(p) > 255)) {
    throw new RangeError(`bad IPv4 address '${text}': expected dotted quad like 10.0.0.1`);
  }
  return m.slice(1).reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(ip: number): string {
  return `${(ip >>> 24) & 0xff}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}
