/**
 * The `node` crypto backend: node:crypto (OpenSSL underneath). Every call creates a cipher context
 * (GCM contexts cannot be re-keyed with a new IV through node:crypto) and node returns a fresh
 * Buffer from every `update()`, `final()`, `getAuthTag()` and `digest()`: each is reported to the
 * strategy as a foreign allocation and copied into the packet with `copyInForeign`.
 * node:crypto takes no offsets, so each call needs a `subarray` view of the message (counted in
 * `viewsCreated`); each key remembers its last view and reuses it when the next message lies at the
 * same place in the same buffer — the steady state of `one-big-struct` and `pooled`, whose frames
 * come back to the same offsets — so a view is made only when the range moves (always, under
 * `uint8array`, whose every packet is a fresh array). The small AAD and tag are copied into scratch
 * arrays instead (counted copies).
 *
 * Keys are held as raw Buffers, not KeyObjects (node unwraps a KeyObject on every
 * `createCipheriv`). Whether that is faster is not settled: scripts/bench-vpn.ts `bare-keyobject`
 * vs `bare` gave 67 %, 80 % and 140 % in three runs on a heavily loaded 2-core machine; re-measure
 * on a quiet one. The bench's bare loop uses raw keys too, so the comparison stays like for like.
 */
import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  CBC_BLOCK_BYTES,
  CryptoConfigError,
  HMAC_SHA256_BYTES,
  type AeadAlgorithm,
  type AeadKey,
  type CbcHmacKey,
  type CryptoBackend,
} from './crypto-backend.js';

/** OpenSSL's message when a GCM/Poly1305 tag does not verify (node throws it from `final()`). */
const AUTH_FAILURE_MESSAGE = 'Unsupported state or unable to authenticate data';
const NO_BYTES = new Uint8Array(0);

/**
 * The view node:crypto needs of `buf[start, end)`, reused while the range stays the same: a view
 * only names memory (its bytes are read at the call), so the same object serves every packet at
 * that place. A new view is made (and counted) when the buffer or the range changes. Holds one
 * reference to the last buffer seen.
 */
class RangeView {
  private buf: Uint8Array = NO_BYTES;
  private start = 0;
  private end = 0;
  private view: Uint8Array = NO_BYTES;

  constructor(private readonly backend: NodeCryptoBackend) {}

  of(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (buf !== this.buf || start !== this.start || end !== this.end) {
      this.view = buf.subarray(start, end);
      this.buf = buf;
      this.start = start;
      this.end = end;
      this.backend.viewsCreated++;
    }
    return this.view;
  }
}

export class NodeCryptoBackend implements CryptoBackend {
  readonly name = 'node';
  viewsCreated = 0;

  aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey {
    const want = AEAD_KEY_BYTES[algorithm];
    if (key.length !== want) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `${algorithm} needs a ${want}-byte key, got ${key.length} bytes`);
    }
    return new NodeAeadKey(this, algorithm, Buffer.from(key));
  }

  cbcHmac(cipherKey: Uint8Array, hmacKey: Uint8Array): CbcHmacKey {
    if (cipherKey.length !== 32) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `aes-256-cbc needs a 32-byte key, got ${cipherKey.length} bytes`);
    }
    if (hmacKey.length !== HMAC_SHA256_BYTES) {
      throw new CryptoConfigError('E_CRYPTO_KEY', `HMAC-SHA256 keys here are 32 bytes (OpenVPN uses the digest size), got ${hmacKey.length}`);
    }
    return new NodeCbcHmacKey(this, Buffer.from(cipherKey), Buffer.from(hmacKey));
  }

  randomFill(buf: Uint8Array, start: number, bytes: number): void {
    randomFillSync(buf, start, bytes);
  }
}

class NodeAeadKey implements AeadKey {
  readonly tagBytes = AEAD_TAG_BYTES;
  private readonly options = { authTagLength: AEAD_TAG_BYTES } as const;
  /** OpenVPN's P_DATA_V2 AAD length (op/peer-id + packet id). */
  private readonly aadScratch = new Uint8Array(8);
  private readonly tagScratch = new Uint8Array(AEAD_TAG_BYTES);
  private readonly sealView: RangeView;
  private readonly openView: RangeView;

  constructor(
    private readonly backend: NodeCryptoBackend,
    readonly algorithm: AeadAlgorithm,
    private readonly key: Buffer,
  ) {
    this.sealView = new RangeView(backend);
    this.openView = new RangeView(backend);
  }

  seal(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, strategy: BufferStrategy): void {
    checkNonce(nonce);
    const c = createCipheriv(this.algorithm as 'aes-256-gcm', this.key, nonce, this.options);
    c.setAAD(this.aad(buf, aadStart, aadEnd, strategy));
    const out = c.update(this.sealView.of(buf, start, end));
    const fin = c.final();
    const tag = c.getAuthTag();
    strategy.copyInForeign(out, buf, start);
    strategy.countForeign(fin.length);
    strategy.copyInForeign(tag, buf, tagAt);
  }

  open(nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number, strategy: BufferStrategy): boolean {
    checkNonce(nonce);
    const d = createDecipheriv(this.algorithm as 'aes-256-gcm', this.key, nonce, this.options);
    d.setAAD(this.aad(buf, aadStart, aadEnd, strategy));
    strategy.copy(buf, tagAt, tagAt + AEAD_TAG_BYTES, this.tagScratch, 0);
    d.setAuthTag(this.tagScratch);
    const out = d.update(this.openView.of(buf, start, end));
    try {
      strategy.countForeign(d.final().length);
    } catch (err) {
      // node:crypto reports a failed tag check only by throwing from final(); that is the "false"
      // answer of this API (counted by the caller as a bad tag). Anything else is a real error.
      if (!(err instanceof Error) || err.message !== AUTH_FAILURE_MESSAGE) throw err;
      strategy.countForeign(out.length);
      return false;
    }
    // Authenticated: only now does the plaintext reach the packet.
    strategy.copyInForeign(out, buf, start);
    return true;
  }

  /**
   * The AAD as node:crypto wants it (a whole array): OpenVPN's 8-byte AAD is copied into a scratch
   * array (a counted 8-byte copy, no object) rather than viewed (a `subarray`, a heap object per call).
   */
  private aad(buf: Uint8Array, aadStart: number, aadEnd: number, strategy: BufferStrategy): Uint8Array {
    if (aadEnd - aadStart !== this.aadScratch.length) {
      this.backend.viewsCreated++;
      return buf.subarray(aadStart, aadEnd);
    }
    strategy.copy(buf, aadStart, aadEnd, this.aadScratch, 0);
    return this.aadScratch;
  }
}

class NodeCbcHmacKey implements CbcHmacKey {
  readonly ivBytes = CBC_BLOCK_BYTES;
  readonly hmacBytes = HMAC_SHA256_BYTES;
  readonly blockBytes = CBC_BLOCK_BYTES;
  private readonly encryptView: RangeView;
  private readonly decryptView: RangeView;
  private readonly macView: RangeView;

  constructor(
    backend: NodeCryptoBackend,
    private readonly cipherKey: Buffer,
    private readonly hmacKey: Buffer,
  ) {
    this.encryptView = new RangeView(backend);
    this.decryptView = new RangeView(backend);
    this.macView = new RangeView(backend);
  }

  encrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, strategy: BufferStrategy): void {
    const c = createCipheriv('aes-256-cbc', this.cipherKey, iv).setAutoPadding(false);
    const out = c.update(this.encryptView.of(buf, start, end));
    const fin = c.final();
    strategy.copyInForeign(out, buf, start);
    strategy.countForeign(fin.length);
  }

  decrypt(iv: Uint8Array, buf: Uint8Array, start: number, end: number, strategy: BufferStrategy): void {
    // Padding is checked by the caller (OpenVPN's rules), so OpenSSL's own check is off and final()
    // cannot throw for well-formed (block-multiple) input, which the caller guarantees.
    const d = createDecipheriv('aes-256-cbc', this.cipherKey, iv).setAutoPadding(false);
    const out = d.update(this.decryptView.of(buf, start, end));
    const fin = d.final();
    strategy.copyInForeign(out, buf, start);
    strategy.countForeign(fin.length);
  }

  mac(buf: Uint8Array, start: number, end: number, out: Uint8Array, outAt: number, strategy: BufferStrategy): void {
    const digest = createHmac('sha256', this.hmacKey).update(this.macView.of(buf, start, end)).digest();
    strategy.copyInForeign(digest, out, outAt);
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_BYTES) {
    throw new CryptoConfigError('E_CRYPTO_KEY', `AEAD nonces are ${AEAD_NONCE_BYTES} bytes, got ${nonce.length}`);
  }
}
