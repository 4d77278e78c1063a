/**
 * OpenVPN 2.6's stateless three-way handshake (mudp.c `do_pre_decrypt_check`, ssl_pkt.c
 * `tls_reset_standalone`, `calculate_session_id_hmac`, `check_session_hmac_and_pkt_id`):
 *
 * 1. A client's hard reset gets our reset back at once, and nothing is stored: our session id is a
 *    cookie, a keyed hash of (time slot, client address and port, client session id).
 * 2. Only a later packet that acks our reset and names that cookie as our session id — so it comes
 *    from the address the reset came from and its sender saw our reply — creates per-client state.
 *
 * A replayed or spoofed reset therefore costs one reply and no state, and cannot touch a live
 * session. OpenVPN hashes with SipHash; we use HMAC-SHA256 truncated to 8 bytes (node:crypto has no
 * SipHash; any PRF keyed with a server secret does). The time slot is half the hand window, and a
 * cookie from the current slot or the two before is accepted, as OpenVPN does.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { equalConstantTime } from '../crypto/crypto-backend.js';
import { controlPacketBytes, encodeControlPacketInto, type ControlPacket } from './control-packet.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_SERVER_V2, SESSION_ID_BYTES } from './wire.js';

/** ssl_pkt.h: the reliable packet id (tls-crypt-v2: the wrapper's id) of a client that supports early negotiation starts at 0x0f000000. */
export const EARLY_NEG_MASK = 0xff00_0000;
export const EARLY_NEG_START = 0x0f00_0000;
/** ssl_pkt.h: the TLV in our reset's payload, and its flag asking the client to resend its wrapped key (P_CONTROL_WKC_V1). */
export const TLV_TYPE_EARLY_NEG_FLAGS = 0x0001;
export const EARLY_NEG_FLAG_RESEND_WKC = 0x0001;

export class SessionCookies {
  private readonly slotS: number;

  /** `handWindowS`: --hand-window (default 60 s); `secret`: the hash key (default 32 random bytes). */
  constructor(
    handWindowS = 60,
    private readonly secret: Uint8Array = new Uint8Array(randomBytes(32)),
  ) {
    this.slotS = Math.floor((handWindowS + 1) / 2);
  }

  /** Our session id for a client's reset from `address`:`port` at `nowS` (Unix seconds); 8 bytes. */
  cookie(address: string, port: number, clientSessionId: Uint8Array, nowS: number, slotOffset = 0): Uint8Array {
    const slot = Buffer.alloc(6);
    slot.writeUInt32BE((Math.floor(nowS / this.slotS) + slotOffset) >>> 0, 0);
    slot.writeUInt16BE(port & 0xffff, 4);
    const mac = createHmac('sha256', this.secret).update(slot).update(address).update(clientSessionId.subarray(0, SESSION_ID_BYTES)).digest();
    return new Uint8Array(mac.subarray(0, SESSION_ID_BYTES));
  }

  /**
   * check_session_hmac_and_pkt_id: `p` (a P_ACK_V1, P_CONTROL_V1 or P_CONTROL_WKC_V1 for no session)
   * completes a three-way handshake when it acks only ids ≤ 1, its own message id is ≤ 1, and the
   * session id it acks with is our cookie for its address and session id in this or the two previous slots.
   */
  completesHandshake(p: ControlPacket, address: string, port: number, nowS: number): boolean {
    if (p.ackedSessionId === null || p.acks.length === 0) return false;
    if (p.acks.some((id) => id > 1)) return false;
    if (p.opcode !== P_ACK_V1 && p.packetId > 1) return false;
    for (let offset = -2; offset <= 0; offset++) {
      if (equalConstantTime(this.cookie(address, port, p.sessionId, nowS, offset), 0, p.ackedSessionId, 0, SESSION_ID_BYTES)) return true;
    }
    return false;
  }
}

/**
 * tls_reset_standalone: our P_CONTROL_HARD_RESET_SERVER_V2 (packet id 0, acking the client's id 0)
 * with `cookie` as our session id; with `resendWkc` its payload is the early-negotiation TLV asking a
 * tls-crypt-v2 client to append its wrapped key to its next packet. A fresh array (before any wrap).
 */
export function encodeStatelessReset(cookie: Uint8Array, clientSessionId: Uint8Array, resendWkc: boolean): Uint8Array {
  const payload = new Uint8Array(resendWkc ? 6 : 0);
  if (resendWkc) {
    const v = new DataView(payload.buffer);
    v.setUint16(0, TLV_TYPE_EARLY_NEG_FLAGS);
    v.setUint16(2, 2);
    v.setUint16(4, EARLY_NEG_FLAG_RESEND_WKC);
  }
  const out = new Uint8Array(controlPacketBytes(P_CONTROL_HARD_RESET_SERVER_V2, 1, payload.length));
  encodeControlPacketInto({ opcode: P_CONTROL_HARD_RESET_SERVER_V2, keyId: 0, sessionId: cookie, acks: [0], remoteSessionId: clientSessionId, packetId: 0, payload }, out, 0);
  return out;
}
