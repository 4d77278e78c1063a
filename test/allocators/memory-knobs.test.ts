/**
 * The memory knobs (allocators/memory-knobs.ts): parsing, the environment per allocator, the
 * planner's skips, the /proc parsers on captured text, and end to end through the real child
 * process: each knob read back as in effect, and a knob that did not take refused (exit 3).
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  glibcArenaCount,
  glibcMallocTunables,
  hugepageEvidence,
  memoryKnobEnv,
  memoryKnobUnavailable,
  parseMemoryKnobs,
  systemThpMode,
  workloadParams,
  MEMORY_PROBE_BUILD_COMMAND,
  type ProbeAvailability,
} from '../../allocators/memory-knobs.js';
import { parseChildError, parseForkRecord, REPO_ROOT } from '../../harness/child/protocol.js';
import { testCell } from '../harness/child/record-fixture.js';
import { runChild } from '../harness/child/run-child.js';
import { peer } from '../peers.js';

const probeOk = (): ProbeAvailability => ({ available: true, probe: {} as never });
const madvise = (): 'madvise' => 'madvise';

describe('memory knobs: parsing and environment', () => {
  it('parses thp and arenas, refuses other values with E_KNOB_VALUE', () => {
    expect(parseMemoryKnobs({ thp: 'on', arenas: 2, ring: 4 })).toEqual({ thp: 'on', arenas: 2 });
    expect(parseMemoryKnobs({ ring: 4 })).toEqual({ thp: null, arenas: null });
    expect(() => parseMemoryKnobs({ thp: 'always' })).toThrow(expect.objectContaining({ code: 'E_KNOB_VALUE' }) as Error);
    expect(() => parseMemoryKnobs({ arenas: 0 })).toThrow(expect.objectContaining({ code: 'E_KNOB_VALUE' }) as Error);
    expect(() => parseMemoryKnobs({ arenas: 1.5 })).toThrow(/integer from 1/);
  });

  it('strips the knobs from what the workload sees', () => {
    expect(workloadParams({ thp: 'off', arenas: 4, ring: 16, cipher: 'none' })).toEqual({ ring: 16, cipher: 'none' });
  });

  it("sets each allocator's own variable, and nothing for a knob the allocator lacks", () => {
    expect(memoryKnobEnv('glibc', { thp: 'on', arenas: 2 })).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2' });
    expect(memoryKnobEnv('glibc', { thp: 'off', arenas: null })).toEqual({});
    expect(memoryKnobEnv('jemalloc', { thp: 'on', arenas: 3 })).toEqual({ MALLOC_CONF: 'thp:always,metadata_thp:always,narenas:3' });
    expect(memoryKnobEnv('mimalloc', { thp: 'on', arenas: null })).toEqual({ MIMALLOC_LARGE_OS_PAGES: '1' });
    expect(memoryKnobEnv('tcmalloc', { thp: 'on', arenas: 2 })).toEqual({});
  });

  it('skips a knob the allocator does not have, loudly, and a cell without knobs never', () => {
    expect(memoryKnobUnavailable('tcmalloc', { ring: 1 }, probeOk, madvise)).toBeNull();
    expect(memoryKnobUnavailable('tcmalloc', { thp: 'on' }, probeOk, madvise)).toMatchObject({ code: 'E_KNOB_NO_MEANING', message: expect.stringContaining('tcmalloc') as string });
    expect(memoryKnobUnavailable('tcmalloc', { thp: 'off' }, probeOk, madvise)).toBeNull();
    expect(memoryKnobUnavailable('mimalloc', { arenas: 2 }, probeOk, madvise)).toMatchObject({ code: 'E_KNOB_NO_MEANING' });
    expect(memoryKnobUnavailable('jemalloc', { arenas: 2 }, probeOk, madvise)).toBeNull();
    expect(memoryKnobUnavailable('glibc', { thp: 'on' }, probeOk, () => 'never')).toMatchObject({ code: 'E_KNOB_THP_NEVER' });
    const missing = (): ProbeAvailability => ({ available: false, problem: 'the memory-knob probe is not built' });
    expect(memoryKnobUnavailable('glibc', { arenas: 1 }, missing, madvise)).toMatchObject({
      code: 'E_KNOB_PROBE_MISSING',
      message: expect.stringContaining(MEMORY_PROBE_BUILD_COMMAND) as string,
    });
  });
});

describe('memory knobs: /proc and ld.so parsers', () => {
  const smaps = [
    '7f0000000000-7f0004000000 rw-p 00000000 00:00 0',
    'Size:              65536 kB',
    'AnonHugePages:     30720 kB',
    'VmFlags: rd wr mr mw me ac sd hg',
    '7f1000000000-7f1000200000 rw-p 00000000 00:00 0',
    'Size:               2048 kB',
    'AnonHugePages:      2048 kB',
    'VmFlags: rd wr mr mw me ac sd',
    '7f2000000000-7f2000001000 r--p 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6',
    'Size:                  4 kB',
    'AnonHugePages:         0 kB',
    'VmFlags: rd mr mw me sd hg',
    '',
  ].join('\n');

  it('sums AnonHugePages everywhere and inside the MADV_HUGEPAGE (hg) mappings', () => {
    expect(hugepageEvidence(smaps, 'Name:\tnode\nTHP_enabled:\t0\n')).toEqual({ anonHugeKb: 32768, hugeAdvisedKb: 65540, anonHugeInAdvisedKb: 30720, thpEnabled: 0 });
    expect(hugepageEvidence('', 'Name:\tnode\n').thpEnabled).toBeNull();
  });

  it('reads the bracketed system THP mode', () => {
    expect(systemThpMode('always [madvise] never\n')).toBe('madvise');
    expect(systemThpMode('[always] madvise never\n')).toBe('always');
    expect(systemThpMode('garbage')).toBeNull();
  });

  it("parses ld.so's tunables and malloc_info's arenas", () => {
    const listing = 'glibc.malloc.hugetlb: 0x1 (min: 0x0, max: 0xffffffffffffffff)\nglibc.malloc.arena_max: 0x10 (min: 0x1, max: 0xffffffffffffffff)\nglibc.cpu.x86_ibt:\n';
    expect(glibcMallocTunables(listing)).toEqual({ hugetlb: 1, arena_max: 16 });
    expect(glibcArenaCount('<malloc version="1">\n<heap nr="0">\n</heap>\n<heap nr="1">\n</heap>\n<total type="fast"/></malloc>')).toBe(2);
  });

  it("reads this process's own tunables through ld.so (the real glibc)", () => {
    const t = glibcMallocTunables();
    expect(t['arena_max']).toBe(0);
    expect(Object.keys(t)).toContain('hugetlb');
  });
});

describe('memory knobs: in the real child', () => {
  beforeAll(() => {
    // Idempotent, about a second: CI builds it too (.ci/run), a fresh checkout may not have yet.
    execFileSync('bash', ['allocators/native/build.sh'], { cwd: REPO_ROOT, stdio: 'pipe' });
  });

  const plan = { warmupMs: 150, durationMs: 200, seed: 3 };
  const allocCell = (allocator: string, params: Record<string, string | number>) =>
    testCell({
      id: `alloc/uint8array/${allocator}/16384/${Object.entries(params).map(([k, v]) => `${k}=${v}`).join('/')}`,
      workload: 'alloc',
      strategy: 'uint8array',
      allocator,
      size: 16384,
      params,
      plan,
    });

  it('thp=on (glibc): the tunable reads back as 1 and the heap is madvised huge', async () => {
    const cell = allocCell('glibc', { thp: 'on' });
    const run = await runChild(cell);
    expect(run.stderr).not.toContain('buflab-child-error');
    expect(run.code).toBe(0);
    const k = parseForkRecord(run.fd3, cell).memoryKnobs!;
    expect(k.env).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(k.readBack['glibc.malloc.hugetlb']).toBe(1);
    // 1024 live buffers of 16 KiB: the malloc heap is tens of MiB, all of it advised.
    expect(k.after.hugeAdvisedKb).toBeGreaterThan(16 * 1024);
    expect(k.after.anonHugeInAdvisedKb).toBeLessThanOrEqual(k.after.hugeAdvisedKb);
  });

  it('thp=off: PR_SET_THP_DISABLE reads back, THP_enabled is 0 and no hugepage appears', async () => {
    const cell = allocCell('glibc', { thp: 'off' });
    const run = await runChild(cell);
    expect(run.code).toBe(0);
    const k = parseForkRecord(run.fd3, cell).memoryKnobs!;
    expect(k.readBack['PR_GET_THP_DISABLE']).toBe(1);
    expect(k.after.thpEnabled).toBe(0);
    expect(k.after.anonHugeKb).toBeLessThanOrEqual(k.before.anonHugeKb);
  });

  it('arenas=1 (glibc): arena_max reads back and malloc has exactly one arena', async () => {
    const cell = allocCell('glibc', { arenas: 1 });
    const run = await runChild(cell);
    expect(run.code).toBe(0);
    const k = parseForkRecord(run.fd3, cell).memoryKnobs!;
    expect(k.readBack['glibc.malloc.arena_max']).toBe(1);
    // Node's own threads (V8's platform workers, libuv) malloc too: without the cap they get arenas.
    expect(k.arenasInUse).toBe(1);
  });

  it.runIf(peer('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'))('arenas=2 and thp=on (jemalloc): mallctl reads both back', async () => {
    const cell = allocCell('jemalloc', { thp: 'on', arenas: 2 });
    const run = await runChild(cell);
    expect(run.stderr).not.toContain('buflab-child-error');
    const k = parseForkRecord(run.fd3, cell).memoryKnobs!;
    expect(k.readBack).toMatchObject({ 'opt.narenas': 2, 'opt.thp': 'always' });
    expect(k.after.hugeAdvisedKb).toBeGreaterThan(0);
  });

  it('refuses a cell whose knob is not in the environment (exit 3, E_KNOB_NOT_IN_EFFECT)', async () => {
    const cell = allocCell('glibc', { arenas: 2 });
    const run = await runChild(cell, { env: { GLIBC_TUNABLES: undefined } });
    expect(run.code).toBe(3);
    expect(run.fd3).toBe('');
    expect(parseChildError(run.stderr)).toMatchObject({ code: 'E_KNOB_NOT_IN_EFFECT', message: expect.stringContaining('GLIBC_TUNABLES') as string });
  });
});
