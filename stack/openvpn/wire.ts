/**
 * OpenVPN data-channel wire constants and accessors at `(buf, offset)`. No checks, no allocation.
 *
 * P_DATA_V2 with an AEAD cipher (OpenVPN 2.4–2.6, `ssl_pkt.h`, `crypto.c` openvpn_encrypt_aead):
 *
 *     0      1          4            8               8+16
 *     | op/key | peer-id | packet-id  | tag (16)      | ciphertext ...
 *     op/key = (P_DATA_V2 << 3) | key-id;  AAD = bytes [0, 8);  nonce = packet-id || implicit IV (8)
 *
 * Static-key mode (`--secret`, no opcode at all; crypto.c openvpn_encrypt_v1):
 *
 *     | HMAC-SHA256 (32) | IV (16) | AES-256-CBC( packet-id (4) | time (4) | payload | PKCS#7 pad ) |
 *     HMAC covers IV and ciphertext.
 */
import { getU32, setU32 } from '../bytes.js';

/*
 * Control channel (TLS mode; ssl_pkt.h, reliable.c write/read, without --tls-auth / --tls-crypt):
 *
 *     | op/key (1) | session id (8) | n acks (1) | n × acked packet id (4) | [remote session id (8) if n > 0]
 *     | message packet id (4, absent in P_ACK_V1) | payload (TLS records, P_CONTROL_V1 only) ...
 */
export const P_CONTROL_HARD_RESET_CLIENT_V1 = 1;
export const P_CONTROL_HARD_RESET_SERVER_V1 = 2;
export const P_CONTROL_SOFT_RESET_V1 = 3;
export const P_CONTROL_V1 = 4;
export const P_ACK_V1 = 5;
export const P_CONTROL_HARD_RESET_CLIENT_V2 = 7;
export const P_CONTROL_HARD_RESET_SERVER_V2 = 8;
/** The client's reset with --tls-crypt-v2 (a wrapped client key follows; not supported here). */
export const P_CONTROL_HARD_RESET_CLIENT_V3 = 10;
export const P_CONTROL_WKC_V1 = 11;
export const SESSION_ID_BYTES = 8;
/** reliable.h RELIABLE_ACK_SIZE: the most acks one packet may carry. */
export const MAX_ACKS_PER_PACKET = 8;

export const P_DATA_V1 = 6;
export const P_DATA_V2 = 9;
const OPCODE_SHIFT = 3;
const KEY_ID_MASK = 0x07;

/** op/key byte + 24-bit peer id. */
export const DATA_V2_HEADER_BYTES = 4;
export const PACKET_ID_BYTES = 4;
/** The P_DATA_V2 header with its packet id: the AEAD's additional data. */
export const DATA_V2_AAD_BYTES = DATA_V2_HEADER_BYTES + PACKET_ID_BYTES;
/** Long-form packet id: sequence number + 32-bit time (static-key mode). */
export const PACKET_ID_LONG_BYTES = 8;
/** The largest packet id; a short-form sender must stop (and rekey) after it. */
export const PACKET_ID_MAX = 0xffff_ffff;

/**
 * The keepalive ping payload (`ping.c`, `ping_string`): a data-channel packet whose plaintext is
 * exactly these 16 bytes is a ping, never handed to the tun device.
 */
export const PING_MAGIC: Readonly<Uint8Array> = Uint8Array.of(
  0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb, 0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48,
);

/**
 * Options-consistency-check messages (`occ.c`, `occ_magic`): plaintext that starts with these 16
 * bytes followed by an OCC opcode byte.
 */
export const OCC_MAGIC: Readonly<Uint8Array> = Uint8Array.of(
  0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81, 0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c,
);

export function getOpcode(buf: Uint8Array, off: number): number {
  return buf[off]! >>> OPCODE_SHIFT;
}
export function getKeyId(buf: Uint8Array, off: number): number {
  return buf[off]! & KEY_ID_MASK;
}
/** The op/key byte of a control packet (the data packet's is written by {@link writeDataV2Header}). */
export function setOpKey(buf: Uint8Array, off: number, opcode: number, keyId: number): void {
  buf[off] = ((opcode << OPCODE_SHIFT) | (keyId & KEY_ID_MASK)) & 0xff;
}
export function getPeerId(buf: Uint8Array, off: number): number {
  return (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}
/** The packet id after a P_DATA_V2 header at `off` (unsigned 32-bit). */
export function getDataV2PacketId(buf: Uint8Array, off: number): number {
  return getU32(buf, off + DATA_V2_HEADER_BYTES);
}

/**
 * Writes the P_DATA_V2 header and its packet id — the 8 bytes of AAD — at `buf[off, off + 8)`:
 * op/key = (P_DATA_V2 << 3) | key-id, the 24-bit peer id, the packet id. The one writer of this
 * header: `AeadDataChannel.seal` and `encodeDataV2Into` call it.
 */
export function writeDataV2Header(buf: Uint8Array, off: number, keyId: number, peerId: number, packetId: number): void {
  buf[off] = (P_DATA_V2 << OPCODE_SHIFT) | (keyId & KEY_ID_MASK);
  buf[off + 1] = peerId >>> 16;
  buf[off + 2] = peerId >>> 8;
  buf[off + 3] = peerId;
  buf[off + 4] = packetId >>> 24;
  buf[off + 5] = packetId >>> 16;
  buf[off + 6] = packetId >>> 8;
  buf[off + 7] = packetId;
}

/** The AEAD nonce's variable part: the packet id in its first 4 bytes (the implicit IV follows). */
export function setNoncePacketId(nonce: Uint8Array, packetId: number): void {
  setU32(nonce, 0, packetId);
}

/** The long-form packet id's sequence number at `off` (static-key mode, inside the ciphertext). */
export function getLongPacketId(buf: Uint8Array, off: number): number {
  return getU32(buf, off);
}
/** The long-form packet id's time (seconds) at `off`. */
export function getLongPacketTime(buf: Uint8Array, off: number): number {
  return getU32(buf, off + PACKET_ID_BYTES);
}
/**
 * Writes the long-form packet id (sequence number, then time in seconds) at `buf[off, off + 8)`.
 * The one writer: `StaticKeyDataChannel.seal`, `encodeLongPacketIdInto` and tls-crypt's wrap
 * (its packet id ‖ time has the same layout) call it.
 */
export function writeLongPacketId(buf: Uint8Array, off: number, packetId: number, timeS: number): void {
  setU32(buf, off, packetId);
  setU32(buf, off + PACKET_ID_BYTES, timeS);
}

/** A control packet's ack count (the byte before the acked ids): control-packet.ts. */
export function writeAckCount(buf: Uint8Array, off: number, count: number): void {
  buf[off] = count;
}
/** A control packet's 4-byte packet id (an acked id, or the message's own): control-packet.ts. */
export function writePacketId(buf: Uint8Array, off: number, packetId: number): void {
  setU32(buf, off, packetId);
}

/** True when `buf[start, end)` is exactly `magic`. */
export function isExactly(buf: Uint8Array, start: number, end: number, magic: Readonly<Uint8Array>): boolean {
  if (end - start !== magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[start + i] !== magic[i]) return false;
  return true;
}

/** True when `buf[start, end)` begins with `magic`. */
export function startsWith(buf: Uint8Array, start: number, end: number, magic: Readonly<Uint8Array>): boolean {
  if (end - start < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[start + i] !== magic[i]) return false;
  return true;
}
