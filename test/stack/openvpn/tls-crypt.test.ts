/**
 * --tls-crypt wrapping (tls_crypt.h layout): what the server wraps the client role unwraps to the
 * same control packet, with the packet id and time in clear in the header; the ciphertext hides
 * the payload; a flipped bit anywhere (header, tag, ciphertext) is a bad tag; a short datagram is
 * too short. (Interop with the real openvpn client: test/workloads/vpn/tls-tunnel.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { TlsCrypt } from '../../../stack/openvpn/tls-crypt.js';
import { staticKeyFromBytes } from '../../../stack/openvpn/static-key.js';

const key = staticKeyFromBytes(Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff));
const packet = Uint8Array.from([0x20, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 5, ...Buffer.from('TLS bytes here')]);

describe('TlsCrypt', () => {
  it('server wrap → client unwrap round trip; header in clear, payload hidden', () => {
    const server = new TlsCrypt(key, 'server');
    const client = new TlsCrypt(key, 'client');
    const wire = server.wrap(packet, 7, 1_700_000_000);
    expect(Array.from(wire.subarray(0, 9))).toEqual(Array.from(packet.subarray(0, 9)));
    expect(Buffer.from(wire).includes(Buffer.from('TLS bytes'))).toBe(false);
    expect(wire.length).toBe(packet.length + 8 + 32);
    const u = client.unwrap(wire);
    expect(u).toEqual({ ok: true, packet, packetId: 7, time: 1_700_000_000 });
    // The server cannot unwrap its own packets: the directions use different keys.
    expect(server.unwrap(wire)).toEqual({ ok: false, error: 'bad-tag' });
  });

  it('every single bit flip is a bad tag; short datagrams are too short', () => {
    const wire = new TlsCrypt(key, 'client').wrap(packet, 1, 5);
    const server = new TlsCrypt(key, 'server');
    for (let i = 0; i < wire.length; i++) {
      const t = Uint8Array.from(wire);
      t[i]! ^= 0x10;
      expect(server.unwrap(t)).toEqual({ ok: false, error: 'bad-tag' });
    }
    expect(server.unwrap(wire.subarray(0, 48))).toEqual({ ok: false, error: 'too-short' });
  });
});
