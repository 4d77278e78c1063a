import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ALLOCATOR_NAMES,
  allocatorPath,
  checkAvailable,
  isAllocatorName,
  mappedLibraries,
  NATIVE_ALLOCATORS,
  preloadEnv,
  verifyInProcess,
  type VerifiedAllocator,
} from '../../allocators/native-allocators.js';
import { peer } from '../peers.js';

const SAMPLE_MAPS = `55d0c7a00000-55d0c7e00000 r--p 00000000 08:01 1234 /usr/bin/node
7f1a2c000000-7f1a2c021000 rw-p 00000000 00:00 0
7f1a2d000000-7f1a2d028000 r--p 00000000 08:01 5678 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2
7f1a2d028000-7f1a2d0a0000 r-xp 00028000 08:01 5678 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2
7f1a2e000000-7f1a2e022000 r--p 00000000 08:01 9012 /usr/lib/x86_64-linux-gnu/libc.so.6
7f1a2f000000-7f1a2f001000 r--p 00000000 08:01 3456 /usr/lib/locale/C.utf8/LC_CTYPE
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]
7ffd1c100000-7ffd1c102000 r-xp 00000000 00:00 0                          [vdso]
`;

describe('native allocators', () => {
  it('lists the four allocators and recognises their names', () => {
    expect(ALLOCATOR_NAMES).toEqual(['glibc', 'jemalloc', 'tcmalloc', 'mimalloc']);
    expect(isAllocatorName('jemalloc')).toBe(true);
    expect(isAllocatorName('JEMALLOC')).toBe(false);
  });

  it('parses /proc/self/maps text into unique shared-object paths', () => {
    expect(mappedLibraries(SAMPLE_MAPS)).toEqual([
      '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
    ]);
  });

  it('verifies from maps text: the asked-for library mapped, or glibc without an intruder', () => {
    const je = verifyInProcess('jemalloc', SAMPLE_MAPS);
    expect(je.verified).toBe(true);
    expect(je.path).toBe('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
    const tc = verifyInProcess('tcmalloc', SAMPLE_MAPS);
    expect(tc.verified).toBe(false);
    expect(tc.problem).toMatch(/tcmalloc is not mapped/);
    const gl = verifyInProcess('glibc', SAMPLE_MAPS);
    expect(gl.verified).toBe(false);
    expect(gl.problem).toBe('glibc cell but /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 is mapped');
  });

  it('resolves paths: override, then BUFLAB_<NAME>_PATH, then the Debian default', () => {
    expect(allocatorPath('glibc')).toBe(null);
    expect(allocatorPath('mimalloc', {}, {})).toBe(NATIVE_ALLOCATORS.mimalloc.defaultPath);
    expect(allocatorPath('mimalloc', {}, { BUFLAB_MIMALLOC_PATH: '/opt/mi.so' })).toBe('/opt/mi.so');
    expect(allocatorPath('mimalloc', { mimalloc: '/x.so' }, { BUFLAB_MIMALLOC_PATH: '/opt/mi.so' })).toBe('/x.so');
  });

  it('a missing allocator is unavailable with a message naming npm run setup and the package', () => {
    const a = checkAvailable('tcmalloc', { tcmalloc: '/nonexistent/libtcmalloc.so' });
    expect(a).toEqual({
      available: false,
      name: 'tcmalloc',
      path: '/nonexistent/libtcmalloc.so',
      reason: 'tcmalloc: /nonexistent/libtcmalloc.so not found',
      installHint: "run 'npm run setup' (as root it runs: apt-get install -y libtcmalloc-minimal4)",
    });
    expect(checkAvailable('glibc')).toEqual({ available: true, name: 'glibc', path: null });
  });

  it('preloads only replacement allocators', () => {
    expect(preloadEnv('glibc', null)).toEqual({});
    expect(preloadEnv('jemalloc', '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2')).toEqual({ LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' });
  });

  function verifyInChild(name: string, env: Record<string, string>): VerifiedAllocator {
    const code = `import('./allocators/native-allocators.ts').then((m) => process.stdout.write(JSON.stringify(m.verifyInProcess(${JSON.stringify(name)}))))`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return JSON.parse(out) as VerifiedAllocator;
  }

  it('a real child started with LD_PRELOAD=jemalloc has jemalloc mapped, and a glibc child does not', () => {
    const path = NATIVE_ALLOCATORS.jemalloc.defaultPath!;
    if (!peer(path)) return;
    const je = verifyInChild('jemalloc', preloadEnv('jemalloc', path));
    expect(je.verified).toBe(true);
    expect(je.path).toBe(path);
    expect(je.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(je.packageVersion).toMatch(/^libjemalloc2(:amd64)? \S+/);
    const gl = verifyInChild('glibc', {});
    expect(gl.verified).toBe(true);
    expect(gl.path).toMatch(/\/libc\.so\.6$/);
    const mismatch = verifyInChild('glibc', preloadEnv('jemalloc', path));
    expect(mismatch.verified).toBe(false);
  });
});
