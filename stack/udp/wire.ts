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
export function setLength(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_LENGTH, v);
}
export function getChecksum(buf: Uint8Array, h: number): number {
  return getU16(buf, h + OFF_CHECKSUM);
}
export function setChecksum(buf: Uint8Array, h: number, v: number): void {
  setU16(buf, h + OFF_CHECKSUM, v);
}
