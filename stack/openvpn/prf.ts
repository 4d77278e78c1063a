/**
 * OpenVPN's data-channel key expansion for peers without TLS-EKM (ssl.c
 * `generate_key_expansion_openvpn_prf`): the TLS 1.0 PRF of RFC 2246 §5 — P_MD5 over the first half
 * of the secret XOR P_SHA1 over the second half — with the label written into the seed, as
 * OpenVPN's `openvpn_PRF` does:
 *
 *     master   = PRF(pre_master, "OpenVPN master secret" ‖ client.random1 ‖ server.random1, 48)
 *     key2     = PRF(master, "OpenVPN key expansion" ‖ client.random2 ‖ server.random2 ‖ client sid ‖ server sid, 256)
 *
 * Checked against OpenSSL's TLS1-PRF (`openssl kdf … TLS1-PRF`) in test/stack/openvpn/prf.test.ts.
 */
import { createHmac } from 'node:crypto';
import { STATIC_KEY_BYTES } from './static-key.js';

/** RFC 2246 §5 P_hash(secret, seed) for `length` bytes. */
function pHash(hash: 'md5' | 'sha1', secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a: Uint8Array = seed;
  let at = 0;
  while (at < length) {
    a = new Uint8Array(createHmac(hash, secret).update(a).digest());
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** RFC 2246 §5 PRF with the label already in `seed`. The halves overlap by one byte for an odd secret. */
export function tls1Prf(secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const half = Math.ceil(secret.length / 2);
  const md5 = pHash('md5', secret.subarray(0, half), seed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), seed, length);
  for (let i = 0; i < length; i++) md5[i]! ^= sha1[i]!;
  return md5;
}

/** Key material both ends contribute in key method 2 (ssl_common.h `key_source`). */
export interface KeySource {
  /** 48 bytes, sent by the client only (empty for the server). */
  preMaster: Uint8Array;
  random1: Uint8Array;
  random2: Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The 256 bytes of two data-channel keys (`cipher[64] ‖ hmac[64]` twice), OpenVPN PRF method. */
export function openVpnPrfKeys(client: KeySource, server: KeySource, clientSessionId: Uint8Array, serverSessionId: Uint8Array): Uint8Array {
  const label = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
  const master = tls1Prf(client.preMaster, concat(label('OpenVPN master secret'), client.random1, server.random1), 48);
  return tls1Prf(master, concat(label('OpenVPN key expansion'), client.random2, server.random2, clientSessionId, serverSessionId), STATIC_KEY_BYTES);
}
