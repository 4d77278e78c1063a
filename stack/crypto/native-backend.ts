/**
 * The `native` crypto backend: AEAD seal/open, AES-256-CBC and HMAC-SHA256 IN PLACE on
 * `(buf, start, end)` through a small Node-API addon over Debian's OpenSSL (./native/aead-addon.c).
 * Each key owns OpenSSL contexts made once (EVP_CIPHER_CTX reuse: per packet only the nonce is set),
 * and OpenSSL reads and writes the caller's buffer directly, so a packet costs no JavaScript object,
 * no Buffer, no view and no copy: the strategy's `foreign*` counters and `viewsCreated` stay 0 by
 * construction (tests check it), unlike the `node` backend's fresh Buffers per call
 * (./node-backend.ts). This is MirageVPN's "encrypt in place without fresh buffers".
 *
 * If the addon is not built, constructing this backend throws `E_CRYPTO_NATIVE_MISSING` with the
 * command that builds it; nothing falls back to node:crypto.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import {
  AEAD_KEY_BYTES,
  AEAD_TAG_BYTES,
  CBC_BLOCK_BYTES,
  CryptoConfigError,
  HMAC_SHA256_BYTES,
  type AeadAlgorithm,
  type AeadKey,
  type CbcHmacKey,
  type CryptoBackend,
} from './crypto-backend.js';
import { nativeAeadAvailability, type AeadAddon, type NativeContext } from './native-addon.js';

/** The addon's algorithm ids (aead-addon.c's enum). */
const AEAD_IDS: Readonly<Record<AeadAlgorithm, number>> = { 'aes-256-gcm': 0, 'aes-128-gcm': 1, 'chacha20-poly1305': 2 };

/**
 * The addon's misuse errors (RangeError/TypeError/Error with `code` E_CRYPTO_RANGE, E_CRYPTO_ARG,
 * E_CRYPTO_OPENSSL) as this interface's typed error. Called only on the throwing path.
 */
function typed(e: unknown, what: string): Error {
  const code = (e as { code?: unknown }).code;
  const message = `native ${what}: ${(e as Error).message}`;
  if (code === 'E_CRYPTO_OPENSSL') return new CryptoConfigError('E_CRYPTO_OPENSSL', message);
  if (code === 'E_CRYPTO_RANGE' || code === 'E_CRYPTO_ARG') return new CryptoConfigError('E_CRYPTO_RANGE', message);
  return e as Error;
}

export class NativeCryptoBackend implements CryptoBackend {
  readonly name = 'native';
  /** Always 0: the addon takes offsets, so no view is ever made. */
  readonly viewsCreated = 0;
  /** OpenSSL version inside the addon (Debian's, linked statically; not node's bundled one). */
  readonly opensslVersion: string;
  private readonly addon: AeadAddon;

  constructor() {
    const a = nativeAeadAvailability();
    if (!a.available) {
      throw new CryptoConfigError('E_CRYPTO_NATIVE_MISSING', `crypto backend 'native': ${a.problem}; build it with '${a.fix}' (or use --param crypto=node)`);
    }
    this.addon = a.addon;
    this.opensslVersion = a.addon.opensslVersion;
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey {
    const want = AEAD_KEY_BYTES[algorithm];
    if (key.length !== want) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `${algorithm} needs a ${want}-byte key, got ${key.length} bytes`);
    }
    return new NativeAeadKey(this.addon, algorithm, this.addon.aeadContext(AEAD_IDS[algorithm], key));
  }

  cbcHmac(cipherKey: Uint8Array, hmacKey: Uint8Array): CbcHmacKey {
    if (cipherKey.length !== 32) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `aes-256-cbc needs a 32-byte key, got ${cipherKey.length} bytes`);
    }
    if (hmacKey.length !== HMAC_SHA256_BYTES) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `HMAC-SHA256 keys here are 32 bytes (OpenVPN uses the digest size), got ${hmacKey.length}`);
    }
    return new NativeCbcHmacKey(this.addon, this.addon.cbcHmacContext(cipherKey, hmacKey));
  }

  randomFill(buf: Uint8Array, start: number, bytes: number): void {
    try {
      this.addon.randomFill(buf, start, bytes);
    } catch (e) {
      throw typed(e, 'randomFill');
    }
  }
}

class NativeAeadKey implements AeadKey {
  readonly tagBytes = AEAD_TAG_BYTES;

  constructor(
    private readonly addon: AeadAddon,
    readonly algorithm: AeadAlgorithm,
    private readonly ctx: NativeContext,
  ) {}

  seal(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, _strategy: BufferStrategy): void {
    try {
      this.addon.aeadSeal(this.ctx, nonce, buf, aadStart, aadEnd, start, end, tagAt);
    } catch (e) {
      throw typed(e, `${this.algorithm} seal`);
    }
  }

  open(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, _strategy: BufferStrategy): boolean {
    try {
      return this.addon.aeadOpen(this.ctx, nonce, buf, aadStart, aadEnd, start, end, tagAt);
    } catch (e) {
      throw typed(e, `${this.algorithm} open`);
    }
  }
}

class NativeCbcHmacKey implements CbcHmacKey {
  readonly ivBytes = CBC_BLOCK_BYTES;
  readonly hmacBytes = HMAC_SHA256_BYTES;
  readonly blockBytes = CBC_BLOCK_BYTES;

  constructor(
    private readonly addon: AeadAddon,
    private readonly ctx: NativeContext,
  ) {}

  encrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, _strategy: BufferStrategy): void {
    try {
      this.addon.cbcEncrypt(this.ctx, iv, buf, start, end);
    } catch (e) {
      throw typed(e, 'aes-256-cbc encrypt');
    }
  }

  decrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, _strategy: BufferStrategy): void {
    try {
      this.addon.cbcDecrypt(this.ctx, iv, buf, start, end);
    } catch (e) {
      throw typed(e, 'aes-256-cbc decrypt');
    }
  }

  mac(buf: Uint8Array, start: number, end: number, out: Uint8Array, outAt: number, _strategy: BufferStrategy): void {
    try {
      this.addon.hmac(this.ctx, buf, start, end, out, outAt);
    } catch (e) {
      throw typed(e, 'hmac-sha256');
    }
  }
}
