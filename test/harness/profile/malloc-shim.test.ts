/**
 * The malloc-counting shim on its own: built by scripts/malloc-count/build.sh, preloaded in front of
 * glibc and of jemalloc, it must count the calloc V8 makes for every fresh ArrayBuffer and forward
 * to the allocator behind it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_COUNT_FILE_ENV, mallocShimPath, type MallocCounts } from '../../../harness/profile/malloc-counters.js';
import { allocatorPath } from '../../../allocators/native-allocators.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const SHIM = mallocShimPath(REPO);
let dir = '';

beforeAll(() => {
  execFileSync('bash', [join(REPO, 'scripts', 'malloc-count', 'build.sh')], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'buflab-shim-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Allocates `n` Uint8Arrays of `bytes` between two counter reads; prints the delta and the mapped libraries. */
const PROGRAM = `
import { MallocCounterReader, diffCounts } from './harness/profile/malloc-counters.ts';
import { readFileSync } from 'node:fs';
const reader = new MallocCounterReader(process.env.${MALLOC_COUNT_FILE_ENV});
const n = Number(process.env.N), bytes = Number(process.env.BYTES);
const keep = [];
const before = reader.read();
for (let i = 0; i < n; i++) keep.push(new Uint8Array(bytes));
const after = reader.read();
const maps = readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ delta: diffCounts(after, before), kept: keep.length,
  shim: maps.includes('libbuflab-malloc-count'), jemalloc: maps.includes('libjemalloc') }));
`;

function run(preload: string[], n: number, bytes: number, file: string): { delta: MallocCounts; kept: number; shim: boolean; jemalloc: boolean } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', LD_PRELOAD: preload.join(':'), [MALLOC_COUNT_FILE_ENV]: file, N: String(n), BYTES: String(bytes) },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ReturnType<typeof run>;
}

describe('malloc-count shim', () => {
  it('counts one calloc per fresh 1500-byte ArrayBuffer in front of glibc', () => {
    const r = run([SHIM], 20_000, 1500, join(dir, 'glibc.bin'));
    expect(r.shim).toBe(true);
    expect(r.jemalloc).toBe(false);
    expect(r.delta.callocCalls).toBeGreaterThanOrEqual(20_000);
    expect(r.delta.callocCalls).toBeLessThan(20_000 * 1.1);
    expect(r.delta.callocBytes).toBeGreaterThanOrEqual(20_000 * 1500);
    // The loop runs on the main thread: those calls are counted there too.
    expect(r.delta.mainAllocCalls).toBeGreaterThanOrEqual(20_000);
    expect(r.delta.mainAllocBytes).toBeGreaterThanOrEqual(20_000 * 1500);
  });

  it('forwards to jemalloc when it follows in LD_PRELOAD, and still counts', () => {
    const jemalloc = allocatorPath('jemalloc')!;
    const r = run([SHIM, jemalloc], 20_000, 1500, join(dir, 'jemalloc.bin'));
    expect(r.shim).toBe(true);
    expect(r.jemalloc).toBe(true);
    expect(r.delta.callocCalls).toBeGreaterThanOrEqual(20_000);
    expect(r.delta.callocBytes).toBeGreaterThanOrEqual(20_000 * 1500);
  });

  it('sees no native call for arrays V8 keeps on its own heap (64 bytes and below)', () => {
    const r = run([SHIM], 20_000, 16, join(dir, 'small.bin'));
    expect(r.delta.callocCalls + r.delta.mallocCalls).toBeLessThan(2_000);
  });
});
