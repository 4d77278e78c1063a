/**
 * TLS 1.3 record protection of one direction (RFC 8446 §5.2–§5.3): the AEAD key, the static IV and
 * the 64-bit sequence number; per-record nonce = IV XOR (seq, left-padded). Works in place on a
 * record `buf[headerAt, tagAt + 16)` whose 5-byte header is the additional data.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import type { AeadKey, CryptoBackend } from '../crypto/crypto-backend.js';
import { trafficKeys, type CipherSuiteInfo } from './key-schedule.js';
import { RECORD_HEADER_BYTES } from './wire.js';

export const TAG_BYTES = 16;

export class RecordProtection {
  private readonly aead: AeadKey;
  private readonly iv: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  /** Records protected so far in this direction under this key (the next record's sequence number). */
  seq = 0;

  constructor(
    readonly suite: CipherSuiteInfo,
    readonly secret: Uint8Array,
    backend: CryptoBackend,
  ) {
    const k = trafficKeys(suite, secret);
    this.aead = backend.aead(suite.aead, k.key);
    this.iv = k.iv;
  }

  private makeNonce(): void {
    this.nonce.set(this.iv);
    // seq stays below 2^53 (a number); §5.5's 2^24.5-record limit for AES-GCM comes long before.
    let s = this.seq;
    for (let i = 11; i >= 4 && s > 0; i--) {
      this.nonce[i]! ^= s & 0xff;
      s = Math.floor(s / 256);
    }
  }

  /** Encrypts `buf[headerAt + 5, tagAt)` (inner plaintext incl. content type) and writes the tag at `tagAt`. */
  seal(buf: Uint8Array, headerAt: number, tagAt: number, strategy: BufferStrategy): void {
    this.makeNonce();
    this.aead.seal(this.nonce, buf, headerAt, headerAt + RECORD_HEADER_BYTES, headerAt + RECORD_HEADER_BYTES, tagAt, tagAt, strategy);
    this.seq++;
  }

  /** Decrypts the record `buf[headerAt, recordEnd)` in place; false when the tag does not verify. */
  open(buf: Uint8Array, headerAt: number, recordEnd: number, strategy: BufferStrategy): boolean {
    this.makeNonce();
    const tagAt = recordEnd - TAG_BYTES;
    const ok = this.aead.open(this.nonce, buf, headerAt, headerAt + RECORD_HEADER_BYTES, headerAt + RECORD_HEADER_BYTES, tagAt, tagAt, strategy);
    if (ok) this.seq++;
    return ok;
  }
}
