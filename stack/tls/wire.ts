/**
 * TLS 1.3 code points (RFC 8446 §4, §5, §6, appendix B) and the two byte helpers every codec here
 * uses: a bounds-checked `TlsReader` that never throws (reading past its end clears `ok`) and a
 * growable `TlsWriter` for handshake messages (the handshake path allocates; see README.md).
 */

export const CONTENT_TYPE = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

export const HANDSHAKE_TYPE = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  certificateRequest: 13,
  certificateVerify: 15,
  finished: 20,
  keyUpdate: 24,
  messageHash: 254,
} as const;

export const EXTENSION_TYPE = {
  serverName: 0,
  supportedGroups: 10,
  signatureAlgorithms: 13,
  alpn: 16,
  supportedVersions: 43,
  cookie: 44,
  keyShare: 51,
} as const;

/** Alert descriptions (RFC 8446 §6). */
export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateExpired: 45,
  certificateUnknown: 46,
  illegalParameter: 47,
  unknownCa: 48,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  userCanceled: 90,
  missingExtension: 109,
  unsupportedExtension: 110,
  certificateRequired: 116,
  unrecognizedName: 112,
  noApplicationProtocol: 120,
} as const;
export type AlertName = keyof typeof ALERT;

export function alertName(code: number): string {
  for (const [k, v] of Object.entries(ALERT)) if (v === code) return k;
  return `alert-${code}`;
}

export const NAMED_GROUP = { x25519: 0x001d, secp256r1: 0x0017 } as const;
export type GroupName = keyof typeof NAMED_GROUP;
export const GROUP_NAMES = Object.keys(NAMED_GROUP) as GroupName[];

export const SIGNATURE_SCHEME = {
  ecdsaSecp256r1Sha256: 0x0403,
  ecdsaSecp384r1Sha384: 0x0503,
  rsaPssRsaeSha256: 0x0804,
  rsaPssRsaeSha384: 0x0805,
  rsaPssRsaeSha512: 0x0806,
  ed25519: 0x0807,
} as const;

export const TLS13_VERSION = 0x0304;
export const LEGACY_VERSION = 0x0303;
/** RFC 8446 §5.1: plaintext fragments are at most 2^14 bytes. */
export const MAX_FRAGMENT_BYTES = 16384;
/** RFC 8446 §5.2: a protected record's length is at most 2^14 + 256. */
export const MAX_CIPHERTEXT_BYTES = 16384 + 256;
export const RECORD_HEADER_BYTES = 5;

/**
 * Writes a record header (RFC 8446 §5.1: ContentType, legacy_record_version 0x0303, uint16 length)
 * at `buf[h, h + 5)`. The one writer of this header; `length` counts the bytes after it.
 */
/** The TLSInnerPlaintext content type (RFC 8446 §5.2): the byte after the content, before the padding. */
export function writeInnerContentType(buf: Uint8Array, at: number, contentType: number): void {
  buf[at] = contentType;
}

export function writeRecordHeader(buf: Uint8Array, h: number, contentType: number, length: number): void {
  buf[h] = contentType;
  buf[h + 1] = LEGACY_VERSION >>> 8;
  buf[h + 2] = LEGACY_VERSION & 0xff;
  buf[h + 3] = length >>> 8;
  buf[h + 4] = length & 0xff;
}

/**
 * RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest
 * (SHA-256 of "HelloRetryRequest").
 */
export const HRR_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

/** Reads big-endian fields inside `[pos, end)`. Reading past `end` sets `ok = false` and returns 0. */
export class TlsReader {
  ok = true;
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  /** Bytes left; 0 once a read failed, so that `while (r.remaining > 0)` loops always end. */
  get remaining(): number {
    return this.ok ? this.end - this.pos : 0;
  }

  private need(n: number): boolean {
    if (!this.ok || this.pos + n > this.end) {
      this.ok = false;
      return false;
    }
    return true;
  }

  u8(): number {
    if (!this.need(1)) return 0;
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (!this.need(2)) return 0;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    if (!this.need(3)) return 0;
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  /** A copy of the next `n` bytes (handshake values kept beyond the call). */
  bytes(n: number): Uint8Array {
    if (!this.need(n)) return new Uint8Array(0);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A sub-reader over a vector whose length prefix is `lengthBytes` (1, 2 or 3) long; advances past it. */
  vector(lengthBytes: 1 | 2 | 3): TlsReader {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    const sub = new TlsReader(this.buf, this.pos, this.pos + n);
    if (!this.need(n)) {
      sub.ok = false;
      return sub;
    }
    this.pos += n;
    return sub;
  }
}

/** A growable big-endian writer for handshake messages. */
export class TlsWriter {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.room(3);
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Writes a vector: a `lengthBytes` length prefix, then whatever `body` writes. */
  vector(lengthBytes: 1 | 2 | 3, body: (w: this) => void): this {
    this.room(lengthBytes);
    const at = this.length;
    this.length += lengthBytes;
    body(this);
    const n = this.length - at - lengthBytes;
    if (lengthBytes === 3) {
      this.buf[at] = (n >>> 16) & 0xff;
      this.buf[at + 1] = (n >>> 8) & 0xff;
      this.buf[at + 2] = n & 0xff;
    } else if (lengthBytes === 2) {
      this.buf[at] = (n >>> 8) & 0xff;
      this.buf[at + 1] = n & 0xff;
    } else {
      this.buf[at] = n & 0xff;
    }
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
