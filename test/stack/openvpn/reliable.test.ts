/**
 * The control channel's reliability layer (reliable.c semantics) with a fake clock: two channels
 * over a lossy, reordering, duplicating wire deliver every message exactly once and in order; the
 * window bounds what is in flight; lost packets come back on the doubling timer; acks that name
 * nothing in flight and ids beyond the window are counted, not acted on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeControlPacket } from '../../../stack/openvpn/control-packet.js';
import { ReliableChannel } from '../../../stack/openvpn/reliable.js';
import { P_ACK_V1, P_CONTROL_V1 } from '../../../stack/openvpn/wire.js';

const SID_A = Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1);
const SID_B = Uint8Array.of(2, 2, 2, 2, 2, 2, 2, 2);

function pair(o: { sendWindow?: number } = {}) {
  const wire: { to: 'a' | 'b'; bytes: Uint8Array }[] = [];
  const got = { a: [] as string[], b: [] as string[] };
  const a = new ReliableChannel({ sessionId: SID_A, remoteSessionId: SID_B, keyId: 0, output: (p) => wire.push({ to: 'b', bytes: p }), deliver: (_op, p) => got.a.push(Buffer.from(p).toString()), ...o });
  const b = new ReliableChannel({ sessionId: SID_B, remoteSessionId: SID_A, keyId: 0, output: (p) => wire.push({ to: 'a', bytes: p }), deliver: (_op, p) => got.b.push(Buffer.from(p).toString()), ...o });
  const deliverTo = (w: { to: 'a' | 'b'; bytes: Uint8Array }): void => {
    const d = decodeControlPacket(w.bytes, 0, w.bytes.length);
    if (!d.ok) throw new Error(d.error);
    (w.to === 'a' ? a : b).receive(d.value, w.bytes);
  };
  return { a, b, wire, got, deliverTo };
}

const msg = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('ReliableChannel', () => {
  it('delivers in order, acks piggyback or go alone, nothing stays unacknowledged', () => {
    const { a, b, wire, got, deliverTo } = pair();
    for (let i = 0; i < 3; i++) a.send(P_CONTROL_V1, msg(`m${i}`));
    a.flush(0);
    expect(wire.length).toBe(3);
    while (wire.length > 0) deliverTo(wire.shift()!);
    expect(got.b).toEqual(['m0', 'm1', 'm2']);
    b.flush(0); // b has nothing to say: one P_ACK_V1 with three acks
    expect(wire.length).toBe(1);
    expect(decodeControlPacket(wire[0]!.bytes, 0, wire[0]!.bytes.length)).toMatchObject({ ok: true, value: { opcode: P_ACK_V1, acks: [0, 1, 2] } });
    deliverTo(wire.shift()!);
    expect(a.unacknowledged).toBe(0);
    // An answer from b carries no acks now, but a's next message will ack b's.
    b.send(P_CONTROL_V1, msg('r0'));
    b.flush(0);
    deliverTo(wire.shift()!);
    a.send(P_CONTROL_V1, msg('m3'));
    a.flush(0);
    expect(decodeControlPacket(wire[0]!.bytes, 0, wire[0]!.bytes.length)).toMatchObject({ ok: true, value: { opcode: P_CONTROL_V1, acks: [0], packetId: 3 } });
  });

  it('keeps at most sendWindow messages in flight', () => {
    const { a, wire } = pair({ sendWindow: 2 });
    for (let i = 0; i < 5; i++) a.send(P_CONTROL_V1, msg(`m${i}`));
    a.flush(0);
    expect(wire.length).toBe(2);
    expect(a.unacknowledged).toBe(5);
  });

  it('retransmits after 1 s, then 2 s (doubling), until acked', () => {
    const { a, wire, got, deliverTo, b } = pair();
    a.send(P_CONTROL_V1, msg('lost'));
    a.flush(0);
    wire.length = 0; // lost
    a.tick(999);
    expect(wire.length).toBe(0);
    a.tick(1000);
    expect(wire.length).toBe(1);
    wire.length = 0; // lost again
    a.tick(2999);
    expect(wire.length).toBe(0);
    a.tick(3000);
    expect(a.counters.retransmissions).toBe(2);
    deliverTo(wire.shift()!);
    b.flush(3000);
    deliverTo(wire.shift()!);
    expect(got.b).toEqual(['lost']);
    expect(a.unacknowledged).toBe(0);
  });

  it('counts ids beyond the receive window (dropped, unacked) and acks for nothing in flight', () => {
    const { a, b, wire, deliverTo } = pair();
    const big = new ReliableChannel({ sessionId: SID_A, remoteSessionId: SID_B, keyId: 0, sendWindow: 10, output: (p) => wire.push({ to: 'b', bytes: p }), deliver: () => undefined });
    for (let i = 0; i < 10; i++) big.send(P_CONTROL_V1, msg(`m${i}`));
    big.flush(0);
    const packets = wire.splice(0);
    // id 0 lost: ids 1..7 buffered (0..7 is the window of 8), 8 and 9 beyond it
    for (const p of packets.slice(1)) deliverTo(p);
    expect(b.counters.outOfWindow).toBe(2);
    b.flush(0);
    const ack = wire.shift()!;
    const d = decodeControlPacket(ack.bytes, 0, ack.bytes.length);
    expect(d.ok && d.value.acks).toEqual([1, 2, 3, 4, 5, 6, 7]);
    a.receive(d.ok ? d.value : (undefined as never), ack.bytes); // a sent nothing yet: all unknown
    expect(a.counters.acksUnknown).toBe(7);
  });

  // The wire is hostile for the first STORM_STEPS rounds (100 s of fake time), then delivers what is
  // sent: no protocol can deliver through a wire that loses everything, and fast-check does find dice
  // that lose nearly every packet (seed -169949984: all but one of 50 below 20), so "eventually" has
  // to mean "once the storm is over". The retransmission timer is capped at 8 s, so 100 s of calm
  // rounds is far more than the recovery needs.
  it('property: after a storm of loss, duplication and reordering, every message arrives once, in order', () => {
    const STORM_STEPS = 200;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 50, maxLength: 400 }), fc.integer({ min: 1, max: 12 }), (dice, count) => {
        const { a, b, wire, got, deliverTo } = pair();
        const sent = Array.from({ length: count }, (_, i) => `message-${i}`);
        for (const s of sent) a.send(P_CONTROL_V1, msg(s));
        let now = 0;
        let d = 0;
        for (let step = 0; step < 2 * STORM_STEPS && (got.b.length < count || a.unacknowledged > 0); step++) {
          a.tick(now);
          b.tick(now);
          const batch = wire.splice(0);
          for (const w of batch) {
            const r = step < STORM_STEPS ? dice[d++ % dice.length]! : 50;
            if (r < 20) continue; // lost
            if (r < 30) wire.push(w); // delayed to the next round (reordered)
            else {
              deliverTo(w);
              if (r > 90) deliverTo(w); // duplicated
            }
          }
          now += 500;
        }
        return got.b.join() === sent.join() && a.unacknowledged === 0;
      }),
      // The dice that broke the earlier form of this property (a wire that loses nearly everything forever).
      { numRuns: 200, examples: [[[...Array.from({ length: 7 }, () => 0), 20, ...Array.from({ length: 42 }, () => 0)], 1]] },
    );
  });
});
