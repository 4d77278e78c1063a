/**
 * Ethernet II header: typed view, decoding into a caller's object (no allocation) and encoding into
 * a caller's buffer. Decoding never throws: malformed bytes give a status.
 */
import * as wire from './wire.js';

export interface EthernetHeader {
  dstMac: number;
  srcMac: number;
  ethertype: number;
}

export function newEthernetHeader(): EthernetHeader {
  return { dstMac: 0, srcMac: 0, ethertype: 0 };
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
  out.dstMac = wire.getDst(buf, start);
  out.srcMac = wire.getSrc(buf, start);
  out.ethertype = wire.getEthertype(buf, start);
  if (out.ethertype < 0x0600) return 'not-ethernet-ii';
  return 'ok';
}

/** Writes the 14-byte header at `buf[offset, offset + 14)`; returns the bytes written (14). */
export function encodeEthernetInto(h: EthernetHeader, buf: Uint8Array, offset: number): number {
  wire.setDst(buf, offset, h.dstMac);
  wire.setSrc(buf, offset, h.srcMac);
  wire.setEthertype(buf, offset, h.ethertype);
  return wire.ETHERNET_HEADER_BYTES;
}
