/**
 * OpenVPN data-channel headers as typed values (see wire.ts for the layout): the P_DATA_V2 header
 * with its packet id (AEAD mode) and the long-form packet id (static-key mode). Decoding fills a
 * caller's object and returns a status, never throws, and reads only inside `[start, end)`;
 * encoding writes into a caller's buffer through the wire.ts writers the data channel uses.
 */
import * as wire from './wire.js';

export interface DataV2Header {
  /** 0..7 */
  keyId: number;
  /** 24-bit peer id. */
  peerId: number;
  /** Short-form packet id (unsigned 32-bit). */
  packetId: number;
}

export function newDataV2Header(): DataV2Header {
  return { keyId: 0, peerId: 0, packetId: 0 };
}

/**
 * `ok`: `out` holds the header; the tag and ciphertext follow at `start + 8`. `too-short`: fewer
 * than 8 bytes. `bad-opcode`: not P_DATA_V2 (`out` unchanged).
 */
export type DataV2DecodeStatus = 'ok' | 'too-short' | 'bad-opcode';

export function decodeDataV2(buf: Uint8Array, start: number, end: number, out: DataV2Header): DataV2DecodeStatus {
  if (end - start < wire.DATA_V2_AAD_BYTES) return 'too-short';
  if (wire.getOpcode(buf, start) !== wire.P_DATA_V2) return 'bad-opcode';
  out.keyId = wire.getKeyId(buf, start);
  out.peerId = wire.getPeerId(buf, start);
  out.packetId = wire.getDataV2PacketId(buf, start);
  return 'ok';
}

/** Writes the 8-byte header (op/key, peer id, packet id) at `buf[offset, offset + 8)`; returns 8. */
export function encodeDataV2Into(h: DataV2Header, buf: Uint8Array, offset: number): number {
  wire.writeDataV2Header(buf, offset, h.keyId, h.peerId, h.packetId);
  return wire.DATA_V2_AAD_BYTES;
}

export interface LongPacketId {
  /** Sequence number (unsigned 32-bit). */
  packetId: number;
  /** Seconds (unsigned 32-bit), OpenVPN's `now` when the sequence started. */
  timeS: number;
}

export function newLongPacketId(): LongPacketId {
  return { packetId: 0, timeS: 0 };
}

/** `ok`: `out` holds the id; the payload follows at `start + 8`. `too-short`: fewer than 8 bytes. */
export type LongPacketIdDecodeStatus = 'ok' | 'too-short';

export function decodeLongPacketId(buf: Uint8Array, start: number, end: number, out: LongPacketId): LongPacketIdDecodeStatus {
  if (end - start < wire.PACKET_ID_LONG_BYTES) return 'too-short';
  out.packetId = wire.getLongPacketId(buf, start);
  out.timeS = wire.getLongPacketTime(buf, start);
  return 'ok';
}

/** Writes the long-form packet id at `buf[offset, offset + 8)`; returns 8. */
export function encodeLongPacketIdInto(h: LongPacketId, buf: Uint8Array, offset: number): number {
  wire.writeLongPacketId(buf, offset, h.packetId, h.timeS);
  return wire.PACKET_ID_LONG_BYTES;
}
