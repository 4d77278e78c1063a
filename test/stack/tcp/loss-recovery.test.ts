/**
 * Loss recovery of stack/tcp (NewReno, RFC 6582; SACK, RFC 2018 / RFC 6675): edge cases found in
 * review, and a seeded fuzz of loss and reordering that checks the scoreboard's invariants after
 * every step. The clock stands still where a test says so: then no retransmission timer can fire,
 * and only the ACK-driven recovery can deliver the data.
 */
import { describe, expect, it } from 'vitest';
import type { TxFrame } from '../../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../../allocators/registry.js';
import { TcpConnection } from '../../../stack/tcp/connection.js';
import type { TcpCloseReason } from '../../../stack/tcp/types.js';
import { seqDiff, seqLt } from '../../../stack/tcp/wire.js';
import { IP_B, makeTcpPair, pattern, type TcpPair } from './helpers.js';

/** The private state these tests read (and, for the wraparound case, set). */
interface Internals {
  state: string;
  sndUna: number;
  highestSent: number;
  ringSeq: number;
  sendLen: number;
  recoverSeq: number;
  inRecovery: boolean;
  dupAcks: number;
  sacked: number[];
  sackedBytes: number;
  recoveryPipe(): number;
}
const internals = (c: TcpConnection): Internals => c as unknown as Internals;

const seqOfFrame = (f: TxFrame): number => new DataView(f.buf.buffer, f.buf.byteOffset + f.start + 14 + 20 + 4, 4).getUint32(0);

/** A connection from A to B's port 80 whose received bytes are counted. */
function connect(p: TcpPair): { cli: TcpConnection; got: () => number } {
  let got = 0;
  p.b.tcp.listen(80, () => ({ onData: (_b, s, e) => void (got += e - s) }));
  const cli = p.a.tcp.connect(IP_B, 80, { onData: () => {} });
  p.run(() => cli.state === 'ESTABLISHED');
  return { cli, got: () => got };
}

function writeAllFrozen(p: TcpPair, cli: TcpConnection, data: Uint8Array, got: () => number): void {
  let at = 0;
  for (let i = 0; i < 400 && got() < data.length; i++) {
    if (at < data.length) at += cli.write(data, at, data.length);
    p.run(() => false, 0, 1); // the clock never moves
  }
}

describe('TCP loss recovery: edge cases', () => {
  it('SACK: entering recovery with the tail of the window lost too, the first hole goes out at once (cwnd was just halved below the pipe)', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 200, minRtoMs: 200 });
    const { cli, got } = connect(p);
    let k = 0;
    // initial window = 10 segments: 0 is lost, 1–3 arrive (three duplicate ACKs), 4–9 are lost
    p.lossA.drop = (_i, f) => {
      if (f.end - f.start < 1000) return false;
      const i = k++;
      return i === 0 || (i >= 4 && i <= 9);
    };
    const data = pattern(10 * 1448, 3);
    cli.write(data, 0, data.length);
    p.run(() => got() === data.length, 0, 50);
    const c = p.a.tcp.counters;
    expect({ got: got(), fast: c.fastRetransmits, resent: c.segmentsRetransmitted, timeouts: c.retransmitTimeouts }).toEqual({ got: data.length, fast: 1, resent: 7, timeouts: 0 });
  });

  for (const sack of [true, false]) {
    it(`fast retransmit still starts 2 GiB after the last recovery (recover compared modulo 2^32), SACK ${sack ? 'on' : 'off'}`, () => {
      const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 200, minRtoMs: 200, sackPermitted: sack });
      const { cli, got } = connect(p);
      // the state after 2 GiB sent without a loss: recover 2^31 − 50 kB behind SND.UNA
      internals(cli).recoverSeq = (internals(cli).sndUna - 2 ** 31 + 50_000) >>> 0;
      let k = 0;
      p.lossA.drop = (_i, f) => f.end - f.start > 1000 && k++ === 50;
      const data = pattern(100_000, 3);
      writeAllFrozen(p, cli, data, got);
      expect({ got: got(), fast: p.a.tcp.counters.fastRetransmits }).toEqual({ got: data.length, fast: 1 });
    });
  }

  it('SACK: duplicate ACKs at exactly recover start a new recovery when data beyond it was SACKed (the first segment after recover lost)', () => {
    const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { initialRtoMs: 200, minRtoMs: 200 });
    const { cli, got } = connect(p);
    const ci = internals(cli);
    let k = 0;
    let target = -1;
    const seen = new Set<number>();
    p.lossA.drop = (_i, f) => {
      if (f.end - f.start < 1000) return false;
      const seq = seqOfFrame(f);
      const first = !seen.has(seq);
      seen.add(seq);
      if (first && k++ === 3) return true; // one loss: fast recovery, recover = highest sent
      if (ci.inRecovery && target < 0) target = ci.recoverSeq;
      return first && seq === target; // the first new segment at `recover`
    };
    const data = pattern(200_000, 3);
    writeAllFrozen(p, cli, data, got);
    expect({ target: target >= 0, got: got(), fast: p.a.tcp.counters.fastRetransmits, timeouts: p.a.tcp.counters.retransmitTimeouts }).toEqual({ target: true, got: data.length, fast: 2, timeouts: 0 });
  });
});

describe('TCP loss recovery: seeded fuzz of loss and reordering', () => {
  for (const sack of [true, false]) {
    for (const rate of [0.02, 0.08, 0.2]) {
      it(`${rate * 100}% lost and ${rate * 100}% reordered each way, SACK ${sack ? 'on' : 'off'}, sequence numbers wrapping: intact, no timeout close, scoreboard consistent`, () => {
        const fails: unknown[] = [];
        for (let seed = 1; seed <= 20; seed++) {
          const violations: string[] = [];
          const check = (conn: TcpConnection | null, tag: string): void => {
            if (conn === null || conn.state === 'CLOSED') return;
            const c = internals(conn);
            const s = c.sacked;
            let sum = 0;
            for (let k = 0; k < s.length; k += 2) {
              if (!seqLt(s[k]!, s[k + 1]!)) violations.push(`${tag}: empty block`);
              if (k > 0 && !seqLt(s[k - 1]!, s[k]!)) violations.push(`${tag}: blocks unsorted or adjacent`);
              if (seqLt(s[k]!, c.sndUna) || seqLt(c.highestSent, s[k + 1]!)) violations.push(`${tag}: block outside [SND.UNA, highest sent]`);
              sum += seqDiff(s[k + 1]!, s[k]!);
            }
            if (sum !== c.sackedBytes) violations.push(`${tag}: sackedBytes ${c.sackedBytes}, blocks ${sum}`);
            if (c.inRecovery && c.sackedBytes > 0 && c.recoveryPipe() < 0) violations.push(`${tag}: negative pipe`);
          };
          const p = makeTcpPair(makeStrategy('pooled'), makeStrategy('pooled'), { minRtoMs: 50, initialRtoMs: 100, maxRetransmits: 14, maxRtoMs: 1000, isn: () => (0xfffc0000 + seed * 4099) >>> 0, sackPermitted: sack, sendBufferBytes: 256 * 1024 });
          let x = seed * 7919 + Math.floor(rate * 1000);
          const rnd = (): number => ((x = (x * 1103515245 + 12345) >>> 0), x / 2 ** 32);
          const heldA: TxFrame[] = [];
          const heldB: TxFrame[] = [];
          const lossy =
            (held: TxFrame[], link: { transmit(f: TxFrame): boolean }) =>
            (_i: number, f: TxFrame): boolean => {
              const r = rnd();
              if (r < rate) return true; // lost
              if (r < rate * 2) {
                held.push({ buf: f.buf.slice(f.start, f.end), start: 0, end: f.end - f.start, handle: -1 });
                return true; // held back, sent later: reordered
              }
              if (held.length > 0 && rnd() < 0.5) {
                link.transmit(f);
                while (held.length > 0) link.transmit(held.shift()!);
                return true;
              }
              return false;
            };
          p.lossA.drop = lossy(heldA, p.link.a);
          p.lossB.drop = lossy(heldB, p.link.b);
          let srv: TcpConnection | null = null;
          const got: number[] = [];
          let srvClosed: TcpCloseReason | null = null;
          let ended = false;
          p.b.tcp.listen(80, (conn) => {
            srv = conn;
            return {
              onData: (b, s, e) => void got.push(...b.subarray(s, e)),
              onEnd: () => {
                ended = true;
                conn.close();
              },
              onClose: (r) => (srvClosed = r),
            };
          });
          let cliClosed: TcpCloseReason | null = null;
          const cli = p.a.tcp.connect(IP_B, 80, { onData: () => {}, onClose: (r) => (cliClosed = r) });
          const data = pattern(400_000, seed);
          let at = 0;
          for (let i = 0; i < 20_000 && !(ended && cliClosed !== null) && srvClosed !== 'timeout' && cliClosed !== 'timeout'; i++) {
            if (cli.state === 'ESTABLISHED' && at < data.length) {
              at += cli.write(data, at, data.length);
              if (at >= data.length) cli.close();
            }
            p.run(() => false, 5, 1);
            check(cli, 'client');
            check(srv, 'server');
            if ((heldA.length > 0 || heldB.length > 0) && rnd() < 0.3) {
              while (heldA.length > 0) p.link.a.transmit(heldA.shift()!);
              while (heldB.length > 0) p.link.b.transmit(heldB.shift()!);
            }
          }
          const intact = got.length === data.length && Buffer.from(got).equals(Buffer.from(data));
          if (!intact || cliClosed === 'timeout' || !ended || violations.length > 0) fails.push({ seed, got: got.length, cliClosed, srvClosed, ended, violations: violations.slice(0, 3) });
        }
        expect(fails).toEqual([]);
      }, 60_000);
    }
  }
});
