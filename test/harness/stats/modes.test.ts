import { describe, expect, it } from 'vitest';
import type { ForkRecord } from '../../../contract/result-schema.js';
import { cellConsistency, criticalEvidence, detectModes } from '../../../harness/stats/modes.js';
import { fakeRecord } from '../run/fake-child.js';

/** Deterministic ±2% jitter around `ops`, different per fork. */
const jitter = (i: number): number => 1 + 0.02 * Math.sin(1.7 * i + 0.3);

function fork(i: number, ops: number, over: Partial<ForkRecord> = {}): ForkRecord {
  return fakeRecord('c', i, ops * jitter(i), over);
}

describe('detectModes', () => {
  it('one group of forks (±2% spread) has no modes', () => {
    const forks = Array.from({ length: 10 }, (_, i) => fork(i, 50_000));
    expect(detectModes(forks, 1)).toBeNull();
  });

  it('two groups (about 730 ns vs 1.4 µs per op, as the null-cipher cell showed) are found, fastest first, with the factor that separates them', () => {
    const forks = Array.from({ length: 10 }, (_, i) => {
      const fast = [0, 2, 3, 6, 9].includes(i);
      return fork(i, fast ? 1.37e6 : 0.71e6, { jit: { opOptimized: fast, deopts: fast ? 0 : 1 }, batchSize: 64 });
    });
    const m = detectModes(forks, 7)!;
    expect(m.forks).toEqual([[0, 2, 3, 6, 9], [1, 4, 5, 7, 8]]);
    expect(m.opsPerSec[0]! / m.opsPerSec[1]!).toBeCloseTo(1.37 / 0.71, 1);
    // batchSize is equal in both modes: it cannot separate them
    expect(m.separatedBy).toEqual(['jit.opOptimized', 'jit.deopts']);
    // 5 + 5 forks: 2 of the C(10, 5) = 252 assignments separate a two-valued factor: p = 0.008
    expect(m.explanation).toBe('2 modes (5 + 5 forks), the fastest 1.88× the slowest; separated by jit.opOptimized (permutation p 0.008), jit.deopts (permutation p 0.008).');
  });

  it('a continuous factor that separates two modes of two forks each is not named: that happens by chance one time in three', () => {
    const forks = [fork(0, 1e6, { gc: { ...fakeRecord('c', 0, 1).gc, count: 10 } }), fork(1, 1e6, { gc: { ...fakeRecord('c', 0, 1).gc, count: 11 } }),
      fork(2, 2e6, { gc: { ...fakeRecord('c', 0, 1).gc, count: 12 } }), fork(3, 2e6, { gc: { ...fakeRecord('c', 0, 1).gc, count: 13 } })];
    const m = detectModes(forks, 1)!;
    expect(m.forks).toEqual([[2, 3], [0, 1]]);
    expect(m.separatedBy).toEqual([]);
    expect(m.explanation).toContain('no recorded factor separates them; gc.count also separates them, but with this few forks that happens by chance (p 0.3');
  });

  it('a gap below 3% is not a mode, however tight the groups', () => {
    const forks = [0, 1, 2, 3, 4, 5].map((i) => fakeRecord('c', i, i < 3 ? 1000 : 1020));
    expect(detectModes(forks, 1)).toBeNull();
  });

  it('the critical value comes from the simulated null: large for few forks, small for many', () => {
    expect(criticalEvidence(10)).toBeGreaterThan(5);
    expect(criticalEvidence(10)).toBeLessThan(8);
    expect(criticalEvidence(20)).toBeGreaterThan(2.3);
    expect(criticalEvidence(20)).toBeLessThan(3.5);
    expect(criticalEvidence(4)).toBeGreaterThan(criticalEvidence(10));
  });
});

describe('cellConsistency', () => {
  it('counts warm-up classes; consistent only when every fork is steady and there is one mode', () => {
    const steady = Array.from({ length: 6 }, (_, i) => fork(i, 1000, { warmup: { ops: 1, elapsedMs: 1, steady: true, rule: 'r', class: i < 4 ? 'flat' : 'warmup' } }));
    expect(cellConsistency(steady, 1000, [990, 1010], 1)).toEqual({ classes: { flat: 4, warmup: 2 }, consistent: true, halfWidth: 0.01 });
    const oneSlowdown = steady.map((f, i) => (i === 5 ? { ...f, warmup: { ...f.warmup, class: 'slowdown' as const } } : f));
    expect(cellConsistency(oneSlowdown, 1000, [990, 1010], 1)).toMatchObject({ classes: { flat: 4, warmup: 1, slowdown: 1 }, consistent: false });
    // records from a child that does not classify: no classes, not consistent
    expect(cellConsistency([fork(0, 1000), fork(1, 1000), fork(2, 1000)], 1000, [990, 1010], 1)).toMatchObject({ classes: {}, consistent: false });
  });
});
