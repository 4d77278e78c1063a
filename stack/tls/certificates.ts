/**
 * Server credentials and certificate checks (RFC 8446 §4.4.2–§4.4.3) over node:crypto:
 * CertificateVerify signatures with ECDSA P-256, Ed25519 and RSA-PSS, and the client's check of the
 * server's chain against given CA certificates plus the host name (X509Certificate.checkHost / checkIP).
 * What is *not* checked: revocation, name constraints, key usage / extended key usage, path length.
 */
import { X509Certificate, createPrivateKey, constants, sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ALERT, SIGNATURE_SCHEME } from './wire.js';

/** Misuse or bad configuration of the TLS stack (a bad key file, an unsupported key type). */
export class TlsConfigError extends Error {
  constructor(
    readonly code: 'E_TLS_CONFIG' | 'E_TLS_STATE',
    message: string,
  ) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

export interface ServerCredentials {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  key: KeyObject;
  /** Signature schemes the key can make, best first. */
  schemes: number[];
}

/** Loads a PEM chain (leaf first) and a PEM private key. Throws `TlsConfigError` on an unusable key. */
export function loadServerCredentials(certPem: string, keyPem: string): ServerCredentials {
  const blocks = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TlsConfigError('E_TLS_CONFIG', 'no PEM certificate found: pass a file with -----BEGIN CERTIFICATE----- blocks, leaf first');
  const chain = blocks.map((b) => new Uint8Array(new X509Certificate(b).raw));
  const key = createPrivateKey(keyPem);
  const leaf = new X509Certificate(blocks[0]!);
  if (!leaf.checkPrivateKey(key)) throw new TlsConfigError('E_TLS_CONFIG', 'the private key does not match the first certificate');
  return { chain, key, schemes: schemesForKey(key) };
}

function schemesForKey(key: KeyObject): number[] {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return [SIGNATURE_SCHEME.ed25519];
  if (type === 'rsa' || type === 'rsa-pss') return [SIGNATURE_SCHEME.rsaPssRsaeSha256, SIGNATURE_SCHEME.rsaPssRsaeSha384, SIGNATURE_SCHEME.rsaPssRsaeSha512];
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return [SIGNATURE_SCHEME.ecdsaSecp256r1Sha256];
    if (curve === 'secp384r1') return [SIGNATURE_SCHEME.ecdsaSecp384r1Sha384];
  }
  throw new TlsConfigError('E_TLS_CONFIG', `unsupported server key type ${String(type)}: use ECDSA P-256, Ed25519 or RSA`);
}

/** Every scheme this stack can verify, in the order a client offers them. */
export const VERIFIABLE_SCHEMES = [
  SIGNATURE_SCHEME.ecdsaSecp256r1Sha256,
  SIGNATURE_SCHEME.ecdsaSecp384r1Sha384,
  SIGNATURE_SCHEME.ed25519,
  SIGNATURE_SCHEME.rsaPssRsaeSha256,
  SIGNATURE_SCHEME.rsaPssRsaeSha384,
  SIGNATURE_SCHEME.rsaPssRsaeSha512,
];

function schemeParams(scheme: number): { hash: string | null; pss: boolean; saltBytes: number } | null {
  switch (scheme) {
    case SIGNATURE_SCHEME.ecdsaSecp256r1Sha256:
      return { hash: 'sha256', pss: false, saltBytes: 0 };
    case SIGNATURE_SCHEME.ecdsaSecp384r1Sha384:
      return { hash: 'sha384', pss: false, saltBytes: 0 };
    case SIGNATURE_SCHEME.ed25519:
      return { hash: null, pss: false, saltBytes: 0 };
    case SIGNATURE_SCHEME.rsaPssRsaeSha256:
      return { hash: 'sha256', pss: true, saltBytes: 32 };
    case SIGNATURE_SCHEME.rsaPssRsaeSha384:
      return { hash: 'sha384', pss: true, saltBytes: 48 };
    case SIGNATURE_SCHEME.rsaPssRsaeSha512:
      return { hash: 'sha512', pss: true, saltBytes: 64 };
    default:
      return null;
  }
}

/** §4.4.3: 64 spaces, the context string, a zero byte, then the transcript hash. */
export function certificateVerifyInput(transcriptHash: Uint8Array, server: boolean): Uint8Array {
  const label = Buffer.from(server ? 'TLS 1.3, server CertificateVerify' : 'TLS 1.3, client CertificateVerify', 'latin1');
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(label, 64);
  out[64 + label.length] = 0;
  out.set(transcriptHash, 65 + label.length);
  return out;
}

export function signCertificateVerify(key: KeyObject, scheme: number, transcriptHash: Uint8Array): Uint8Array {
  const p = schemeParams(scheme);
  if (p === null) throw new TlsConfigError('E_TLS_CONFIG', `cannot sign with scheme 0x${scheme.toString(16)}`);
  const data = certificateVerifyInput(transcriptHash, true);
  const opts = p.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltBytes } : { key, dsaEncoding: 'der' as const };
  return new Uint8Array(sign(p.hash, data, opts));
}

/**
 * Returns true when `signature` verifies under the leaf's public key with `scheme`; `signedByServer`
 * picks the §4.4.3 context string (a server's or a client's CertificateVerify).
 */
export function verifyCertificateVerify(leaf: X509Certificate, scheme: number, signature: Uint8Array, transcriptHash: Uint8Array, signedByServer = true): boolean {
  const p = schemeParams(scheme);
  if (p === null) return false;
  const key = leaf.publicKey;
  // The scheme must match the key type (§4.4.3: "the signature algorithm MUST be one offered…"; a
  // mismatch cannot verify, and node would throw rather than answer).
  const type = key.asymmetricKeyType;
  if (scheme === SIGNATURE_SCHEME.ed25519 ? type !== 'ed25519' : p.pss ? type !== 'rsa' : type !== 'ec') return false;
  const data = certificateVerifyInput(transcriptHash, signedByServer);
  const opts = p.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltBytes } : { key, dsaEncoding: 'der' as const };
  return verify(p.hash, data, opts, signature);
}

export type ChainCheck = { ok: true; leaf: X509Certificate } | { ok: false; alert: number; reason: string };

/**
 * Checks a peer's chain (a server's, or a client's when the server asked for one): every certificate parses, is within its validity period at `nowMs`, is
 * signed by the next one, and the last is signed by (or is) one of `trusted`; the leaf matches
 * `hostName` (DNS name or IP address). `hostName` null skips the name check (no SNI configured).
 */
export function checkServerChain(chainDer: Uint8Array[], trusted: readonly X509Certificate[], hostName: string | null, nowMs: number): ChainCheck {
  if (chainDer.length === 0) return { ok: false, alert: ALERT.decodeError, reason: 'empty certificate list' };
  const chain: X509Certificate[] = [];
  for (const der of chainDer) {
    try {
      chain.push(new X509Certificate(der));
    } catch (err) {
      // X509Certificate reports unparseable DER only by throwing: that is a bad_certificate.
      return { ok: false, alert: ALERT.badCertificate, reason: `certificate does not parse: ${(err as Error).message}` };
    }
  }
  for (const c of chain) {
    if (Date.parse(c.validFrom) > nowMs || Date.parse(c.validTo) < nowMs) {
      return { ok: false, alert: ALERT.certificateExpired, reason: `certificate ${c.subject} not valid at this time (${c.validFrom} – ${c.validTo})` };
    }
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const c = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return { ok: false, alert: ALERT.badCertificate, reason: `certificate ${i} is not signed by certificate ${i + 1}` };
  }
  const last = chain[chain.length - 1]!;
  const anchored = trusted.some((ca) => Buffer.compare(ca.raw, last.raw) === 0 || (last.checkIssued(ca) && last.verify(ca.publicKey)));
  if (!anchored) return { ok: false, alert: ALERT.unknownCa, reason: 'certificate chain does not end at a trusted CA' };
  const leaf = chain[0]!;
  if (hostName !== null) {
    const matched = isIP(hostName) !== 0 ? leaf.checkIP(hostName) : leaf.checkHost(hostName);
    if (matched === undefined) return { ok: false, alert: ALERT.badCertificate, reason: `certificate does not match host name '${hostName}'` };
  }
  return { ok: true, leaf };
}
