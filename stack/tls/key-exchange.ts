/**
 * (EC)DHE for the two groups this stack speaks (RFC 8446 §4.2.8.2, §7.4): X25519 (RFC 7748, 32-byte
 * u-coordinates) and secp256r1 (uncompressed points, 65 bytes; the shared secret is the
 * x-coordinate). node:crypto does the arithmetic; a peer share that is not a valid point yields
 * `null` (the caller answers illegal_parameter), never an exception.
 */
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { NAMED_GROUP, type GroupName } from './wire.js';

/** DER prefixes of an X25519 PKCS#8 private key and SPKI public key (RFC 8410 §7, §10.1). */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface KeyShare {
  readonly group: GroupName;
  readonly groupId: number;
  /** Our key_exchange bytes. */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's key_exchange, or null when that is not a valid share. */
  sharedSecret(peer: Uint8Array): Uint8Array | null;
}

export function groupById(id: number): GroupName | undefined {
  if (id === NAMED_GROUP.x25519) return 'x25519';
  if (id === NAMED_GROUP.secp256r1) return 'secp256r1';
  return undefined;
}

/** A fresh ephemeral share; `x25519PrivateKey` (32 bytes) fixes the key, for test vectors only. */
export function generateKeyShare(group: GroupName, x25519PrivateKey?: Uint8Array): KeyShare {
  if (group === 'x25519') {
    let priv: KeyObject;
    if (x25519PrivateKey !== undefined) {
      priv = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, x25519PrivateKey]), format: 'der', type: 'pkcs8' });
    } else {
      priv = generateKeyPairSync('x25519').privateKey;
    }
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
    return {
      group,
      groupId: NAMED_GROUP.x25519,
      publicKey,
      sharedSecret(peer) {
        if (peer.length !== 32) return null;
        const peerKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peer]), format: 'der', type: 'spki' });
        const secret = new Uint8Array(diffieHellman({ privateKey: priv, publicKey: peerKey }));
        // RFC 8446 §7.4.2: an all-zero X25519 result MUST be refused.
        return secret.every((b) => b === 0) ? null : secret;
      },
    };
  }
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    group,
    groupId: NAMED_GROUP.secp256r1,
    publicKey: new Uint8Array(ecdh.getPublicKey()),
    sharedSecret(peer) {
      // §4.2.8.2: only the uncompressed form (0x04 || X || Y) is allowed in TLS 1.3.
      if (peer.length !== 65 || peer[0] !== 4) return null;
      try {
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch (err) {
        // node:crypto reports a point that is not on the curve only by throwing: that is the
        // "invalid share" answer of this function (the caller sends illegal_parameter).
        if ((err as { code?: string }).code === 'ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY') return null;
        throw err;
      }
    },
  };
}
