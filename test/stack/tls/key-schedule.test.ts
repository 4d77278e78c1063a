import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { NodeCryptoBackend } from '../../../stack/crypto/node-backend.js';
import { verifyCertificateVerify } from '../../../stack/tls/certificates.js';
import { decodeCertificate, decodeCertificateVerify, decodeClientHello, decodeServerHello } from '../../../stack/tls/handshake.js';
import { generateKeyShare } from '../../../stack/tls/key-exchange.js';
import {
  CIPHER_SUITES,
  deriveSecret,
  digest,
  finishedVerifyData,
  hkdfExtract,
  KeySchedule,
  trafficKeys,
  Transcript,
} from '../../../stack/tls/key-schedule.js';
import { RecordProtection } from '../../../stack/tls/record.js';
import { hex, RFC8448, toHex } from './rfc8448.js';

const suite = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;
const strategy = makeStrategy('pooled');
const backend = new NodeCryptoBackend();

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** A protected record built the way the connection does: header, content, inner type, tag. */
function sealRecord(secret: Uint8Array, seq: number, type: number, content: Uint8Array): Uint8Array {
  const p = new RecordProtection(suite, secret, backend);
  p.seq = seq;
  const len = content.length + 1 + 16;
  const rec = new Uint8Array(5 + len);
  rec.set([23, 3, 3, len >> 8, len & 0xff]);
  rec.set(content, 5);
  rec[5 + content.length] = type;
  p.seal(rec, 0, rec.length - 16, strategy);
  return rec;
}

describe('RFC 8448 §3 simple 1-RTT handshake: key schedule byte for byte', () => {
  it('has the sizes the RFC prints', () => {
    expect(RFC8448.clientHello.length).toBe(196);
    expect(RFC8448.serverHello.length).toBe(90);
    expect([RFC8448.encryptedExtensions, RFC8448.certificate, RFC8448.certificateVerify, RFC8448.serverFinished].map((m) => m.length)).toEqual([40, 445, 136, 36]);
    expect(RFC8448.clientFinishedRecord.length).toBe(58);
    expect(RFC8448.clientApplicationRecord.length).toBe(72);
  });

  it('X25519: the trace private key gives its public key and shared secret', () => {
    const share = generateKeyShare('x25519', RFC8448.clientPrivateKey);
    expect(toHex(share.publicKey)).toBe(RFC8448.clientPublicKey);
    expect(toHex(share.sharedSecret(RFC8448.serverPublicKey)!)).toBe(RFC8448.sharedSecret);
  });

  it('derives early, handshake and traffic secrets, keys and IVs', () => {
    const ks = new KeySchedule(suite);
    expect(toHex(ks.earlySecret)).toBe(RFC8448.earlySecret);
    expect(toHex(deriveSecret('sha256', ks.earlySecret, 'derived', digest('sha256', new Uint8Array(0))))).toBe(RFC8448.derivedForHandshake);
    const t = new Transcript();
    t.add(RFC8448.clientHello);
    t.begin('sha256');
    t.add(RFC8448.serverHello);
    expect(toHex(t.current())).toBe(RFC8448.helloHash);
    ks.deriveHandshake(hex(RFC8448.sharedSecret), t.current());
    expect(toHex(ks.handshakeSecret)).toBe(RFC8448.handshakeSecret);
    expect(toHex(ks.clientHandshakeSecret)).toBe(RFC8448.clientHandshakeSecret);
    expect(toHex(ks.serverHandshakeSecret)).toBe(RFC8448.serverHandshakeSecret);
    const sk = trafficKeys(suite, ks.serverHandshakeSecret);
    expect([toHex(sk.key), toHex(sk.iv)]).toEqual([RFC8448.serverHandshakeKey, RFC8448.serverHandshakeIv]);
    const ck = trafficKeys(suite, ks.clientHandshakeSecret);
    expect([toHex(ck.key), toHex(ck.iv)]).toEqual([RFC8448.clientHandshakeKey, RFC8448.clientHandshakeIv]);

    for (const m of [RFC8448.encryptedExtensions, RFC8448.certificate, RFC8448.certificateVerify]) t.add(m);
    // The server's Finished is HMAC(finished_key, hash(CH..CV)) — the RFC's Finished body.
    expect(toHex(finishedVerifyData(suite, ks.serverHandshakeSecret, t.current()))).toBe(toHex(RFC8448.serverFinished.subarray(4)));
    t.add(RFC8448.serverFinished);
    expect(toHex(t.current())).toBe(RFC8448.serverFinishedHash);
    ks.deriveApplication(t.current());
    expect(toHex(ks.masterSecret)).toBe(RFC8448.masterSecret);
    expect(toHex(ks.clientApplicationSecret)).toBe(RFC8448.clientApplicationSecret);
    expect(toHex(ks.serverApplicationSecret)).toBe(RFC8448.serverApplicationSecret);
    const ca = trafficKeys(suite, ks.clientApplicationSecret);
    const sa = trafficKeys(suite, ks.serverApplicationSecret);
    expect([toHex(ca.key), toHex(ca.iv), toHex(sa.key), toHex(sa.iv)]).toEqual([
      RFC8448.clientApplicationKey,
      RFC8448.clientApplicationIv,
      RFC8448.serverApplicationKey,
      RFC8448.serverApplicationIv,
    ]);
  });

  it('HKDF-Extract with an empty salt equals an all-zero salt of hash length', () => {
    expect(toHex(hkdfExtract('sha256', new Uint8Array(0), new Uint8Array(32)))).toBe(RFC8448.earlySecret);
    expect(toHex(hkdfExtract('sha256', new Uint8Array(32), new Uint8Array(32)))).toBe(RFC8448.earlySecret);
  });

  it("the client's Finished and application records come out byte for byte", () => {
    const clientHs = hex(RFC8448.clientHandshakeSecret);
    const t = new Transcript();
    t.begin('sha256');
    for (const m of [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, RFC8448.certificate, RFC8448.certificateVerify, RFC8448.serverFinished]) t.add(m);
    const fin = concat(Uint8Array.of(20, 0, 0, 32), finishedVerifyData(suite, clientHs, t.current()));
    expect(toHex(sealRecord(clientHs, 0, 22, fin))).toBe(toHex(RFC8448.clientFinishedRecord));
    const data = Uint8Array.from({ length: 50 }, (_, i) => i);
    expect(toHex(sealRecord(hex(RFC8448.clientApplicationSecret), 0, 23, data))).toBe(toHex(RFC8448.clientApplicationRecord));
  });

  it("opens the server's application record (sequence 1); a corrupted twin fails", () => {
    const rec = RFC8448.serverApplicationRecord.slice();
    const p = new RecordProtection(suite, hex(RFC8448.serverApplicationSecret), backend);
    p.seq = 1;
    expect(p.open(rec, 0, rec.length, strategy)).toBe(true);
    expect(Array.from(rec.subarray(5, 55))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(rec[55]).toBe(23);
    const bad = RFC8448.serverApplicationRecord.slice();
    bad[20]! ^= 1;
    const q = new RecordProtection(suite, hex(RFC8448.serverApplicationSecret), backend);
    q.seq = 1;
    expect(q.open(bad, 0, bad.length, strategy)).toBe(false);
    expect(q.seq).toBe(1);
  });

  it("verifies the trace's RSA-PSS CertificateVerify; a corrupted twin fails", () => {
    const cert = decodeCertificate(RFC8448.certificate, 4, RFC8448.certificate.length);
    if (!cert.ok) throw new Error(cert.reason);
    const leaf = new X509Certificate(cert.value.certificates[0]!);
    expect(leaf.subject).toBe('CN=rsa');
    const cv = decodeCertificateVerify(RFC8448.certificateVerify, 4, RFC8448.certificateVerify.length);
    if (!cv.ok) throw new Error(cv.reason);
    expect(cv.value.scheme).toBe(0x0804);
    const t = new Transcript();
    t.begin('sha256');
    for (const m of [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, RFC8448.certificate]) t.add(m);
    expect(verifyCertificateVerify(leaf, 0x0804, cv.value.signature, t.current())).toBe(true);
    const sig = cv.value.signature.slice();
    sig[10]! ^= 0x80;
    expect(verifyCertificateVerify(leaf, 0x0804, sig, t.current())).toBe(false);
  });

  it('decodes the trace ClientHello and ServerHello', () => {
    const ch = decodeClientHello(RFC8448.clientHello, 4, RFC8448.clientHello.length);
    if (!ch.ok) throw new Error(ch.reason);
    expect(ch.value.serverName).toBe('server');
    expect(ch.value.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(ch.value.supportedVersions).toEqual([0x0304]);
    expect(ch.value.supportedGroups).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(ch.value.keyShares.map((k) => [k.group, toHex(k.keyExchange)])).toEqual([[0x1d, RFC8448.clientPublicKey]]);
    const sh = decodeServerHello(RFC8448.serverHello, 4, RFC8448.serverHello.length);
    if (!sh.ok) throw new Error(sh.reason);
    expect(sh.value.cipherSuite).toBe(0x1301);
    expect(sh.value.selectedVersion).toBe(0x0304);
    expect(sh.value.isHelloRetryRequest).toBe(false);
    expect(toHex(sh.value.keyShare!.keyExchange)).toBe(toHex(RFC8448.serverPublicKey));
    // corrupted twin: a truncated ClientHello is a decode_error, not an exception
    const cut = decodeClientHello(RFC8448.clientHello, 4, 100);
    expect(cut.ok ? 'ok' : cut.alert).toBe(50);
  });
});
