import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import os from 'node:os';
import { collectEnvironment, gitState, harnessVersion, readGovernor } from '../../../harness/measure/environment.js';
import { REPO_ROOT } from '../../../harness/child/protocol.js';

describe('collectEnvironment', () => {
  it('describes this machine and checkout', () => {
    const env = collectEnvironment({ argv: ['--suite', 'x'], now: () => new Date('2026-01-02T03:04:05Z') });
    expect(env.node).toBe(process.version);
    expect(env.v8).toBe(process.versions.v8);
    expect(env.cores).toBe(os.cpus().length);
    expect(env.cpuModel).toBe(os.cpus()[0]!.model.trim());
    expect(env.totalMemoryBytes).toBe(os.totalmem());
    expect(env.kernel).toBe(`${os.release()} ${os.version()}`);
    expect(env.harnessVersion).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
    expect(env.startedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(env.argv).toEqual(['--suite', 'x']);
  });

  it('reads the governor when the file exists and returns null when it does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-env-'));
    writeFileSync(join(dir, 'scaling_governor'), 'performance\n');
    expect(readGovernor(join(dir, 'scaling_governor'))).toBe('performance');
    expect(readGovernor(join(dir, 'missing'))).toBeNull();
  });

  it('has null git fields outside a git checkout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-nogit-'));
    expect(gitState(dir)).toEqual({ commit: null, dirty: null });
  });

  it('reads the version from package.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-pkg-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '9.8.7' }));
    expect(harnessVersion(dir)).toBe('9.8.7');
  });
});
