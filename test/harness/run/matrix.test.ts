import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../harness/child/protocol.js';
import type { AllocatorName, Availability } from '../../../allocators/native-allocators.js';
import { parseBenchArgs } from '../../../harness/cli/args.js';
import type { BenchOptions } from '../../../harness/run/bench-options.js';
import { applyShard, expandCells, resolvePlan } from '../../../harness/run/matrix.js';
import { buildSchedule } from '../../../harness/run/schedule.js';
import { SUITES, findSuite } from '../../../harness/suites.js';
import { runningRuntimeName, type RuntimeAvailability } from '../../../harness/runtime/runtimes.js';

function options(argv: string[]): BenchOptions {
  const c = parseBenchArgs(argv, SUITES);
  if (c.kind !== 'run') throw new Error('not a run');
  return c.options;
}
const allInstalled = (name: AllocatorName): Availability => ({ available: true, name, path: null });
const noTcmalloc = (name: AllocatorName): Availability =>
  name === 'tcmalloc'
    ? { available: false, name, path: '/x/libtcmalloc.so', reason: 'tcmalloc: /x/libtcmalloc.so not found', installHint: "run 'npm run setup'" }
    : { available: true, name, path: null };

describe('expandCells', () => {
  const alloc = findSuite('alloc')!;

  it('quick alloc: 4 strategies x 4 allocators x 3 sizes = 48 cells incl. 1500, ids without a v8 part', () => {
    const cells = expandCells(alloc, options(['--suite', 'alloc', '--quick']), allInstalled);
    expect(cells).toHaveLength(48);
    expect(new Set(cells.map((c) => c.cell.size))).toEqual(new Set([64, 1500, 16384]));
    expect(cells[0]!.cell).toEqual({
      id: 'alloc/uint8array/glibc/64', suite: 'alloc', workload: 'alloc', strategy: 'uint8array', allocator: 'glibc', size: 64,
      params: {}, v8Flags: [], plan: { warmupMs: 500, durationMs: 250, seed: 1 }, runtime: runningRuntimeName(),
    });
    expect(cells.every((c) => c.skip === null)).toBe(true);
  });

  // Issue 17: axes only some strategies or allocators can take are skipped cells, with the reason.
  it('alloc-mt handoff=transfer and thp/arenas knobs: cells that cannot take them are skipped, never run', () => {
    const mt = findSuite('alloc-mt')!;
    // A knob cell also needs the probe addon (skipped with its build command otherwise): build it.
    execFileSync('bash', ['allocators/native/build.sh'], { cwd: REPO_ROOT, stdio: 'pipe' });
    const cells = expandCells(mt, options(['--suite', 'alloc-mt', '--quick', '--param', 'handoff=transfer', '--param', 'thp=on', '--param', 'threads=2']), allInstalled);
    expect(cells).toHaveLength(12);
    const skipOf = (strategy: string, allocator: string) => cells.find((c) => c.cell.strategy === strategy && c.cell.allocator === allocator)!.skip;
    expect(skipOf('pooled', 'glibc')?.code).toBe('E_HANDOFF_NEEDS_UINT8ARRAY');
    expect(skipOf('uint8array', 'tcmalloc')?.code).toBe('E_KNOB_NO_MEANING');
    expect(skipOf('uint8array', 'glibc')).toBeNull();
    expect(cells.find((c) => c.skip === null)!.cell.id).toBe('alloc-mt/uint8array/glibc/1500/threads=2/handoff=transfer/thp=on');
  });

  // Issue 14: the runtime axis.
  const fakeRuntimes = (name: string): RuntimeAvailability =>
    name === 'node26'
      ? { available: false, name, reason: 'node26 is not in the runtime cache /c', installHint: "run 'npm run runtime -- install node26'" }
      : { available: true, info: { name, path: `/c/${name}/bin/node`, version: 'v1.0.0', v8: '1', sha256: null, source: 'npm:x' } };

  it('--runtime puts /runtime=NAME into every id (before /v8=), each cell carrying its runtime', () => {
    const o = options(['--suite', 'alloc', '--strategy', 'uint8array', '--allocator', 'glibc', '--size', '1500', '--runtime', 'node20,node24']);
    const cells = expandCells(alloc, o, allInstalled, fakeRuntimes);
    expect(cells.map((c) => [c.cell.id, c.cell.runtime, c.skip])).toEqual([
      ['alloc/uint8array/glibc/1500/runtime=node20/v8=default', 'node20', null],
      ['alloc/uint8array/glibc/1500/runtime=node20/v8=semi16', 'node20', null],
      ['alloc/uint8array/glibc/1500/runtime=node24/v8=default', 'node24', null],
      ['alloc/uint8array/glibc/1500/runtime=node24/v8=semi16', 'node24', null],
    ]);
  });

  it('a missing runtime is a skipped cell whose message holds the install command (never the running node)', () => {
    const o = options(['--suite', 'alloc', '--quick', '--strategy', 'uint8array', '--allocator', 'glibc', '--size', '1500', '--runtime', 'node24,node26']);
    const cells = expandCells(alloc, o, allInstalled, fakeRuntimes);
    expect(cells.map((c) => [c.cell.id, c.skip?.code ?? null])).toEqual([
      ['alloc/uint8array/glibc/1500/runtime=node24', null],
      ['alloc/uint8array/glibc/1500/runtime=node26', 'E_RUNTIME_MISSING'],
    ]);
    expect(cells[1]!.skip!.message).toBe("runtime node26 is not available (node26 is not in the runtime cache /c): run 'npm run runtime -- install node26'");
  });

  it('a runtime given as a path is percent-encoded in the id, so the id keeps its shape', () => {
    const o = options(['--suite', 'alloc', '--quick', '--strategy', 'uint8array', '--allocator', 'glibc', '--size', '64', '--runtime', '/opt/node/bin/node']);
    const [c] = expandCells(alloc, o, allInstalled, fakeRuntimes);
    expect(c!.cell.id).toBe('alloc/uint8array/glibc/64/runtime=%2Fopt%2Fnode%2Fbin%2Fnode');
    expect(c!.cell.runtime).toBe('/opt/node/bin/node');
  });

  it('full alloc varies V8 flags: the label is in the id and the flags in the cell', () => {
    const cells = expandCells(alloc, options(['--suite', 'alloc', '--strategy', 'pooled', '--allocator', 'glibc', '--size', '1500']), allInstalled);
    expect(cells.map((c) => [c.cell.id, c.cell.v8Flags])).toEqual([
      ['alloc/pooled/glibc/1500/v8=default', []],
      ['alloc/pooled/glibc/1500/v8=semi16', ['--max-semi-space-size=16']],
    ]);
  });

  it('--v8 selects flag sets without changing the ids', () => {
    const cells = expandCells(alloc, options(['--suite', 'alloc', '--strategy', 'pooled', '--allocator', 'glibc', '--size', '1500', '--v8', 'default']), allInstalled);
    expect(cells.map((c) => c.cell.id)).toEqual(['alloc/pooled/glibc/1500/v8=default']);
  });

  it('extra axes go into the id as key=value in suite order', () => {
    const suite = { ...alloc, quick: { ...alloc.quick, axes: { cipher: ['aes', 'none'], n: [1] } } };
    const o = { ...options(['--suite', 'alloc', '--quick', '--strategy', 'pooled', '--allocator', 'glibc', '--size', '64']), params: { cipher: ['chacha'] } };
    expect(expandCells(suite, o, allInstalled).map((c) => [c.cell.id, c.cell.params])).toEqual([
      ['alloc/pooled/glibc/64/cipher=chacha/n=1', { cipher: 'chacha', n: 1 }],
    ]);
  });

  it('a missing allocator makes skipped cells whose message names npm run setup (never glibc instead)', () => {
    const cells = expandCells(alloc, options(['--suite', 'alloc', '--quick', '--strategy', 'pooled', '--size', '64']), noTcmalloc);
    expect(cells.map((c) => [c.cell.id, c.skip?.code ?? null])).toEqual([
      ['alloc/pooled/glibc/64', null],
      ['alloc/pooled/jemalloc/64', null],
      ['alloc/pooled/tcmalloc/64', 'E_ALLOCATOR_MISSING'],
      ['alloc/pooled/mimalloc/64', null],
    ]);
    expect(cells[2]!.skip!.message).toBe("allocator tcmalloc is not installed (tcmalloc: /x/libtcmalloc.so not found): run 'npm run setup'");
  });

  it('test-crash expands over its workloads', () => {
    const cells = expandCells(findSuite('test-crash')!, options(['--suite', 'test-crash']), allInstalled);
    expect(cells.map((c) => c.cell.id)).toEqual(['noop/none/glibc/16', 'crash/none/glibc/16', 'hang/none/glibc/16']);
  });

  it('plan overrides and the derived child time limit', () => {
    const p = resolvePlan(alloc, options(['--suite', 'alloc', '--quick', '--forks', '3', '--warmup', '100']));
    expect([p.forks, p.warmupMs, p.durationMs, p.timeoutMs]).toEqual([3, 100, 250, 3 * 350 + 15_000]);
    expect(resolvePlan(alloc, options(['--suite', 'alloc', '--timeout', '1234'])).timeoutMs).toBe(1234);
  });
});

describe('applyShard', () => {
  it('partitions the id-sorted cells: every cell in exactly one shard', () => {
    const cells = expandCells(findSuite('alloc')!, options(['--suite', 'alloc', '--quick']), allInstalled);
    const shards = [1, 2, 3].map((k) => applyShard(cells, { index: k, count: 3 }).map((c) => c.cell.id));
    expect(shards.map((s) => s.length)).toEqual([16, 16, 16]);
    expect(new Set(shards.flat()).size).toBe(48);
    const sorted = cells.map((c) => c.cell.id).sort();
    expect(new Set(shards[1])).toEqual(new Set(sorted.filter((_, i) => i % 3 === 1)));
    expect(shards[0]).toContain('alloc/one-big-struct/glibc/1500');
  });
});

describe('buildSchedule', () => {
  it('is reproducible by seed and differs between seeds', () => {
    expect(buildSchedule(10, 3, 1, 5)).toEqual(buildSchedule(10, 3, 1, 5));
    expect(buildSchedule(10, 3, 1, 5)).not.toEqual(buildSchedule(10, 3, 1, 6));
  });

  it('runs every (cell, fork) once, fork k of every cell in round k, never the same cell twice in a row', () => {
    for (let seed = 0; seed < 50; seed++) {
      const s = buildSchedule(7, 4, 1, seed);
      expect(s).toHaveLength(28);
      expect(new Set(s.map((e) => `${e.cellIndex}/${e.forkIndex}`)).size).toBe(28);
      s.forEach((e, i) => expect(e.forkIndex).toBe(Math.floor(i / 7)));
      for (let i = 1; i < s.length; i++) expect(s[i]!.cellIndex).not.toBe(s[i - 1]!.cellIndex);
    }
  });

  it('interleaves the sides for the same cell and fork, A B in even fork rounds and B A in odd ones', () => {
    const s = buildSchedule(3, 2, 2, 1);
    expect(s).toHaveLength(12);
    for (let i = 0; i < s.length; i += 2) {
      expect([s[i]!.sideIndex, s[i + 1]!.sideIndex]).toEqual(s[i]!.forkIndex % 2 === 0 ? [0, 1] : [1, 0]);
      expect(s[i]!.cellIndex).toBe(s[i + 1]!.cellIndex);
      expect(s[i]!.forkIndex).toBe(s[i + 1]!.forkIndex);
    }
  });
});
