import { describe, expect, it } from 'vitest';
import { newRxCursor, newTxFrame, STRATEGY_NAMES } from '../../allocators/buffer-strategy.js';
import { POISON_FRESH, POISON_RELEASED } from '../../allocators/poisoning.js';
import { makeStrategy } from '../../allocators/registry.js';

/** A "codec" with the bug poisoning exists to catch: it keeps a view of a buffer it released. */
function leakyReceiver(name: (typeof STRATEGY_NAMES)[number]): { before: number[]; after: number[] } {
  const s = makeStrategy('poisoning', { inner: name, arenaBytes: 4096 });
  const rx = newRxCursor();
  s.allocRx(8, rx);
  rx.buf.set([1, 2, 3, 4, 5, 6, 7, 8], rx.start);
  const kept = rx.buf.subarray(rx.start, rx.end); // bug: should have called retain
  const before = [...kept];
  s.release(rx);
  return { before, after: [...kept] };
}

describe('poisoning', () => {
  it.each(STRATEGY_NAMES)('makes a use-after-release visible over %s', (name) => {
    const { before, after } = leakyReceiver(name);
    expect(before).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(after).toEqual(new Array(8).fill(POISON_RELEASED));
  });

  it('without poisoning, the same bug goes unnoticed under pooled (the reason poisoning exists)', () => {
    const s = makeStrategy('pooled');
    const rx = newRxCursor();
    s.allocRx(8, rx);
    rx.buf.set([1, 2, 3, 4, 5, 6, 7, 8], rx.start);
    const kept = rx.buf.subarray(rx.start, rx.end);
    s.release(rx);
    expect([...kept]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('scribbles over a released tx frame', () => {
    const s = makeStrategy('poisoning', { inner: 'one-big-struct', arenaBytes: 4096 });
    const f = newTxFrame();
    s.beginTx(f, 4, { headroomBytes: 4, tailroomBytes: 0 });
    f.buf.set([9, 9, 9, 9], f.start);
    s.prepend(f, 4);
    f.buf.set([8, 8, 8, 8], f.start);
    const kept = f.buf.subarray(f.start, f.end);
    s.releaseTx(f);
    expect([...kept]).toEqual(new Array(8).fill(POISON_RELEASED));
  });

  it.each(STRATEGY_NAMES)('fills fresh memory with garbage over %s, so a codec relying on zeroes fails', (name) => {
    const s = makeStrategy('poisoning', { inner: name, arenaBytes: 4096 });
    expect(s.zeroed).toBe(false);
    const c = newRxCursor();
    s.alloc(16, c);
    expect([...c.buf.subarray(c.start, c.end)]).toEqual(new Array(16).fill(POISON_FRESH));
    const f = newTxFrame();
    s.beginTx(f, 4, { headroomBytes: 8, tailroomBytes: 2 });
    s.prepend(f, 8);
    s.append(f, 2);
    expect([...f.buf.subarray(f.start, f.end)]).toEqual(new Array(14).fill(POISON_FRESH));
    // A "reserved, must be zero" byte the codec forgot to write:
    const reservedIsZero = f.buf[f.start + 3] === 0;
    expect(reservedIsZero).toBe(false);
  });

  it('keeps the inner strategy\'s counters and receive mode', () => {
    const s = makeStrategy('poisoning', { inner: 'uint8array' });
    expect(s.receiveMode).toBe('copy');
    const f = newTxFrame();
    s.beginTx(f, 10, { headroomBytes: 0, tailroomBytes: 0 });
    s.prepend(f, 4);
    expect(s.counters.allocations).toBe(2);
    expect(s.counters.copies).toBe(1);
    s.resetCounters();
    expect(s.counters.allocations).toBe(0);
  });
});
