/**
 * The small crypto interface the protocol code is written against, so that the cipher
 * implementation is an axis of its own (`node` = node:crypto, `none` = the null cipher of OpenVPN's
 * `--cipher none --auth none`). Every operation works in place on `(buf, start, end)`; whatever the
 * implementation allocates that the stack did not ask the strategy for is reported through
 * `strategy.countForeign` / `strategy.copyInForeign`, so the strategies' own counters stay exact.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';

export const AEAD_ALGORITHMS = ['aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305'] as const;
export type AeadAlgorithm = (typeof AEAD_ALGORITHMS)[number];

/** Key bytes per AEAD algorithm. */
export const AEAD_KEY_BYTES: Readonly<Record<AeadAlgorithm, number>> = {
  'aes-256-gcm': 32,
  'aes-128-gcm': 16,
  'chacha20-poly1305': 32,
};

/** Nonce bytes of every supported AEAD (96 bits, RFC 5116 §3.2 / RFC 8439 §2.8). */
export const AEAD_NONCE_BYTES = 12;
/** Tag bytes of every supported AEAD. */
export const AEAD_TAG_BYTES = 16;

export const CBC_BLOCK_BYTES = 16;
export const HMAC_SHA256_BYTES = 32;

/**
 * One direction's AEAD key. `aad` is `buf[aadStart, aadEnd)` and the message `buf[start, end)`;
 * the tag lives at `buf[tagAt, tagAt + tagBytes)`. The ranges must not overlap.
 */
export interface AeadKey {
  readonly algorithm: AeadAlgorithm | 'none';
  /** 16 for real AEADs, 0 for the null cipher. */
  readonly tagBytes: number;
  /** Encrypts `buf[start, end)` in place and writes the tag at `tagAt`. `nonce` is 12 bytes. */
  seal(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, strategy: BufferStrategy): void;
  /**
   * Authenticates, then decrypts `buf[start, end)` in place. Returns false when the tag does not
   * verify; then `buf[start, end)` still holds the ciphertext (nothing unauthenticated is written).
   */
  open(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, strategy: BufferStrategy): boolean;
}

/** One direction's AES-256-CBC + HMAC-SHA256 key (OpenVPN's static-key / `--auth` mode). */
export interface CbcHmacKey {
  /** 0 for the null cipher (`--cipher none`), else 16 (the CBC IV). */
  readonly ivBytes: number;
  /** 0 for `--auth none`, else 32. */
  readonly hmacBytes: number;
  /** Block size the plaintext must be padded to (1 for the null cipher). */
  readonly blockBytes: number;
  /** Encrypts `buf[start, end)` in place (length a multiple of `blockBytes`, padding done by the caller). */
  encrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, strategy: BufferStrategy): void;
  /** Decrypts `buf[start, end)` in place (length a multiple of `blockBytes`; padding left in place). */
  decrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, strategy: BufferStrategy): void;
  /** Writes HMAC(`buf[start, end)`) at `out[outAt, outAt + hmacBytes)`. */
  mac(buf: Uint8Array, start: number, end: number, out: Uint8Array, outAt: number, strategy: BufferStrategy): void;
}

export interface CryptoBackend {
  readonly name: string;
  aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey;
  cbcHmac(cipherKey: Uint8Array, hmacKey: Uint8Array): CbcHmacKey;
  /** Fills `buf[start, start + bytes)` with unpredictable bytes (CBC IVs). */
  randomFill(buf: Uint8Array, start: number, bytes: number): void;
  /**
   * Typed-array view objects the backend made to call its API (node:crypto takes no offsets):
   * JS-heap allocations the strategy cannot see. Cumulative.
   */
  readonly viewsCreated: number;
}

export type CryptoConfigErrorCode =
  | 'E_CRYPTO_KEY'
  | 'E_CRYPTO_ALGORITHM'
  | 'E_CRYPTO_BACKEND'
  /** The `native` backend's addon is not built or does not load (the message names the fix). */
  | 'E_CRYPTO_NATIVE_MISSING'
  /** A region outside its buffer, or an argument of the wrong kind, given to the `native` backend. */
  | 'E_CRYPTO_RANGE'
  /** OpenSSL itself failed inside the `native` backend (not a bad tag: that is `open` returning false). */
  | 'E_CRYPTO_OPENSSL';

/** Misuse of the crypto interface (bad key length, unknown algorithm): a configuration error. */
export class CryptoConfigError extends Error {
  constructor(
    readonly code: CryptoConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CryptoConfigError';
  }
}

export function isAeadAlgorithm(name: string): name is AeadAlgorithm {
  return (AEAD_ALGORITHMS as readonly string[]).includes(name);
}

/** Constant-time comparison of `a[aAt, aAt + n)` and `b[bAt, bAt + n)` (no early exit). */
export function equalConstantTime(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= a[aAt + i]! ^ b[bAt + i]!;
  return diff === 0;
}
