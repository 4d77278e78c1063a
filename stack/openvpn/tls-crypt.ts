/**
 * `--tls-crypt` (v1): every control packet authenticated and encrypted with a pre-shared static
 * key (OpenVPN tls_crypt.h, a SIV construction):
 *
 *     header = op/key (1) ‖ session id (8) ‖ packet id (4) ‖ time (4)
 *     tag    = HMAC-SHA256(Ka, header ‖ msg)              msg = the control packet after its session id
 *     wire   = header ‖ tag (32) ‖ AES-256-CTR(Ke, IV = tag[0, 16), msg)
 *
 * Keys come from a static key file (`openvpn --genkey tls-crypt FILE`): the server sends with key 0
 * and receives with key 1 (tls_crypt_init_key: KEY_DIRECTION_NORMAL for the server), Ke the first 32
 * bytes of a key's cipher half, Ka the first 32 bytes of its HMAC half.
 *
 * `unwrap` authenticates before anything else looks at the packet, so a packet without the key
 * costs one HMAC and no state; the packet id and time are returned for the caller's replay window.
 * Never throws on wire bytes.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { getU32 } from '../bytes.js';
import { equalConstantTime } from '../crypto/crypto-backend.js';
import { keysForDirection, type StaticKey } from './static-key.js';
import { SESSION_ID_BYTES, writeLongPacketId } from './wire.js';

export const TLS_CRYPT_TAG_BYTES = 32;
const PID_BYTES = 8;
const OFF_PID = 1 + SESSION_ID_BYTES;
const OFF_TAG = OFF_PID + PID_BYTES;
const OFF_CT = OFF_TAG + TLS_CRYPT_TAG_BYTES;
const KEY_BYTES = 32;

interface DirectionKeys {
  encryption: Uint8Array;
  authentication: Uint8Array;
}

export type TlsCryptUnwrapped = { ok: true; packet: Uint8Array; packetId: number; time: number } | { ok: false; error: 'too-short' | 'bad-tag' };

export class TlsCrypt {
  private readonly send: DirectionKeys;
  private readonly receive: DirectionKeys;

  /** `role` picks the key direction: the server sends with key 0, the client with key 1. */
  constructor(key: StaticKey, role: 'server' | 'client') {
    const k = keysForDirection(key, role === 'server' ? 0 : 1);
    this.send = { encryption: k.send.cipher.subarray(0, KEY_BYTES), authentication: k.send.hmac.subarray(0, KEY_BYTES) };
    this.receive = { encryption: k.receive.cipher.subarray(0, KEY_BYTES), authentication: k.receive.hmac.subarray(0, KEY_BYTES) };
  }

  /** Wraps a plain control packet (op/key ‖ session id ‖ rest) with our packet id and time. */
  wrap(packet: Uint8Array, packetId: number, time: number): Uint8Array {
    const msg = packet.subarray(OFF_PID);
    const out = new Uint8Array(OFF_CT + msg.length);
    out.set(packet.subarray(0, OFF_PID), 0);
    writeLongPacketId(out, OFF_PID, packetId, time);
    const tag = createHmac('sha256', this.send.authentication).update(out.subarray(0, OFF_TAG)).update(msg).digest();
    out.set(tag, OFF_TAG);
    const c = createCipheriv('aes-256-ctr', this.send.encryption, tag.subarray(0, 16));
    out.set(c.update(msg), OFF_CT);
    c.final();
    return out;
  }

  /** Decrypts and authenticates `wire`; on success the plain control packet (a fresh array). */
  unwrap(wire: Uint8Array): TlsCryptUnwrapped {
    if (wire.length < OFF_CT) return { ok: false, error: 'too-short' };
    const tag = wire.subarray(OFF_TAG, OFF_CT);
    const d = createCipheriv('aes-256-ctr', this.receive.encryption, tag.subarray(0, 16));
    const msg = d.update(wire.subarray(OFF_CT));
    d.final();
    const check = createHmac('sha256', this.receive.authentication).update(wire.subarray(0, OFF_TAG)).update(msg).digest();
    if (!equalConstantTime(check, 0, tag, 0, TLS_CRYPT_TAG_BYTES)) return { ok: false, error: 'bad-tag' };
    const packet = new Uint8Array(OFF_PID + msg.length);
    packet.set(wire.subarray(0, OFF_PID), 0);
    packet.set(msg, OFF_PID);
    return { ok: true, packet, packetId: getU32(wire, OFF_PID), time: getU32(wire, OFF_PID + 4) };
  }
}
