/**
 * The stateless three-way handshake's cookie (OpenVPN 2.6 ssl_pkt.c): our reset echoes the client's
 * id and carries the cookie; only a packet from the same address and port, for the same client
 * session, acking ids ≤ 1 with the cookie of this or the two previous half-hand-window slots
 * completes the handshake. (Interop: test/workloads/vpn/tls-hardening.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { decodeControlPacket, type ControlPacket } from '../../../stack/openvpn/control-packet.js';
import { EARLY_NEG_FLAG_RESEND_WKC, SessionCookies, TLV_TYPE_EARLY_NEG_FLAGS, encodeStatelessReset } from '../../../stack/openvpn/session-cookie.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_SERVER_V2, P_CONTROL_V1 } from '../../../stack/openvpn/wire.js';

const CLIENT = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const T0 = 1_700_000_000;

function third(cookie: Uint8Array, o: Partial<ControlPacket> = {}): ControlPacket {
  return { opcode: P_CONTROL_V1, keyId: 0, sessionId: CLIENT, acks: [0], ackedSessionId: cookie, packetId: 1, payloadStart: 0, payloadEnd: 0, ...o };
}

describe('SessionCookies', () => {
  const c = new SessionCookies(60, new Uint8Array(32).fill(9));
  const cookie = c.cookie('127.0.0.1', 40000, CLIENT, T0);

  it('accepts the client that got our reset, for the current and two previous 30 s slots, and not after', () => {
    expect(c.completesHandshake(third(cookie), '127.0.0.1', 40000, T0)).toBe(true);
    expect(c.completesHandshake(third(cookie, { opcode: P_ACK_V1, packetId: -1 }), '127.0.0.1', 40000, T0 + 59)).toBe(true);
    expect(c.completesHandshake(third(cookie), '127.0.0.1', 40000, T0 + 90)).toBe(false);
  });

  it('refuses another address, port, client session, id > 1, an ack > 1, no ack, and another server secret', () => {
    expect(c.completesHandshake(third(cookie), '127.0.0.2', 40000, T0)).toBe(false);
    expect(c.completesHandshake(third(cookie), '127.0.0.1', 40001, T0)).toBe(false);
    expect(c.completesHandshake(third(cookie, { sessionId: Uint8Array.from([8, 7, 6, 5, 4, 3, 2, 1]) }), '127.0.0.1', 40000, T0)).toBe(false);
    expect(c.completesHandshake(third(cookie, { packetId: 2 }), '127.0.0.1', 40000, T0)).toBe(false);
    expect(c.completesHandshake(third(cookie, { acks: [0, 2] }), '127.0.0.1', 40000, T0)).toBe(false);
    expect(c.completesHandshake(third(cookie, { acks: [], ackedSessionId: null }), '127.0.0.1', 40000, T0)).toBe(false);
    expect(new SessionCookies(60, new Uint8Array(32).fill(8)).completesHandshake(third(cookie), '127.0.0.1', 40000, T0)).toBe(false);
  });

  it('encodes our reset as tls_reset_standalone does: id 0, acking the client id 0, TLV flags only when asked', () => {
    const plain = decodeControlPacket(encodeStatelessReset(cookie, CLIENT, false), 0, 26);
    expect(plain).toEqual({ ok: true, value: { opcode: P_CONTROL_HARD_RESET_SERVER_V2, keyId: 0, sessionId: cookie, acks: [0], ackedSessionId: CLIENT, packetId: 0, payloadStart: 26, payloadEnd: 26 } });
    const wire = encodeStatelessReset(cookie, CLIENT, true);
    const d = decodeControlPacket(wire, 0, wire.length);
    expect(d.ok && [...wire.subarray(d.value.payloadStart)]).toEqual([0, TLV_TYPE_EARLY_NEG_FLAGS, 0, 2, 0, EARLY_NEG_FLAG_RESEND_WKC]);
  });
});
