import { describe, expect, it } from 'vitest';
import { forksForTarget, minimumDetectableEffect, standardErrorLog, tostPaired, tostUnpaired } from '../../../harness/compare/equivalence.js';
import { compareResults, defaultCompareOptions, pairedCellsReachable, pairedForksNeeded, summaryVerdict } from '../../../harness/compare/compare-results.js';
import { around, makeResult } from './make-result.js';

describe('TOST (rank-based equivalence, Schuirmann 1987)', () => {
  const delta = Math.log1p(0.02);
  it('shows equivalence of two tight, equal samples and not of a 5% shift', () => {
    const base = around(1000, 8, 0.004);
    expect(tostUnpaired(base, around(1001, 8, 0.004), delta)).toBeCloseTo(1 / 12870, 12); // C(16, 8): complete separation both ways
    expect(tostUnpaired(base, around(1050, 8, 0.004), delta)).toBe(1);
  });
  it('cannot show equivalence with 2 forks per side: the one-sided floor is 1/C(4, 2)', () => {
    expect(tostUnpaired([1000, 1000.1], [1000, 1000.1], delta)).toBeCloseTo(1 / 6, 12);
  });
  it('paired: 6 pairs within ±0.5% are equivalent within ±2% (floor 1/2^6); 4 pairs never are', () => {
    const d = [0.003, -0.002, 0.001, -0.004, 0.002, 0.0];
    expect(tostPaired(d, delta)).toBeCloseTo(1 / 64, 12);
    expect(tostPaired(d.slice(0, 4), delta)).toBeCloseTo(1 / 16, 12);
    expect(tostPaired([0.03, 0.031, 0.029, 0.032, 0.03, 0.028], delta)).toBe(1);
  });
});

describe('minimum detectable effect (Bloom 1995)', () => {
  it('is (z(1-a/2) + z(0.8)) * SE, never below the threshold, null when unreachable', () => {
    // 95% interval ±1.96 * 0.01 in log: SE 0.01; alpha 0.05 -> multiplier 1.95996 + 0.84162 = 2.80158.
    const r = { ratio: 1, ci95: [Math.exp(-1.959964 * 0.01), Math.exp(1.959964 * 0.01)] as [number, number] };
    expect(standardErrorLog(r)).toBeCloseTo(0.01, 6);
    expect(minimumDetectableEffect(r, 0.001, 0.05, 0.001)).toBeCloseTo(Math.expm1(0.0280158), 5);
    expect(minimumDetectableEffect(r, 0.001, 0.05, 0.05)).toBe(0.05);
    expect(minimumDetectableEffect(r, 0.1, 0.05, 0.001)).toBeNull();
  });
  it('scales forks as the square of SE / target, with the rank-test floor as a minimum', () => {
    // SE 0.05 at 2 forks; target 5%: 2 * (2.80158 * 0.05 / ln 1.05)^2 = 16.7 -> 17.
    expect(forksForTarget(0.05, 2, 0.05, 0.05, 0.02, 4)).toBe(17);
    expect(forksForTarget(0.001, 2, 0.05, 0.05, 0.02, 4)).toBe(4);
    expect(forksForTarget(0.05, 2, 0.05, 0.01, 0.02, 4)).toBeNull();
  });
});

describe('paired design plan (signed-rank floor 2/2^n, Holm over the cells)', () => {
  it('names the fewest pairs for a number of cells and the most cells for a number of pairs', () => {
    expect(pairedForksNeeded(1)).toBe(6); // 2/64 = 0.031
    expect(pairedForksNeeded(24)).toBe(10); // 24 * 2/1024 = 0.047
    expect(pairedForksNeeded(48)).toBe(11); // 48 * 2/2048 = 0.047
    expect(pairedForksNeeded(48, 0.05, 'bh')).toBe(6);
    expect(pairedCellsReachable(8)).toBe(6); // 6 * 2/256 = 0.047; 7 * 2/256 = 0.055
    expect(pairedCellsReachable(10)).toBe(25);
    expect(pairedCellsReachable(5)).toBe(0);
    for (let n = 6; n < 16; n++) expect(pairedForksNeeded(pairedCellsReachable(n))).toBeLessThanOrEqual(n);
  });
});

describe('geometric-mean rows obey the cells rule', () => {
  const ids = Array.from({ length: 8 }, (_, i) => `v/s${i}/glibc/1`);
  const opts = defaultCompareOptions();
  it('unpaired: a 4% shift shared by every cell (run-to-run drift) gives no verdict, with the reason', () => {
    // The issue-18 case: every cell of head sits 4% higher, each cell's interval tight enough for a fork bootstrap.
    const base = makeResult(ids.map((id) => ({ id, forks: around(1000, 2, 0.01).map((o) => ({ opsPerSec: o })) })));
    const head = makeResult(ids.map((id) => ({ id, forks: around(1040, 2, 0.01).map((o) => ({ opsPerSec: o })) })));
    const r = compareResults(base, head, opts);
    const ops = r.summaries.find((s) => s.metric === 'opsPerSec')!;
    expect(ops.geomean.ci95[0]).toBeGreaterThan(1.02); // the old rule would have said "faster"
    expect(ops.verdict).toBe('inconclusive');
    expect(ops.why).toMatch(/separate runs: a shift shared by all cells cannot be told from run-to-run drift/);
    expect(r.summaries.every((s) => s.verdict === 'inconclusive')).toBe(true);
    expect(r.exitCode).toBe(0);
  });
  it('paired: needs significance across cells; a uniform 5% slowdown over 8 cells is slower, equal cells are same', () => {
    const g = { ratio: 0.95, ci95: [0.94, 0.96] as [number, number] };
    const logs = [-0.05, -0.052, -0.049, -0.051, -0.048, -0.05, -0.053, -0.047];
    expect(summaryVerdict(g, logs, 'paired', 0.02, true, opts).verdict).toBe('regressed');
    // The same interval carried by one cell only: the cells disagree, no verdict.
    const oneCell = [-0.3, 0.001, -0.001, 0.002, -0.002, 0.0005, -0.0005, 0.0];
    expect(summaryVerdict(g, oneCell, 'paired', 0.02, true, opts).verdict).toBe('inconclusive');
    const same = [0.001, -0.002, 0.003, -0.001, 0.0, 0.002, -0.003, 0.001];
    expect(summaryVerdict({ ratio: 1, ci95: [0.995, 1.005] }, same, 'paired', 0.02, true, opts).verdict).toBe('same');
    // Five cells can never be significant (2/32 > 0.05), and say so.
    const five = summaryVerdict(g, logs.slice(0, 5), 'paired', 0.02, true, opts);
    expect(five.verdict).toBe('inconclusive');
    expect(five.why).toMatch(/5 cell\(s\) cannot reach p < 0\.05 in a signed-rank test over cells/);
  });
});
