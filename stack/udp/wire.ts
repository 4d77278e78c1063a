/**
 * UDP header layout (RFC 768): offsets and accessors at `(buf, offset)` where `offset` is the
 * header's first byte. No checks, no allocation.
 */
import { getU16, setU16 } from '../bytes.js';

export const UDP_HEADER_BYTES = 8;
export const OFF_SRC_PORT = 0;
export const OFF_DST_PORT = 2;
export const OFF_LENGTH = 4;
export const OFF_CHECKSUM = 6;

export function getSrcPort(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_SRC_PORT);
}
export function setSrcPort(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_SRC_PORT, v);
}
export function getDstPort(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_DST_PORT);
}
export function setDstPort(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_DST_PORT, v);
}
export function getLength(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_LENGTH);
}
export function getChecksum(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_CHECKSUM);
}
export function setChecksum(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_CHECKSUM, v);
}

/**
 * Writes the whole 8-byte header at `buf[h, h + 8)`. The one writer of this header: `UdpLayer.sendTo`
 * (checksum 0, filled afterwards over the pseudo-header) and `encodeUdpInto` both call it. Plain
 * byte stores (a Uint8Array store keeps the low 8 bits).
 */
export function writeUdpHeader(buf: Uint8Array, h: number, srcPort: number, dstPort: number, length: number, checksum: number): void {
  // Literal offsets (the OFF_* above): fewer bytecodes, inlined within V8's budget.
  buf[h] = srcPort >>> 8;
  buf[h + 1] = srcPort;
  buf[h + 2] = dstPort >>> 8;
  buf[h + 3] = dstPort;
  buf[h + 4] = length >>> 8;
  buf[h + 5] = length;
  buf[h + 6] = checksum >>> 8;
  buf[h + 7] = checksum;
}
