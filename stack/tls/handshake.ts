/**
 * TLS 1.3 handshake messages (RFC 8446 §4): typed values, `encode…` to a complete handshake message
 * (type, u24 length, body) and `decode…(buf, start, end)` of a message *body* returning
 * `{ ok: true, value }` or `{ ok: false, alert }` — never throwing on bad bytes and reading only
 * inside `[start, end)`. The handshake path allocates (one array per message); the record path
 * does not (see record.ts).
 */
import {
  ALERT,
  EXTENSION_TYPE,
  HANDSHAKE_TYPE,
  HRR_RANDOM,
  LEGACY_VERSION,
  TLS13_VERSION,
  TlsReader,
  TlsWriter,
} from './wire.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; alert: number; reason: string };

function fail<T>(alert: number, reason: string): Decoded<T> {
  return { ok: false, alert, reason };
}

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

export interface ClientHello {
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  serverName: string | null;
  supportedGroups: number[];
  signatureAlgorithms: number[];
  supportedVersions: number[];
  keyShares: KeyShareEntry[];
  alpn: string[];
  cookie: Uint8Array | null;
}

export interface ServerHello {
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  /** 0 when absent (then the ServerHello is not TLS 1.3). */
  selectedVersion: number;
  /** A ServerHello's key share; null in a HelloRetryRequest. */
  keyShare: KeyShareEntry | null;
  /** A HelloRetryRequest's selected_group (0 when absent). */
  selectedGroup: number;
  cookie: Uint8Array | null;
  isHelloRetryRequest: boolean;
}

export interface EncryptedExtensions {
  alpn: string | null;
  serverNameAcknowledged: boolean;
}

export interface CertificateMessage {
  context: Uint8Array;
  /** DER certificates, leaf first. */
  certificates: Uint8Array[];
}

export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

/** Wraps a body in a handshake header. */
function message(type: number, body: (w: TlsWriter) => void): Uint8Array {
  const w = new TlsWriter();
  w.u8(type);
  w.vector(3, body);
  return w.finish();
}

function extension(w: TlsWriter, type: number, body: (w: TlsWriter) => void): void {
  w.u16(type);
  w.vector(2, body);
}

export function encodeClientHello(ch: ClientHello): Uint8Array {
  return message(HANDSHAKE_TYPE.clientHello, (w) => {
    w.u16(LEGACY_VERSION).bytes(ch.random);
    w.vector(1, (v) => v.bytes(ch.sessionId));
    w.vector(2, (v) => ch.cipherSuites.forEach((s) => v.u16(s)));
    w.vector(1, (v) => v.u8(0));
    w.vector(2, (x) => {
      if (ch.serverName !== null) {
        const name = Buffer.from(ch.serverName, 'ascii');
        extension(x, EXTENSION_TYPE.serverName, (e) => e.vector(2, (l) => l.u8(0).vector(2, (n) => n.bytes(name))));
      }
      extension(x, EXTENSION_TYPE.supportedVersions, (e) => e.vector(1, (v) => ch.supportedVersions.forEach((s) => v.u16(s))));
      extension(x, EXTENSION_TYPE.supportedGroups, (e) => e.vector(2, (v) => ch.supportedGroups.forEach((g) => v.u16(g))));
      extension(x, EXTENSION_TYPE.signatureAlgorithms, (e) => e.vector(2, (v) => ch.signatureAlgorithms.forEach((g) => v.u16(g))));
      extension(x, EXTENSION_TYPE.keyShare, (e) =>
        e.vector(2, (v) => ch.keyShares.forEach((k) => v.u16(k.group).vector(2, (kk) => kk.bytes(k.keyExchange)))),
      );
      if (ch.alpn.length > 0) {
        extension(x, EXTENSION_TYPE.alpn, (e) => e.vector(2, (v) => ch.alpn.forEach((p) => v.vector(1, (pp) => pp.bytes(Buffer.from(p, 'ascii'))))));
      }
      if (ch.cookie !== null) {
        const cookie = ch.cookie;
        extension(x, EXTENSION_TYPE.cookie, (e) => e.vector(2, (v) => v.bytes(cookie)));
      }
    });
  });
}

/**
 * Reads an extensions block into a map type → reader over its data. Duplicates are an
 * illegal_parameter (RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type").
 */
function readExtensions(r: TlsReader): Map<number, TlsReader> | { alert: number; reason: string } {
  const map = new Map<number, TlsReader>();
  const all = r.vector(2);
  if (!r.ok) return { alert: ALERT.decodeError, reason: 'extensions length' };
  while (all.remaining > 0) {
    const type = all.u16();
    const data = all.vector(2);
    if (!all.ok) return { alert: ALERT.decodeError, reason: 'extension truncated' };
    if (map.has(type)) return { alert: ALERT.illegalParameter, reason: `duplicate extension ${type}` };
    map.set(type, data);
  }
  return map;
}

function asciiText(b: Uint8Array): string | null {
  for (const c of b) if (c < 0x20 || c > 0x7e) return null;
  return Buffer.from(b).toString('latin1');
}

export function decodeClientHello(buf: Uint8Array, start: number, end: number): Decoded<ClientHello> {
  const r = new TlsReader(buf, start, end);
  r.u16(); // legacy_version: ignored in TLS 1.3 (§4.1.2), supported_versions decides
  const random = r.bytes(32);
  const sessionId = r.vector(1);
  if (sessionId.remaining > 32) return fail(ALERT.decodeError, 'legacy_session_id longer than 32');
  const sid = sessionId.bytes(sessionId.remaining);
  const suitesR = r.vector(2);
  const cipherSuites: number[] = [];
  if (suitesR.remaining % 2 !== 0) return fail(ALERT.decodeError, 'cipher_suites odd length');
  while (suitesR.remaining > 0) cipherSuites.push(suitesR.u16());
  const comp = r.vector(1);
  if (!r.ok) return fail(ALERT.decodeError, 'ClientHello truncated');
  // §4.1.2: exactly one compression method, null.
  if (comp.remaining !== 1 || comp.u8() !== 0) return fail(ALERT.illegalParameter, 'legacy_compression_methods must be [0]');
  const ch: ClientHello = {
    random,
    sessionId: sid,
    cipherSuites,
    serverName: null,
    supportedGroups: [],
    signatureAlgorithms: [],
    supportedVersions: [],
    keyShares: [],
    alpn: [],
    cookie: null,
  };
  if (r.remaining === 0) return { ok: true, value: ch }; // a pre-TLS 1.2 hello without extensions
  const ext = readExtensions(r);
  if (!(ext instanceof Map)) return fail(ext.alert, ext.reason);
  if (r.remaining !== 0) return fail(ALERT.decodeError, 'bytes after ClientHello extensions');
  const sni = ext.get(EXTENSION_TYPE.serverName);
  if (sni !== undefined) {
    const list = sni.vector(2);
    while (list.ok && list.remaining > 0) {
      const type = list.u8();
      const name = list.vector(2);
      if (!list.ok) break;
      if (type === 0) {
        const text = asciiText(name.bytes(name.remaining));
        if (text === null) return fail(ALERT.illegalParameter, 'server_name is not ASCII');
        ch.serverName = text;
      }
    }
    if (!list.ok || !sni.ok || sni.remaining !== 0) return fail(ALERT.decodeError, 'server_name malformed');
  }
  const u16List = (rd: TlsReader | undefined, lengthBytes: 1 | 2, out: number[]): boolean => {
    if (rd === undefined) return true;
    const v = rd.vector(lengthBytes);
    if (v.remaining % 2 !== 0) return false;
    while (v.ok && v.remaining > 0) out.push(v.u16());
    return rd.ok && v.ok && rd.remaining === 0;
  };
  if (!u16List(ext.get(EXTENSION_TYPE.supportedVersions), 1, ch.supportedVersions)) return fail(ALERT.decodeError, 'supported_versions malformed');
  if (!u16List(ext.get(EXTENSION_TYPE.supportedGroups), 2, ch.supportedGroups)) return fail(ALERT.decodeError, 'supported_groups malformed');
  if (!u16List(ext.get(EXTENSION_TYPE.signatureAlgorithms), 2, ch.signatureAlgorithms)) return fail(ALERT.decodeError, 'signature_algorithms malformed');
  const ks = ext.get(EXTENSION_TYPE.keyShare);
  if (ks !== undefined) {
    const list = ks.vector(2);
    while (list.ok && list.remaining > 0) {
      const group = list.u16();
      const key = list.vector(2);
      if (!list.ok || key.remaining === 0) return fail(ALERT.decodeError, 'key_share entry malformed');
      ch.keyShares.push({ group, keyExchange: key.bytes(key.remaining) });
    }
    if (!ks.ok || !list.ok || ks.remaining !== 0) return fail(ALERT.decodeError, 'key_share malformed');
  }
  const alpn = ext.get(EXTENSION_TYPE.alpn);
  if (alpn !== undefined) {
    const list = alpn.vector(2);
    while (list.ok && list.remaining > 0) {
      const p = list.vector(1);
      if (!list.ok || p.remaining === 0) return fail(ALERT.decodeError, 'ALPN protocol name empty or truncated');
      ch.alpn.push(Buffer.from(p.bytes(p.remaining)).toString('latin1'));
    }
    if (!alpn.ok || !list.ok || alpn.remaining !== 0) return fail(ALERT.decodeError, 'ALPN malformed');
  }
  const cookie = ext.get(EXTENSION_TYPE.cookie);
  if (cookie !== undefined) {
    const c = cookie.vector(2);
    if (!cookie.ok || cookie.remaining !== 0) return fail(ALERT.decodeError, 'cookie malformed');
    ch.cookie = c.bytes(c.remaining);
  }
  return { ok: true, value: ch };
}

export function encodeServerHello(sh: ServerHello): Uint8Array {
  return message(HANDSHAKE_TYPE.serverHello, (w) => {
    w.u16(LEGACY_VERSION).bytes(sh.isHelloRetryRequest ? HRR_RANDOM : sh.random);
    w.vector(1, (v) => v.bytes(sh.sessionId));
    w.u16(sh.cipherSuite).u8(0);
    w.vector(2, (x) => {
      extension(x, EXTENSION_TYPE.supportedVersions, (e) => e.u16(TLS13_VERSION));
      if (sh.isHelloRetryRequest) {
        extension(x, EXTENSION_TYPE.keyShare, (e) => e.u16(sh.selectedGroup));
        if (sh.cookie !== null) {
          const cookie = sh.cookie;
          extension(x, EXTENSION_TYPE.cookie, (e) => e.vector(2, (v) => v.bytes(cookie)));
        }
      } else if (sh.keyShare !== null) {
        const k = sh.keyShare;
        extension(x, EXTENSION_TYPE.keyShare, (e) => e.u16(k.group).vector(2, (v) => v.bytes(k.keyExchange)));
      }
    });
  });
}

export function decodeServerHello(buf: Uint8Array, start: number, end: number): Decoded<ServerHello> {
  const r = new TlsReader(buf, start, end);
  r.u16();
  const random = r.bytes(32);
  const sidR = r.vector(1);
  const sessionId = sidR.bytes(sidR.remaining);
  const cipherSuite = r.u16();
  const compression = r.u8();
  if (!r.ok) return fail(ALERT.decodeError, 'ServerHello truncated');
  if (compression !== 0) return fail(ALERT.illegalParameter, 'ServerHello compression must be 0');
  const isHrr = Buffer.compare(random, HRR_RANDOM) === 0;
  const sh: ServerHello = { random, sessionId, cipherSuite, selectedVersion: 0, keyShare: null, selectedGroup: 0, cookie: null, isHelloRetryRequest: isHrr };
  if (r.remaining === 0) return { ok: true, value: sh };
  const ext = readExtensions(r);
  if (!(ext instanceof Map)) return fail(ext.alert, ext.reason);
  if (r.remaining !== 0) return fail(ALERT.decodeError, 'bytes after ServerHello extensions');
  for (const [type, data] of ext) {
    switch (type) {
      case EXTENSION_TYPE.supportedVersions:
        sh.selectedVersion = data.u16();
        break;
      case EXTENSION_TYPE.keyShare:
        if (isHrr) sh.selectedGroup = data.u16();
        else {
          const group = data.u16();
          const key = data.vector(2);
          sh.keyShare = { group, keyExchange: key.bytes(key.remaining) };
        }
        break;
      case EXTENSION_TYPE.cookie: {
        const c = data.vector(2);
        sh.cookie = c.bytes(c.remaining);
        break;
      }
      default:
        // §4.1.4: a client MUST abort with unsupported_extension on extensions it did not offer; the
        // ones above are all we offer, so anything else is a peer error.
        return fail(ALERT.unsupportedExtension, `unexpected extension ${type} in ServerHello`);
    }
    if (!data.ok || data.remaining !== 0) return fail(ALERT.decodeError, `ServerHello extension ${type} malformed`);
  }
  return { ok: true, value: sh };
}

export function encodeEncryptedExtensions(ee: EncryptedExtensions): Uint8Array {
  return message(HANDSHAKE_TYPE.encryptedExtensions, (w) =>
    w.vector(2, (x) => {
      if (ee.serverNameAcknowledged) extension(x, EXTENSION_TYPE.serverName, () => undefined);
      if (ee.alpn !== null) {
        const p = Buffer.from(ee.alpn, 'ascii');
        extension(x, EXTENSION_TYPE.alpn, (e) => e.vector(2, (v) => v.vector(1, (pp) => pp.bytes(p))));
      }
    }),
  );
}

export function decodeEncryptedExtensions(buf: Uint8Array, start: number, end: number): Decoded<EncryptedExtensions> {
  const r = new TlsReader(buf, start, end);
  const ext = readExtensions(r);
  if (!(ext instanceof Map)) return fail(ext.alert, ext.reason);
  if (r.remaining !== 0) return fail(ALERT.decodeError, 'bytes after EncryptedExtensions');
  const ee: EncryptedExtensions = { alpn: null, serverNameAcknowledged: ext.has(EXTENSION_TYPE.serverName) };
  const alpn = ext.get(EXTENSION_TYPE.alpn);
  if (alpn !== undefined) {
    const list = alpn.vector(2);
    const p = list.vector(1);
    // §3.1 of RFC 7301: the server's list holds exactly one protocol.
    if (!alpn.ok || !list.ok || list.remaining !== 0 || alpn.remaining !== 0 || p.remaining === 0) return fail(ALERT.decodeError, 'ALPN in EncryptedExtensions malformed');
    ee.alpn = Buffer.from(p.bytes(p.remaining)).toString('latin1');
  }
  return { ok: true, value: ee };
}

export function encodeCertificate(c: CertificateMessage): Uint8Array {
  return message(HANDSHAKE_TYPE.certificate, (w) => {
    w.vector(1, (v) => v.bytes(c.context));
    w.vector(3, (list) => {
      for (const der of c.certificates) {
        list.vector(3, (v) => v.bytes(der));
        list.vector(2, () => undefined);
      }
    });
  });
}

export function decodeCertificate(buf: Uint8Array, start: number, end: number): Decoded<CertificateMessage> {
  const r = new TlsReader(buf, start, end);
  const ctx = r.vector(1);
  const context = ctx.bytes(ctx.remaining);
  const list = r.vector(3);
  if (!r.ok || r.remaining !== 0) return fail(ALERT.decodeError, 'Certificate malformed');
  const certificates: Uint8Array[] = [];
  while (list.remaining > 0) {
    const der = list.vector(3);
    list.vector(2); // per-certificate extensions (OCSP, SCT): not interpreted
    if (!list.ok || der.remaining === 0) return fail(ALERT.decodeError, 'CertificateEntry malformed');
    certificates.push(der.bytes(der.remaining));
  }
  return { ok: true, value: { context, certificates } };
}

/**
 * §4.3.2 CertificateRequest with an empty certificate_request_context (a request during the
 * handshake) and the one extension it must carry, signature_algorithms.
 */
export function encodeCertificateRequest(signatureSchemes: readonly number[]): Uint8Array {
  return message(HANDSHAKE_TYPE.certificateRequest, (w) => {
    w.vector(1, () => undefined);
    w.vector(2, (x) => extension(x, EXTENSION_TYPE.signatureAlgorithms, (e) => e.vector(2, (v) => signatureSchemes.forEach((g) => v.u16(g)))));
  });
}

export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return message(HANDSHAKE_TYPE.certificateVerify, (w) => w.u16(cv.scheme).vector(2, (v) => v.bytes(cv.signature)));
}

export function decodeCertificateVerify(buf: Uint8Array, start: number, end: number): Decoded<CertificateVerify> {
  const r = new TlsReader(buf, start, end);
  const scheme = r.u16();
  const sig = r.vector(2);
  if (!r.ok || r.remaining !== 0) return fail(ALERT.decodeError, 'CertificateVerify malformed');
  return { ok: true, value: { scheme, signature: sig.bytes(sig.remaining) } };
}

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return message(HANDSHAKE_TYPE.finished, (w) => w.bytes(verifyData));
}

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return message(HANDSHAKE_TYPE.keyUpdate, (w) => w.u8(requestUpdate ? 1 : 0));
}

export function decodeKeyUpdate(buf: Uint8Array, start: number, end: number): Decoded<boolean> {
  if (end - start !== 1) return fail(ALERT.decodeError, 'KeyUpdate length');
  const v = buf[start]!;
  // §4.6.3: any other value is an illegal_parameter.
  if (v > 1) return fail(ALERT.illegalParameter, `KeyUpdate request_update ${v}`);
  return { ok: true, value: v === 1 };
}
