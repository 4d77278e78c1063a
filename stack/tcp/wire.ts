/**
 * TCP header layout (RFC 9293 §3.1): offsets, flags and option kinds; accessors at `(buf, offset)`
 * where `offset` is the header's first byte. No checks, no allocation. Sequence numbers are
 * unsigned 32-bit integers compared modulo 2^32 with `seqLt` / `seqLe`.
 */
import { getU16, getU32, setU16, setU32 } from '../bytes.js';

export const TCP_MIN_HEADER_BYTES = 20;
/** Largest header: data offset 15 × 4. */
export const TCP_MAX_HEADER_BYTES = 60;
export const OFF_SRC_PORT = 0;
export const OFF_DST_PORT = 2;
export const OFF_SEQ = 4;
export const OFF_ACK = 8;
export const OFF_DATA_OFFSET = 12;
export const OFF_FLAGS = 13;
export const OFF_WINDOW = 14;
export const OFF_CHECKSUM = 16;
export const OFF_URGENT = 18;

export const FLAG_FIN = 0x01;
export const FLAG_SYN = 0x02;
export const FLAG_RST = 0x04;
export const FLAG_PSH = 0x08;
export const FLAG_ACK = 0x10;
export const FLAG_URG = 0x20;

export const OPT_END = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WINDOW_SCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMPS = 8;

export const getSrcPort = (b: Uint8Array, h: number): number => getU16(b, h + OFF_SRC_PORT);
export const getDstPort = (b: Uint8Array, h: number): number => getU16(b, h + OFF_DST_PORT);
export const getSeq = (b: Uint8Array, h: number): number => getU32(b, h + OFF_SEQ);
export const getAck = (b: Uint8Array, h: number): number => getU32(b, h + OFF_ACK);
/** Header length in bytes (data offset × 4). */
export const getHeaderBytes = (b: Uint8Array, h: number): number => (b[h + OFF_DATA_OFFSET]! >>> 4) * 4;
export const getFlags = (b: Uint8Array, h: number): number => b[h + OFF_FLAGS]! & 0x3f;
export const getWindow = (b: Uint8Array, h: number): number => getU16(b, h + OFF_WINDOW);
export const getChecksum = (b: Uint8Array, h: number): number => getU16(b, h + OFF_CHECKSUM);

/**
 * Writes the fixed 20-byte header at `b[h, h + 20)` with checksum and urgent pointer 0 (the
 * checksum is filled once the segment is complete). The one writer of this header: the
 * connections' and the layer's send paths and `encodeTcpInto` call it. `seq` and `ack` are
 * unsigned 32-bit numbers.
 */
export function writeTcpHeader(b: Uint8Array, h: number, srcPort: number, dstPort: number, seq: number, ack: number, headerBytes: number, flags: number, window: number): void {
  setU16(b, h + OFF_SRC_PORT, srcPort);
  setU16(b, h + OFF_DST_PORT, dstPort);
  setU32(b, h + OFF_SEQ, seq);
  setU32(b, h + OFF_ACK, ack);
  b[h + OFF_DATA_OFFSET] = (headerBytes >>> 2) << 4;
  b[h + OFF_FLAGS] = flags;
  setU16(b, h + OFF_WINDOW, window);
  setU16(b, h + OFF_CHECKSUM, 0);
  setU16(b, h + OFF_URGENT, 0);
}

export const setChecksum = (b: Uint8Array, h: number, v: number): void => setU16(b, h + OFF_CHECKSUM, v);
/** The ports alone (a NAT rewriting a forwarded segment). */
export const setSrcPort = (b: Uint8Array, h: number, v: number): void => setU16(b, h + OFF_SRC_PORT, v);
export const setDstPort = (b: Uint8Array, h: number, v: number): void => setU16(b, h + OFF_DST_PORT, v);

// Option writers (RFC 9293 §3.2, RFC 7323, RFC 2018), each padded with NOPs to 4 bytes so that the
// options that follow stay 32-bit aligned; each returns the offset after what it wrote.

/** MSS (kind 2, length 4): 4 bytes. */
export function writeMssOption(b: Uint8Array, at: number, mss: number): number {
  b[at] = OPT_MSS;
  b[at + 1] = 4;
  setU16(b, at + 2, mss);
  return at + 4;
}
/** NOP, window scale (kind 3, length 3): 4 bytes. */
export function writeWindowScaleOption(b: Uint8Array, at: number, shift: number): number {
  b[at] = OPT_NOP;
  b[at + 1] = OPT_WINDOW_SCALE;
  b[at + 2] = 3;
  b[at + 3] = shift;
  return at + 4;
}
/** NOP, NOP, SACK-permitted (kind 4, length 2): 4 bytes. */
export function writeSackPermittedOption(b: Uint8Array, at: number): number {
  b[at] = OPT_NOP;
  b[at + 1] = OPT_NOP;
  b[at + 2] = OPT_SACK_PERMITTED;
  b[at + 3] = 2;
  return at + 4;
}
/** NOP, NOP, SACK (kind 5, length 2 + 8 × `blocks`: left and right edges, RFC 2018 §3): 4 + 8 × blocks bytes. */
export function writeSackOption(b: Uint8Array, at: number, blocks: number, edges: readonly number[]): number {
  b[at] = OPT_NOP;
  b[at + 1] = OPT_NOP;
  b[at + 2] = OPT_SACK;
  b[at + 3] = 2 + 8 * blocks;
  for (let k = 0; k < 2 * blocks; k++) setU32(b, at + 4 + 4 * k, edges[k]! >>> 0);
  return at + 4 + 8 * blocks;
}
/** NOP, NOP, timestamps (kind 8, length 10: TSval, TSecr as unsigned 32-bit): 12 bytes. */
export function writeTimestampsOption(b: Uint8Array, at: number, tsVal: number, tsEcr: number): number {
  b[at] = OPT_NOP;
  b[at + 1] = OPT_NOP;
  b[at + 2] = OPT_TIMESTAMPS;
  b[at + 3] = 10;
  setU32(b, at + 4, tsVal);
  setU32(b, at + 8, tsEcr);
  return at + 12;
}
/** Unsigned 16-bit value of an option field at `at` (MSS). */
export const getOptU16 = (b: Uint8Array, at: number): number => getU16(b, at);
/** Unsigned 32-bit value of an option field at `at` (TSval, TSecr). */
export const getOptU32 = (b: Uint8Array, at: number): number => getU32(b, at);

/** a < b in sequence space (RFC 9293 §3.4: arithmetic modulo 2^32). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** `(a + n) mod 2^32`. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** `b - a` as a signed distance (valid while |distance| < 2^31). */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}
