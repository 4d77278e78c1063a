import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateNoise, formatNoise, MIN_THRESHOLD } from '../../../harness/calibrate/noise-estimate.js';
import { compareResults, defaultCompareOptions } from '../../../harness/compare/compare-results.js';
import { compareMain } from '../../../harness/compare/compare-command.js';
import { findNoiseEntry, readNoiseFile, saveNoiseEntry, type NoiseEntry } from '../../../harness/compare/noise.js';
import { makeResult } from '../compare/make-result.js';

/** An A/A "report" whose ops/s ratios of medians are exactly `ratios` (one cell each). */
function aaReports(ratios: number[]) {
  return ratios.map((r) => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: [1000, 1000, 1000, 1000, 1000].map((o) => ({ opsPerSec: o })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: [1000, 1000, 1000, 1000, 1000].map((o) => ({ opsPerSec: o * r })) }]);
    // calibrate compares the two sides of one paired run (no run-level shift): as if from one machine.
    return compareResults(base, head, defaultCompareOptions({ resamples: 100, runShift: 'assume-none' }));
  });
}

describe('estimateNoise', () => {
  it('derives the threshold from the RMS of A/A log ratios: exp(1.96 s) - 1', () => {
    const est = estimateNoise(aaReports([1.01, 1 / 1.01, 1.01, 1 / 1.01]));
    const ops = est.perMetric.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.comparisons).toBe(4);
    expect(ops.rmsLogRatio).toBeCloseTo(Math.log(1.01), 12);
    expect(ops.threshold).toBeCloseTo(Math.expm1(1.96 * Math.log(1.01)), 12);
    expect(ops.smallestDetectable).toBeCloseTo(Math.expm1(2.8 * Math.log(1.01)), 12);
    // Fully separated 5 vs 5 forks, 1% apart: significant and beyond the default 2%? No: 1% < 2%.
    expect(ops.falsePositivesAsRun).toBe(0);
    expect(formatNoise(est, { forks: 5, durationMs: 500, repeats: 4 })).toMatch(/ops\/s\s+4\s+1\.00%\s+1\.97%\s+2\.83%\s+0 -> 0/);
  });

  it('never sets a threshold below the floor, and counts false positives as run', () => {
    const est = estimateNoise(aaReports([1, 1, 1.05]));
    const ops = est.perMetric.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.falsePositivesAsRun).toBe(1); // 5 vs 5 fully separated, 5% > 2%
    expect(estimateNoise(aaReports([1, 1])).perMetric[0]!.threshold).toBe(MIN_THRESHOLD);
  });

  it('leaves out heap B/op rows below the metric resolution (ratios of numbers next to zero)', () => {
    const aa = (baseHeap: number, headHeap: number) => {
      const forks = (heap: number) => [1000, 1000, 1000, 1000, 1000].map((o) => ({ opsPerSec: o, heapBytesPerOp: heap }));
      return compareResults(makeResult([{ id: 'a/p/glibc/1', forks: forks(baseHeap) }]), makeResult([{ id: 'a/p/glibc/1', forks: forks(headHeap) }]), defaultCompareOptions({ resamples: 100 }));
    };
    // 0.01 vs 0.03 B/op (ratio 3) is not noise of the metric: only the 100 vs 101 row counts.
    const heap = estimateNoise([aa(0.01, 0.03), aa(100, 101)]).perMetric.find((m) => m.metric === 'heapBytesPerOp')!;
    expect(heap.comparisons).toBe(1);
    expect(heap.rmsLogRatio).toBeCloseTo(Math.log(1.01), 12);
    expect(estimateNoise([aa(0.01, 0.03)]).perMetric.find((m) => m.metric === 'heapBytesPerOp')).toBeUndefined();
  });
});

describe('noise file', () => {
  const entry = (cpuModel: string, t: number): NoiseEntry => ({
    environment: { cpuModel, node: 'v20.20.2' },
    forks: 5,
    durationMs: 500,
    comparisons: 10,
    falsePositiveRateDefault: 0.1,
    falsePositiveRate: 0,
    thresholds: { opsPerSec: t, bytesPerSec: t, latencyP50Ns: t },
    smallestDetectable: { opsPerSec: t * 1.4 },
    measuredAt: '2026-11-21T00:00:00.000Z',
  });

  it('keeps one entry per environment and finds it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'buflab-noise-')), 'noise', 'vpn.json');
    saveNoiseEntry(path, 'vpn', entry('CPU A', 0.03));
    saveNoiseEntry(path, 'vpn', entry('CPU B', 0.04));
    saveNoiseEntry(path, 'vpn', entry('CPU A', 0.05));
    const file = readNoiseFile(path);
    expect(file.entries).toHaveLength(2);
    expect(findNoiseEntry(file, { cpuModel: 'CPU A', node: 'v20.20.2' })!.thresholds.opsPerSec).toBe(0.05);
    expect(findNoiseEntry(file, { cpuModel: 'CPU C', node: 'v20.20.2' })).toBeUndefined();
    expect(() => saveNoiseEntry(path, 'dns', entry('CPU A', 0.01))).toThrow(/holds noise of suite vpn/);
  });

  it('is used by compare when present (and compare says so); a 3% change is noise under a 5% calibrated threshold', () => {
    const cache = mkdtempSync(join(tmpdir(), 'buflab-cache-'));
    const base = makeResult([{ id: 'a/p/glibc/1', forks: [1000, 1001, 999, 1000.5, 999.5, 1000.2].map((o) => ({ opsPerSec: o })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: [970, 971, 969, 970.5, 969.5, 970.2].map((o) => ({ opsPerSec: o })) }]);
    const b = join(cache, 'b.json');
    const h = join(cache, 'h.json');
    writeFileSync(b, JSON.stringify(base));
    writeFileSync(h, JSON.stringify(head));
    expect(compareMain([b, h, '--assume-no-run-shift'], cache).exitCode).toBe(1); // default 2% threshold
    saveNoiseEntry(join(cache, 'noise', 'vpn.json'), 'vpn', entry('Test CPU @ 2.0GHz', 0.05));
    const out = compareMain([b, h, '--assume-no-run-shift'], cache);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toMatch(/warning: using calibrated noise thresholds from .*noise\/vpn\.json/);
    expect(out.stdout).toMatch(/ops\/s 5%/);
    // --threshold overrides the calibration.
    expect(compareMain([b, h, '--threshold', '2', '--assume-no-run-shift'], cache).exitCode).toBe(1);
    // A noise file for another machine is ignored, and compare says so.
    expect(compareMain([b, h, '--noise', join(cache, 'noise', 'vpn.json'), '--assume-no-run-shift'], cache).exitCode).toBe(0);
    writeFileSync(join(cache, 'bad.json'), '{"kind":"other"}');
    expect(compareMain([b, h, '--noise', join(cache, 'bad.json')], cache).stderr).toMatch(/\[E_NOISE_FILE\]/);
  });
});
