/**
 * OpenVPN control packets (TLS mode, no --tls-auth / --tls-crypt) as typed values: `decodeControlPacket`
 * reads one datagram and never throws on wire bytes; `encodeControlPacketInto` writes one into a
 * caller's buffer. Layout in ./wire.ts; field rules from OpenVPN's reliable.c (`reliable_ack_parse`,
 * `reliable_ack_write`) and ssl_pkt.c.
 */
import { getU32 } from '../bytes.js';
import {
  writeAckCount,
  writePacketId,
  MAX_ACKS_PER_PACKET,
  P_ACK_V1,
  P_CONTROL_HARD_RESET_CLIENT_V1,
  P_CONTROL_HARD_RESET_CLIENT_V2,
  P_CONTROL_HARD_RESET_CLIENT_V3,
  P_CONTROL_HARD_RESET_SERVER_V1,
  P_CONTROL_HARD_RESET_SERVER_V2,
  P_CONTROL_SOFT_RESET_V1,
  P_CONTROL_V1,
  P_CONTROL_WKC_V1,
  PACKET_ID_BYTES,
  SESSION_ID_BYTES,
  getKeyId,
  getOpcode,
  setOpKey,
} from './wire.js';

const CONTROL_OPCODES: readonly number[] = [
  P_CONTROL_HARD_RESET_CLIENT_V1,
  P_CONTROL_HARD_RESET_SERVER_V1,
  P_CONTROL_SOFT_RESET_V1,
  P_CONTROL_V1,
  P_ACK_V1,
  P_CONTROL_HARD_RESET_CLIENT_V2,
  P_CONTROL_HARD_RESET_SERVER_V2,
  P_CONTROL_HARD_RESET_CLIENT_V3,
  P_CONTROL_WKC_V1,
];

/** True for the opcodes of the control channel (everything but P_DATA_V1 / P_DATA_V2). */
export function isControlOpcode(opcode: number): boolean {
  return CONTROL_OPCODES.includes(opcode);
}

export interface ControlPacket {
  opcode: number;
  keyId: number;
  /** The sender's session id (8 bytes; a copy owned by the value). */
  sessionId: Uint8Array;
  /** Packet ids the sender acknowledges. */
  acks: number[];
  /** Our session id as the sender echoes it with its acks; null when `acks` is empty. */
  ackedSessionId: Uint8Array | null;
  /** The message packet id; −1 for P_ACK_V1, which has none. */
  packetId: number;
  /** The payload (TLS records) is `buf[payloadStart, payloadEnd)` of the decoded datagram. */
  payloadStart: number;
  payloadEnd: number;
}

export type ControlDecodeError = 'truncated' | 'not-control' | 'too-many-acks' | 'payload-in-ack';
export type ControlDecoded = { ok: true; value: ControlPacket } | { ok: false; error: ControlDecodeError };

/** Decodes `buf[start, end)`; reads nothing outside it. */
export function decodeControlPacket(buf: Uint8Array, start: number, end: number): ControlDecoded {
  if (end - start < 1 + SESSION_ID_BYTES + 1) return { ok: false, error: 'truncated' };
  const opcode = getOpcode(buf, start);
  if (!isControlOpcode(opcode)) return { ok: false, error: 'not-control' };
  let at = start + 1;
  const sessionId = buf.slice(at, at + SESSION_ID_BYTES);
  at += SESSION_ID_BYTES;
  const n = buf[at++]!;
  // reliable_ack_parse: more acks than RELIABLE_ACK_SIZE make the packet invalid.
  if (n > MAX_ACKS_PER_PACKET) return { ok: false, error: 'too-many-acks' };
  if (end - at < n * PACKET_ID_BYTES + (n > 0 ? SESSION_ID_BYTES : 0)) return { ok: false, error: 'truncated' };
  const acks: number[] = [];
  for (let i = 0; i < n; i++, at += PACKET_ID_BYTES) acks.push(getU32(buf, at));
  let ackedSessionId: Uint8Array | null = null;
  if (n > 0) {
    ackedSessionId = buf.slice(at, at + SESSION_ID_BYTES);
    at += SESSION_ID_BYTES;
  }
  let packetId = -1;
  if (opcode !== P_ACK_V1) {
    if (end - at < PACKET_ID_BYTES) return { ok: false, error: 'truncated' };
    packetId = getU32(buf, at);
    at += PACKET_ID_BYTES;
  } else if (at !== end) {
    return { ok: false, error: 'payload-in-ack' };
  }
  return { ok: true, value: { opcode, keyId: getKeyId(buf, start), sessionId, acks, ackedSessionId, packetId, payloadStart: at, payloadEnd: end } };
}

/** Bytes `encodeControlPacketInto` writes for these fields. */
export function controlPacketBytes(opcode: number, ackCount: number, payloadBytes: number): number {
  return 1 + SESSION_ID_BYTES + 1 + ackCount * PACKET_ID_BYTES + (ackCount > 0 ? SESSION_ID_BYTES : 0) + (opcode === P_ACK_V1 ? 0 : PACKET_ID_BYTES + payloadBytes);
}

export interface ControlPacketOut {
  opcode: number;
  keyId: number;
  sessionId: Uint8Array;
  acks: readonly number[];
  /** The peer's session id, written after the acks when there are any. */
  remoteSessionId: Uint8Array;
  /** Ignored for P_ACK_V1. */
  packetId: number;
  payload: Uint8Array;
}

/**
 * Writes `p` at `buf[at…)` and returns the end offset. The caller sized `buf` with
 * `controlPacketBytes`. Throws `RangeError` (a bug, not wire input) for more than 8 acks.
 */
export function encodeControlPacketInto(p: ControlPacketOut, buf: Uint8Array, at: number): number {
  if (p.acks.length > MAX_ACKS_PER_PACKET) throw new RangeError(`${p.acks.length} acks in one control packet: at most ${MAX_ACKS_PER_PACKET}`);
  setOpKey(buf, at, p.opcode, p.keyId);
  at++;
  buf.set(p.sessionId.subarray(0, SESSION_ID_BYTES), at);
  at += SESSION_ID_BYTES;
  writeAckCount(buf, at++, p.acks.length);
  for (const id of p.acks) {
    writePacketId(buf, at, id);
    at += PACKET_ID_BYTES;
  }
  if (p.acks.length > 0) {
    buf.set(p.remoteSessionId.subarray(0, SESSION_ID_BYTES), at);
    at += SESSION_ID_BYTES;
  }
  if (p.opcode === P_ACK_V1) return at;
  writePacketId(buf, at, p.packetId);
  at += PACKET_ID_BYTES;
  buf.set(p.payload, at);
  return at + p.payload.length;
}

/** Equality of two session ids. */
export function sameSessionId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== SESSION_ID_BYTES || b.length !== SESSION_ID_BYTES) return false;
  for (let i = 0; i < SESSION_ID_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}
