import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeMain } from '../../../harness/compare/merge-command.js';
import { mergeResults } from '../../../harness/compare/merge-results.js';
import { makeResult } from './make-result.js';

const shard = (ids: string[], env: Parameters<typeof makeResult>[1] = {}) => makeResult(ids.map((id) => ({ id, forks: [{ opsPerSec: 100 }] })), { commit: 'abc', ...env });

describe('mergeResults', () => {
  it('joins shards of one suite, sorted by cell id', () => {
    const merged = mergeResults([
      { path: 'a.json', result: shard(['v/b/glibc/1', 'v/d/glibc/1']) },
      { path: 'b.json', result: shard(['v/a/glibc/1', 'v/c/glibc/1']) },
    ]);
    expect(merged.cells.map((c) => c.id)).toEqual(['v/a/glibc/1', 'v/b/glibc/1', 'v/c/glibc/1', 'v/d/glibc/1']);
    expect(merged.suite).toBe('vpn');
    expect((merged.options.mergedFrom as Array<{ path: string }>).map((m) => m.path)).toEqual(['a.json', 'b.json']);
  });

  it('keeps the shards of a paired run paired: merged base and merged head get the same id', () => {
    const side = (ids: string[], run: string, label: string) => ({ ...shard(ids), pairedRun: { id: run, side: label, sides: ['base', 'head'], order: 'alternating' as const } });
    const base = mergeResults([
      { path: 'b1.json', result: side(['v/a/glibc/1'], 'run-2', 'base') },
      { path: 'b0.json', result: side(['v/b/glibc/1'], 'run-1', 'base') },
    ]);
    const head = mergeResults([
      { path: 'h0.json', result: side(['v/b/glibc/1'], 'run-1', 'head') },
      { path: 'h1.json', result: side(['v/a/glibc/1'], 'run-2', 'head') },
    ]);
    expect(base.pairedRun).toEqual({ id: 'run-1 + run-2', side: 'base', sides: ['base', 'head'], order: 'alternating' });
    expect(head.pairedRun!.id).toBe(base.pairedRun!.id);
    expect(head.pairedRun!.side).toBe('head');
    // A shard that is not part of a paired run (or another side) makes the merge unpaired.
    expect(mergeResults([{ path: 'b0.json', result: side(['v/b/glibc/1'], 'run-1', 'base') }, { path: 'x.json', result: shard(['v/a/glibc/1']) }]).pairedRun).toBeUndefined();
  });

  it('drops each shard\'s drift-adjusted figures (conditional on that shard\'s machine state) and keeps the measured ones', () => {
    const a = shard(['v/a/glibc/1']);
    const interval = (median: number) => ({ median, mean: median, ci95: [median, median] as [number, number], meanCi95: [median, median] as [number, number] });
    const measured = { opsPerSec: interval(100), bytesPerSec: interval(100) };
    a.cells[0]!.summary = { ...measured, driftAdjusted: { opsPerSec: interval(123), bytesPerSec: interval(123) } } as unknown as NonNullable<(typeof a.cells)[0]['summary']>;
    const merged = mergeResults([{ path: 'a.json', result: a }, { path: 'b.json', result: shard(['v/b/glibc/1']) }]);
    expect(merged.cells[0]!.summary).toEqual(measured);
  });

  it('refuses a duplicate cell, naming both files', () => {
    expect(() => mergeResults([{ path: 'a.json', result: shard(['v/a/glibc/1']) }, { path: 'b.json', result: shard(['v/a/glibc/1']) }])).toThrow(
      /cell v\/a\/glibc\/1 is in both a\.json and b\.json/,
    );
  });

  it('refuses different suites, CPU models, Node versions and commits', () => {
    const a = { path: 'a.json', result: shard(['v/a/glibc/1']) };
    expect(() => mergeResults([a, { path: 'b.json', result: shard(['v/b/glibc/1'], { suite: 'dns' }) }])).toThrow(/b\.json is suite dns, a\.json is suite vpn/);
    expect(() => mergeResults([a, { path: 'b.json', result: shard(['v/b/glibc/1'], { cpuModel: 'X' }) }])).toThrow(/environment\.cpuModel differs/);
    expect(() => mergeResults([a, { path: 'b.json', result: shard(['v/b/glibc/1'], { node: 'v22.1.0' }) }])).toThrow(/environment\.node differs/);
    expect(() => mergeResults([a, { path: 'b.json', result: shard(['v/b/glibc/1'], { commit: 'def' }) }])).toThrow(/git\.commit differs/);
  });
});

describe('merge command', () => {
  it('writes the merged file, and exits 2 with the reason when refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-merge-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(shard(['v/a/glibc/1'])));
    writeFileSync(b, JSON.stringify(shard(['v/b/glibc/1'])));
    const out = join(dir, 'm.json');
    const ok = mergeMain([a, b, '--out', out]);
    expect(ok).toEqual({ stdout: `merged 2 files, 2 cells -> ${out}\n`, stderr: '', exitCode: 0 });
    expect(JSON.parse(readFileSync(out, 'utf8')).cells).toHaveLength(2);
    const dup = mergeMain([a, a, '--out', out]);
    expect(dup.exitCode).toBe(2);
    expect(dup.stderr).toMatch(/\[E_MERGE_DUPLICATE_CELL\]/);
    expect(mergeMain([a, b]).stderr).toMatch(/--out MERGED\.json is required/);
    expect(mergeMain([a, '--out', out]).stderr).toMatch(/two or more/);
  });
});
