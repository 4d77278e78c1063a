/**
 * TCP segments (RFC 9293 §3.1, options of RFC 7323 and RFC 2018): decoding into a caller's header
 * object (`decodeTcp`), encoding into a caller's buffer (`encodeTcpInto`, through the writers of
 * wire.ts), and the checksum over the IPv4 pseudo-header. Decoding
 * never throws and reads only inside `[start, end)`: malformed bytes give a status.
 */
import { finishChecksum, sumWords } from '../checksum.js';
import { PROTOCOL_TCP } from '../ipv4/wire.js';
import * as wire from './wire.js';

export interface TcpOptions {
  /** Maximum segment size from a SYN; 0 when absent. */
  mss: number;
  /** Window scale shift from a SYN; -1 when absent. */
  windowScale: number;
  sackPermitted: boolean;
  hasTimestamps: boolean;
  tsVal: number;
  tsEcr: number;
  /** SACK blocks (RFC 2018 §3): how many (0–4), their edges in `sackEdges` as left, right, … */
  sackBlocks: number;
  /** 8 numbers: block k is `[sackEdges[2k], sackEdges[2k + 1])` in sequence space. */
  sackEdges: number[];
}

/** The most SACK blocks one segment carries: 4 (RFC 2018 §3), 3 beside timestamps (40 option bytes). */
export const MAX_SACK_BLOCKS = 4;

export interface TcpHeader extends TcpOptions {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  headerBytes: number;
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  /** Payload bytes: `buf[start + headerBytes, end)`. */
  payloadBytes: number;
}

export function newTcpHeader(): TcpHeader {
  return { srcPort: 0, dstPort: 0, seq: 0, ack: 0, headerBytes: 0, flags: 0, window: 0, payloadBytes: 0, mss: 0, windowScale: -1, sackPermitted: false, hasTimestamps: false, tsVal: 0, tsEcr: 0, sackBlocks: 0, sackEdges: [0, 0, 0, 0, 0, 0, 0, 0] };
}

export type TcpDecodeStatus = 'ok' | 'truncated' | 'bad-data-offset' | 'bad-checksum' | 'bad-options';

/**
 * Decodes the segment `buf[start, end)` (the whole IPv4 payload) from `srcIp` to `dstIp` and
 * verifies its checksum (RFC 9293 §3.1: the checksum covers the pseudo-header, header and data).
 */
export function decodeTcp(buf: Uint8Array, start: number, end: number, srcIp: number, dstIp: number, out: TcpHeader): TcpDecodeStatus {
  if (end - start < wire.TCP_MIN_HEADER_BYTES) return 'truncated';
  const headerBytes = wire.getHeaderBytes(buf, start);
  if (headerBytes < wire.TCP_MIN_HEADER_BYTES) return 'bad-data-offset';
  if (headerBytes > end - start) return 'truncated';
  if (tcpChecksum(buf, start, end, srcIp, dstIp, true) !== 0) return 'bad-checksum';
  out.srcPort = wire.getSrcPort(buf, start);
  out.dstPort = wire.getDstPort(buf, start);
  out.seq = wire.getSeq(buf, start);
  out.ack = wire.getAck(buf, start);
  out.headerBytes = headerBytes;
  out.flags = wire.getFlags(buf, start);
  out.window = wire.getWindow(buf, start);
  out.payloadBytes = end - start - headerBytes;
  return decodeOptions(buf, start + wire.TCP_MIN_HEADER_BYTES, start + headerBytes, out) ? 'ok' : 'bad-options';
}

/** RFC 9293 §3.2: options are (kind) or (kind, length, data); unknown kinds are skipped by length. */
function decodeOptions(buf: Uint8Array, at: number, end: number, out: TcpOptions): boolean {
  out.mss = 0;
  out.windowScale = -1;
  out.sackPermitted = false;
  out.hasTimestamps = false;
  out.sackBlocks = 0;
  while (at < end) {
    const kind = buf[at]!;
    if (kind === wire.OPT_END) return true;
    if (kind === wire.OPT_NOP) {
      at++;
      continue;
    }
    if (at + 1 >= end) return false;
    const len = buf[at + 1]!;
    if (len < 2 || at + len > end) return false;
    switch (kind) {
      case wire.OPT_MSS:
        if (len !== 4) return false;
        out.mss = wire.getOptU16(buf, at + 2);
        break;
      case wire.OPT_WINDOW_SCALE:
        if (len !== 3) return false;
        // RFC 7323 §2.3: a shift above 14 is used as 14.
        out.windowScale = Math.min(14, buf[at + 2]!);
        break;
      case wire.OPT_SACK_PERMITTED:
        if (len !== 2) return false;
        out.sackPermitted = true;
        break;
      case wire.OPT_TIMESTAMPS:
        if (len !== 10) return false;
        out.hasTimestamps = true;
        out.tsVal = wire.getOptU32(buf, at + 2);
        out.tsEcr = wire.getOptU32(buf, at + 6);
        break;
      case wire.OPT_SACK: {
        // RFC 2018 §3: length 2 + 8n; at most 4 blocks fit in 40 option bytes.
        const n = (len - 2) / 8;
        if (!Number.isInteger(n) || n < 1 || n > MAX_SACK_BLOCKS) return false;
        for (let k = 0; k < 2 * n; k++) out.sackEdges[k] = wire.getOptU32(buf, at + 2 + 4 * k);
        out.sackBlocks = n;
        break;
      }
      default:
        break; // unknown options: skipped by length
    }
    at += len;
  }
  return true;
}

/**
 * Option bytes an outgoing segment with options `o` takes, a multiple of 4: an MSS option when
 * `mss > 0`, window scale when `windowScale >= 0`, SACK-permitted, timestamps when `hasTimestamps`,
 * `sackBlocks` SACK blocks.
 */
export function optionsBytes(o: TcpOptions): number {
  let n = 0;
  if (o.mss > 0) n += 4;
  if (o.windowScale >= 0) n += 4; // NOP + 3
  if (o.sackPermitted) n += 4; // NOP NOP + 2
  if (o.hasTimestamps) n += 12; // NOP NOP + 10
  if (o.sackBlocks > 0) n += 4 + 8 * o.sackBlocks; // NOP NOP + 2 + 8 per block
  return n;
}

/** Writes the options of `o` at `buf[at, at + optionsBytes(o))` (the wire.ts option writers). */
export function encodeOptionsInto(o: TcpOptions, buf: Uint8Array, at: number): void {
  if (o.mss > 0) at = wire.writeMssOption(buf, at, o.mss);
  if (o.windowScale >= 0) at = wire.writeWindowScaleOption(buf, at, o.windowScale);
  if (o.sackPermitted) at = wire.writeSackPermittedOption(buf, at);
  if (o.hasTimestamps) at = wire.writeTimestampsOption(buf, at, o.tsVal, o.tsEcr);
  if (o.sackBlocks > 0) wire.writeSackOption(buf, at, o.sackBlocks, o.sackEdges);
}

/**
 * Writes the header of `h` — the 20 fixed bytes and the options `h` asks for (see `optionsBytes`) —
 * at `buf[offset, offset + h.headerBytes)`, with checksum 0: the payload follows at
 * `offset + h.headerBytes`, and `fillTcpChecksum` finishes the segment once it is there. Sets
 * `h.headerBytes` (and ignores `h.payloadBytes`); returns the header bytes written.
 */
export function encodeTcpInto(h: TcpHeader, buf: Uint8Array, offset: number): number {
  const headerBytes = wire.TCP_MIN_HEADER_BYTES + optionsBytes(h);
  h.headerBytes = headerBytes;
  wire.writeTcpHeader(buf, offset, h.srcPort, h.dstPort, h.seq, h.ack, headerBytes, h.flags, h.window);
  encodeOptionsInto(h, buf, offset + wire.TCP_MIN_HEADER_BYTES);
  return headerBytes;
}

/** Computes and stores the checksum of the encoded segment `buf[start, end)` from `srcIp` to `dstIp`. */
export function fillTcpChecksum(buf: Uint8Array, start: number, end: number, srcIp: number, dstIp: number): void {
  wire.setChecksum(buf, start, tcpChecksum(buf, start, end, srcIp, dstIp, false));
}

/**
 * The checksum of the segment `buf[start, end)` with the IPv4 pseudo-header (source, destination,
 * zero, protocol 6, TCP length). `includeField` true sums the stored field (a correct segment gives
 * 0); false treats it as zero (for sending).
 */
export function tcpChecksum(buf: Uint8Array, start: number, end: number, srcIp: number, dstIp: number, includeField: boolean): number {
  const length = end - start;
  let sum = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + PROTOCOL_TCP + length;
  if (includeField) return finishChecksum(sumWords(buf, start, end, sum));
  sum = sumWords(buf, start, start + wire.OFF_CHECKSUM, sum);
  sum = sumWords(buf, start + wire.OFF_CHECKSUM + 2, end, sum);
  return finishChecksum(sum);
}
