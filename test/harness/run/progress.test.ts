import { describe, expect, it } from 'vitest';
import { formatDuration, TtyProgress } from '../../../harness/run/progress.js';
import { cellNotes, renderSummaryTable } from '../../../harness/run/summary-table.js';
import { renderWarningDigest } from '../../../harness/run/warning-digest.js';
import { summarizeForks } from '../../../harness/stats/summarize.js';
import type { CellResult } from '../../../contract/result-schema.js';
import { fakeRecord } from './fake-child.js';

describe('TtyProgress', () => {
  it('redraws one bar line with ETA and prints failures above it', () => {
    const writes: string[] = [];
    const p = new TtyProgress({ write: (s: string) => writes.push(s), columns: 80 });
    p.start(4);
    p.forkStarted('w/a/glibc/1', 0, 'head');
    p.forkDone({
      done: 1, total: 4, cellId: 'w/a/glibc/1', forkIndex: 0, side: 'head', paired: false, elapsedMs: 1000, etaMs: 3000,
      outcome: { ok: false, error: { code: 'E_CHILD_CRASHED', message: 'boom', stderrTail: '' } },
    });
    p.finish();
    expect(writes).toEqual([
      '\r\x1b[K[------------------------] 0/4 ETA …  ',
      '\r\x1b[K[------------------------] 0/4 ETA …  w/a/glibc/1 #0 head',
      '\r\x1b[Kw/a/glibc/1 fork 0: E_CHILD_CRASHED: boom\n',
      '\r\x1b[K[######------------------] 1/4 ETA 3s  w/a/glibc/1 #0 head',
      '\r\x1b[K',
    ]);
  });

  it('formats durations', () => {
    expect([formatDuration(400), formatDuration(61_000), formatDuration(3_725_000)]).toEqual(['0s', '1m01s', '1h02m']);
  });
});

describe('renderSummaryTable', () => {
  it('one row per cell with the median, its interval and the per-op columns', () => {
    const forks = [fakeRecord('w/a/glibc/1', 0, 1.2e6), fakeRecord('w/a/glibc/1', 1, 1.25e6), fakeRecord('w/a/glibc/1', 2, 1.3e6)];
    const done: CellResult = {
      id: 'w/a/glibc/1', workload: 'w', strategy: 'a', allocator: 'glibc', size: 1, params: {}, v8Flags: [], state: 'completed',
      forks, summary: summarizeForks('w/a/glibc/1', forks, { seed: 1 }).summary, warnings: [],
    };
    const failed: CellResult = { ...done, id: 'w/b/glibc/1', state: 'errored', error: { code: 'E_CHILD_TIMEOUT', message: 'x' }, summary: undefined };
    expect(renderSummaryTable([done, failed]).split('\n')).toEqual([
      'cell         state      forks   ops/s median [ci95]     ±    p99  p99∩GC  GC time  heap B/op  ArrayBuffer B/op  allocs/op  peak RSS  notes',
      '-----------  ---------  -----  --------------------  ----  -----  ------  -------  ---------  ----------------  ---------  --------  -----',
      'w/a/glibc/1  completed      3  1.25M [1.20M, 1.30M]  4.0%  2.4us       -     0.2%         64               128          1     47.7M',
      'w/b/glibc/1  errored        3       E_CHILD_TIMEOUT',
    ]);
  });

  it('adds the optional instructions/op column (from the metric registry) only when a cell records it', () => {
    const forks = [0, 1, 2].map((i) => ({ ...fakeRecord('w/a/glibc/1', i, 1e6), instructionsPerOp: 1000 + i * 10 }));
    const cell: CellResult = {
      id: 'w/a/glibc/1', workload: 'w', strategy: 'a', allocator: 'glibc', size: 1, params: {}, v8Flags: [], state: 'completed',
      forks, summary: summarizeForks('w/a/glibc/1', forks, { seed: 1 }).summary, warnings: [],
    };
    const [head, , row] = renderSummaryTable([cell]).split('\n');
    expect(head!.endsWith("peak RSS  instructions/op  notes")).toBe(true);
    expect(row).toMatch(/ 1.0k$/); // median of 1000, 1010, 1020
    const without = { ...cell, forks: cell.forks.map(({ instructionsPerOp: _drop, ...f }) => f) };
    expect(renderSummaryTable([without]).split('\n')[0]).not.toContain('instructions/op');
  });

  it('notes say which cells have modes (and what separates them) and which ran out of budget', () => {
    const base: CellResult = { id: 'c', workload: 'w', strategy: 'a', allocator: 'glibc', size: 1, params: {}, v8Flags: [], state: 'completed', forks: [], warnings: [] };
    const modes = { forks: [[0, 2], [1, 3]], opsPerSec: [2, 1], separatedBy: ['jit.opOptimized'], explanation: 'x' };
    expect(cellNotes({ ...base, consistency: { classes: {}, consistent: false, halfWidth: 0.1, modes, outOfBudget: true } })).toBe('2 modes (jit.opOptimized); out of budget');
    expect(cellNotes({ ...base, consistency: { classes: {}, consistent: false, halfWidth: 0.1, modes: { ...modes, separatedBy: [] } } })).toBe('2 modes (no factor separates them)');
    expect(cellNotes({ ...base, consistency: { classes: { flat: 3 }, consistent: true, halfWidth: 0.01 } })).toBe('');
  });
});

describe('renderWarningDigest', () => {
  it('prints each kind of warning once with the cells it concerns', () => {
    const cell = (id: string, warnings: string[]): CellResult => ({
      id, workload: 'w', strategy: 'a', allocator: 'glibc', size: 1, params: {}, v8Flags: [], state: 'completed', forks: [], warnings,
    });
    const lines = renderWarningDigest([
      cell('c1', ['only 2 forks: use --forks 3', 'fork 0: warm-up did not reach steady state within 250 ms']),
      cell('c2', ['only 2 forks: use --forks 3', 'fork 1: warm-up did not reach steady state within 250 ms']),
      cell('c3', ['only 2 forks: use --forks 3', 'forks disagree by 12% (ops/s 1.0k..1.1k)']),
      cell('c4', ['only 2 forks: use --forks 3']),
    ]);
    expect(lines).toEqual([
      'warning (4 cells: c1, c2, c3, … 1 more): e.g. c1: only 2 forks: use --forks 3',
      'warning (2 cells: c1, c2): e.g. c1: fork 0: warm-up did not reach steady state within 250 ms',
      'warning: c3: forks disagree by 12% (ops/s 1.0k..1.1k)',
    ]);
  });
});
