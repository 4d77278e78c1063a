/**
 * Ethernet II header: typed view, decoding into a caller's object (no allocation) and encoding into
 * a caller's buffer. Decoding never throws: malformed bytes give a status.
 */
import * as wire from './wire.js';

/**
 * MACs as two 24-bit halves each (upper = OUI, lower = NIC part; see wire.ts): small integers that
 * V8 never boxes, so decoding and comparing addresses per frame allocates nothing.
 */
export interface EthernetHeader {
  dstMacHi: number;
  dstMacLo: number;
  srcMacHi: number;
  srcMacLo: number;
  ethertype: number;
}

export function newEthernetHeader(): EthernetHeader {
  return { dstMacHi: 0, dstMacLo: 0, srcMacHi: 0, srcMacLo: 0, ethertype: 0 };
}

/**
 * `ok`: `out` holds the header and the payload is `buf[start + 14, end)`.
 * `truncated`: fewer than 14 bytes. `not-ethernet-ii`: the type field is an IEEE 802.3 length
 * (< 0x0600), which this stack does not speak.
 */
export type EthernetDecodeStatus = 'ok' | 'truncated' | 'not-ethernet-ii';

/** Decodes the header of the frame `buf[start, end)` into `out`. Reads only inside `[start, end)`. */
export function decodeEthernet(buf: Uint8Array, start: number, end: number, out: EthernetHeader): EthernetDecodeStatus {
  if (end - start < wire.ETHERNET_HEADER_BYTES) return 'truncated';
  out.dstMacHi = wire.getMacHi(buf, start + wire.OFF_DST);
  out.dstMacLo = wire.getMacLo(buf, start + wire.OFF_DST);
  out.srcMacHi = wire.getMacHi(buf, start + wire.OFF_SRC);
  out.srcMacLo = wire.getMacLo(buf, start + wire.OFF_SRC);
  out.ethertype = wire.getEthertype(buf, start);
  if (out.ethertype < 0x0600) return 'not-ethernet-ii';
  return 'ok';
}

/** Writes the 14-byte header at `buf[offset, offset + 14)`; returns the bytes written (14). */
export function encodeEthernetInto(h: EthernetHeader, buf: Uint8Array, offset: number): number {
  wire.writeEthernetHeader(buf, offset, h.dstMacHi, h.dstMacLo, h.srcMacHi, h.srcMacLo, h.ethertype);
  return wire.ETHERNET_HEADER_BYTES;
}
