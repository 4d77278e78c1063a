/**
 * "Allocates nothing per packet … off the JS heap" (issue 15), measured with the malloc-counting
 * shim (scripts/malloc-count) preloaded into a child: the main thread's malloc/calloc/realloc calls
 * over 20,000 AES-256-GCM seal+open pairs of 1400 bytes. The node backend runs the same loop as the
 * meter's control: node:crypto makes an OpenSSL context per call, so it must show thousands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_COUNT_FILE_ENV, mallocShimPath, type MallocCounts } from '../../../harness/profile/malloc-counters.js';
import { nativeAeadBuilt } from './native-available.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const PACKETS = 20_000;
let dir = '';

beforeAll(() => {
  execFileSync('bash', [join(REPO, 'scripts', 'malloc-count', 'build.sh')], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'buflab-native-malloc-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PROGRAM = `
import { MallocCounterReader, diffCounts } from './harness/profile/malloc-counters.ts';
import { makeCryptoBackend } from './stack/crypto/backends.ts';
import { makeStrategy } from './allocators/registry.ts';
const reader = new MallocCounterReader(process.env.${MALLOC_COUNT_FILE_ENV});
const st = makeStrategy('one-big-struct');
const key = makeCryptoBackend(process.env.BACKEND).aead('aes-256-gcm', new Uint8Array(32).fill(9));
const buf = new Uint8Array(8 + 1400 + 16), nonce = new Uint8Array(12);
const step = () => {
  nonce[11]++;
  key.seal(nonce, buf, 0, 8, 8, 1408, 1408, st);
  if (!key.open(nonce, buf, 0, 8, 8, 1408, 1408, st)) throw new Error('open failed');
};
for (let i = 0; i < 5000; i++) step();
const before = reader.read();
for (let i = 0; i < ${PACKETS}; i++) step();
const after = reader.read();
console.log(JSON.stringify(diffCounts(after, before)));
`;

function mainThreadAllocs(backend: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', LD_PRELOAD: mallocShimPath(REPO), [MALLOC_COUNT_FILE_ENV]: join(dir, `${backend}.bin`), BACKEND: backend },
    encoding: 'utf8',
  });
  const d = JSON.parse(out.trim().split('\n').pop()!) as MallocCounts;
  return d.mainAllocCalls;
}

describe.runIf(nativeAeadBuilt())('native backend: no malloc per packet (malloc-count shim)', () => {
  it('20,000 AES-256-GCM seal+open pairs: the native backend mallocs (almost) nothing on the main thread; node:crypto mallocs per call', () => {
    const node = mainThreadAllocs('node');
    const native = mainThreadAllocs('native');
    expect(node).toBeGreaterThan(PACKETS);
    // A handful of V8-internal allocations may land in the window; one per 100 packets would fail.
    expect(native).toBeLessThan(PACKETS / 100);
  });
});
