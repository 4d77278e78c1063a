/**
 * The `none` crypto backend: OpenVPN's `--cipher none --auth none`. No encryption, no tag, no HMAC,
 * no IV: the packet format keeps its headers and packet ids, so the buffer path can be measured
 * without the cost of cryptography. Allocates nothing.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import type { AeadAlgorithm, AeadKey, CbcHmacKey, CryptoBackend } from './crypto-backend.js';

const NULL_AEAD: AeadKey = {
  algorithm: 'none',
  tagBytes: 0,
  seal(): void {
    // the null cipher leaves the plaintext as it is
  },
  open(): boolean {
    return true;
  },
};

const NULL_CBC_HMAC: CbcHmacKey = {
  ivBytes: 0,
  hmacBytes: 0,
  blockBytes: 1,
  encrypt(): void {
    // the null cipher leaves the plaintext as it is
  },
  decrypt(): void {
    // the null cipher leaves the plaintext as it is
  },
  mac(_buf: Uint8Array, _start: number, _end: number, _out: Uint8Array, _outAt: number, _strategy: BufferStrategy): void {
    // --auth none: no MAC bytes to write (hmacBytes is 0)
  },
};

export class NullCryptoBackend implements CryptoBackend {
  readonly name = 'none';
  readonly viewsCreated = 0;

  aead(_algorithm: AeadAlgorithm, _key: Uint8Array): AeadKey {
    return NULL_AEAD;
  }

  cbcHmac(_cipherKey: Uint8Array, _hmacKey: Uint8Array): CbcHmacKey {
    return NULL_CBC_HMAC;
  }

  randomFill(_buf: Uint8Array, _start: number, _bytes: number): void {
    // no IV with the null cipher (ivBytes is 0): nothing to fill
  }
}
