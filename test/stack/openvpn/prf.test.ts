/**
 * The TLS 1.0 PRF behind OpenVPN's key expansion, against OpenSSL's TLS1-PRF (`openssl kdf`, a real
 * implementation no one here wrote) for an even and an odd secret length, plus one corrupted twin.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openVpnPrfKeys, tls1Prf } from '../../../stack/openvpn/prf.js';
import { peer } from '../../peers.js';

const HAS_OPENSSL = peer('openssl');

function opensslPrf(secret: Uint8Array, seed: Uint8Array, length: number): string {
  const out = execFileSync('openssl', ['kdf', '-keylen', String(length), '-kdfopt', 'digest:MD5-SHA1', '-kdfopt', `hexsecret:${Buffer.from(secret).toString('hex')}`, '-kdfopt', `hexseed:${Buffer.from(seed).toString('hex')}`, 'TLS1-PRF'], { encoding: 'utf8' });
  return out.trim().replace(/:/g, '').toLowerCase();
}

const bytes = (n: number, k: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * k + 7) & 0xff);

describe.runIf(HAS_OPENSSL)('TLS 1.0 PRF (RFC 2246 §5) against openssl kdf TLS1-PRF', () => {
  it.each([
    [48, 256],
    [47, 48],
  ])('secret of %i bytes, %i bytes out', (secretBytes, length) => {
    const secret = bytes(secretBytes, 13);
    const seed = new Uint8Array(Buffer.concat([Buffer.from('OpenVPN key expansion'), bytes(80, 29)]));
    const ours = Buffer.from(tls1Prf(secret, seed, length)).toString('hex');
    expect(ours).toBe(opensslPrf(secret, seed, length));
    const corrupted = Uint8Array.from(secret);
    corrupted[0]! ^= 1;
    expect(Buffer.from(tls1Prf(corrupted, seed, length)).toString('hex')).not.toBe(ours);
  });

  it('key expansion mixes every input (session ids included)', () => {
    const c = { preMaster: bytes(48, 3), random1: bytes(32, 5), random2: bytes(32, 7) };
    const s = { preMaster: new Uint8Array(0), random1: bytes(32, 9), random2: bytes(32, 11) };
    const a = openVpnPrfKeys(c, s, bytes(8, 1), bytes(8, 2));
    expect(a.length).toBe(256);
    expect(Buffer.from(openVpnPrfKeys(c, s, bytes(8, 1), bytes(8, 3)))).not.toEqual(Buffer.from(a));
  });
});
