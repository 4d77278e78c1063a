/**
 * Ethernet II frame layout (IEEE 802.3 with an EtherType ≥ 0x0600): offsets and accessors at
 * `(buf, offset)` where `offset` is the frame's first byte. No checks, no allocation.
 *
 * MAC addresses: in configuration and tests a MAC is one 48-bit unsigned integer held in a double
 * (exact below 2^53; `parseMac`, `formatMac`, `getMac`). On the data path a MAC is two
 * 24-bit halves (`getMacHi` / `getMacLo`, the OUI and the NIC part): each always fits a V8 small
 * integer (Smi, 31 bits even with pointer compression), so reading and comparing a MAC per frame
 * never boxes a heap number, where a 48-bit double returned from a call does.
 */
import { getU16, getU32, setU16 } from '../bytes.js';

export const ETHERNET_HEADER_BYTES = 14;
export const OFF_DST = 0;
export const OFF_SRC = 6;
export const OFF_ETHERTYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const BROADCAST_MAC = 0xffff_ffff_ffff;

/** 2^24: one MAC half's range. */
const HALF = 0x100_0000;
/** Both halves of the broadcast address ff:ff:ff:ff:ff:ff. */
export const BROADCAST_MAC_HALF = 0xff_ffff;

/** Upper 24 bits (the OUI) of the MAC at `buf[off, off + 3)`: a small integer, never boxed. */
export function getMacHi(buf: Uint8Array, off: number): number {
  return (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
}
/** Lower 24 bits of the MAC at `buf[off + 3, off + 6)`. */
export function getMacLo(buf: Uint8Array, off: number): number {
  return (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!;
}
/** Writes the MAC given as two 24-bit halves at `buf[off, off + 6)` (in-place rewrites: the firewall). */
export function setMacHalves(buf: Uint8Array, off: number, hi: number, lo: number): void {
  buf[off] = (hi >>> 16) & 0xff;
  buf[off + 1] = (hi >>> 8) & 0xff;
  buf[off + 2] = hi & 0xff;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}
/**
 * Writes the whole 14-byte header at `buf[frame, frame + 14)`: destination and source MAC as
 * 24-bit halves, then the EtherType. The one writer of this header: `EthernetLayer.send` and
 * `encodeEthernetInto` both call it. Plain byte stores from small integers (V8 inlines it).
 */
export function writeEthernetHeader(buf: Uint8Array, frame: number, dstHi: number, dstLo: number, srcHi: number, srcLo: number, ethertype: number): void {
  // Literal offsets (0 destination, 6 source, 12 EtherType), no nested calls: a small body that V8
  // inlines into the send path without spending its inlining budget.
  buf[frame] = dstHi >>> 16;
  buf[frame + 1] = dstHi >>> 8;
  buf[frame + 2] = dstHi;
  buf[frame + 3] = dstLo >>> 16;
  buf[frame + 4] = dstLo >>> 8;
  buf[frame + 5] = dstLo;
  buf[frame + 6] = srcHi >>> 16;
  buf[frame + 7] = srcHi >>> 8;
  buf[frame + 8] = srcHi;
  buf[frame + 9] = srcLo >>> 16;
  buf[frame + 10] = srcLo >>> 8;
  buf[frame + 11] = srcLo;
  buf[frame + 12] = ethertype >>> 8;
  buf[frame + 13] = ethertype;
}
/** Upper 24-bit half of a 48-bit MAC number (configuration time). */
export function macHi(mac: number): number {
  return Math.floor(mac / HALF) & 0xff_ffff;
}
/** Lower 24-bit half of a 48-bit MAC number (configuration time). */
export function macLo(mac: number): number {
  return mac % HALF;
}
/** The 48-bit MAC number of two halves (tests, diagnostics: the result may be a heap number). */
export function macFromHalves(hi: number, lo: number): number {
  return hi * HALF + lo;
}

/** The MAC at `off` as one 48-bit number. Not for the data path: the double it returns is boxed. */
export function getMac(buf: Uint8Array, off: number): number {
  return getU16(buf, off) * 0x1_0000_0000 + getU32(buf, off + 2);
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
