import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareResults, decideVerdict, defaultCompareOptions, uniformThresholds } from '../../../harness/compare/compare-results.js';
import { compareMain } from '../../../harness/compare/compare-command.js';
import { formatText } from '../../../harness/compare/format-report.js';
import { parseResultDocument } from '../../../contract/read-result.js';
import { around, makeResult } from './make-result.js';

const FIX = 'test/harness/compare/fixtures';

function tmpFile(name: string, content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-compare-'));
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('decideVerdict', () => {
  const ratio = (r: number, lo: number, hi: number) => ({ ratio: r, ci95: [lo, hi] as [number, number] });
  it('says slower/faster only when significant, the interval excludes 1 and the change exceeds the threshold', () => {
    expect(decideVerdict(ratio(0.9, 0.88, 0.92), 0.01, 0.05, 0.02, true)).toBe('regressed');
    expect(decideVerdict(ratio(1.1, 1.08, 1.12), 0.01, 0.05, 0.02, true)).toBe('improved');
    // Lower is better (latency): a higher value is a regression.
    expect(decideVerdict(ratio(1.1, 1.08, 1.12), 0.01, 0.05, 0.02, false)).toBe('regressed');
  });
  it('is inconclusive when not significant, or the interval spans 1, yet the interval leaves the noise band', () => {
    expect(decideVerdict(ratio(0.9, 0.88, 0.92), 0.2, 0.05, 0.02, true)).toBe('inconclusive');
    expect(decideVerdict(ratio(0.95, 0.9, 1.01), 0.01, 0.05, 0.02, true)).toBe('inconclusive');
  });
  it('says same only when the equivalence test (TOST) rejects "outside the band", even if significant', () => {
    expect(decideVerdict(ratio(0.99, 0.985, 0.995), 0.001, 0.05, 0.02, true, 'point', 0.01)).toBe('same');
    expect(decideVerdict(ratio(1.0, 0.99, 1.01), 0.9, 0.05, 0.02, true, 'point', 0.03)).toBe('same');
    // A narrow interval inside the band is not enough without the test (2 forks that happen to agree).
    expect(decideVerdict(ratio(1.0, 0.99, 1.01), 0.9, 0.05, 0.02, true, 'point', 0.17)).toBe('inconclusive');
    expect(decideVerdict(ratio(1.0, 0.99, 1.01), 0.9, 0.05, 0.02, true)).toBe('inconclusive');
  });
  it("with the 'interval' rule, needs the whole interval beyond the threshold", () => {
    expect(decideVerdict(ratio(0.97, 0.96, 0.985), 0.01, 0.05, 0.02, true, 'point')).toBe('regressed');
    expect(decideVerdict(ratio(0.97, 0.96, 0.985), 0.01, 0.05, 0.02, true, 'interval')).toBe('inconclusive');
    expect(decideVerdict(ratio(0.95, 0.94, 0.97), 0.01, 0.05, 0.02, true, 'interval')).toBe('regressed');
  });
  it('is inconclusive without a ratio', () => {
    expect(decideVerdict(null, 0.001, 0.05, 0.02, true)).toBe('inconclusive');
  });
});

describe('compareResults', () => {
  const forks = (c: number, n = 6, spread = 0.01) => around(c, n, spread).map((o) => ({ opsPerSec: o }));

  it('finds a 10% slowdown and exits 1; equal runs exit 0', () => {
    const base = makeResult([{ id: 'a/pooled/glibc/1', forks: forks(1000) }]);
    const slow = makeResult([{ id: 'a/pooled/glibc/1', forks: forks(900) }]);
    // One cell of separate runs: only with the assumption that both runs saw the same machine.
    const r = compareResults(base, slow, defaultCompareOptions({ runShift: 'assume-none' }));
    const ops = r.cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.ratio!.ratio).toBeCloseTo(0.9, 12);
    expect(ops.verdict).toBe('regressed');
    expect(ops.verdictLabel).toBe('slower');
    expect(ops.pValue).toBeCloseTo(2 / 924, 12); // C(12, 6) = 924, completely separated
    expect(r.exitCode).toBe(1);
    expect(compareResults(base, base, defaultCompareOptions()).exitCode).toBe(0);
  });

  it('corrects p-values across cells (Holm): the same separation is weaker with more cells', () => {
    const ids = ['a/x/glibc/1', 'a/y/glibc/1', 'a/z/glibc/1'];
    const base = makeResult(ids.map((id) => ({ id, forks: forks(1000) })));
    const head = makeResult(ids.map((id) => ({ id, forks: forks(900) })));
    const r = compareResults(base, head, defaultCompareOptions());
    for (const c of r.cells) expect(c.metrics.find((m) => m.metric === 'opsPerSec')!.pAdjusted).toBeCloseTo((3 * 2) / 924, 12);
  });

  it('cannot call anything significant with 3 forks per side, and says why', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000, 3) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(500, 3) }]);
    const r = compareResults(base, head, defaultCompareOptions());
    expect(r.cells[0]!.metrics[0]!.verdict).toBe('inconclusive');
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/only 3 fork\(s\) per side: the smallest p-value possible is 0\.10/);
  });

  it('warns when the correction across cells leaves no attainable significance, and says how many forks would', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `a/s${i}/glibc/1`);
    const base = makeResult(ids.map((id) => ({ id, forks: forks(1000, 5) })));
    const head = makeResult(ids.map((id) => ({ id, forks: forks(500, 5) })));
    const r = compareResults(base, head, defaultCompareOptions());
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/only 5 fork\(s\) per side: the smallest p-value possible after correcting for 10 cells is 0\.079 >= alpha 0\.05.*--forks 6 or more/);
  });

  it('swapping base and head swaps improved and regressed and inverts the ratio (property)', () => {
    const sample = fc.array(fc.double({ min: 100, max: 200, noNaN: true }), { minLength: 2, maxLength: 8 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const A = makeResult([{ id: 'c/p/glibc/1', forks: a.map((o) => ({ opsPerSec: o })) }]);
        const B = makeResult([{ id: 'c/p/glibc/1', forks: b.map((o) => ({ opsPerSec: o })) }]);
        const opts = defaultCompareOptions({ resamples: 200 });
        const ab = compareResults(A, B, opts).cells[0]!.metrics;
        const ba = compareResults(B, A, opts).cells[0]!.metrics;
        const flip = { improved: 'regressed', regressed: 'improved', same: 'same', inconclusive: 'inconclusive' } as const;
        ab.forEach((m, i) => {
          expect(ba[i]!.verdict).toBe(flip[m.verdict]);
          if (m.ratio !== null) expect(Math.log(ba[i]!.ratio!.ratio)).toBeCloseTo(-Math.log(m.ratio.ratio), 9);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('compares deterministic counts exactly and gates on them by default (gateCounts false turns it off)', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, allocationsPerOp: 2 })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, allocationsPerOp: 2.5 })) }]);
    const on = compareResults(base, head, defaultCompareOptions());
    expect(on.cells[0]!.counts.find((c) => c.count === 'allocations')).toEqual({ count: 'allocations', base: 2, head: 2.5, status: 'increased' });
    expect(on.countRegressions).toEqual([{ id: 'a/p/glibc/1', what: 'allocations', detail: '2 -> 2.5 per op' }]);
    expect(on.exitCode).toBe(1);
    expect(compareResults(base, head, defaultCompareOptions({ gateCounts: false })).exitCode).toBe(0);
    expect(compareResults(head, base, defaultCompareOptions()).exitCode).toBe(0);
  });

  it('fails the gate, with no flag, when a copy count rose; --no-gate-counts turns it off and says so', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, copiesPerOp: 1 })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, copiesPerOp: 2 })) }]);
    const b = tmpFile('b.json', base);
    const h = tmpFile('h.json', head);
    const out = compareMain([b, h], '/nonexistent-cache');
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toMatch(/^Result: no significant regression; 1 exact count increase\(s\) \(gating\) \(exit 1\)$/m);
    const off = compareMain([b, h, '--no-gate-counts'], '/nonexistent-cache');
    expect(off.exitCode).toBe(0);
    expect(off.stdout).toMatch(/1 exact count increase\(s\) \(not gating: --no-gate-counts\) \(exit 0\)/);
  });

  it('fails the gate, with no flag, when a cell completed in base and errored in head, and says so first', () => {
    const base = makeResult([
      { id: 'a/1/glibc/1', forks: forks(1000) },
      { id: 'a/2/glibc/1', forks: forks(1000) },
    ]);
    const head = makeResult([
      { id: 'a/1/glibc/1', forks: forks(1000) },
      { id: 'a/2/glibc/1', state: 'errored', forks: [] },
    ]);
    head.cells[1]!.error = { code: 'E_CHILD_CRASHED', message: 'exit code 134' };
    const r = compareResults(base, head, defaultCompareOptions({ labels: ['B', 'H'] }));
    expect(r.cells[1]).toMatchObject({ id: 'a/2/glibc/1', state: 'errored-in-head', note: 'completed in B, errored: [E_CHILD_CRASHED] exit code 134 in H' });
    expect(r.erroredInHead).toEqual([{ id: 'a/2/glibc/1', what: 'cell', detail: 'completed in B, errored: [E_CHILD_CRASHED] exit code 134 in H' }]);
    expect(r.exitCode).toBe(1);
    const text = compareMain([tmpFile('b.json', base), tmpFile('h.json', head)], '/nonexistent-cache');
    expect(text.exitCode).toBe(1);
    expect(text.stdout.split('\n')[1]).toBe('Result: 1 cell(s) completed in base and ERRORED in head (a/2/glibc/1); no significant regression (exit 1)');
    expect(text.stdout).toMatch(/a\/2\/glibc\/1 .* FAILS: completed in .*errored: \[E_CHILD_CRASHED\] exit code 134/);
    const md = compareMain([tmpFile('b.json', base), tmpFile('h.json', head), '--format', 'md'], '/nonexistent-cache');
    expect(md.stdout).toMatch(/^### buflab compare: a cell errored in head$/m);
    // Errored in base (head fixed it), or skipped in head: not a failure.
    expect(compareResults(head, base, defaultCompareOptions()).exitCode).toBe(0);
    // The gate holds even when no cell is left to compare.
    const onlyCrash = compareResults(makeResult([{ id: 'a/2/glibc/1', forks: forks(1000) }]), makeResult([{ id: 'a/2/glibc/1', state: 'errored', forks: [] }]), defaultCompareOptions());
    expect(onlyCrash.exitCode).toBe(1);
  });

  it('does not gate on counts that differ between forks of one side', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f, i) => ({ ...f, copiesPerOp: 1 + i / 10 })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, copiesPerOp: 5 })) }]);
    const r = compareResults(base, head, defaultCompareOptions());
    expect(r.cells[0]!.counts.find((c) => c.count === 'copies')!.status).toBe('varies');
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/copies per op differs between forks/);
  });

  it('respects --gate: a regression of an ungated metric does not fail', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f) => ({ ...f, peakRssBytes: 100e6 })) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000).map((f, i) => ({ ...f, peakRssBytes: 150e6 + i })) }]);
    expect(compareResults(base, head, defaultCompareOptions()).exitCode).toBe(1);
    expect(compareResults(base, head, defaultCompareOptions({ gate: ['opsPerSec'] })).exitCode).toBe(0);
  });

  it('reports cells only on one side or not completed without comparing them', () => {
    const base = makeResult([
      { id: 'a/1/glibc/1', forks: forks(1000) },
      { id: 'a/2/glibc/1', state: 'errored', forks: [] },
    ]);
    const head = makeResult([
      { id: 'a/1/glibc/1', forks: forks(1000) },
      { id: 'a/2/glibc/1', forks: forks(1000) },
      { id: 'a/3/glibc/1', forks: forks(1000) },
    ]);
    const r = compareResults(base, head, defaultCompareOptions({ labels: ['B', 'H'] }));
    expect(r.cells.map((c) => [c.id, c.state, c.note ?? ''])).toEqual([
      ['a/1/glibc/1', 'compared', ''],
      ['a/2/glibc/1', 'not-completed', 'B errored'],
      ['a/3/glibc/1', 'only-head', 'only in H'],
    ]);
  });

  it('uses a uniform threshold when given: a 3% change is within a 5% band', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000, 8, 0.002) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(970, 8, 0.002) }]);
    const at2 = compareResults(base, head, defaultCompareOptions({ runShift: 'assume-none' })).cells[0]!.metrics[0]!;
    const at5 = compareResults(base, head, defaultCompareOptions({ runShift: 'assume-none', thresholds: uniformThresholds(0.05, '--threshold') })).cells[0]!.metrics[0]!;
    expect(at2.verdict).toBe('regressed');
    expect(at5.verdict).toBe('same');
    expect(at5.verdictLabel).toBe('same ±5%');
  });
});

/** The two files of one paired run: fork i of each side shares a machine state `drift[i]`. */
function pairedFiles(drift: number[], headFactor: number, id = 'run-1', cells = ['v/p/glibc/1']) {
  const spec = (factor: number) => cells.map((cid) => ({ id: cid, forks: drift.map((d) => ({ opsPerSec: (1000 * d) / factor })) }));
  const base = { ...makeResult(spec(1)), pairedRun: { id, side: 'base', sides: ['base', 'head'], order: 'alternating' as const } };
  const head = { ...makeResult(spec(headFactor)), pairedRun: { id, side: 'head', sides: ['base', 'head'], order: 'alternating' as const } };
  return { base, head };
}

/** Machine drift over fork rounds: ±12% between rounds, as measured on this VM. */
const DRIFT = [1.0, 0.93, 1.08, 0.97, 1.12, 0.9, 1.04, 0.95, 1.1, 0.99, 0.92, 1.06];

describe('separate runs: each cell against the shift all cells share', () => {
  const forks = (c: number, n = 6, spread = 0.01) => around(c, n, spread).map((o) => ({ opsPerSec: o }));
  const ids = Array.from({ length: 8 }, (_, i) => `v/s${i}/glibc/1`);
  const run = (center: (id: string) => number) => makeResult(ids.map((id) => ({ id, forks: forks(center(id), 8, 0.005) })));

  it('a machine 9% faster during the head run is no verdict anywhere; the one changed cell is found', () => {
    const base = run(() => 1000);
    // Every cell 9% faster (the machine), and cell s3 5% slower than that (the code).
    const head = run((id) => (id === 'v/s3/glibc/1' ? 1090 * 0.95 : 1090));
    const r = compareResults(base, head, defaultCompareOptions());
    const ops = (id: string) => r.cells.find((c) => c.id === id)!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(r.sharedShifts.find((s) => s.metric === 'opsPerSec')).toEqual({ metric: 'opsPerSec', cells: 8, factor: expect.closeTo(1.09, 3) });
    expect(ops('v/s3/glibc/1').verdict).toBe('regressed');
    expect(ops('v/s3/glibc/1').ratio!.ratio).toBeCloseTo(0.95, 3);
    expect(ops('v/s3/glibc/1').headMedian).toBeCloseTo(1090 * 0.95, 6); // as measured
    for (const id of ids.filter((i) => i !== 'v/s3/glibc/1')) expect(ops(id).verdict).not.toBe('improved');
    // Without the shift, the machine's 9% is called "faster" in every cell, the slowed one included.
    const naive = compareResults(base, head, defaultCompareOptions({ runShift: 'assume-none' }));
    expect(naive.cells.filter((c) => c.metrics.find((m) => m.metric === 'opsPerSec')!.verdict === 'improved')).toHaveLength(8);
    expect(naive.sharedShifts).toEqual([]);
  });

  it('withholds timed verdicts of separate runs with fewer than 6 cells and says why; counts still gate', () => {
    const base = makeResult([{ id: 'a/p/glibc/1', forks: forks(1000) }]);
    const head = makeResult([{ id: 'a/p/glibc/1', forks: forks(800, 6, 0.01).map((f) => ({ ...f, allocationsPerOp: 3 })) }]);
    const r = compareResults(base, head, defaultCompareOptions());
    const ops = r.cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.verdict).toBe('inconclusive');
    expect(ops.ratio!.ratio).toBeCloseTo(0.8, 6);
    expect(r.sharedShifts.find((s) => s.metric === 'opsPerSec')).toEqual({ metric: 'opsPerSec', cells: 1, factor: null });
    expect(r.countRegressions.map((c) => c.id)).toEqual(['a/p/glibc/1']);
    expect(r.exitCode).toBe(1);
    expect(formatText(r)).toMatch(/Separate runs with 1 cell\(s\): no verdict on ops\/s, .*fewer than 6 cells a machine shift between the runs cannot be told from a change/);
  });

  it('leaves paired runs and untimed metrics alone', () => {
    const { base, head } = pairedFiles([1, 1.1, 0.9, 1.05, 0.95, 1, 1.02, 0.98, 1.01, 0.99, 1.03], 1.1);
    expect(compareResults(base, head, defaultCompareOptions()).sharedShifts).toEqual([]);
    const b = run(() => 1000);
    const h = run(() => 1090);
    const r = compareResults(b, h, defaultCompareOptions());
    const timed = ['bytesPerSec', 'latencyP50Ns', 'latencyP99Ns', 'opsPerSec'];
    expect(r.sharedShifts.map((s) => s.metric)).toContain('opsPerSec');
    for (const s of r.sharedShifts) expect(timed).toContain(s.metric);
  });
});

describe('paired design (files from one paired run)', () => {
  it('pairs fork i with fork i: a 3% slowdown under 12% drift is found paired and missed unpaired', () => {
    // Within each round head is 3% slower, with ±0.5% noise of its own.
    const { base, head } = pairedFiles(DRIFT, 1.03);
    head.cells[0]!.forks.forEach((f, i) => (f.opsPerSec *= 1 + 0.005 * Math.sin(i * 2.1)));
    const paired = compareResults(base, head, defaultCompareOptions());
    expect(paired.design.kind).toBe('paired');
    const ops = paired.cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.design).toBe('paired');
    expect(ops.pairs).toBe(12);
    expect(ops.pValue).toBeCloseTo(2 / 4096, 12); // every pair slower: the signed-rank floor for 12 pairs
    expect(ops.ratio!.ratio).toBeGreaterThan(0.96);
    expect(ops.ratio!.ratio).toBeLessThan(0.98);
    expect(ops.verdict).toBe('regressed');
    expect(paired.exitCode).toBe(1);
    const unpaired = compareResults(base, head, defaultCompareOptions({ pairing: 'unpaired' }));
    expect(unpaired.design).toEqual({ kind: 'unpaired', why: '--unpaired', separateRuns: false });
    expect(unpaired.cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!.verdict).toBe('inconclusive');
  });

  it('A/A under drift: no verdict, and swapping the files inverts every ratio and verdict', () => {
    const { base, head } = pairedFiles(DRIFT, 1);
    head.cells[0]!.forks.forEach((f, i) => (f.opsPerSec *= 1 + 0.004 * Math.cos(i * 1.7)));
    const ab = compareResults(base, head, defaultCompareOptions());
    const ba = compareResults(head, base, defaultCompareOptions());
    expect(ab.exitCode).toBe(0);
    expect(ab.cells[0]!.metrics.every((m) => m.verdict !== 'regressed' && m.verdict !== 'improved')).toBe(true);
    ab.cells[0]!.metrics.forEach((m, i) => {
      const other = ba.cells[0]!.metrics[i]!;
      expect(other.design).toBe(m.design);
      expect(other.pValue).toBeCloseTo(m.pValue, 12);
      if (m.ratio !== null) expect(Math.log(other.ratio!.ratio)).toBeCloseTo(-Math.log(m.ratio.ratio), 9);
    });
  });

  it('compares unpaired, saying why, when the files are not two sides of one paired run', () => {
    const { base, head } = pairedFiles(DRIFT, 1.03);
    const other = { ...head, pairedRun: { ...head.pairedRun, id: 'run-2' } };
    expect(compareResults(base, other, defaultCompareOptions()).design.why).toMatch(/different paired runs \(run-1; run-2\)/);
    const plain = makeResult([{ id: 'v/p/glibc/1', forks: DRIFT.map((d) => ({ opsPerSec: 1000 * d })) }]);
    expect(compareResults(plain, head, defaultCompareOptions()).design).toEqual({ kind: 'unpaired', why: 'the files are not the two sides of one paired run', separateRuns: true });
    const sameSide = compareResults(base, { ...head, pairedRun: { ...head.pairedRun, side: 'base' } }, defaultCompareOptions());
    expect(sameSide.design.kind).toBe('unpaired');
    expect(sameSide.warnings.join('\n')).toMatch(/both files are side 'base' of paired run run-1/);
  });

  it('goes unpaired when the pairs cannot reach significance after the correction, and names the forks needed', () => {
    const five = pairedFiles(DRIFT.slice(0, 5), 1.03);
    const r = compareResults(five.base, five.head, defaultCompareOptions());
    expect(r.design.kind).toBe('unpaired');
    expect(r.design.why).toMatch(/5 fork pair\(s\) cannot reach p < 0\.05 with a signed-rank test; --forks 6 compares them paired/);
    const many = pairedFiles(DRIFT.slice(0, 8), 1.03, 'run-1', Array.from({ length: 10 }, (_, i) => `v/s${i}/glibc/1`));
    const r10 = compareResults(many.base, many.head, defaultCompareOptions());
    expect(r10.design.why).toMatch(/8 fork pair\(s\) cannot reach p < 0\.05 across 10 cells \(Holm\) with a signed-rank test; --forks 9 compares them paired/);
    expect(compareResults(many.base, many.head, defaultCompareOptions({ correction: 'bh' })).design.kind).toBe('paired');
  });

  it('pairs by fork index: a fork missing on one side drops its partner', () => {
    const { base, head } = pairedFiles(DRIFT, 1.03);
    head.cells[0]!.forks.splice(3, 1);
    const ops = compareResults(base, head, defaultCompareOptions()).cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.pairs).toBe(11);
    expect(ops.baseForks).toBe(11);
  });

  it('calls a heap B/op difference below its resolution (16 B per batch + 1 B/op) no change, and a real one more', () => {
    const files = (baseHeap: number, headHeap: number, batchSize: number) => {
      const f = pairedFiles(DRIFT, 1);
      f.base.cells[0]!.forks.forEach((k) => Object.assign(k, { batchSize, alloc: { ...k.alloc, heapBytesPerOp: baseHeap } }));
      f.head.cells[0]!.forks.forEach((k) => Object.assign(k, { batchSize, alloc: { ...k.alloc, heapBytesPerOp: headHeap } }));
      return compareResults(f.base, f.head, defaultCompareOptions());
    };
    const heap = (r: ReturnType<typeof compareResults>) => r.cells[0]!.metrics.find((m) => m.metric === 'heapBytesPerOp')!;
    // 0.1 -> 5.4 B/op in every pair at batches of 3: the timing loop's boxed clock (16 B per batch), not the code.
    const artefact = files(0.1, 5.4, 3);
    expect(heap(artefact).resolution).toBeCloseTo(16 / 3 + 1, 12);
    expect(heap(artefact).pValue).toBeLessThan(0.001);
    expect(heap(artefact).verdict).toBe('same');
    expect(artefact.exitCode).toBe(0);
    expect(artefact.summaries.find((x) => x.metric === 'heapBytesPerOp')).toBeUndefined();
    // One more 16-byte object per op at batches of 3: a regression.
    const real = files(100, 116, 3);
    expect(heap(real).verdict).toBe('regressed');
    expect(real.exitCode).toBe(1);
    // At batches of 1 the measurement cannot tell one 16-byte object per op from the artefact.
    expect(heap(files(100, 116, 1)).verdict).toBe('same');
    expect(heap(files(100, 140, 1)).verdict).toBe('regressed');
  });

  it('says which design it used in the text and markdown output', () => {
    const { base, head } = pairedFiles(DRIFT, 1.03);
    const dir = mkdtempSync(join(tmpdir(), 'buflab-compare-'));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(base));
    writeFileSync(join(dir, 'h.json'), JSON.stringify(head));
    const text = compareMain([join(dir, 'b.json'), join(dir, 'h.json')]).stdout;
    expect(text).toMatch(/Paired design \(both files are sides of paired run run-1 \(forks paired by fork index\)\): median of the per-pair ratios/);
    expect(text).toMatch(/Wilcoxon signed-rank p-values/);
    const md = compareMain([join(dir, 'b.json'), join(dir, 'h.json'), '--format', 'md', '--unpaired']).stdout;
    expect(md).toMatch(/Unpaired design \(--unpaired\)/);
  });
});

describe('refusals (exit 2, naming the problem)', () => {
  const good = makeResult([{ id: 'a/p/glibc/1', forks: around(1000, 5, 0.01).map((o) => ({ opsPerSec: o })) }]);

  it('refuses a different CPU model, naming the field, unless --force', () => {
    const other = tmpFile('h.json', makeResult(good.cells.map((c) => ({ id: c.id, forks: c.forks.map((f) => ({ opsPerSec: f.opsPerSec })) })), { cpuModel: 'Other CPU' }));
    const base = tmpFile('b.json', good);
    const out = compareMain([base, other]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(/\[E_ENV_MISMATCH\].*environment\.cpuModel differs: .*"Test CPU @ 2\.0GHz".*"Other CPU".*--force/);
    const forced = compareMain([base, other, '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toMatch(/warning: --force: environment\.cpuModel differs/);
  });

  it('refuses a different Node version', () => {
    const other = tmpFile('h.json', { ...good, environment: { ...good.environment, node: 'v22.0.0' } });
    const out = compareMain([tmpFile('b.json', good), other]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(/environment\.node differs: .*"v20\.20\.2".* "v22\.0\.0"/s);
  });

  it('refuses unknown and incompatible schema versions with a clear message', () => {
    expect(compareMain([tmpFile('b.json', good), tmpFile('h.json', { ...good, schemaVersion: 99 })]).stderr).toMatch(/\[E_SCHEMA_VERSION\].*schemaVersion 99 is newer than this buflab understands \(1\)/);
    expect(compareMain([tmpFile('b.json', { ...good, schemaVersion: 0 }), tmpFile('h.json', good)]).stderr).toMatch(/schemaVersion 0 is incompatible/);
    expect(compareMain([tmpFile('b.json', { cells: [] }), tmpFile('h.json', good)]).stderr).toMatch(/schemaVersion is missing/);
  });

  it('refuses unreadable, non-JSON and malformed files', () => {
    expect(compareMain(['/nonexistent/base.json', tmpFile('h.json', good)]).stderr).toMatch(/\[E_RESULT_READ\] \/nonexistent\/base\.json: cannot read/);
    expect(compareMain([tmpFile('b.json', '{"schema'), tmpFile('h.json', good)]).stderr).toMatch(/\[E_RESULT_JSON\].*not valid JSON/);
    const noForks = { ...good, cells: [{ ...good.cells[0], forks: [{}] }] };
    expect(compareMain([tmpFile('b.json', noForks), tmpFile('h.json', good)]).stderr).toMatch(/\[E_RESULT_SHAPE\].*forks\[0\]: kind must be 'buflab-fork'/);
    expect(() => parseResultDocument({ ...good, cells: [{ ...good.cells[0], state: 'weird', forks: [] }] }, 'f')).toThrow(/state "weird"/);
    expect(() => parseResultDocument({ ...good, pairedRun: { id: 7 } }, 'f')).toThrow(/"pairedRun" must be an object with string id and side/);
  });

  it('refuses files with no completed cell in common', () => {
    const other = makeResult([{ id: 'zzz/p/glibc/1', forks: [{ opsPerSec: 1 }] }]);
    const out = compareMain([tmpFile('b.json', good), tmpFile('h.json', other)]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(/\[E_NOTHING_TO_COMPARE\]/);
  });

  it('refuses bad command lines', () => {
    expect(compareMain(['only-one.json']).stderr).toMatch(/\[E_USAGE\] expected exactly two result files/);
    expect(compareMain(['a', 'b', '--format', 'html']).stderr).toMatch(/--format html: expected text, md or json/);
    expect(compareMain(['a', 'b', '--threshold', 'x']).stderr).toMatch(/--threshold x/);
    expect(compareMain(['a', 'b', '--gate', 'speed']).stderr).toMatch(/unknown metric 'speed'/);
    expect(compareMain(['a', 'b', '--bogus']).exitCode).toBe(2);
    expect(compareMain(['--help']).stdout).toMatch(/usage: npm run compare/);
  });
});

describe('golden output (fixtures/base.json vs fixtures/head.json)', () => {
  it('text', async () => {
    const out = compareMain([`${FIX}/base.json`, `${FIX}/head.json`], '/nonexistent-cache');
    expect(out.exitCode).toBe(1);
    await expect(out.stdout).toMatchFileSnapshot('golden/compare.txt');
  });
  it('markdown for a PR comment', async () => {
    const out = compareMain([`${FIX}/base.json`, `${FIX}/head.json`, '--format', 'md'], '/nonexistent-cache');
    expect(out.exitCode).toBe(1);
    expect(out.stdout.startsWith('<!-- buflab-compare -->\n')).toBe(true);
    expect(out.stdout).toMatch(/<details><summary>Full table \(9 cells\)<\/summary>/);
    await expect(out.stdout).toMatchFileSnapshot('golden/compare.md');
  });
  it('markdown with no change', async () => {
    const out = compareMain([`${FIX}/base.json`, `${FIX}/same.json`, '--format', 'md'], '/nonexistent-cache');
    expect(out.exitCode).toBe(0);
    await expect(out.stdout).toMatchFileSnapshot('golden/compare-same.md');
  });
  it('json keeps every number', () => {
    const out = compareMain([`${FIX}/base.json`, `${FIX}/head.json`, '--format', 'json'], '/nonexistent-cache');
    const report = JSON.parse(out.stdout);
    expect(report.exitCode).toBe(1);
    expect(report.regressions.map((r: { id: string; what: string }) => `${r.id} ${r.what}`)).toEqual([
      'vpn/pooled/glibc/1400 ops/s',
      'vpn/pooled/glibc/1400 bytes/s',
      'vpn/pooled/glibc/1400 p50 latency',
      'vpn/pooled/glibc/1400 p99 latency',
    ]);
  });
});
