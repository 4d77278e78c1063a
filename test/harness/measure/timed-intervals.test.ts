import { describe, expect, it } from 'vitest';
import { MAX_TIMED_INTERVALS, TimedIntervals } from '../../../harness/measure/timed-intervals.js';

describe('TimedIntervals.overlapMs', () => {
  const chunks = (): TimedIntervals => {
    const t = new TimedIntervals();
    t.add(0, 50); // chunk 1
    t.add(51, 101); // chunk 2 (1 ms of between-chunk work before it)
    t.add(102, 152);
    return t;
  };

  it('counts a pause inside a chunk fully and one between chunks not at all', () => {
    const t = chunks();
    expect(t.overlapMs([{ startMs: 10, durationMs: 2 }])).toBe(2);
    expect(t.overlapMs([{ startMs: 50.2, durationMs: 0.5 }])).toBe(0);
  });

  it('counts only the timed part of a pause that straddles a chunk boundary', () => {
    const t = chunks();
    // 49..53: 1 ms in chunk 1, 1 ms between chunks, 2 ms in chunk 2.
    expect(t.overlapMs([{ startMs: 49, durationMs: 4 }])).toBeCloseTo(3, 12);
    // A pause spanning chunk 2 entirely and parts of both neighbours.
    expect(t.overlapMs([{ startMs: 40, durationMs: 70 }])).toBeCloseTo(10 + 50 + 8, 12);
  });

  it('sums several ordered pauses and ignores pauses after the last chunk', () => {
    const t = chunks();
    const pauses = [
      { startMs: 1, durationMs: 1 },
      { startMs: 60, durationMs: 2 },
      { startMs: 150, durationMs: 5 },
      { startMs: 200, durationMs: 5 },
    ];
    expect(t.overlapMs(pauses)).toBeCloseTo(1 + 2 + 2, 12);
    expect(t.overlapMs([])).toBe(0);
  });

  it('keeps a fixed number of intervals and counts the rest as dropped', () => {
    const t = new TimedIntervals();
    for (let i = 0; i < MAX_TIMED_INTERVALS + 3; i++) t.add(i, i + 0.5);
    expect(t.count).toBe(MAX_TIMED_INTERVALS);
    expect(t.dropped).toBe(3);
    t.reset();
    expect(t.count).toBe(0);
    expect(t.dropped).toBe(0);
  });
});
