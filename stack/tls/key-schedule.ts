/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) and traffic keys (§7.3) over node:crypto HMAC, with the
 * three cipher suites of §B.4 this stack speaks. Checked byte for byte against RFC 8448 §3 in
 * test/stack/tls/key-schedule.test.ts.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
import type { AeadAlgorithm } from '../crypto/crypto-backend.js';

export type HashName = 'sha256' | 'sha384';

export const CIPHER_SUITE_NAMES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
export type CipherSuiteName = (typeof CIPHER_SUITE_NAMES)[number];

export interface CipherSuiteInfo {
  readonly id: number;
  readonly name: CipherSuiteName;
  readonly aead: AeadAlgorithm;
  readonly hash: HashName;
  readonly hashBytes: number;
  readonly keyBytes: number;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteName, CipherSuiteInfo>> = {
  TLS_AES_128_GCM_SHA256: { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', hash: 'sha256', hashBytes: 32, keyBytes: 16 },
  TLS_AES_256_GCM_SHA384: { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', hash: 'sha384', hashBytes: 48, keyBytes: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', hash: 'sha256', hashBytes: 32, keyBytes: 32 },
};

export function cipherSuiteById(id: number): CipherSuiteInfo | undefined {
  for (const s of Object.values(CIPHER_SUITES)) if (s.id === id) return s;
  return undefined;
}

export function isCipherSuiteName(s: string): s is CipherSuiteName {
  return (CIPHER_SUITE_NAMES as readonly string[]).includes(s);
}

/** RFC 5869 §2.2. An empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(hashBytes(hash)) : salt;
  return new Uint8Array(createHmac(hash, key).update(ikm).digest());
}

/** RFC 5869 §2.3. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let prev = new Uint8Array(0);
  let at = 0;
  for (let i = 1; at < length; i++) {
    const h = createHmac(hash, prk);
    h.update(prev);
    h.update(info);
    h.update(Uint8Array.of(i));
    prev = new Uint8Array(h.digest());
    out.set(prev.subarray(0, Math.min(prev.length, length - at)), at);
    at += prev.length;
  }
  return out;
}

/** RFC 8446 §7.1 HKDF-Expand-Label: the HkdfLabel struct with the "tls13 " prefix. */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const fullLabel = Buffer.from('tls13 ' + label, 'latin1');
  const info = new Uint8Array(2 + 1 + fullLabel.length + 1 + context.length);
  info[0] = (length >>> 8) & 0xff;
  info[1] = length & 0xff;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 8446 §7.1 Derive-Secret, given the transcript hash already computed. */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashBytes(hash));
}

export function hashBytes(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}

export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** Key and IV of one direction (RFC 8446 §7.3). */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

export function trafficKeys(suite: CipherSuiteInfo, secret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyBytes),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', new Uint8Array(0), 12),
  };
}

/** RFC 8446 §7.2: application_traffic_secret_N+1. */
export function nextTrafficSecret(suite: CipherSuiteInfo, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(suite.hash, secret, 'traffic upd', new Uint8Array(0), suite.hashBytes);
}

/** RFC 8446 §4.4.4: verify_data = HMAC(finished_key, transcript hash). */
export function finishedVerifyData(suite: CipherSuiteInfo, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = hkdfExpandLabel(suite.hash, baseKey, 'finished', new Uint8Array(0), suite.hashBytes);
  return new Uint8Array(createHmac(suite.hash, finishedKey).update(transcriptHash).digest());
}

/** The secrets of one handshake without PSK, in the order §7.1 derives them. */
export class KeySchedule {
  readonly earlySecret: Uint8Array;
  handshakeSecret: Uint8Array = new Uint8Array(0);
  masterSecret: Uint8Array = new Uint8Array(0);
  clientHandshakeSecret: Uint8Array = new Uint8Array(0);
  serverHandshakeSecret: Uint8Array = new Uint8Array(0);
  clientApplicationSecret: Uint8Array = new Uint8Array(0);
  serverApplicationSecret: Uint8Array = new Uint8Array(0);
  /** §7.5 exporter_master_secret (empty until `deriveApplication`). */
  exporterMasterSecret: Uint8Array = new Uint8Array(0);

  constructor(readonly suite: CipherSuiteInfo) {
    const zeros = new Uint8Array(suite.hashBytes);
    this.earlySecret = hkdfExtract(suite.hash, new Uint8Array(0), zeros);
  }

  /** After ServerHello: `helloHash` = Transcript-Hash(ClientHello..ServerHello). */
  deriveHandshake(sharedSecret: Uint8Array, helloHash: Uint8Array): void {
    const h = this.suite.hash;
    const emptyHash = digest(h, new Uint8Array(0));
    const derived = deriveSecret(h, this.earlySecret, 'derived', emptyHash);
    this.handshakeSecret = hkdfExtract(h, derived, sharedSecret);
    this.clientHandshakeSecret = deriveSecret(h, this.handshakeSecret, 'c hs traffic', helloHash);
    this.serverHandshakeSecret = deriveSecret(h, this.handshakeSecret, 's hs traffic', helloHash);
  }

  /** After the server Finished: `serverFinishedHash` = Transcript-Hash(ClientHello..server Finished). */
  deriveApplication(serverFinishedHash: Uint8Array): void {
    const h = this.suite.hash;
    const derived = deriveSecret(h, this.handshakeSecret, 'derived', digest(h, new Uint8Array(0)));
    this.masterSecret = hkdfExtract(h, derived, new Uint8Array(this.suite.hashBytes));
    this.clientApplicationSecret = deriveSecret(h, this.masterSecret, 'c ap traffic', serverFinishedHash);
    this.serverApplicationSecret = deriveSecret(h, this.masterSecret, 's ap traffic', serverFinishedHash);
    this.exporterMasterSecret = deriveSecret(h, this.masterSecret, 'exp master', serverFinishedHash);
  }
}

/**
 * RFC 8446 §7.5 TLS-Exporter(label, context_value, key_length) =
 * HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""), "exporter", Hash(context_value), key_length).
 * §7.5: "no context" and a zero-length context are the same (OpenSSL's SSL_export_keying_material
 * without use_context does this, and OpenVPN's TLS-EKM calls it so).
 */
export function tlsExporter(hash: HashName, exporterMasterSecret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const secret = deriveSecret(hash, exporterMasterSecret, label, digest(hash, new Uint8Array(0)));
  return hkdfExpandLabel(hash, secret, 'exporter', digest(hash, context), length);
}

/**
 * The running transcript hash (RFC 8446 §4.4.1), including the HelloRetryRequest rewrite. The hash
 * function is known only once the cipher suite is chosen: until `begin`, messages are buffered.
 */
export class Transcript {
  private h: Hash | null = null;
  private pending: Uint8Array[] = [];
  hash: HashName = 'sha256';

  begin(hash: HashName): void {
    this.hash = hash;
    this.h = createHash(hash);
    for (const m of this.pending) this.h.update(m);
    this.pending = [];
  }

  get started(): boolean {
    return this.h !== null;
  }

  add(buf: Uint8Array, start = 0, end = buf.length): void {
    if (this.h === null) this.pending.push(buf.slice(start, end));
    else this.h.update(buf.subarray(start, end));
  }

  current(): Uint8Array {
    if (this.h === null) throw new Error('Transcript.current before begin: a bug in the handshake state machine');
    return new Uint8Array(this.h.copy().digest());
  }

  /** §4.4.1: replaces ClientHello1 by message_hash(Hash(ClientHello1)) after a HelloRetryRequest. */
  replaceWithMessageHash(): void {
    const ch1 = this.current();
    this.h = createHash(this.hash);
    this.h.update(Uint8Array.of(254, 0, 0, ch1.length));
    this.h.update(ch1);
  }
}
