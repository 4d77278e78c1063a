import { describe, expect, it } from 'vitest';
import { ForkSeriesRecorder, measuredPhaseOps, measuredTurns, seriesWindowMs, steadyFigure } from '../../../harness/child/fork-series.js';
import { classifyWarmup } from '../../../harness/stats/warmup-class.js';

/** A chunk of `n` back-to-back batches of `durationMs` each, the first starting at `fromMs`. */
function chunk(fromMs: number, n: number, durationMs: number): { samples: Float64Array; starts: Float64Array } {
  const samples = new Float64Array(n).fill(durationMs);
  const starts = Float64Array.from({ length: n }, (_, k) => fromMs + k * durationMs);
  return { samples, starts };
}

describe('seriesWindowMs', () => {
  it('aims at 60 windows within 10..50 ms', () => {
    expect(seriesWindowMs(1000, 2000)).toBe(50);
    expect(seriesWindowMs(600, 600)).toBe(20);
    expect(seriesWindowMs(200, 300)).toBe(10);
    expect(seriesWindowMs(10_000, 60_000)).toBe(50);
  });
});

describe('ForkSeriesRecorder', () => {
  it('bins batches by start time into fixed windows with median ns/op, ops and timed ms', () => {
    const r = new ForkSeriesRecorder(10, 100);
    // 100 ms of 1 ms batches of 2 ops, in chunks of 35 ms that do not line up with the windows.
    for (const from of [100, 135, 170]) {
      const c = chunk(from, Math.min(35, 200 - from), 1);
      r.addChunk(c.samples, c.starts, c.samples.length, 2);
    }
    r.closeWindow();
    expect(r.count).toBe(10);
    expect(Array.from(r.startMs.subarray(0, 10))).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(Array.from(r.ops.subarray(0, 10))).toEqual(Array(10).fill(20));
    expect(Array.from(r.timedMs.subarray(0, 10))).toEqual(Array(10).fill(10));
    for (const v of r.values()) expect(v / 500_000).toBeCloseTo(1, 2); // 1 ms / 2 ops, HDR's 3 digits
  });

  it('keeps the median, not the mean: one preempted batch does not move a window', () => {
    const r = new ForkSeriesRecorder(10, 0);
    const c = chunk(0, 10, 1);
    // Descheduled for 50 ms inside batch 3: as in the real loop, later batches start where it ended.
    c.samples[3] = 50;
    for (let k = 4; k < 10; k++) c.starts[k] = c.starts[k - 1]! + c.samples[k - 1]!;
    r.addChunk(c.samples, c.starts, 10, 1);
    r.closeWindow();
    // Window 0 holds batches 0..3 (1, 1, 1 and 50 ms): its median stays 1 ms; its timed ms is all of them.
    expect(r.values()[0]! / 1e6).toBeCloseTo(1, 2);
    expect(r.ops[0]).toBe(4);
    expect(r.timedMs[0]).toBe(53);
    // The six batches after it start at 53..58 ms: window 50..60 holds them all.
    expect([r.count, r.startMs[1], r.ops[1], r.timedMs[1]]).toEqual([2, 50, 6, 6]);
  });

  it('skips empty windows across a gap, starts a new window at a new batch size, and marks the measured phase', () => {
    const r = new ForkSeriesRecorder(10, 0);
    let c = chunk(0, 10, 1);
    r.addChunk(c.samples, c.starts, 10, 1);
    c = chunk(10, 5, 1);
    r.addChunk(c.samples, c.starts, 5, 4); // new batch size mid-window: a new window at 10 ms
    r.markMeasured();
    c = chunk(500, 20, 1); // after a 485 ms gap (baseline phases)
    r.addChunk(c.samples, c.starts, 20, 4);
    r.closeWindow();
    expect(Array.from(r.startMs.subarray(0, r.count))).toEqual([0, 10, 500, 510]);
    expect(Array.from(r.batchSize.subarray(0, r.count))).toEqual([1, 4, 4, 4]);
    expect(r.measuredFromIndex).toBe(2);
    expect(r.fastestRecentNsPerOp(2) / 250_000).toBeCloseTo(1, 2);
    expect(r.fastestRecentNsPerOp(4) / 250_000).toBeCloseTo(1, 2); // the 1-op window (1 ms/op) is slower
  });

  it('writes the record series with the classification', () => {
    const r = new ForkSeriesRecorder(10, 0);
    const c = chunk(0, 100, 1);
    r.addChunk(c.samples, c.starts, 100, 1);
    r.closeWindow();
    const s = r.toSeries(classifyWarmup(r.values()));
    expect(s).toMatchObject({ windowMs: 10, measuredFromIndex: 10, changepoints: [], ops: Array(10).fill(10) });
    expect(s.segmentMeansNs).toHaveLength(1);
    expect(s.method).toMatch(/PELT/);
  });
});

describe('steadyFigure and measuredPhaseOps', () => {
  const series = { ops: [1, 1, 10, 10, 20, 20], timedMs: [1, 1, 1, 1, 1, 1], measuredFromIndex: 2 };
  it('uses the final segment when it starts inside the measured phase', () => {
    expect(steadyFigure(series, 4)).toEqual({ ops: 40, timedMs: 2, fromIndex: 4, basis: 'steady-segment' });
  });
  it('uses the whole measured phase when the segment began earlier or there is none', () => {
    expect(steadyFigure(series, 1)).toEqual({ ops: 60, timedMs: 4, fromIndex: 2, basis: 'measured-phase' });
    expect(steadyFigure(series, 2)).toEqual({ ops: 60, timedMs: 4, fromIndex: 2, basis: 'measured-phase' });
    expect(steadyFigure(series, undefined)).toEqual({ ops: 60, timedMs: 4, fromIndex: 2, basis: 'measured-phase' });
    expect(steadyFigure({ ...series, measuredFromIndex: 6 }, 4)).toBeNull();
  });
  it('measuredPhaseOps sums the measured windows, or falls back to ops for old records', () => {
    const rec = { ops: 40, series: { ...series, windowMs: 1, startMs: [], nsPerOp: [], batchSize: [], changepoints: [], segmentMeansNs: [], method: '' } };
    expect(measuredPhaseOps(rec)).toBe(60);
    expect(measuredPhaseOps({ ops: 40 })).toBe(40);
  });
});

describe('measuredTurns', () => {
  // 10 ms windows; the measured phase (from index 1) waits 300 ms after its 3rd window and 140 ms
  // after its 5th; a 50 ms gap between starts (a window left empty by a long GC pause) is no wait at 100 ms turns.
  const series = {
    windowMs: 10,
    startMs: [0, 100, 110, 120, 420, 470, 610],
    ops: [5, 1, 2, 3, 4, 5, 6],
    timedMs: [1, 1, 1, 1, 2, 2, 3],
    measuredFromIndex: 1,
    nsPerOp: [],
    batchSize: [],
    changepoints: [],
    segmentMeansNs: [],
    method: '',
  };
  const slicing = { sliceMs: 100, groupSize: 12, turns: 2, pausedMs: 440, longestPauseMs: 300 };
  it('splits the measured phase at the waits for a turn', () => {
    expect(measuredTurns({ series, slicing })).toEqual([
      { ops: 6, timedMs: 3 },
      { ops: 9, timedMs: 4 },
      { ops: 6, timedMs: 3 },
    ]);
  });
  it('keeps a fork that was not sliced as one turn, and gives none without per-window ops', () => {
    expect(measuredTurns({ series })).toEqual([{ ops: 21, timedMs: 10 }]);
    expect(measuredTurns({ series: { ...series, ops: undefined } })).toEqual([]);
    expect(measuredTurns({})).toEqual([]);
  });
});
