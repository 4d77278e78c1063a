/**
 * Key method 2 messages as ssl.c writes them: a client message (random material, options, empty
 * user and password, peer info) decodes field by field, every truncation is 'incomplete' (never a
 * throw or a wrong value), a wrong method or non-zero prefix is an error; the server message has
 * the server layout (no pre-master).
 */
import { describe, expect, it } from 'vitest';
import { decodeClientKeyMethod2, encodeServerKeyMethod2, peerInfoValue } from '../../../stack/openvpn/key-method.js';

function str(s: string): number[] {
  if (s === '') return [0, 0];
  const b = [...Buffer.from(s + '\0', 'latin1')];
  return [b.length >> 8, b.length & 0xff, ...b];
}

const seq = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => (i * k + 1) & 0xff);
const PEER_INFO = 'IV_VER=2.6.14\nIV_PLAT=linux\nIV_PROTO=990\nIV_CIPHERS=AES-128-GCM:CHACHA20-POLY1305\n';
const CLIENT = Uint8Array.from([0, 0, 0, 0, 2, ...seq(48, 3), ...seq(32, 5), ...seq(32, 7), ...str('V4,dev-type tun,tls-client'), ...str(''), ...str(''), ...str(PEER_INFO)]);

describe('key method 2', () => {
  it('decodes a client message', () => {
    const d = decodeClientKeyMethod2(CLIENT, 0, CLIENT.length);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.bytes).toBe(CLIENT.length);
    expect(Array.from(d.value.keySource.preMaster)).toEqual(seq(48, 3));
    expect(Array.from(d.value.keySource.random2)).toEqual(seq(32, 7));
    expect(d.value.options).toBe('V4,dev-type tun,tls-client');
    expect([d.value.username, d.value.password]).toEqual(['', '']);
    expect(peerInfoValue(d.value.peerInfo, 'IV_CIPHERS')).toBe('AES-128-GCM:CHACHA20-POLY1305');
    expect(peerInfoValue(d.value.peerInfo, 'IV_NCP')).toBeUndefined();
  });

  it('every truncation is incomplete; a wrong method or prefix is an error', () => {
    for (let n = 0; n < CLIENT.length; n++) expect(decodeClientKeyMethod2(CLIENT, 0, n)).toEqual({ ok: false, error: 'incomplete' });
    const method1 = Uint8Array.from(CLIENT);
    method1[4] = 1;
    expect(decodeClientKeyMethod2(method1, 0, method1.length)).toMatchObject({ ok: false, error: expect.stringMatching(/key method 1/) });
    const prefix = Uint8Array.from(CLIENT);
    prefix[0] = 1;
    expect(decodeClientKeyMethod2(prefix, 0, prefix.length)).toMatchObject({ ok: false, error: expect.stringMatching(/zero u32/) });
  });

  it('writes the server message: no pre-master, options, three empty strings', () => {
    const out = encodeServerKeyMethod2({ preMaster: new Uint8Array(0), random1: Uint8Array.from(seq(32, 9)), random2: Uint8Array.from(seq(32, 11)) }, 'V4,tls-server');
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 2, ...seq(32, 9), ...seq(32, 11), ...str('V4,tls-server'), 0, 0, 0, 0, 0, 0]);
  });
});
