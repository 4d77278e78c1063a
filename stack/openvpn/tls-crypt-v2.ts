/**
 * `--tls-crypt-v2` (OpenVPN doc/tls-crypt-v2.txt, tls_crypt.c): every client has its own tls-crypt
 * key `Kc` (256 bytes, a static key as in --tls-crypt v1) and carries it to the server wrapped under
 * the server key, so the server stores no per-client key:
 *
 *     server key  = cipher[64] ‖ hmac[64]            Ke = cipher[0, 32), Ka = hmac[0, 32)
 *     WKc         = T (32) ‖ AES-256-CTR(Ke, IV = T[0, 16), Kc ‖ metadata) ‖ len (2, = |WKc|)
 *     T           = HMAC-SHA256(Ka, len ‖ Kc ‖ metadata)
 *
 * The client's P_CONTROL_HARD_RESET_CLIENT_V3 (and, after a stateless server reset asking for it,
 * its P_CONTROL_WKC_V1) is a --tls-crypt v1 packet under `Kc` with WKc appended in clear. The
 * server reads `len` from the last two bytes, unwraps WKc (a key the server did not issue fails
 * the tag), then unwraps the packet before it with `Kc` (./tls-crypt.ts, server direction).
 *
 * Metadata: first byte 0x00 (user data) or 0x01 (a 64-bit Unix timestamp of key generation, what
 * `openvpn --genkey tls-crypt-v2-client` writes by default).
 * Nothing here throws on wire bytes; key files that are malformed throw `TlsCryptV2KeyError`.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { BuflabError } from '../../contract/errors.js';
import { equalConstantTime } from '../crypto/crypto-backend.js';
import { staticKeyFromBytes, STATIC_KEY_BYTES, type StaticKey } from './static-key.js';

/** tls_crypt.h TLS_CRYPT_V2_MAX_WKC_LEN. */
export const TLS_CRYPT_V2_MAX_WKC_BYTES = 1024;
export const TLS_CRYPT_V2_SERVER_KEY_BYTES = 128;
const TAG_BYTES = 32;
const LEN_BYTES = 2;
const SERVER_PEM = 'OpenVPN tls-crypt-v2 server key';
const CLIENT_PEM = 'OpenVPN tls-crypt-v2 client key';

export class TlsCryptV2KeyError extends BuflabError {
  constructor(message: string) {
    super('E_TLS_CRYPT_V2_KEY', message);
  }
}

export interface TlsCryptV2ServerKey {
  encryption: Uint8Array;
  authentication: Uint8Array;
}

export type WkcUnwrapped = { ok: true; clientKey: StaticKey; metadata: Uint8Array } | { ok: false; error: 'bad-length' | 'bad-tag' };
export type WkcSplit = { ok: true; packetEnd: number; wkc: Uint8Array } | { ok: false; error: 'bad-length' };

function pemBody(text: string, label: string, what: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (m === null) throw new TlsCryptV2KeyError(`not a ${what}: expected '-----BEGIN ${label}-----'; generate one with 'openvpn --genkey ${label.includes('server') ? 'tls-crypt-v2-server FILE' : 'tls-crypt-v2-client FILE --tls-crypt-v2 SERVER.key'}'`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Parses `openvpn --genkey tls-crypt-v2-server FILE`. Throws `TlsCryptV2KeyError`. */
export function parseTlsCryptV2ServerKey(text: string): TlsCryptV2ServerKey {
  const b = pemBody(text, SERVER_PEM, 'tls-crypt-v2 server key');
  if (b.length !== TLS_CRYPT_V2_SERVER_KEY_BYTES) throw new TlsCryptV2KeyError(`a tls-crypt-v2 server key is ${TLS_CRYPT_V2_SERVER_KEY_BYTES} bytes, this one ${b.length}`);
  return { encryption: b.slice(0, 32), authentication: b.slice(64, 96) };
}

/** Parses a client key file into `Kc` and `WKc` (what the client sends). Throws `TlsCryptV2KeyError`. */
export function parseTlsCryptV2ClientKey(text: string): { clientKey: StaticKey; wkc: Uint8Array } {
  const b = pemBody(text, CLIENT_PEM, 'tls-crypt-v2 client key');
  if (b.length < STATIC_KEY_BYTES + TAG_BYTES + LEN_BYTES) throw new TlsCryptV2KeyError(`a tls-crypt-v2 client key holds at least ${STATIC_KEY_BYTES + TAG_BYTES + LEN_BYTES} bytes, this one ${b.length}`);
  return { clientKey: staticKeyFromBytes(b.slice(0, STATIC_KEY_BYTES)), wkc: b.slice(STATIC_KEY_BYTES) };
}

/**
 * Where WKc starts in a V3 reset or WKC_V1 datagram (tls_crypt_v2_extract_client_key): its length is
 * the datagram's last two bytes; the tls-crypt packet before it must keep at least its opcode.
 */
export function splitWkc(datagram: Uint8Array): WkcSplit {
  if (datagram.length < 1 + TAG_BYTES + LEN_BYTES) return { ok: false, error: 'bad-length' };
  const n = (datagram[datagram.length - 2]! << 8) | datagram[datagram.length - 1]!;
  if (n < TAG_BYTES + LEN_BYTES || n > TLS_CRYPT_V2_MAX_WKC_BYTES || n > datagram.length - 1) return { ok: false, error: 'bad-length' };
  return { ok: true, packetEnd: datagram.length - n, wkc: datagram.subarray(datagram.length - n) };
}

/** tls_crypt_v2_unwrap_client_key: authenticates and decrypts `wkc` under the server key. */
export function unwrapClientKey(server: TlsCryptV2ServerKey, wkc: Uint8Array): WkcUnwrapped {
  if (wkc.length < TAG_BYTES + LEN_BYTES + STATIC_KEY_BYTES || wkc.length > TLS_CRYPT_V2_MAX_WKC_BYTES) return { ok: false, error: 'bad-length' };
  const len = wkc.subarray(wkc.length - LEN_BYTES);
  if (((len[0]! << 8) | len[1]!) !== wkc.length) return { ok: false, error: 'bad-length' };
  const tag = wkc.subarray(0, TAG_BYTES);
  const d = createCipheriv('aes-256-ctr', server.encryption, tag.subarray(0, 16));
  const plain = d.update(wkc.subarray(TAG_BYTES, wkc.length - LEN_BYTES));
  d.final();
  const check = createHmac('sha256', server.authentication).update(len).update(plain).digest();
  if (!equalConstantTime(check, 0, tag, 0, TAG_BYTES)) return { ok: false, error: 'bad-tag' };
  return { ok: true, clientKey: staticKeyFromBytes(new Uint8Array(plain.subarray(0, STATIC_KEY_BYTES))), metadata: new Uint8Array(plain.subarray(STATIC_KEY_BYTES)) };
}

/** The inverse of `unwrapClientKey` (tls_crypt_v2_wrap_client_key): how a server issues a client key (tests). */
export function wrapClientKey(server: TlsCryptV2ServerKey, clientKey: StaticKey, metadata: Uint8Array): Uint8Array {
  const n = TAG_BYTES + STATIC_KEY_BYTES + metadata.length + LEN_BYTES;
  const out = new Uint8Array(n);
  out[n - 2] = n >> 8;
  out[n - 1] = n & 0xff;
  const tag = createHmac('sha256', server.authentication).update(out.subarray(n - 2)).update(clientKey.bytes).update(metadata).digest();
  out.set(tag, 0);
  const c = createCipheriv('aes-256-ctr', server.encryption, tag.subarray(0, 16));
  out.set(c.update(clientKey.bytes), TAG_BYTES);
  out.set(c.update(metadata), TAG_BYTES + STATIC_KEY_BYTES);
  c.final();
  return out;
}
