/** OpenVPN's replay window (`packet_id.c` backtrack mode) with a fake clock. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplayConfigError, ReplayWindow } from '../../../stack/openvpn/replay-window.js';

function windowWithClock(n = 64, t = 15): { w: ReplayWindow; clock: { now: number } } {
  const clock = { now: 1000 };
  return { w: new ReplayWindow(n, t, () => clock.now), clock };
}

describe('ReplayWindow', () => {
  it('accepts increasing ids, rejects id 0 and exact replays', () => {
    const { w } = windowWithClock();
    expect(w.check(0, 0)).toBe(false);
    for (let i = 1; i <= 100; i++) expect(w.check(i, 0)).toBe(true);
    expect(w.check(100, 0)).toBe(false);
    expect(w.check(50, 0)).toBe(false);
  });

  it('accepts reordering inside the window once, rejects beyond it', () => {
    const { w } = windowWithClock(64);
    expect(w.check(100, 0)).toBe(true);
    expect(w.check(99, 0)).toBe(true);
    expect(w.check(99, 0)).toBe(false);
    // 100 − 63 = 37 is the oldest slot; 36 is outside a 64-entry window.
    expect(w.check(37, 0)).toBe(true);
    expect(w.check(36, 0)).toBe(false);
    expect(w.check(200, 0)).toBe(true);
    expect(w.check(137, 0)).toBe(true);
    expect(w.check(136, 0)).toBe(false);
  });

  it('a jump far ahead resets the window (OpenVPN keeps the n ids below the new one)', () => {
    const { w } = windowWithClock(8);
    expect(w.check(1, 0)).toBe(true);
    expect(w.check(1000, 0)).toBe(true);
    expect(w.check(993, 0)).toBe(true);
    expect(w.check(992, 0)).toBe(false);
  });

  it('long form: a later time starts a new sequence; an earlier time is rejected', () => {
    const { w } = windowWithClock();
    expect(w.check(5, 100)).toBe(true);
    expect(w.check(1, 101)).toBe(true);
    expect(w.check(6, 100)).toBe(false);
    expect(w.check(2, 101)).toBe(true);
  });

  it('time backtrack: a packet more than t seconds later than a newer one is rejected', () => {
    const { w, clock } = windowWithClock(64, 15);
    expect(w.check(10, 0)).toBe(true);
    expect(w.check(12, 0)).toBe(true);
    // 11 is still unseen; within 15 s it would be accepted.
    expect(w.test(11, 0)).toBe(true);
    clock.now += 16;
    // The next check reaps (last reap was at 1000, interval 5 s): 12 and everything older expire.
    expect(w.check(11, 0)).toBe(false);
    expect(w.check(13, 0)).toBe(true);
  });

  it('rejects bad configuration with a code', () => {
    expect(() => new ReplayWindow(0, 15)).toThrow(ReplayConfigError);
    expect(() => new ReplayWindow(64, 601)).toThrow(/0\.\.600/);
  });
});

describe('ReplayWindow ring indexing (no modulo) over many wraps', () => {
  it('with a fixed clock, accepts exactly: id > 0, not seen before, and newer than the highest id minus the window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 300 }), (n, steps) => {
        const w = new ReplayWindow(n, 15, () => 100);
        const seen = new Set<number>();
        let max = 0;
        let id = 1;
        for (const step of steps) {
          // Mostly forward by small steps (so the ring wraps many times), sometimes back into or past the window.
          id = step < 40 ? id + (step % 4) : Math.max(0, id - (step - 40));
          const want = id > 0 && !seen.has(id) && (id > max || max - id < n);
          expect(w.check(id, 0)).toBe(want);
          if (want) {
            seen.add(id);
            if (id > max) max = id;
          }
        }
      }),
    );
  });
});
