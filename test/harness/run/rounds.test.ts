import { describe, expect, it } from 'vitest';
import type { AllocatorName, Availability } from '../../../allocators/native-allocators.js';
import type { BenchOptions } from '../../../harness/run/bench-options.js';
import type { ChildRequest, Side } from '../../../harness/run/executor.js';
import { MemorySink } from '../../../harness/run/jsonl-writer.js';
import { PlainProgress } from '../../../harness/run/progress.js';
import { runSuite, type RunContext } from '../../../harness/run/run-suite.js';
import type { ResultFile } from '../../../contract/result-schema.js';
import type { SuiteDefinition } from '../../../harness/suite.js';
import { FakeExecutor, fakeRecord, steppingClock, FAKE_ENV, runOptions } from './fake-child.js';

const V8 = [{ label: 'default', flags: [] }];
const SUITE: SuiteDefinition = {
  name: 'adaptive',
  workload: 'w',
  description: 'fake suite with adaptive rounds',
  sizeMeaning: 'bytes',
  strategies: ['a', 'b'],
  allocators: ['glibc'],
  full: { forks: 5, rounds: { minRounds: 3, maxRounds: 8, targetHalfWidth: 0.02, budgetMs: null }, warmupMs: 10, durationMs: 20, sizes: [1, 2], axes: {}, v8FlagSets: V8 },
  quick: { forks: 2, warmupMs: 10, durationMs: 20, sizes: [1], axes: {}, v8FlagSets: V8 },
  childTimeoutMs: 5000,
};
const ENV = FAKE_ENV;
const HEAD: Side[] = [{ label: 'head', rootDir: '/repo' }];
const installed = (name: AllocatorName): Availability => ({ available: true, name, path: null });

const opts = (argv: string[]): BenchOptions => runOptions(SUITE, argv);

function context(overrides: Partial<RunContext> = {}) {
  const sink = new MemorySink();
  const writes: ResultFile[] = [];
  const log: string[] = [];
  const ctx: RunContext = {
    progress: new PlainProgress((l) => log.push(l)),
    environment: () => ENV,
    now: steppingClock('2026-01-01T00:00:00.000Z', 10),
    suites: [SUITE],
    availability: installed,
    sink,
    writeResult: (_path, result) => writes.push(structuredClone(result)),
    ...overrides,
  };
  return { ctx, sink, writes, log };
}

/** ±30% round to round: an interval of the median that no small number of rounds makes ±2%. */
const NOISY = [1, 1.3, 0.75, 1.2, 0.8, 1.25, 0.7, 1.15, 0.9, 1.1];
const noisy = (round: number): number => 1000 * NOISY[round % NOISY.length]!;
/** ±0.1%: tight from the first rounds on. */
const tight = (round: number): number => 1000 * (1 + 0.001 * (round % 2));

const roundsOf = (exec: FakeExecutor, cellId: string): number[] => exec.calls.filter((c) => c.cellId === cellId).map((c) => c.forkIndex);

describe('adaptive rounds', () => {
  it('a cell with tight forks stops after minRounds; a noisy cell goes on until maxRounds and is listed', async () => {
    const { ctx, sink, log } = context();
    // size 1 tight, size 2 noisy: they differ in size, not a ratio axis, so neither holds the other back
    const exec = new FakeExecutor((r: ChildRequest) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, r.cell.size === 1 ? tight(r.forkIndex) : noisy(r.forkIndex)) }));
    const out = await runSuite(opts(['--strategy', 'a']), HEAD, exec, ctx);
    expect(roundsOf(exec, 'w/a/glibc/1')).toEqual([0, 1, 2]);
    expect(roundsOf(exec, 'w/a/glibc/2')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const r = out.sides[0]!.result;
    expect(r.rounds).toEqual({ completed: 8, minRounds: 3, maxRounds: 8, targetHalfWidth: 0.02, budgetMs: null, stoppedBecause: 'max-rounds', cellsOutOfBudget: ['w/a/glibc/2'] });
    const [t, n] = r.cells;
    expect([t!.state, t!.consistency!.outOfBudget, t!.consistency!.halfWidth <= 0.02]).toEqual(['completed', undefined, true]);
    expect([n!.state, n!.consistency!.outOfBudget, n!.consistency!.halfWidth > 0.02]).toEqual(['completed', true, true]);
    expect(sink.lines.filter((l) => l.type === 'round').map((l) => l.type === 'round' && l.cells)).toEqual([2, 2, 2, 1, 1, 1, 1, 1]);
    expect(r.warnings).toEqual([
      '1 cell did not reach ±2.0% before 8 rounds (--max-rounds) were run: w/a/glibc/2; their intervals are wider (consistency.halfWidth): raise --budget, or accept a looser --target',
    ]);
    expect(log).toContain(r.warnings[0]);
  });

  it('every cell meeting the target ends the run early: stoppedBecause target-met, nobody listed', async () => {
    const { ctx } = context();
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, (r.cell.strategy === 'a' ? 1000 : 2000) * (1 + 0.001 * (r.forkIndex % 2))) }));
    const out = await runSuite(opts(['--size', '1']), HEAD, exec, ctx);
    expect(exec.calls.map((c) => c.forkIndex)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(out.sides[0]!.result.rounds).toMatchObject({ completed: 3, stoppedBecause: 'target-met', cellsOutOfBudget: [] });
    expect(out.sides[0]!.result.axisRatios!.map((x) => [x.axis, x.cellA, x.cellB, x.pairs, x.ratio])).toEqual([['strategy', 'w/a/glibc/1', 'w/b/glibc/1', 3, 2]]);
  });

  it('a within-run ratio wider than the target keeps both of its cells running even when their medians are tight enough', async () => {
    const { ctx } = context();
    // a and b move in opposite directions each round by 1.5%: medians within ±2%, the ratio b/a swings ±3%
    const sign = (round: number): number => (round % 2 === 0 ? 1 : -1);
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, 1000 * (1 + (r.cell.strategy === 'a' ? 0.015 : -0.015) * sign(r.forkIndex))) }));
    const out = await runSuite(opts(['--size', '1', '--max-rounds', '5']), HEAD, exec, ctx);
    const r = out.sides[0]!.result;
    expect(r.cells.map((c) => c.consistency!.halfWidth <= 0.02)).toEqual([true, true]);
    expect(roundsOf(exec, 'w/a/glibc/1')).toEqual([0, 1, 2, 3, 4]);
    expect(roundsOf(exec, 'w/b/glibc/1')).toEqual([0, 1, 2, 3, 4]);
    expect(r.rounds!.cellsOutOfBudget).toEqual(['w/a/glibc/1', 'w/b/glibc/1']);
  });

  it('a spent budget never cuts the minimum rounds, nor a fixed --forks run', async () => {
    // The clock moves 10 ms per read: a 1 s budget is spent within the first rounds.
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, noisy(r.forkIndex)) }));
    const adaptive = (await runSuite(opts(['--budget', '1s', '--min-rounds', '30', '--max-rounds', '50']), HEAD, exec, context().ctx)).sides[0]!.result;
    expect(adaptive.rounds!.stoppedBecause).toBe('budget');
    expect(adaptive.cells.every((c) => c.forks.length === 30)).toBe(true);
    const fixed = (await runSuite(opts(['--budget', '1s', '--forks', '30']), HEAD, exec, context().ctx)).sides[0]!.result;
    expect(fixed.cells.every((c) => c.forks.length === 30)).toBe(true);
  });

  it('the time budget ends the run between forks and lists the cells short of the target', async () => {
    // the clock moves 10 ms per read; a budget of 1 s lasts a few dozen forks at most
    const { ctx, sink } = context();
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, noisy(r.forkIndex)) }));
    const out = await runSuite(opts(['--budget', '1s', '--max-rounds', '1000']), HEAD, exec, ctx);
    const r = out.sides[0]!.result;
    expect(r.rounds!.stoppedBecause).toBe('budget');
    expect(r.rounds!.budgetMs).toBe(1000);
    expect(exec.calls.length).toBeLessThan(4 * 1000);
    expect(r.rounds!.cellsOutOfBudget).toEqual(['w/a/glibc/1', 'w/a/glibc/2', 'w/b/glibc/1', 'w/b/glibc/2']);
    expect(r.cells.every((c) => c.state === 'completed' && c.consistency!.outOfBudget === true)).toBe(true);
    expect(r.warnings[0]).toMatch(/^4 cells did not reach ±2.0% before the time budget \(1s\) ended: /);
    // every fork run is in the JSONL and in the result
    expect(sink.lines.filter((l) => l.type === 'fork')).toHaveLength(exec.calls.length);
    expect(r.cells.reduce((n, c) => n + c.forks.length, 0)).toBe(exec.calls.length);
  });

  it('--forks N runs exactly N rounds (no adaptivity), and lists nobody', async () => {
    const { ctx } = context();
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, r.cell.size === 1 ? tight(r.forkIndex) : noisy(r.forkIndex)) }));
    const out = await runSuite(opts(['--strategy', 'a', '--forks', '4']), HEAD, exec, ctx);
    expect(roundsOf(exec, 'w/a/glibc/1')).toEqual([0, 1, 2, 3]);
    expect(roundsOf(exec, 'w/a/glibc/2')).toEqual([0, 1, 2, 3]);
    expect(out.sides[0]!.result.rounds).toEqual({ completed: 4, minRounds: 4, maxRounds: 4, targetHalfWidth: 0.02, budgetMs: null, stoppedBecause: 'max-rounds', cellsOutOfBudget: [] });
  });

  it('paired sides: each round runs both sides of a cell back to back, alternating A B / B A, and a cell stops only when both sides meet the target', async () => {
    const { ctx } = context();
    const sides: Side[] = [{ label: 'base', rootDir: '/base' }, { label: 'head', rootDir: '/repo' }];
    // base tight everywhere; head noisy for size 2 only
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, r.side.label === 'head' && r.cell.size === 2 ? noisy(r.forkIndex) : tight(r.forkIndex)) }));
    const out = await runSuite(opts(['--strategy', 'a', '--max-rounds', '4']), sides, exec, ctx);
    const seq = exec.calls.map((c) => `${c.forkIndex}:${c.cellId.slice(-1)}:${c.side}`);
    // within a round, the two sides of one cell are adjacent; the first side alternates by round
    for (let i = 0; i < seq.length; i += 2) {
      const [ra, ca, sa] = seq[i]!.split(':');
      const [rb, cb, sb] = seq[i + 1]!.split(':');
      expect([ra, ca]).toEqual([rb, cb]);
      expect([sa, sb]).toEqual(Number(ra) % 2 === 0 ? ['base', 'head'] : ['head', 'base']);
    }
    expect(roundsOf(exec, 'w/a/glibc/1')).toEqual([0, 0, 1, 1, 2, 2]);
    expect(roundsOf(exec, 'w/a/glibc/2')).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(out.sides.map((s) => s.result.rounds!.cellsOutOfBudget)).toEqual([['w/a/glibc/2'], ['w/a/glibc/2']]);
  });

  it('refuses adaptive flags with --forks, and on a plan without rounds (--quick)', () => {
    expect(() => opts(['--forks', '3', '--target', '0.05'])).toThrow('--forks N runs exactly N rounds; --target is for adaptive runs');
    expect(() => opts(['--quick', '--max-rounds', '9'])).toThrow('the quick plan of suite adaptive runs a fixed number of rounds');
    expect(opts(['--target', '5%', '--budget', '1h30m']).targetHalfWidth).toBe(0.05);
    expect(opts(['--budget', '1h30m']).budgetMs).toBe(5_400_000);
    expect(() => opts(['--budget', '35'])).toThrow("--budget needs a duration with a unit, e.g. --budget 35m, 90s or 1h30m; got '35'");
    expect(() => opts(['--target', '0.7'])).toThrow('--target must be a relative half-width between 0 and 0.5');
  });
});
