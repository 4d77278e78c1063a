/**
 * tls-crypt-v2 key wrapping against keys the real openvpn 2.6 wrote (`--genkey tls-crypt-v2-server`,
 * `--genkey tls-crypt-v2-client --tls-crypt-v2 SERVER`), each with a corrupted twin.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staticKeyFromBytes } from '../../../stack/openvpn/static-key.js';
import { parseTlsCryptV2ClientKey, parseTlsCryptV2ServerKey, splitWkc, TlsCryptV2KeyError, unwrapClientKey, wrapClientKey } from '../../../stack/openvpn/tls-crypt-v2.js';
import { peer } from '../../peers.js';

const HAS_OPENVPN = peer('openvpn');
if (!HAS_OPENVPN && process.env.CI === 'true') throw new Error('tls-crypt-v2 test: openvpn missing and CI=true forbids skipping');

describe.runIf(HAS_OPENVPN)('tls-crypt-v2 keys written by openvpn 2.6', () => {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-tcv2-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const gen = (args: string[]): void => void execFileSync('openvpn', args, { stdio: 'ignore' });
  gen(['--genkey', 'tls-crypt-v2-server', join(dir, 'srv.key')]);
  gen(['--genkey', 'tls-crypt-v2-server', join(dir, 'other-srv.key')]);
  gen(['--tls-crypt-v2', join(dir, 'srv.key'), '--genkey', 'tls-crypt-v2-client', join(dir, 'cli.key')]);
  const server = parseTlsCryptV2ServerKey(readFileSync(join(dir, 'srv.key'), 'utf8'));
  const other = parseTlsCryptV2ServerKey(readFileSync(join(dir, 'other-srv.key'), 'utf8'));
  const client = parseTlsCryptV2ClientKey(readFileSync(join(dir, 'cli.key'), 'utf8'));

  it('unwraps the client key the server issued: Kc equals the file, metadata is a timestamp (type 1, 8 bytes, near now)', () => {
    const u = unwrapClientKey(server, client.wkc);
    expect(u.ok).toBe(true);
    if (!u.ok) return;
    expect(Buffer.from(u.clientKey.bytes).equals(Buffer.from(client.clientKey.bytes))).toBe(true);
    expect(u.metadata.length).toBe(9);
    expect(u.metadata[0]).toBe(1);
    const ts = Number(Buffer.from(u.metadata).readBigUInt64BE(1));
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(600);
  });

  it('refuses it under another server key (bad-tag), with a flipped bit (bad-tag) and a wrong length (bad-length)', () => {
    expect(unwrapClientKey(other, client.wkc)).toEqual({ ok: false, error: 'bad-tag' });
    const flipped = client.wkc.slice();
    flipped[40]! ^= 1;
    expect(unwrapClientKey(server, flipped)).toEqual({ ok: false, error: 'bad-tag' });
    expect(unwrapClientKey(server, client.wkc.subarray(1))).toEqual({ ok: false, error: 'bad-length' });
  });

  it('our wrap is openvpn’s: wrapping Kc with its metadata again gives the same WKc bytes', () => {
    const u = unwrapClientKey(server, client.wkc);
    if (!u.ok) throw new Error('unwrap failed');
    expect(Buffer.from(wrapClientKey(server, u.clientKey, u.metadata)).equals(Buffer.from(client.wkc))).toBe(true);
  });

  it('splitWkc finds WKc at the end of a datagram and refuses lengths that do not fit', () => {
    const datagram = new Uint8Array(100 + client.wkc.length);
    datagram.set(client.wkc, 100);
    expect(splitWkc(datagram)).toEqual({ ok: true, packetEnd: 100, wkc: datagram.subarray(100) });
    expect(splitWkc(client.wkc)).toEqual({ ok: false, error: 'bad-length' });
    expect(splitWkc(new Uint8Array(10))).toEqual({ ok: false, error: 'bad-length' });
  });

  it('a fresh key round-trips, and malformed key files throw E_TLS_CRYPT_V2_KEY', () => {
    const kc = staticKeyFromBytes(new Uint8Array(randomBytes(256)));
    const u = unwrapClientKey(server, wrapClientKey(server, kc, new Uint8Array([0, 7, 7])));
    expect(u.ok && Buffer.from(u.clientKey.bytes).equals(Buffer.from(kc.bytes)) && [...u.metadata]).toEqual([0, 7, 7]);
    expect(() => parseTlsCryptV2ServerKey('nothing')).toThrow(TlsCryptV2KeyError);
    try {
      parseTlsCryptV2ServerKey('-----BEGIN OpenVPN tls-crypt-v2 server key-----\nAAAA\n-----END OpenVPN tls-crypt-v2 server key-----');
    } catch (e) {
      expect((e as TlsCryptV2KeyError).code).toBe('E_TLS_CRYPT_V2_KEY');
    }
  });
});
