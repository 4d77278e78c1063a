import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_RULE, SteadyStateDetector, calibrateTimer, chooseBatchSize, LOOP_CLOCK_CHOICE, newClockSlot, nowMs, performanceClockOffset, readClockMs } from '../../../harness/measure/timer.js';

describe('chooseBatchSize', () => {
  const timer = { overheadNs: 40, resolutionNs: 30 };

  it('times an operation alone when it lasts at least 100 clock costs and 1 µs', () => {
    // target = max(1000, 100 × max(40, 30)) = 4000 ns
    expect(chooseBatchSize(4000, timer)).toBe(1);
    expect(chooseBatchSize(50_000, timer)).toBe(1);
  });

  it('batches shorter operations so that a batch lasts the target', () => {
    expect(chooseBatchSize(3999, timer)).toBe(2);
    expect(chooseBatchSize(100, timer)).toBe(40);
    expect(chooseBatchSize(3, timer)).toBe(1334);
    expect(chooseBatchSize(0.5, timer)).toBe(8000);
  });

  it('uses 1 µs when 100 clock costs are less', () => {
    const fastClock = { overheadNs: 5, resolutionNs: 1 };
    expect(chooseBatchSize(999, fastClock)).toBe(2); // target 1000 ns
    expect(chooseBatchSize(1000, fastClock)).toBe(1);
  });

  it('uses the clock cost when 100 clock costs exceed 1 µs', () => {
    const slowClock = { overheadNs: 100, resolutionNs: 1 };
    expect(chooseBatchSize(7500, slowClock)).toBe(2); // target 10 µs
    expect(chooseBatchSize(10_000, slowClock)).toBe(1);
    const coarseClock = { overheadNs: 20, resolutionNs: 1000 };
    expect(chooseBatchSize(1000, coarseClock)).toBe(100); // target 100 µs
  });

  it('caps the batch for degenerate estimates', () => {
    expect(chooseBatchSize(0, timer)).toBe(DEFAULT_BATCH_RULE.maxBatch);
    expect(chooseBatchSize(1e-9, timer)).toBe(DEFAULT_BATCH_RULE.maxBatch);
    expect(chooseBatchSize(NaN, timer)).toBe(DEFAULT_BATCH_RULE.maxBatch);
  });
});

describe('SteadyStateDetector', () => {
  it('is steady after three successive windows within 2% of the previous one', () => {
    const d = new SteadyStateDetector(0.02, 3);
    expect(d.push(100)).toBe(false);
    expect(d.push(150)).toBe(false); // +50%
    expect(d.push(151)).toBe(false); // 1 in a row
    expect(d.push(152)).toBe(false); // 2
    expect(d.push(200)).toBe(false); // reset
    expect(d.push(201)).toBe(false);
    expect(d.push(199)).toBe(false);
    expect(d.push(200)).toBe(true);
    expect(d.rule).toMatch(/3 successive windows.*< 2%/);
  });
});

describe('the clock', () => {
  it('is monotonic and measures sub-µs intervals', () => {
    const c = calibrateTimer(2000);
    expect(c.overheadNs).toBeGreaterThan(0);
    expect(c.overheadNs).toBeLessThan(100_000);
    expect(c.resolutionNs).toBeGreaterThan(0);
    let previous = nowMs();
    for (let i = 0; i < 10_000; i++) {
      const t = nowMs();
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
  });

  it('agrees with performance.now() over a 20 ms sleep', async () => {
    // Bracketed reads instead of a fixed tolerance: on a loaded machine the process can be
    // descheduled between two reads for longer than any tolerance, which made a `< 1 ms` check flaky.
    // Both clocks read CLOCK_MONOTONIC, so the loop clock's interval must lie between the inner and
    // the outer performance.now() interval (1 µs for the two clocks' different rounding).
    const p0 = performance.now();
    const a0 = nowMs();
    const p0b = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    const p1 = performance.now();
    const a1 = nowMs();
    const p1b = performance.now();
    const elapsed = a1 - a0;
    expect(elapsed).toBeGreaterThanOrEqual(p1 - p0b - 0.001);
    expect(elapsed).toBeLessThanOrEqual(p1b - p0 + 0.001);
    expect(elapsed).toBeGreaterThanOrEqual(19);
  });
});

describe('LOOP_CLOCK_CHOICE (issue 14: the loop clock per runtime)', () => {
  // performance.now() wherever its inlined read is free (Node 24 and later: a fast API call), else
  // process.hrtime() (Node 20 and 22 box performance.now(): 16 B per read; Node 26's V8 14.6 keeps
  // hrtime's array: 32 B). The end-to-end check is test/harness/child/zero-alloc-loop.test.ts.
  it('reads performance.now exactly when the probe found it free', () => {
    const { source, performanceNowBytesPerRead: pn } = LOOP_CLOCK_CHOICE;
    expect(source).toBe(pn !== null && pn <= 4 ? 'performance.now' : 'hrtime');
    // Node 20 and 22 box it in C++ on every code path, so it is not even probed there.
    if (Number(process.versions.node.split('.')[0]) < 24) expect(pn).toBeNull();
  });

  it('reads the performance timeline itself when its source is performance.now', () => {
    if (LOOP_CLOCK_CHOICE.source !== 'performance.now') return;
    const a = performance.now();
    const t = nowMs();
    const b = performance.now();
    expect(t).toBeGreaterThanOrEqual(a);
    expect(t).toBeLessThanOrEqual(b);
  });
});

describe('readClockMs', () => {
  it('stores the nowMs() reading into its slot, bracketed by two nowMs() reads', () => {
    const slot = newClockSlot();
    for (let i = 0; i < 1000; i++) {
      const a = nowMs();
      readClockMs(slot);
      const b = nowMs();
      expect(slot[0]).toBeGreaterThanOrEqual(a);
      expect(slot[0]).toBeLessThanOrEqual(b);
    }
  });

  it('uses a slot with a buffer of its own (off the V8 heap), one double long', () => {
    const slot = newClockSlot();
    expect(slot.length).toBe(1);
    expect(slot.buffer.byteLength).toBe(8);
    expect(slot.byteOffset).toBe(0);
  });
});

describe('performanceClockOffset', () => {
  it('puts loop-clock readings on the performance timeline to within its stated uncertainty', () => {
    const o = performanceClockOffset();
    expect(o.uncertaintyMs).toBeGreaterThanOrEqual(0);
    // A performance.now() read between two loop-clock reads lies between them once shifted by the
    // offset, give or take the offset's uncertainty (the clocks share one source: no drift).
    for (let i = 0; i < 100; i++) {
      const a = nowMs();
      const p = performance.now();
      const b = nowMs();
      expect(p).toBeGreaterThanOrEqual(a + o.offsetMs - o.uncertaintyMs - 1e-6);
      expect(p).toBeLessThanOrEqual(b + o.offsetMs + o.uncertaintyMs + 1e-6);
    }
  });
});
