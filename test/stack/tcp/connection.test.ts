import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import type { TcpConnection } from '../../../stack/tcp/connection.js';
import type { TcpCloseReason } from '../../../stack/tcp/types.js';
import { STRATEGY_CASES } from '../strategies.js';
import { decodeTcp, newTcpHeader } from '../../../stack/tcp/packet.js';
import { IP_A, IP_B, makeTcpPair, pattern, type TcpPair } from './helpers.js';

interface Peer {
  conn: TcpConnection | null;
  got: number[];
  ended: boolean;
  closed: TcpCloseReason | null;
}

function peerState(): Peer {
  return { conn: null, got: [], ended: false, closed: null };
}

/** A listener on B port 80 that collects what it gets (and echoes when `echo`). */
function serve(p: TcpPair, echo = false): Peer {
  const s = peerState();
  p.b.tcp.listen(80, (conn) => {
    s.conn = conn;
    return {
      onData: (buf, st, e) => {
        s.got.push(...buf.subarray(st, e));
        if (echo) conn.write(buf, st, e);
      },
      onEnd: () => {
        s.ended = true;
        conn.close();
      },
      onClose: (r) => (s.closed = r),
    };
  });
  return s;
}

function dial(p: TcpPair): Peer {
  const c = peerState();
  c.conn = p.a.tcp.connect(IP_B, 80, {
    onData: (buf, st, e) => void c.got.push(...buf.subarray(st, e)),
    onEnd: () => (c.ended = true),
    onClose: (r) => (c.closed = r),
  });
  return c;
}

/** Writes all of `data`, waiting for send-buffer space as needed. */
function writeAll(p: TcpPair, conn: TcpConnection, data: Uint8Array, until: () => boolean, stepMs = 0): void {
  let at = 0;
  for (let i = 0; i < 10_000 && !until(); i++) {
    if (at < data.length) at += conn.write(data, at, data.length);
    p.run(() => at >= data.length && until(), stepMs, 1);
  }
}

describe('TCP over IPv4/Ethernet in memory (RFC 9293)', () => {
  for (const s of STRATEGY_CASES) {
    it(`handshake, 100 kB each way, FIN, TIME-WAIT under ${s.name}`, () => {
      const p = makeTcpPair(s.make(), s.make());
      const srv = serve(p, true);
      const cli = dial(p);
      p.run(() => cli.conn!.state === 'ESTABLISHED' && srv.conn !== null);
      expect([cli.conn!.state, srv.conn!.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
      const data = pattern(100_000);
      writeAll(p, cli.conn!, data, () => cli.got.length === data.length);
      expect(srv.got.length).toBe(data.length);
      expect(Buffer.from(cli.got).equals(Buffer.from(data))).toBe(true);
      cli.conn!.close();
      p.run(() => srv.closed !== null);
      expect(srv.closed).toBe('closed');
      expect(cli.conn!.state).toBe('TIME-WAIT');
      p.clock.nowMs += 10;
      p.a.tcp.tick();
      expect(cli.closed).toBe('closed');
      expect([p.a.tcp.connectionCount, p.b.tcp.connectionCount]).toEqual([0, 0]);
      expect(p.a.tcp.counters.retransmitTimeouts + p.b.tcp.counters.retransmitTimeouts).toBe(0);
    });
  }

  it('negotiates MSS, window scale, timestamps and SACK-permitted; segments at the MSS', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    expect(cli.conn!.peerMssBytes).toBe(1460);
    expect(srv.conn!.sackPermittedByPeer).toBe(true);
    const before = p.a.tcp.counters.sent;
    cli.conn!.write(pattern(14_480), 0, 14_480);
    p.run(() => srv.got.length === 14_480);
    // 1460 - 12 bytes of timestamp option = 1448 per segment: exactly 10 segments
    expect(p.a.tcp.counters.sent - before).toBe(10);
    // the window field is scaled: B announces 65535 >> 2 and A reads it back as 65532
    expect(cli.conn!.peerWindowBytes).toBe(65532);
  });

  it('flow control: a paused receiver closes its window; probes; resume delivers everything', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('one-big-struct'), {}, { receiveBufferBytes: 8192, windowScale: 0 });
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    srv.conn!.pause();
    const data = pattern(30_000);
    cli.conn!.write(data, 0, data.length);
    p.run(() => false, 0, 3);
    expect(srv.got.length).toBe(0);
    expect(srv.conn!.receiveWindowBytes).toBe(0);
    expect(cli.conn!.peerWindowBytes).toBe(0);
    expect(cli.conn!.unacknowledgedBytes).toBe(30_000 - 8192);
    // the persist timer fires: a window probe, refused, answered with window 0
    p.run(() => p.a.tcp.counters.windowProbes > 0, 1000, 5);
    expect(p.a.tcp.counters.windowProbes).toBeGreaterThan(0);
    expect(srv.got.length).toBe(0);
    for (let i = 0; i < 20 && srv.got.length < data.length; i++) {
      srv.conn!.resume();
      p.run(() => false, 0, 2);
      srv.conn!.pause();
    }
    srv.conn!.resume();
    p.run(() => srv.got.length === data.length);
    expect(Buffer.from(srv.got).equals(Buffer.from(data))).toBe(true);
  });

  it('retransmission: a link that loses 15% of frames each way (seeded) still delivers 60 kB intact, both ways', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('uint8array'), { minRtoMs: 50, initialRtoMs: 100 });
    let x = 12345;
    const lose = (): boolean => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x / 2 ** 32 < 0.15;
    };
    p.lossA.drop = lose;
    p.lossB.drop = lose;
    const srv = serve(p, true);
    const cli = dial(p);
    const data = pattern(60_000, 3);
    p.run(() => cli.conn!.state === 'ESTABLISHED', 100);
    writeAll(p, cli.conn!, data, () => cli.got.length === data.length, 100);
    expect(srv.got.length).toBe(data.length);
    expect(cli.got.length).toBe(data.length);
    expect(Buffer.from(cli.got).equals(Buffer.from(data))).toBe(true);
    const c = p.a.tcp.counters;
    expect(p.lossA.dropped + p.lossB.dropped).toBeGreaterThan(10);
    expect(c.segmentsRetransmitted + p.b.tcp.counters.segmentsRetransmitted).toBeGreaterThan(0);
    expect(c.retransmitTimeouts + c.fastRetransmits + p.b.tcp.counters.retransmitTimeouts + p.b.tcp.counters.fastRetransmits).toBeGreaterThan(0);
  });

  it('congestion control (RFC 5681): initial window of 10 segments, slow start, 1 segment after a timeout', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 200, minRtoMs: 200 });
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    const seg = 1448;
    expect(cli.conn!.congestionWindowBytes).toBe(10 * seg);
    const before = p.lossA.transmits;
    cli.conn!.write(pattern(60_000), 0, 60_000);
    expect(p.lossA.transmits - before).toBe(10); // the peer's window would allow 45
    p.run(() => srv.got.length === 60_000);
    // slow start: +1 segment per ACKed segment, no loss so ssthresh untouched
    expect(cli.conn!.congestionWindowBytes).toBe(10 * seg + Math.ceil(60_000 / seg) * seg - (seg - (60_000 % seg)));
    expect(cli.conn!.slowStartThresholdBytes).toBe(0x7fffffff);
    // now lose everything A sends: after the RTO, one segment (cwnd = 1 SMSS), ssthresh = flight / 2
    p.lossA.drop = () => true;
    cli.conn!.write(pattern(20_000), 0, 20_000);
    const flight = p.lossA.transmits;
    p.clock.nowMs += 200;
    p.a.tcp.tick();
    expect(p.lossA.transmits - flight).toBe(1);
    expect(cli.conn!.congestionWindowBytes).toBe(seg);
    expect(cli.conn!.slowStartThresholdBytes).toBe(Math.floor(20_000 / 2));
    p.lossA.drop = () => false;
    p.run(() => srv.got.length === 80_000, 400, 50);
    expect(srv.got.length).toBe(80_000);
  });

  it('NewReno (RFC 6582): two segments lost from one window are both resent on ACKs, without a timeout', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 200, minRtoMs: 200 });
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    const seg = 1448;
    // Exactly the initial window (10 segments); data segments 5 and 7 are lost once. After the fast
    // retransmit of 5 (duplicate ACKs from 6, 8, 9) the ACK stops at 7: a partial ACK, and nothing
    // else is in flight to make three more duplicates — only NewReno resends 7 without the RTO.
    let dataFrames = 0;
    p.lossA.drop = (_i, frame) => {
      if (frame.end - frame.start < 1000) return false;
      const k = dataFrames++;
      return k === 5 || k === 7;
    };
    const data = pattern(10 * seg, 4);
    cli.conn!.write(data, 0, data.length);
    p.run(() => srv.got.length === data.length, 0, 50); // the clock never moves: no timer can fire
    expect(Buffer.from(srv.got).equals(Buffer.from(data))).toBe(true);
    const c = p.a.tcp.counters;
    expect({ timeouts: c.retransmitTimeouts, fast: c.fastRetransmits, resent: c.segmentsRetransmitted, lost: p.lossA.dropped }).toEqual({ timeouts: 0, fast: 1, resent: 2, lost: 2 });
    // leaving recovery on the full ACK: cwnd = ssthresh = half the flight when the loss was seen
    // (segments 5–9: 0–4 were acknowledged by then)
    expect(cli.conn!.slowStartThresholdBytes).toBe(Math.floor((5 * seg) / 2));
    expect(cli.conn!.congestionWindowBytes).toBe(cli.conn!.slowStartThresholdBytes);
  });

  it('SACK (RFC 2018, RFC 6675): ACKs report the queued blocks, and every hole of a window is resent before the first resend is acknowledged', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('one-big-struct'), { initialRtoMs: 200, minRtoMs: 200 });
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    const warm = pattern(80_000, 5);
    writeAll(p, cli.conn!, warm, () => srv.got.length === warm.length);
    const seg = 1448;
    const tcpAt = 14 + 20; // Ethernet, IPv4 (no options)
    const seqOf = (f: { buf: Uint8Array; start: number }): number => new DataView(f.buf.buffer, f.buf.byteOffset + f.start + tcpAt + 4, 4).getUint32(0);
    // 30 segments; data segments 3, 9, 15 and 21 of them are lost once.
    const lostSeqs = new Set<number>();
    const seen = new Set<number>();
    const unackedAtResend: number[] = [];
    let dataFrames = 0;
    p.lossA.drop = (_i, frame) => {
      if (frame.end - frame.start < 1000) return false;
      const seq = seqOf(frame);
      if (seen.has(seq)) {
        unackedAtResend.push(cli.conn!.unacknowledgedBytes);
        return false;
      }
      seen.add(seq);
      const k = dataFrames++;
      if (k === 3 || k === 9 || k === 15 || k === 21) {
        lostSeqs.add(seq);
        return true;
      }
      return false;
    };
    const h = newTcpHeader();
    let firstSack: number[] | null = null;
    p.lossB.drop = (_i, frame) => {
      const ipAt = frame.start + 14;
      if (decodeTcp(frame.buf, ipAt + 20, frame.end, IP_B, IP_A, h) === 'ok' && h.sackBlocks > 0 && firstSack === null) firstSack = h.sackEdges.slice(0, 2 * h.sackBlocks);
      return false;
    };
    const data = pattern(30 * seg, 6);
    const before = { ...p.a.tcp.counters };
    expect(cli.conn!.write(data, 0, data.length)).toBe(data.length);
    p.run(() => srv.got.length === warm.length + data.length, 0, 50); // the clock never moves
    expect(Buffer.from(srv.got.slice(warm.length)).equals(Buffer.from(data))).toBe(true);
    const c = p.a.tcp.counters;
    expect({ timeouts: c.retransmitTimeouts - before.retransmitTimeouts, fast: c.fastRetransmits - before.fastRetransmits, resent: c.segmentsRetransmitted - before.segmentsRetransmitted }).toEqual({ timeouts: 0, fast: 1, resent: 4 });
    // the receiver's first SACK: one block, starting right after the first lost segment
    const hole1 = Math.min(...lostSeqs);
    expect(firstSack).toEqual([(hole1 + seg) >>> 0, (hole1 + 2 * seg) >>> 0]);
    // all four holes went out while SND.UNA still stood at the first (NewReno: one per round trip)
    expect(unackedAtResend.length).toBe(4);
    expect(new Set(unackedAtResend).size).toBe(1);
  });

  it('regression: after a timeout, pure ACKs carry the highest sequence sent (else both ends refuse each other: deadlock)', () => {
    // 5%, 15% and 30% loss each way, 5 seeds each: every echo completes and is intact.
    for (const rate of [0.05, 0.15, 0.3]) {
      for (let seed = 1; seed <= 5; seed++) {
        const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { minRtoMs: 50, initialRtoMs: 100, maxRetransmits: 12 });
        let x = seed * 7919;
        const lose = (): boolean => {
          x = (x * 1103515245 + 12345) >>> 0;
          return x / 2 ** 32 < rate;
        };
        p.lossA.drop = lose;
        p.lossB.drop = lose;
        const srv = serve(p, true);
        const cli = dial(p);
        p.run(() => cli.conn!.state === 'ESTABLISHED', 100);
        const data = pattern(30_000, seed);
        writeAll(p, cli.conn!, data, () => cli.got.length === data.length || cli.closed !== null, 100);
        expect({ rate, seed, got: cli.got.length, closed: cli.closed }).toEqual({ rate, seed, got: data.length, closed: null });
        expect(Buffer.from(cli.got).equals(Buffer.from(data))).toBe(true);
        expect(srv.got.length).toBe(data.length);
      }
    }
  });

  it('reordered segments are queued and delivered in order, without a retransmission', () => {
    const p = makeTcpPair(makeStrategy('one-big-struct'), makeStrategy('poisoning'));
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    let held: { buf: Uint8Array; start: number; end: number; handle: number } | null = null;
    let swapped = false;
    p.lossA.drop = (_i, frame) => {
      if (swapped || frame.end - frame.start < 1000) return false; // ACKs pass
      if (held === null) {
        held = { buf: frame.buf.slice(frame.start, frame.end), start: 0, end: frame.end - frame.start, handle: -1 };
        return true; // held back ...
      }
      if (held !== null) {
        p.link.a.transmit(frame); // ... and sent after the next one
        p.link.a.transmit(held);
        swapped = true;
        return true;
      }
      return false;
    };
    const data = pattern(4000, 9);
    cli.conn!.write(data, 0, data.length);
    p.run(() => srv.got.length === data.length, 0, 5);
    const firstDiff = srv.got.findIndex((b, i) => b !== data[i]);
    expect({ n: srv.got.length, firstDiff }).toEqual({ n: data.length, firstDiff: -1 });
    expect(p.b.tcp.counters.queuedOutOfOrder).toBe(1);
    expect(p.a.tcp.counters.segmentsRetransmitted).toBe(0);
  });

  it('a lost SYN is retransmitted after the RTO, with backoff', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 1000 });
    p.lossA.drop = (i) => i < 2;
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => false, 0, 1);
    expect(cli.conn!.state).toBe('SYN-SENT');
    p.clock.nowMs = 999;
    p.a.tcp.tick();
    expect(p.lossA.transmits).toBe(1);
    p.clock.nowMs = 1000;
    p.a.tcp.tick();
    expect(p.lossA.transmits).toBe(2); // first retransmission, also lost; RTO now 2000
    p.clock.nowMs = 2999;
    p.a.tcp.tick();
    expect(p.lossA.transmits).toBe(2);
    p.clock.nowMs = 3000;
    p.a.tcp.tick();
    p.run(() => srv.conn !== null);
    expect(cli.conn!.state).toBe('ESTABLISHED');
  });

  it('gives up after maxRetransmits on a dead link: RST, onClose(timeout)', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 100, maxRetransmits: 3 });
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    p.lossA.drop = () => true;
    cli.conn!.write(pattern(100), 0, 100);
    p.run(() => cli.closed !== null, 10_000, 10);
    expect(cli.closed).toBe('timeout');
    expect(p.a.tcp.counters.connectionsTimedOut).toBe(1);
  });

  it('RST: connecting to a closed port, and abort()', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    const refused = dial(p); // nobody listens on 80 yet
    p.run(() => refused.closed !== null);
    expect(refused.closed).toBe('reset');
    expect(p.b.tcp.counters.droppedNoConnection).toBe(1);
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    cli.conn!.abort();
    p.run(() => srv.closed !== null);
    expect([cli.closed, srv.closed]).toEqual(['aborted', 'reset']);
  });

  it('bad segments are dropped and counted, never thrown', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    // corrupt the next data segment's last byte on the wire: B drops it (bad checksum), A resends
    let corrupt = true;
    p.lossA.drop = (_i, frame) => {
      if (corrupt && frame.end - frame.start > 100) {
        corrupt = false;
        frame.buf[frame.end - 1]! ^= 0xff;
      }
      return false;
    };
    cli.conn!.write(pattern(500), 0, 500);
    p.run(() => srv.got.length === 500, 1000, 10);
    expect(p.b.tcp.counters.droppedBadChecksum).toBe(1);
    expect(Buffer.from(srv.got).equals(Buffer.from(pattern(500)))).toBe(true);
  });

  it('simultaneous close: both FIN-WAIT-1 -> CLOSING -> TIME-WAIT', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    srv.conn!.handlers = { onData: () => undefined, onClose: (r) => (srv.closed = r) };
    cli.conn!.close();
    srv.conn!.close();
    p.run(() => false, 0, 3);
    expect([cli.conn!.state, srv.conn!.state]).toEqual(['TIME-WAIT', 'TIME-WAIT']);
    p.clock.nowMs += 10;
    p.a.tcp.tick();
    p.b.tcp.tick();
    expect([cli.closed, srv.closed]).toEqual(['closed', 'closed']);
  });

  // Sender-side silly window avoidance (RFC 9293 §3.8.6.2.1): the tunnel server's HTTP body, a
  // writer that keeps the 64 KiB send buffer full, went out in segments of 1367 bytes on average
  // where the MSS allowed 1388 — every cut (the buffer's 65536 = 45 × 1448 + 376, a window opened by
  // less than an MSS) was repeated by each refill of the freed bytes.
  for (const mode of ['slow start', 'congestion avoidance'] as const) {
    it(`a writer that keeps the send buffer full gets full-size segments (${mode}): only the last one is short`, () => {
      const p = makeTcpPair(makeStrategy('one-big-struct'), makeStrategy('one-big-struct'));
      const sizes: number[] = [];
      p.lossA.drop = (_i, f) => {
        // Ethernet 14, then IPv4 (IHL) and TCP (data offset): the segment's payload bytes.
        const ip = f.start + 14;
        const ihl = (f.buf[ip]! & 0x0f) * 4;
        const total = (f.buf[ip + 2]! << 8) | f.buf[ip + 3]!;
        const payload = total - ihl - (f.buf[ip + ihl + 12]! >> 4) * 4;
        if (payload > 0) sizes.push(payload);
        return false;
      };
      const srv = serve(p);
      const cli = dial(p);
      p.run(() => srv.conn !== null);
      // Congestion avoidance from the start: cwnd then grows by SMSS²/cwnd bytes per ACK, so the
      // window keeps opening by amounts that are not multiples of the segment size.
      if (mode === 'congestion avoidance') cli.conn!.slowStartThresholdBytes = 4 * 1448;
      // The writer refills the buffer as ACKs free it (onWritable), as the tunnel's HTTP server does.
      const data = pattern(400_000);
      let at = 0;
      const pump = (): void => {
        if (at < data.length) at += cli.conn!.write(data, at, data.length);
      };
      cli.conn!.handlers = { ...cli.conn!.handlers!, onWritable: pump };
      pump();
      p.run(() => srv.got.length === data.length, 0, 2000);
      expect(Buffer.from(srv.got).equals(Buffer.from(data))).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length); // no retransmissions
      expect(sizes.slice(0, -1).filter((n) => n !== 1448)).toEqual([]);
      expect(sizes.length).toBe(Math.ceil(data.length / 1448));
      expect(p.a.tcp.counters.shortSegmentsDeferred).toBeGreaterThan(0);
    });
  }

  it('a short answer with nothing in flight is sent at once (not Nagle), and so is the tail of a write', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    const srv = serve(p);
    const cli = dial(p);
    p.run(() => srv.conn !== null);
    const before = p.lossA.transmits;
    cli.conn!.write(pattern(100), 0, 100);
    expect(p.lossA.transmits - before).toBe(1);
    // 3 segments and a short tail, all inside the initial window: the writer is not blocked, so
    // the tail goes out at once too (condition 2, "all queued data can be sent").
    cli.conn!.write(pattern(3 * 1448 + 10), 0, 3 * 1448 + 10);
    expect(p.lossA.transmits - before).toBe(5);
    p.run(() => srv.got.length === 100 + 3 * 1448 + 10);
    expect(srv.got.length).toBe(100 + 3 * 1448 + 10);
  });

  it('write after close is a typed misuse error', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'));
    serve(p);
    const cli = dial(p);
    p.run(() => cli.conn!.state === 'ESTABLISHED');
    cli.conn!.close();
    expect(() => cli.conn!.write(pattern(1), 0, 1)).toThrow(expect.objectContaining({ code: 'E_TCP_STATE' }));
  });
});
