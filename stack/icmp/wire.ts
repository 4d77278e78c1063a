/**
 * ICMP for IPv4 (RFC 792) echo messages: offsets and accessors at `(buf, offset)`. No checks, no
 * allocation.
 *
 *     0      1      2          4            6            8
 *     | type | code | checksum | identifier | sequence   | data ...
 *     checksum: the Internet checksum over the whole ICMP message (RFC 792, "Echo or Echo Reply").
 */
import { getU16, setU16 } from '../bytes.js';

export const ICMP_HEADER_BYTES = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const OFF_TYPE = 0;
export const OFF_CODE = 1;
export const OFF_CHECKSUM = 2;

export function getType(buf: Uint8Array, off: number): number {
  return buf[off + OFF_TYPE]!;
}
export function getCode(buf: Uint8Array, off: number): number {
  return buf[off + OFF_CODE]!;
}
export function setTypeCode(buf: Uint8Array, off: number, type: number, code: number): void {
  buf[off + OFF_TYPE] = type;
  buf[off + OFF_CODE] = code;
}
export function setChecksum(buf: Uint8Array, off: number, checksum: number): void {
  setU16(buf, off + OFF_CHECKSUM, checksum);
}
export function getChecksum(buf: Uint8Array, off: number): number {
  return getU16(buf, off + OFF_CHECKSUM);
}
