/**
 * Control-packet codec: a packet as the real openvpn 2.6 client sends it (its first
 * P_CONTROL_HARD_RESET_CLIENT_V2, bytes laid out from ssl_pkt.c / reliable.c), round trips of random
 * packets (fast-check), and the law of the decoder: it either returns fields that lie inside the
 * datagram, or an error — never a throw — for every truncation and corruption.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controlPacketBytes, decodeControlPacket, encodeControlPacketInto, sameSessionId } from '../../../stack/openvpn/control-packet.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2, P_CONTROL_V1, P_DATA_V2 } from '../../../stack/openvpn/wire.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('control packets', () => {
  it("decodes a client's hard reset: opcode 7 key 0, session id, no acks, packet id 0, no payload", () => {
    // 0x38 = 7 << 3 | 0; session id; ack count 0; packet id 0.
    const wire = hex('38 0102030405060708 00 00000000');
    const d = decodeControlPacket(wire, 0, wire.length);
    expect(d).toEqual({ ok: true, value: { opcode: P_CONTROL_HARD_RESET_CLIENT_V2, keyId: 0, sessionId: hex('0102030405060708'), acks: [], ackedSessionId: null, packetId: 0, payloadStart: 14, payloadEnd: 14 } });
    // Corrupted twin: one byte short of the packet id.
    expect(decodeControlPacket(wire, 0, wire.length - 1)).toEqual({ ok: false, error: 'truncated' });
  });

  it('decodes a P_ACK_V1 with two acks and the echoed session id; a payload after it is refused', () => {
    const wire = hex('28 1111111111111111 02 00000000 00000001 2222222222222222');
    const d = decodeControlPacket(wire, 0, wire.length);
    expect(d.ok && d.value).toMatchObject({ opcode: P_ACK_V1, acks: [0, 1], ackedSessionId: hex('2222222222222222'), packetId: -1 });
    const longer = new Uint8Array([...wire, 0]);
    expect(decodeControlPacket(longer, 0, longer.length)).toEqual({ ok: false, error: 'payload-in-ack' });
  });

  it('refuses more than 8 acks (reliable.h RELIABLE_ACK_SIZE) and data opcodes', () => {
    const nine = new Uint8Array(1 + 8 + 1 + 9 * 4 + 8 + 4);
    nine[0] = P_CONTROL_V1 << 3;
    nine[9] = 9;
    expect(decodeControlPacket(nine, 0, nine.length)).toEqual({ ok: false, error: 'too-many-acks' });
    const data = new Uint8Array(20);
    data[0] = P_DATA_V2 << 3;
    expect(decodeControlPacket(data, 0, data.length)).toEqual({ ok: false, error: 'not-control' });
  });

  it('round trips random packets at an offset', () => {
    const arb = fc.record({
      opcode: fc.constantFrom(P_CONTROL_V1, P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2),
      keyId: fc.integer({ min: 0, max: 7 }),
      sessionId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      remoteSessionId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      acks: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 8 }),
      packetId: fc.integer({ min: 0, max: 0xffff_ffff }),
      payload: fc.uint8Array({ maxLength: 300 }),
      at: fc.integer({ min: 0, max: 16 }),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const payload = p.opcode === P_ACK_V1 ? new Uint8Array(0) : p.payload;
        const n = controlPacketBytes(p.opcode, p.acks.length, payload.length);
        const buf = new Uint8Array(p.at + n);
        expect(encodeControlPacketInto({ ...p, payload }, buf, p.at)).toBe(p.at + n);
        const d = decodeControlPacket(buf, p.at, p.at + n);
        if (!d.ok) return false;
        const v = d.value;
        return (
          v.opcode === p.opcode && v.keyId === p.keyId && sameSessionId(v.sessionId, p.sessionId) && v.acks.join() === p.acks.join() &&
          (p.acks.length === 0 ? v.ackedSessionId === null : sameSessionId(v.ackedSessionId!, p.remoteSessionId)) &&
          v.packetId === (p.opcode === P_ACK_V1 ? -1 : p.packetId) && Buffer.from(buf.subarray(v.payloadStart, v.payloadEnd)).equals(Buffer.from(payload))
        );
      }),
    );
  });

  it('never throws and never points outside the datagram, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 8 }), (bytes, pad) => {
        const buf = new Uint8Array(pad + bytes.length + pad);
        buf.set(bytes, pad);
        const d = decodeControlPacket(buf, pad, pad + bytes.length);
        return !d.ok || (d.value.payloadStart >= pad && d.value.payloadStart <= d.value.payloadEnd && d.value.payloadEnd === pad + bytes.length);
      }),
      { numRuns: 20_000 },
    );
  });
});
