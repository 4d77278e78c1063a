/**
 * Golden test: summary.md of the fixed fixture result file must match
 * test/fixtures/results/alloc-small.summary.md byte for byte. After an intended change of the
 * report, regenerate with `UPDATE_GOLDEN=1 npx vitest run test/reports/summary-md.test.ts` and
 * review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cellRows, sortRows } from '../../reports/cell-rows.js';
import { cellsCsv } from '../../reports/cell-table.js';
import { readResultFile } from '../../contract/read-result.js';
import { summaryMarkdown } from '../../reports/summary-md.js';
import { makeAllocSmall } from '../fixtures/make-alloc-small.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';
const GOLDEN = 'test/fixtures/results/alloc-small.summary.md';

describe('summary.md', () => {
  it('matches the golden file for the fixture', () => {
    const result = readResultFile(FIXTURE);
    const md = summaryMarkdown(result, cellRows(result));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, md);
    expect(md).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('the committed fixture is what its generator produces (deterministic)', () => {
    expect(JSON.parse(readFileSync(FIXTURE, 'utf8'))).toEqual(JSON.parse(JSON.stringify(makeAllocSmall())));
  });

  it('has one table row per cell and lists failures with their reasons', () => {
    const result = readResultFile(FIXTURE);
    const md = summaryMarkdown(result, cellRows(result));
    const tableRows = md.split('\n').filter((l) => l.startsWith('| alloc |'));
    expect(tableRows).toHaveLength(result.cells.length);
    expect(md).toContain("- `alloc/pooled/tcmalloc/64` — **skipped**: ALLOCATOR_MISSING: tcmalloc not found");
    expect(md).toContain('- `alloc/uint8array/mimalloc/1400` — **errored**: CHILD_CRASHED: fork 0 exited with signal SIGSEGV');
    // The headline names the fixture's fastest strategy in each size and its margin.
    expect(md).toContain('**Best strategy: one-big-struct** — fastest in 2 of 2 comparison groups');
    expect(md).toMatch(/\*\*64 B\*\*: \*\*one-big-struct \+ glibc\*\* won at 9\.00 M ops\/s/);
  });
});

describe('cells.csv', () => {
  it('has a header and one row per cell with raw numbers', () => {
    const result = readResultFile(FIXTURE);
    const rows = sortRows(cellRows(result));
    const lines = cellsCsv(rows).trimEnd().split('\n');
    expect(lines).toHaveLength(result.cells.length + 1);
    const header = lines[0]!.split(',');
    const obs = lines.find((l) => l.startsWith('alloc/one-big-struct/glibc/64,'))!.split(',');
    const cell = result.cells.find((c) => c.id === 'alloc/one-big-struct/glibc/64')!;
    expect(Number(obs[header.indexOf('opsPerSec')])).toBe(cell.summary!.opsPerSec.median);
    expect(Number(obs[header.indexOf('peakRssBytes')])).toBe(cell.summary!.memory.peakRssBytes);
    const skipped = lines.find((l) => l.startsWith('alloc/pooled/tcmalloc/64,'))!;
    expect(skipped).toContain('skipped');
    expect(skipped).toContain('ALLOCATOR_MISSING');
  });

  it('says how the rounds went, which cells ran out of budget and which cells have modes (issue 18)', () => {
    const result = readResultFile(FIXTURE);
    const cell = result.cells.find((c) => c.state === 'completed')!;
    cell.consistency = { classes: { flat: 3 }, consistent: false, halfWidth: 0.04, outOfBudget: true, modes: { forks: [[0, 2], [1, 3]], opsPerSec: [2e6, 1e6], separatedBy: ['jit.opOptimized'], explanation: '2 modes (2 + 2 forks), the fastest 2.00× the slowest; separated by jit.opOptimized (permutation p 0.030).' } };
    result.rounds = { completed: 9, minRounds: 5, maxRounds: 30, targetHalfWidth: 0.02, budgetMs: 35 * 60_000, stoppedBecause: 'budget', cellsOutOfBudget: [cell.id] };
    const md = summaryMarkdown(result, cellRows(result));
    expect(md).toContain(`## Precision

- 9 rounds; stopped because the time budget ended; target ±2.0% (95% interval of each cell's median and of each within-run ratio), budget 35 min.
- **1 cell ran out of budget** before reaching the target: \`${cell.id}\`.
- \`${cell.id}\`: 2 modes (2 + 2 forks), the fastest 2.00× the slowest; separated by jit.opOptimized (permutation p 0.030).
`);
  });
});

describe('a metric reaches the report through the registry alone (issue 12)', () => {
  it('instructions/op: no column without it; with it in the forks, summary.md and cells.csv show the median across forks', () => {
    const plain = readResultFile(FIXTURE);
    expect(summaryMarkdown(plain, cellRows(plain))).not.toContain('instructions/op');
    const counted = readResultFile(FIXTURE);
    const cell = counted.cells.find((c) => c.id === 'alloc/one-big-struct/glibc/64')!;
    cell.forks.forEach((f, i) => {
      f.instructionsPerOp = [1210, 1190, 1200][i]!;
      f.instructionSource = 'callgrind';
    });
    const md = summaryMarkdown(counted, cellRows(counted));
    const cells = (prefix: string): string[] => md.split('\n').find((l) => l.startsWith(prefix))!.split('|').map((c) => c.trim());
    const header = cells('| workload |');
    const row = cells('| alloc | one-big-struct | glibc | 64 |');
    expect(row[header.indexOf('instructions/op')]).toBe('1.20 k');
    const csv = cellsCsv(sortRows(cellRows(counted))).split('\n');
    const csvHeader = csv[0]!.split(',');
    const csvRow = csv.find((l) => l.startsWith('alloc/one-big-struct/glibc/64,'))!.split(',');
    expect(Number(csvRow[csvHeader.indexOf('instructionsPerOp')])).toBe(1200);
    // Cells without the count show a dash, not a zero.
    const other = cells('| alloc | pooled | glibc | 64 |');
    expect(other[header.indexOf('instructions/op')]).toBe('–');
  });
});
