import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { AllocatorName, Availability } from '../../../allocators/native-allocators.js';
import type { BenchOptions } from '../../../harness/run/bench-options.js';
import type { Side } from '../../../harness/run/executor.js';
import { MemorySink } from '../../../harness/run/jsonl-writer.js';
import { PlainProgress } from '../../../harness/run/progress.js';
import { runSuite, type RunContext } from '../../../harness/run/run-suite.js';
import { countedTimeoutMs } from '../../../harness/measure/instruction-counting.js';
import type { ResultFile } from '../../../contract/result-schema.js';
import type { SuiteDefinition } from '../../../harness/suite.js';
import { FakeExecutor, fakeRecord, steppingClock, FAKE_ENV, runOptions } from './fake-child.js';

const SUITE: SuiteDefinition = {
  name: 'fake',
  workload: 'w',
  description: 'fake suite',
  sizeMeaning: 'bytes',
  strategies: ['a', 'b'],
  allocators: ['glibc', 'tcmalloc'],
  full: { forks: 2, warmupMs: 10, durationMs: 20, sizes: [1], axes: {}, v8FlagSets: [{ label: 'default', flags: [] }] },
  quick: { forks: 2, warmupMs: 10, durationMs: 20, sizes: [1], axes: {}, v8FlagSets: [{ label: 'default', flags: [] }] },
  childTimeoutMs: 5000,
};

const ENV = FAKE_ENV;

const HEAD: Side[] = [{ label: 'head', rootDir: '/repo' }];
const installed = (name: AllocatorName): Availability => ({ available: true, name, path: null });
const noTcmalloc = (name: AllocatorName): Availability =>
  name === 'tcmalloc'
    ? { available: false, name, path: '/x/tc.so', reason: 'tcmalloc: /x/tc.so not found', installHint: "run 'npm run setup'" }
    : { available: true, name, path: null };

const opts = (argv: string[]): BenchOptions => runOptions(SUITE, argv);

function harness(overrides: Partial<RunContext> = {}) {
  const sink = new MemorySink();
  const writes: Array<{ path: string; result: ResultFile }> = [];
  const log: string[] = [];
  const ctx: RunContext = {
    progress: new PlainProgress((l) => log.push(l)),
    environment: () => ENV,
    now: steppingClock(),
    suites: [SUITE],
    availability: installed,
    sink,
    writeResult: (path, result) => writes.push({ path, result: structuredClone(result) }),
    ...overrides,
  };
  return { ctx, sink, writes, log };
}

describe('runSuite with a fake child', () => {
  it('runs every fork in the seeded interleaved order and streams exact JSONL lines', async () => {
    const { ctx, sink, writes, log } = harness();
    const exec = new FakeExecutor();
    const out = await runSuite(opts(['--allocator', 'glibc']), HEAD, exec, ctx);
    expect(exec.calls).toEqual([
      { cellId: 'w/a/glibc/1', forkIndex: 0, side: 'head', timeoutMs: 5000 },
      { cellId: 'w/b/glibc/1', forkIndex: 0, side: 'head', timeoutMs: 5000 },
      { cellId: 'w/a/glibc/1', forkIndex: 1, side: 'head', timeoutMs: 5000 },
      { cellId: 'w/b/glibc/1', forkIndex: 1, side: 'head', timeoutMs: 5000 },
    ]);
    expect(sink.lines.map((l) => JSON.stringify(l.type === 'fork' ? { ...l, record: l.record.opsPerSec } : l))).toEqual([
      '{"type":"start","suite":"fake","seed":1,"startedAt":"2026-01-01T00:00:00.000Z","sides":["head"],"cells":2,"scheduled":4}',
      '{"type":"round","round":0,"cells":2}',
      '{"type":"fork","side":"head","cellId":"w/a/glibc/1","forkIndex":0,"record":1000}',
      '{"type":"fork","side":"head","cellId":"w/b/glibc/1","forkIndex":0,"record":1000}',
      '{"type":"round","round":1,"cells":2}',
      '{"type":"fork","side":"head","cellId":"w/a/glibc/1","forkIndex":1,"record":2000}',
      '{"type":"fork","side":"head","cellId":"w/b/glibc/1","forkIndex":1,"record":2000}',
      '{"type":"end","interrupted":false,"finishedAt":"2026-01-01T00:00:05.000Z","rounds":{"completed":2,"minRounds":2,"maxRounds":2,"targetHalfWidth":0.02,"budgetMs":null,"stoppedBecause":"max-rounds","cellsOutOfBudget":[]}}',
    ]);
    expect(log).toEqual([
      'running 4 forks',
      '[1/4] w/a/glibc/1 fork 0: 1.0k ops/s (1s, ETA 2s)',
      '[2/4] w/b/glibc/1 fork 0: 1.0k ops/s (1s, ETA 1s)',
      '[3/4] w/a/glibc/1 fork 1: 2.0k ops/s (1s, ETA 1s)',
      '[4/4] w/b/glibc/1 fork 1: 2.0k ops/s (1s, ETA 0s)',
    ]);
    // a result file before the first fork, after each round (cells with their provisional summary, no finishedAt), and the final one
    expect(writes.map((w) => [w.path, w.result.cells.map((c) => `${c.id}:${c.forks.length}`), w.result.environment.finishedAt ?? null])).toEqual([
      ['out/r.json', [], null],
      ['out/r.json', ['w/a/glibc/1:1', 'w/b/glibc/1:1'], null],
      ['out/r.json', ['w/a/glibc/1:2', 'w/b/glibc/1:2'], null],
      ['out/r.json', ['w/a/glibc/1:2', 'w/b/glibc/1:2'], '2026-01-01T00:00:05.000Z'],
    ]);
    const final = out.sides[0]!.result;
    expect(out.jsonlPath).toBe('out/r.jsonl');
    expect([final.interrupted, out.anyErrored, final.environment.finishedAt]).toEqual([false, false, '2026-01-01T00:00:05.000Z']);
    const a = final.cells[0]!;
    expect([a.state, a.forks.map((f) => f.forkIndex), a.summary!.opsPerSec.median, a.summary!.opsPerSec.ci95]).toEqual(['completed', [0, 1], 1500, [1000, 2000]]);
    expect(a.warnings).toEqual(['only 2 forks: the 95% interval is degenerate; use --forks 3 or more for a usable interval']);
    // the fake records carry no warm-up class: not consistent, and 2 forks are too few for modes
    expect(a.consistency).toEqual({ classes: {}, consistent: false, halfWidth: 500 / 1500 });
    // both cells ran 1000 then 2000 ops/s: the per-round ratio b/a is exactly 1
    expect(final.axisRatios).toEqual([{ axis: 'strategy', a: 'a', b: 'b', cellA: 'w/a/glibc/1', cellB: 'w/b/glibc/1', pairs: 2, ratio: 1, ci95: [1, 1] }]);
    expect(final.options).toMatchObject({ suite: 'fake', seed: 1, side: 'head', plan: { forks: 2, timeoutMs: 5000 }, childEnvAllowList: ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'BUFLAB_RANGE_COPY', 'BUFLAB_TEST_SLOWDOWN'] });
  });

  it('a crashed, hung or garbled child makes its cell errored with the stderr tail, and the run goes on', async () => {
    const { ctx, sink } = harness();
    const exec = new FakeExecutor((r) => {
      if (r.cell.strategy === 'a' && r.forkIndex === 1) return { ok: false, error: { code: 'E_CHILD_CRASHED', message: 'fork 1 was killed by SIGABRT', stderrTail: 'free(): invalid pointer' } };
      if (r.cell.strategy === 'b' && r.cell.allocator === 'tcmalloc') return { ok: false, error: { code: 'E_CHILD_TIMEOUT', message: 'time limit', stderrTail: '' } };
      if (r.cell.strategy === 'b' && r.cell.allocator === 'glibc') return { ok: false, error: { code: 'E_CHILD_PROTOCOL', message: 'not JSON', stderrTail: '' } };
      return { ok: true, record: fakeRecord(r.cell.id, r.forkIndex, 1000) };
    });
    const out = await runSuite(opts(['--forks', '3']), HEAD, exec, ctx);
    const cells = out.sides[0]!.result.cells;
    expect(cells.map((c) => [c.id, c.state, c.error?.code ?? null, c.forks.length])).toEqual([
      ['w/a/glibc/1', 'errored', 'E_CHILD_CRASHED', 1],
      ['w/a/tcmalloc/1', 'errored', 'E_CHILD_CRASHED', 1],
      ['w/b/glibc/1', 'errored', 'E_CHILD_PROTOCOL', 0],
      ['w/b/tcmalloc/1', 'errored', 'E_CHILD_TIMEOUT', 0],
    ]);
    expect(cells[0]!.error).toEqual({ code: 'E_CHILD_CRASHED', message: 'fork 1 was killed by SIGABRT', stderrTail: 'free(): invalid pointer' });
    expect(cells[0]!.summary).toBeUndefined();
    expect(cells[0]!.warnings).toEqual(['1 fork completed before the failure (kept in forks); the cell got no more rounds']);
    // an errored cell's remaining forks are not run: 2 + 2 + 1 + 1 children, not 12
    expect(exec.calls).toHaveLength(6);
    expect(sink.lines.filter((l) => l.type === 'error').map((l) => l.type === 'error' && `${l.cellId}#${l.forkIndex} ${l.error.code}`)).toEqual([
      expect.stringMatching(/^w\/b\/(glibc|tcmalloc)\/1#0 E_CHILD_(PROTOCOL|TIMEOUT)$/),
      expect.stringMatching(/^w\/b\/(glibc|tcmalloc)\/1#0 E_CHILD_(PROTOCOL|TIMEOUT)$/),
      expect.stringMatching(/^w\/a\/(glibc|tcmalloc)\/1#1 E_CHILD_CRASHED$/),
      expect.stringMatching(/^w\/a\/(glibc|tcmalloc)\/1#1 E_CHILD_CRASHED$/),
    ]);
    expect(out.anyErrored).toBe(true);
  });

  it('skips cells of a missing allocator, says so, and never runs them', async () => {
    const { ctx, sink, log } = harness({ availability: noTcmalloc });
    const exec = new FakeExecutor();
    const out = await runSuite(opts([]), HEAD, exec, ctx);
    expect(exec.calls.every((c) => !c.cellId.includes('tcmalloc'))).toBe(true);
    expect(log[0]).toBe("skipping 2 cells: allocator tcmalloc is not installed (tcmalloc: /x/tc.so not found): run 'npm run setup'");
    expect(sink.lines.filter((l) => l.type === 'skipped').map((l) => l.type === 'skipped' && l.cellId)).toEqual(['w/a/tcmalloc/1', 'w/b/tcmalloc/1']);
    const r = out.sides[0]!.result;
    expect(r.cells.map((c) => [c.id, c.state])).toEqual([
      ['w/a/glibc/1', 'completed'], ['w/a/tcmalloc/1', 'skipped'], ['w/b/glibc/1', 'completed'], ['w/b/tcmalloc/1', 'skipped'],
    ]);
    expect(r.warnings).toEqual([log[0]]);
    expect(out.anyErrored).toBe(false);
  });

  it('Ctrl-C: kills the running child, keeps what was measured, writes interrupted: true', async () => {
    const controller = new AbortController();
    const { ctx, sink, writes } = harness({ signal: controller.signal });
    let n = 0;
    const exec = new FakeExecutor((r) => {
      n++;
      if (n === 4) {
        controller.abort();
        return { ok: false, error: { code: 'E_INTERRUPTED', message: 'killed', stderrTail: '' } };
      }
      return { ok: true, record: fakeRecord(r.cell.id, r.forkIndex, 1000) };
    });
    const out = await runSuite(opts(['--allocator', 'glibc', '--forks', '3']), HEAD, exec, ctx);
    expect(exec.calls).toHaveLength(4);
    const r = out.sides[0]!.result;
    expect(out.interrupted).toBe(true);
    expect(r.interrupted).toBe(true);
    expect(writes.at(-1)!.result.interrupted).toBe(true);
    // schedule a#0 b#0 a#1 (b#1 interrupted): a has 2 forks, b 1, both partial
    expect(r.cells.map((c) => [c.id, c.state, c.error?.code, c.forks.length])).toEqual([
      ['w/a/glibc/1', 'errored', 'E_INTERRUPTED', 2],
      ['w/b/glibc/1', 'errored', 'E_INTERRUPTED', 1],
    ]);
    expect(sink.lines.map((l) => l.type)).toEqual(['start', 'round', 'fork', 'fork', 'round', 'fork', 'error', 'end']);
    expect(r.rounds).toMatchObject({ completed: 1, stoppedBecause: 'interrupted', cellsOutOfBudget: [] });
    expect(sink.lines.at(-1)).toMatchObject({ type: 'end', interrupted: true });
  });

  it('two sides: forks alternate base, head (then head, base) for the same cell and fork; one result per side', async () => {
    const { ctx, writes } = harness();
    const exec = new FakeExecutor();
    const sides: Side[] = [{ label: 'base', rootDir: '/base' }, { label: 'head', rootDir: '/repo' }];
    const out = await runSuite(opts(['--allocator', 'glibc']), sides, exec, ctx);
    expect(exec.calls.map((c) => `${c.side} ${c.cellId}#${c.forkIndex}`)).toEqual([
      'base w/a/glibc/1#0', 'head w/a/glibc/1#0', 'base w/b/glibc/1#0', 'head w/b/glibc/1#0',
      'head w/a/glibc/1#1', 'base w/a/glibc/1#1', 'head w/b/glibc/1#1', 'base w/b/glibc/1#1',
    ]);
    expect(out.sides.map((s) => [s.side.label, s.resultPath, s.result.cells.length, s.result.options.side])).toEqual([
      ['base', 'out/r.base.json', 2, 'base'],
      ['head', 'out/r.head.json', 2, 'head'],
    ]);
    expect(new Set(writes.map((w) => w.path))).toEqual(new Set(['out/r.base.json', 'out/r.head.json']));
  });

  it('counted forks run --count-jobs at a time, unsliced, across the rounds of a fixed run; a paired run keeps base and head of a round together', async () => {
    // A fake child that stays alive until the event loop turns, so forks started together overlap.
    let live = 0;
    const groups: string[][] = [];
    let current: string[] = [];
    const exec = new FakeExecutor();
    const run = exec.run.bind(exec);
    exec.run = async (req) => {
      if (live === 0) current = [];
      live++;
      current.push(`${req.side.label} ${req.cell.id}#${req.forkIndex}${req.slice === undefined ? '' : ' sliced'}`);
      await new Promise((r) => setTimeout(r, 5));
      if (--live === 0) groups.push(current);
      return run(req);
    };
    const counted = (argv: string[]): BenchOptions => ({ ...opts(argv), countInstructions: 'callgrind', countJobs: 2 });
    const one = harness();
    const out = await runSuite(counted(['--allocator', 'glibc', '--strategy', 'a', '--forks', '5']), HEAD, exec, one.ctx);
    expect(groups).toEqual([['head w/a/glibc/1#0', 'head w/a/glibc/1#1'], ['head w/a/glibc/1#2', 'head w/a/glibc/1#3'], ['head w/a/glibc/1#4']]);
    expect(out.sides[0]!.result.cells[0]!.forks.map((f) => f.forkIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(one.sink.lines.filter((l) => l.type === 'round').map((l) => (l as { round: number }).round)).toEqual([0, 1, 2, 3, 4]);
    // Two at a time on two CPUs or more need no longer limit than one alone (callgrind's own limit).
    expect(exec.calls[0]!.timeoutMs).toBe(countedTimeoutMs(5000, 'callgrind') * Math.ceil(2 / availableParallelism()));

    groups.length = 0;
    const sides: Side[] = [{ label: 'base', rootDir: '/base' }, { label: 'head', rootDir: '/repo' }];
    await runSuite(counted(['--allocator', 'glibc', '--strategy', 'a', '--forks', '2']), sides, exec, harness().ctx);
    expect(groups).toEqual([['base w/a/glibc/1#0', 'head w/a/glibc/1#0'], ['head w/a/glibc/1#1', 'base w/a/glibc/1#1']]);

    // An odd job count in a paired run rounds down to whole base/head pairs; two cells, one round.
    groups.length = 0;
    await runSuite({ ...counted(['--allocator', 'glibc', '--forks', '1']), countJobs: 3 }, sides, exec, harness().ctx);
    expect(groups.map((g) => g.length)).toEqual([2, 2]);
    for (const g of groups) expect(new Set(g.map((f) => f.split(' ')[1]))).toHaveLength(1);

    // One job (perf's default): one fork at a time, also in a paired run.
    groups.length = 0;
    await runSuite({ ...counted(['--allocator', 'glibc', '--strategy', 'a', '--forks', '2']), countJobs: 1 }, sides, exec, harness().ctx);
    expect(groups.map((g) => g.length)).toEqual([1, 1, 1, 1]);
  });

  it('a counted fork that fails inside a merged batch: the cell is errored with the first failure and keeps the forks that finished beside it', async () => {
    const exec = new FakeExecutor((r) =>
      r.forkIndex === 1 || r.forkIndex === 2
        ? { ok: false, error: { code: 'E_CHILD_CRASHED', message: `fork ${r.forkIndex} crashed`, stderrTail: '' } }
        : { ok: true, record: fakeRecord(r.cell.id, r.forkIndex, 1000) },
    );
    const { ctx, writes } = harness();
    await runSuite({ ...opts(['--allocator', 'glibc', '--strategy', 'a', '--forks', '4']), countInstructions: 'callgrind', countJobs: 4 }, HEAD, exec, ctx);
    // One batch of all four rounds; the cell gets no more after it.
    expect(exec.calls.map((c) => c.forkIndex)).toEqual([0, 1, 2, 3]);
    const cell = writes.at(-1)!.result.cells[0]!;
    expect([cell.state, cell.error?.message]).toEqual(['errored', 'fork 1 crashed']);
    expect(cell.forks.map((f) => f.forkIndex)).toEqual([0, 3]);
  });

  it('marks each fork with its block (the round, forks run alone) and gives each cell beside its measured interval one with the rounds’ shared drift divided out', async () => {
    // 8 cells whose forks follow the machine: round r runs everything at (r + 1)× — drift, nothing else
    const wide: SuiteDefinition = { ...SUITE, strategies: ['a', 'b', 'c', 'd'] };
    const { ctx, writes } = harness({ suites: [wide] });
    const rate = (id: string): number => 1000 * (1 + ['a', 'b', 'c', 'd'].indexOf(id.split('/')[1]!)) * (id.includes('tcmalloc') ? 2 : 1);
    const exec = new FakeExecutor((r) => ({ ok: true, record: fakeRecord(r.cell.id, r.forkIndex, rate(r.cell.id) * (r.forkIndex + 1)) }));
    await runSuite(runOptions(wide, ['--forks', '5']), HEAD, exec, ctx);
    const result = writes.at(-1)!.result;
    expect(result.cells).toHaveLength(8);
    expect(result.drift).toMatchObject({ blocks: 5, adjustedForks: 40, forks: 40 });
    for (const c of result.cells) {
      expect(c.forks.map((f) => f.block)).toEqual([0, 1, 2, 3, 4]);
      // measured (the cell's figure): the machine's 1×–5×; adjusted: the cell at the median round (3×), exactly
      expect([c.summary!.opsPerSec.median, c.summary!.opsPerSec.ci95]).toEqual([3 * rate(c.id), [rate(c.id), 5 * rate(c.id)]]);
      const adjusted = c.summary!.driftAdjusted!.opsPerSec;
      expect(adjusted.median).toBeCloseTo(3 * rate(c.id), 6);
      expect(adjusted.ci95[1] - adjusted.ci95[0]).toBeLessThan(1e-6 * rate(c.id));
    }
  });

  it('refuses an empty selection before any child runs', async () => {
    const { ctx } = harness();
    const exec = new FakeExecutor();
    await expect(runSuite(opts(['--shard', '3/3', '--allocator', 'glibc']), HEAD, exec, ctx)).rejects.toThrow('no cells selected in suite fake');
    expect(exec.calls).toEqual([]);
  });
});
