/**
 * The same send/receive sequence under every strategy (and poisoning around each): what is written
 * through beginTx/prepend/append is read back intact through handUp and retain.
 */
import { describe, expect, it } from 'vitest';
import { newRxCursor, newTxFrame, STRATEGY_NAMES, type BufferStrategy } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';

const LAYOUT = { headroomBytes: 14 + 20 + 8, tailroomBytes: 16 };

function factories(): Array<[string, () => BufferStrategy]> {
  const out: Array<[string, () => BufferStrategy]> = [];
  for (const name of STRATEGY_NAMES) {
    out.push([name, () => makeStrategy(name, { arenaBytes: 64 * 1024 })]);
    out.push([`poisoning(${name})`, () => makeStrategy('poisoning', { inner: name, arenaBytes: 64 * 1024 })]);
  }
  return out;
}

function frameBytes(s: BufferStrategy, payload: number[]): number[] {
  const frame = newTxFrame();
  s.beginTx(frame, payload.length, LAYOUT);
  for (let i = 0; i < payload.length; i++) frame.buf[frame.start + i] = payload[i]!;
  s.prepend(frame, 8);
  for (let i = 0; i < 8; i++) frame.buf[frame.start + i] = 0x80 + i;
  s.prepend(frame, 20);
  for (let i = 0; i < 20; i++) frame.buf[frame.start + i] = 0x40 + i;
  s.append(frame, 16);
  for (let i = 0; i < 16; i++) frame.buf[frame.end - 16 + i] = 0xf0 + i;
  const bytes = [...frame.buf.subarray(frame.start, frame.end)];
  s.releaseTx(frame);
  return bytes;
}

describe.each(factories())('%s', (_label, make) => {
  it('builds a frame with headers in front and a trailer behind the payload', () => {
    const s = make();
    const payload = Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff);
    const bytes = frameBytes(s, payload);
    expect(bytes.length).toBe(20 + 8 + 100 + 16);
    expect(bytes.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => 0x40 + i));
    expect(bytes.slice(20, 28)).toEqual(Array.from({ length: 8 }, (_, i) => 0x80 + i));
    expect(bytes.slice(28, 128)).toEqual(payload);
    expect(bytes.slice(128)).toEqual(Array.from({ length: 16 }, (_, i) => 0xf0 + i));
  });

  it('receives: allocRx, copy in, handUp the payload, retain it, release the frame', () => {
    const s = make();
    const wire = Uint8Array.from({ length: 300 }, (_, i) => (i * 13 + 5) & 0xff);
    const rx = newRxCursor();
    s.allocRx(wire.length, rx);
    s.copy(wire, 0, wire.length, rx.buf, rx.start);
    const up = newRxCursor();
    s.handUp(rx.buf, rx.start + 42, rx.end - 10, up);
    expect([...up.buf.subarray(up.start, up.end)]).toEqual([...wire.subarray(42, 290)]);
    const kept = newRxCursor();
    s.retain(up.buf, up.start, up.end, kept);
    s.release(rx);
    expect([...kept.buf.subarray(kept.start, kept.end)]).toEqual([...wire.subarray(42, 290)]);
    s.release(kept);
    expect(s.counters.releases).toBe(2);
  });

  it('handUp with out === the source cursor narrows it in place', () => {
    const s = make();
    const rx = newRxCursor();
    s.allocRx(64, rx);
    for (let i = 0; i < 64; i++) rx.buf[rx.start + i] = i;
    const held = { buf: rx.buf, start: rx.start, end: rx.end };
    const cur = newRxCursor();
    s.handUp(rx.buf, rx.start + 4, rx.end, cur);
    s.handUp(cur.buf, cur.start + 4, cur.end - 4, cur);
    expect([...cur.buf.subarray(cur.start, cur.end)]).toEqual(Array.from({ length: 52 }, (_, i) => i + 8));
    s.release(held);
  });

  it('truncate shrinks and refuses to grow', () => {
    const s = make();
    const frame = newTxFrame();
    s.beginTx(frame, 100, LAYOUT);
    s.truncate(frame, 60);
    expect(frame.end - frame.start).toBe(60);
    expect(() => s.truncate(frame, 61)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    s.releaseTx(frame);
  });

  it('copyInForeign copies and counts the foreign allocation apart', () => {
    const s = make();
    s.resetCounters();
    const out = newRxCursor();
    s.alloc(32, out);
    const before = { ...s.counters };
    s.copyInForeign(Uint8Array.of(1, 2, 3, 4), out.buf, out.start + 2);
    expect([...out.buf.subarray(out.start + 2, out.start + 6)]).toEqual([1, 2, 3, 4]);
    expect(s.counters.foreignAllocations - before.foreignAllocations).toBe(1);
    expect(s.counters.foreignBytes - before.foreignBytes).toBe(4);
    expect(s.counters.copies - before.copies).toBe(1);
    expect(s.counters.copiedBytes - before.copiedBytes).toBe(4);
    s.countForeign(16);
    expect(s.counters.foreignBytes - before.foreignBytes).toBe(20);
    s.release(out);
  });

  it('rejects bad lengths and out-of-range copies with E_BAD_SIZE', () => {
    const s = make();
    const out = newRxCursor();
    expect(() => s.alloc(-1, out)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    expect(() => s.alloc(1.5, out)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    const a = new Uint8Array(10);
    const b = new Uint8Array(10);
    expect(() => s.copy(a, 0, 11, b, 0)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    expect(() => s.copy(a, 0, 5, b, 6)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    expect(() => s.handUp(a, 4, 3, out)).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
  });
});

describe('zeroed memory', () => {
  it('uint8array hands out zeroed memory, even after a release of dirtied memory', () => {
    const s = makeStrategy('uint8array');
    expect(s.zeroed).toBe(true);
    const c = newRxCursor();
    s.alloc(100, c);
    c.buf.fill(0x77, c.start, c.end);
    s.release(c);
    s.alloc(100, c);
    expect(c.buf.subarray(c.start, c.end).every((b) => b === 0)).toBe(true);
  });

  it.each(['pooled', 'one-big-struct'] as const)('%s is not zeroed: a reused buffer holds its old bytes', (name) => {
    const s = makeStrategy(name, { arenaBytes: 4096 });
    expect(s.zeroed).toBe(false);
    const c = newRxCursor();
    s.alloc(100, c);
    c.buf.fill(0x77, c.start, c.end);
    s.release(c);
    s.alloc(100, c);
    expect(c.buf.subarray(c.start, c.end).every((b) => b === 0x77)).toBe(true);
  });
});
