/**
 * UDP header (RFC 768): decoding into a caller's object, encoding into a caller's buffer, and the
 * checksum over the IPv4 pseudo-header. Decoding never throws: malformed bytes give a status.
 */
import { finishChecksum, sumWords } from '../checksum.js';
import { PROTOCOL_UDP } from '../ipv4/wire.js';
import * as wire from './wire.js';

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Header plus data, in bytes (the Length field). */
  length: number;
  /** 0 means "no checksum" (RFC 768). */
  checksum: number;
}

export function newUdpHeader(): UdpHeader {
  return { srcPort: 0, dstPort: 0, length: 0, checksum: 0 };
}

/**
 * `ok`: the data is `buf[start + 8, start + length)`; bytes after `length` are not part of the
 * datagram. `bad-length`: the Length field is below 8. `bad-checksum`: non-zero and wrong.
 */
export type UdpDecodeStatus = 'ok' | 'truncated' | 'bad-length' | 'bad-checksum';

/**
 * Decodes the datagram `buf[start, end)` sent from `srcIp` to `dstIp` (for the pseudo-header) and
 * verifies its checksum unless it is zero. Reads only inside `[start, end)`.
 */
export function decodeUdp(
  buf: Uint8Array,
  start: number,
  end: number,
  srcIp: number,
  dstIp: number,
  out: UdpHeader,
): UdpDecodeStatus {
  if (end - start < wire.UDP_HEADER_BYTES) return 'truncated';
  const length = wire.getLength(buf, start);
  if (length < wire.UDP_HEADER_BYTES) return 'bad-length';
  if (length > end - start) return 'truncated';
  out.srcPort = wire.getSrcPort(buf, start);
  out.dstPort = wire.getDstPort(buf, start);
  out.length = length;
  out.checksum = wire.getChecksum(buf, start);
  // RFC 768: "An all zero transmitted checksum value means that the transmitter generated no
  // checksum (for debugging or for higher level protocols that don't care)."
  if (out.checksum !== 0 && udpChecksum(buf, start, start + length, srcIp, dstIp, true) !== 0) return 'bad-checksum';
  return 'ok';
}

/**
 * The checksum of the datagram `buf[start, end)` with the IPv4 pseudo-header (RFC 768: source and
 * destination address, zero, protocol, UDP length). With `includeField` false the checksum field is
 * treated as zero (for sending); with true it is summed as stored, and a correct datagram gives 0.
 * For sending, a computed 0 is returned as 0xffff: RFC 768: "If the computed checksum is zero, it is
 * transmitted as all ones".
 */
export function udpChecksum(
  buf: Uint8Array,
  start: number,
  end: number,
  srcIp: number,
  dstIp: number,
  includeField: boolean,
): number {
  return udpChecksumWithAddressSum(buf, start, end, addressSum(srcIp) + addressSum(dstIp), includeField);
}

/** The sum of an IPv4 address's two 16-bit halves (its share of the pseudo-header sum): a small integer. */
export function addressSum(ip: number): number {
  return (ip >>> 16) + (ip & 0xffff);
}

/**
 * `udpChecksum` with the two addresses given as `addressSum(src) + addressSum(dst)`: a small
 * integer, so a sender can compute its own address's share once and never pass a 32-bit address
 * (a heap number when ≥ 2^31) into the call per packet.
 */
export function udpChecksumWithAddressSum(buf: Uint8Array, start: number, end: number, addressesSum: number, includeField: boolean): number {
  const length = end - start;
  let sum = addressesSum + PROTOCOL_UDP + length;
  if (includeField) {
    sum = sumWords(buf, start, end, sum);
    return finishChecksum(sum);
  }
  sum = sumWords(buf, start, start + wire.OFF_CHECKSUM, sum);
  sum = sumWords(buf, start + wire.OFF_CHECKSUM + 2, end, sum);
  const c = finishChecksum(sum);
  return c === 0 ? 0xffff : c;
}

/** Writes the 8-byte header at `buf[offset, offset + 8)` with `h.checksum` as given. Returns 8. */
export function encodeUdpInto(h: UdpHeader, buf: Uint8Array, offset: number): number {
  wire.writeUdpHeader(buf, offset, h.srcPort, h.dstPort, h.length, h.checksum);
  return wire.UDP_HEADER_BYTES;
}

/** Computes and stores the checksum of the encoded datagram `buf[start, end)`. */
export function fillUdpChecksum(buf: Uint8Array, start: number, end: number, srcIp: number, dstIp: number): void {
  wire.setChecksum(buf, start, udpChecksum(buf, start, end, srcIp, dstIp, false));
}

/** `fillUdpChecksum` with the addresses as `addressSum(src) + addressSum(dst)` (see `udpChecksumWithAddressSum`). */
export function fillUdpChecksumWithAddressSum(buf: Uint8Array, start: number, end: number, addressesSum: number): void {
  wire.setChecksum(buf, start, udpChecksumWithAddressSum(buf, start, end, addressesSum, false));
}
