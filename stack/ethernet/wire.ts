/**
 * Ethernet II frame layout (IEEE 802.3 with an EtherType ≥ 0x0600): offsets and accessors at
 * `(buf, offset)` where `offset` is the frame's first byte. No checks, no allocation.
 * MAC addresses are 48-bit unsigned integers held in a double (exact below 2^53).
 */
import { getU16, getU32, setU16, setU32 } from '../bytes.js';

export const ETHERNET_HEADER_BYTES = 14;
export const OFF_DST = 0;
export const OFF_SRC = 6;
export const OFF_ETHERTYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const BROADCAST_MAC = 0xffff_ffff_ffff;

export function getMac(buf: Uint8Array, off: number): number {
  return getU16(buf, off) * 0x1_0000_0000 + getU32(buf, off + 2);
}

export function setMac(buf: Uint8Array, off: number, mac: number): void {
  setU16(buf, off, Math.floor(mac / 0x1_0000_0000));
  setU32(buf, off + 2, mac % 0x1_0000_0000);
}

export function getDst(buf: Uint8Array, frame: number): number {
  return getMac(buf, frame + OFF_DST);
}
export function setDst(buf: Uint8Array, frame: number, mac: number): void {
  setMac(buf, frame + OFF_DST, mac);
}
export function getSrc(buf: Uint8Array, frame: number): number {
  return getMac(buf, frame + OFF_SRC);
}
export function setSrc(buf: Uint8Array, frame: number, mac: number): void {
  setMac(buf, frame + OFF_SRC, mac);
}
export function getEthertype(buf: Uint8Array, frame: number): number {
  return getU16(buf, frame + OFF_ETHERTYPE);
}
export function setEthertype(buf: Uint8Array, frame: number, type: number): void {
  setU16(buf, frame + OFF_ETHERTYPE, type);
}

/** `aa:bb:cc:dd:ee:ff` → 48-bit integer; throws `RangeError` on a malformed string (configuration). */
export function parseMac(text: string): number {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`bad MAC address '${text}': expected six hex pairs like 02:00:00:00:00:01`);
  }
  return parts.reduce((acc, p) => acc * 256 + parseInt(p, 16), 0);
}

export function formatMac(mac: number): string {
  const out: string[] = [];
  let m = mac;
  for (let i = 0; i < 6; i++) {
    out.unshift((m % 256).toString(16).padStart(2, '0'));
    m = Math.floor(m / 256);
  }
  return out.join(':');
}
