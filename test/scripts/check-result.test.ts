import { describe, expect, it } from 'vitest';
import { readResultFile } from '../../contract/read-result.js';
import { cellPrecision, checkResultMain, essentialsProblems, precisionLine } from '../../scripts/check-result.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';

describe('check-result', () => {
  it('passes a file with every strategy × allocator completed and names what is missing otherwise', () => {
    const r = readResultFile(FIXTURE);
    expect(essentialsProblems(r, { strategies: ['one-big-struct'], allocators: ['glibc', 'jemalloc'] })).toEqual([]);
    expect(essentialsProblems(r, { strategies: ['pooled'], allocators: ['glibc', 'tcmalloc'] })).toEqual([
      'alloc/pooled/tcmalloc/64: skipped (ALLOCATOR_MISSING: tcmalloc not found at /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4: install Debian package \'libtcmalloc-minimal4\' (npm run setup))',
    ]);
    const broken = readResultFile(FIXTURE);
    const big = broken.cells.find((c) => c.id === 'alloc/one-big-struct/glibc/64')!;
    big.summary!.alloc.strategyAllocsPerOp = 2;
    delete (big.summary!.latencyNs as { p999?: number }).p999;
    expect(essentialsProblems(broken, { strategies: ['one-big-struct'], allocators: ['glibc'] })).toEqual([
      'alloc/one-big-struct/glibc/64: summary.latencyNs.p999 missing',
      'alloc/one-big-struct/glibc/64: one-big-struct allocates 2 per op',
    ]);
  });

  it('states precision per cell: spread, half-width of the median, warm-up classes', () => {
    const r = readResultFile(FIXTURE);
    const cells = cellPrecision(r);
    const c = cells.find((x) => x.id === 'alloc/one-big-struct/glibc/64')!;
    const ops = r.cells.find((x) => x.id === c.id)!.forks.map((f) => f.opsPerSec);
    expect(c.spread).toBeCloseTo(Math.max(...ops) / Math.min(...ops) - 1, 12);
    expect(c.forks).toBe(3);
    // The fixture was not counted: no instruction spread to state.
    expect(c.instructionSpread).toBeNull();
    expect(precisionLine('alloc-small', cells)).toMatch(/^alloc-small: 12 cells; fork spread median [\d.]+% p90 [\d.]+%; half-width median [\d.]+% p90 [\d.]+%; warm-up \{/);
  });

  it('exits 2 with the reader’s code on an unreadable file, 1 on problems', () => {
    expect(checkResultMain(['/nonexistent.json', 'vpn'])).toMatchObject({ exitCode: 2, stdout: expect.stringMatching(/^check-result: \[E_RESULT_READ\]/) });
    expect(checkResultMain([FIXTURE, 'vpn', 'one-big-struct']).stdout).toContain('the file holds suite "alloc-small", not "vpn"');
    expect(checkResultMain([]).exitCode).toBe(2);
  });
});
