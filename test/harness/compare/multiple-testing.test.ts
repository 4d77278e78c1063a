import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { benjaminiHochbergAdjust, holmAdjust } from '../../../harness/compare/multiple-testing.js';

describe('holmAdjust', () => {
  it("matches R's p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), 'holm')", () => {
    const adj = holmAdjust([0.01, 0.02, 0.03, 0.04, 0.05]);
    [0.05, 0.08, 0.09, 0.09, 0.09].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });

  it('keeps the input order and caps at 1', () => {
    const adj = holmAdjust([0.5, 0.001, 0.3]);
    expect(adj[1]).toBeCloseTo(0.003, 12);
    expect(adj[2]).toBeCloseTo(0.6, 12);
    expect(adj[0]).toBeCloseTo(0.6, 12); // monotone: never below an earlier-ranked adjusted value
    expect(holmAdjust([0.9, 0.8])).toEqual([1, 1]);
  });

  it('leaves a single p-value unchanged', () => {
    expect(holmAdjust([0.02])).toEqual([0.02]);
  });

  it('never decreases a p-value and never exceeds Bonferroni (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), (ps) => {
        const adj = holmAdjust(ps);
        ps.forEach((p, i) => {
          expect(adj[i]!).toBeGreaterThanOrEqual(p);
          expect(adj[i]!).toBeLessThanOrEqual(Math.min(1, p * ps.length) + 1e-15);
        });
      }),
    );
  });
});

describe('benjaminiHochbergAdjust', () => {
  it("matches R's p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), 'BH') (all 0.05)", () => {
    for (const v of benjaminiHochbergAdjust([0.01, 0.02, 0.03, 0.04, 0.05])) expect(v).toBeCloseTo(0.05, 12);
  });

  it("matches R's p.adjust(c(0.001, 0.04, 0.2), 'BH')", () => {
    const adj = benjaminiHochbergAdjust([0.001, 0.04, 0.2]);
    [0.003, 0.06, 0.2].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });
});
