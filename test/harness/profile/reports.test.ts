/**
 * The profile's tables from hand-made profiles: heap allocation sites, CPU top functions, malloc
 * counter decoding and per-op arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { heapTable, heapTableMarkdown, heapTableText, type SamplingHeapProfileNode } from '../../../harness/profile/heap-table.js';
import { cpuSummary, type CpuProfileNode } from '../../../harness/profile/cpu-summary.js';
import { decodeCounts, diffCounts, MallocCountError, perOp, type MallocCounts } from '../../../harness/profile/malloc-counters.js';

const ROOT = '/repo';

function node(id: number, functionName: string, url: string, lineNumber: number, selfSize: number, children: SamplingHeapProfileNode[] = []): SamplingHeapProfileNode {
  return { id, callFrame: { functionName, scriptId: String(id), url, lineNumber, columnNumber: 4 }, selfSize, children };
}

describe('heapTable', () => {
  // (root) → op (workloads/x.js:10) → encode (stack/y.js:20: 6000 B) → alloc (allocators/z.js:30: 3000 B); op itself 1000 B.
  const profile = {
    head: node(1, '(root)', '', -1, 0, [
      node(2, 'op', 'file:///repo/dist/workloads/x.js', 9, 1000, [
        node(3, 'encode', 'file:///repo/dist/stack/y.js', 19, 6000, [node(4, 'alloc', 'file:///repo/dist/allocators/z.js', 29, 3000)]),
      ]),
    ]),
  };

  it('ranks stacks by bytes and divides by operations', () => {
    const t = heapTable(profile, { ops: 100, repoRoot: ROOT });
    expect(t.totalBytes).toBe(10_000);
    expect(t.totalBytesPerOp).toBe(100);
    expect(t.sites.map((s) => s.site.functionName)).toEqual(['encode', 'alloc', 'op']);
    expect(t.sites.map((s) => s.bytesPerOp)).toEqual([60, 30, 10]);
    expect(t.sites.map((s) => s.share)).toEqual([0.6, 0.3, 0.1]);
    // Innermost first, 1-based lines, (root) dropped, paths relative to the repository.
    expect(t.sites[1]!.stack.map((f) => `${f.functionName}@${f.file}:${f.line}`)).toEqual([
      'alloc@dist/allocators/z.js:30',
      'encode@dist/stack/y.js:20',
      'op@dist/workloads/x.js:10',
    ]);
  });

  it('keeps the top N and renders text and markdown with the same rows', () => {
    const t = heapTable(profile, { ops: 100, repoRoot: ROOT, top: 2 });
    expect(t.sites).toHaveLength(2);
    const text = heapTableText(t);
    expect(text).toContain('100 B/op over 100 ops');
    expect(text).toMatch(/60\.0\s+60\.0%\s+encode dist\/stack\/y\.js:20\s+<-\s+op dist\/workloads\/x\.js:10/);
    const md = heapTableMarkdown(t);
    expect(md.split('\n').filter((l) => l.startsWith('| 60.0 | 60.0% | `encode dist/stack/y.js:20`'))).toHaveLength(1);
  });

  it('merges stacks that agree on their innermost frames (reached from different event-loop roots)', () => {
    const leaf = (id: number): SamplingHeapProfileNode => node(id, 'alloc', 'file:///repo/dist/allocators/z.js', 29, 500);
    const twoRoots = {
      head: node(1, '(root)', '', -1, 0, [
        node(2, 'runMicrotasks', '', -1, 0, [node(3, 'op', 'file:///repo/dist/workloads/x.js', 9, 0, [leaf(4)])]),
        node(5, 'processImmediate', 'node:internal/timers', 437, 0, [node(6, 'op', 'file:///repo/dist/workloads/x.js', 9, 0, [leaf(7)])]),
      ]),
    };
    const t = heapTable(twoRoots, { ops: 10, repoRoot: ROOT, stackDepth: 2 });
    expect(t.sites).toHaveLength(1);
    expect(t.sites[0]!.bytes).toBe(1000);
    expect(t.sites[0]!.share).toBe(1);
  });

  it('refuses zero operations', () => {
    expect(() => heapTable(profile, { ops: 0, repoRoot: ROOT })).toThrow(/ops must be positive/);
  });
});

describe('cpuSummary', () => {
  const cf = (name: string, line: number): CpuProfileNode['callFrame'] => ({ functionName: name, scriptId: '1', url: 'file:///repo/dist/a.js', lineNumber: line, columnNumber: 0 });
  // root → main(2 self) → f(5 self) → f(3 self, recursion) ; main → g(10 self)
  const nodes: CpuProfileNode[] = [
    { id: 1, callFrame: { ...cf('(root)', -1), url: '' }, hitCount: 0, children: [2] },
    { id: 2, callFrame: cf('main', 1), hitCount: 2, children: [3, 5] },
    { id: 3, callFrame: cf('f', 5), hitCount: 5, children: [4] },
    { id: 4, callFrame: cf('f', 5), hitCount: 3, children: [] },
    { id: 5, callFrame: cf('g', 9), hitCount: 10, children: [] },
  ];

  it('sums self time per function and counts recursion once in total time', () => {
    const s = cpuSummary({ nodes, startTime: 0, endTime: 2_000_000 }, { repoRoot: ROOT });
    expect(s.samples).toBe(20);
    expect(s.elapsedMs).toBe(2000);
    expect(s.functions.map((f) => [f.frame.functionName, f.selfSamples, f.selfShare, f.totalShare])).toEqual([
      ['g', 10, 0.5, 0.5],
      ['f', 8, 0.4, 0.4],
      ['main', 2, 0.1, 1],
    ]);
  });
});

function countsBuffer(words: bigint[]): Uint8Array {
  const b = new Uint8Array(words.length * 8);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setBigUint64(i * 8, w, true));
  return b;
}

const MAGIC = 0x746e756f636c6d62n;

describe('malloc counters', () => {
  it('decodes the shim layout (magic, version, then the counters in MC_* order)', () => {
    const c = decodeCounts(countsBuffer([MAGIC, 3n, 10n, 1000n, 20n, 2000n, 3n, 300n, 25n, 1n, 64n, 30n, 2900n, 20n, 7n, 700n, 6n]));
    expect(c).toEqual({
      mallocCalls: 10,
      mallocBytes: 1000,
      callocCalls: 20,
      callocBytes: 2000,
      reallocCalls: 3,
      reallocBytes: 300,
      freeCalls: 25,
      alignedCalls: 1,
      alignedBytes: 64,
      mainAllocCalls: 30,
      mainAllocBytes: 2900,
      mainFreeCalls: 20,
      newCalls: 7,
      newBytes: 700,
      deleteCalls: 6,
    });
  });

  it('refuses a file that is not the shim’s, or of another version', () => {
    expect(() => decodeCounts(countsBuffer([1n, 3n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]))).toThrow(MallocCountError);
    expect(() => decodeCounts(countsBuffer([MAGIC, 2n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]))).toThrow(/version 2/);
  });

  it('computes phase deltas and per-op figures', () => {
    const zero = { reallocCalls: 0, reallocBytes: 0, alignedCalls: 0, alignedBytes: 0, newCalls: 0, newBytes: 0, deleteCalls: 0 };
    const before: MallocCounts = { ...zero, mallocCalls: 5, mallocBytes: 50, callocCalls: 0, callocBytes: 0, freeCalls: 5, mainAllocCalls: 5, mainAllocBytes: 50, mainFreeCalls: 0 };
    const after: MallocCounts = { ...zero, newCalls: 100, newBytes: 4_800, deleteCalls: 50, mallocCalls: 205, mallocBytes: 20_050, callocCalls: 100, callocBytes: 150_000, freeCalls: 305, mainAllocCalls: 105, mainAllocBytes: 150_050, mainFreeCalls: 0 };
    const d = diffCounts(after, before);
    expect(d.mallocCalls).toBe(200);
    const p = perOp(d, 100);
    expect(p.allocCallsPerOp).toBe(4);
    expect(p.allocBytesPerOp).toBe(1748);
    expect(p.freeCallsPerOp).toBe(3.5);
    expect(p.mainThreadAllocCallsPerOp).toBe(1);
    expect(p.mainThreadAllocBytesPerOp).toBe(1500);
    expect(() => perOp(d, 0)).toThrow(MallocCountError);
  });
});
