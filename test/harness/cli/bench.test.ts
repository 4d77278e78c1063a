/**
 * `npm run bench` end to end with the real child over the test-only workloads: refusals exit 2
 * before any work, a crashing and a hanging cell become errored while the noop cell completes, and
 * Ctrl-C keeps everything measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultFile } from '../../../contract/result-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'buflab-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/bench.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('bench CLI', () => {
  it('refuses unknown suites, flags and values with exit 2 before any work', () => {
    const out = join(dir, 'refused.json');
    for (const [args, expected] of [
      [['--suite', 'nope'], "bench: unknown suite 'nope'; suites: alloc"],
      [['--suite', 'alloc', '--bogus'], "bench: unknown flag '--bogus'; valid flags: --suite"],
      [['--suite', 'alloc', '--allocator', 'hoard'], "bench: --allocator: unknown value 'hoard'; valid: glibc, jemalloc, tcmalloc, mimalloc"],
    ] as const) {
      const r = bench([...args, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(expected);
      expect(existsSync(out) || existsSync(`${out}l`)).toBe(false);
    }
  });

  it('--help lists every flag with examples; --list lists the suites', () => {
    const h = bench(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('--suite NAME');
    expect(h.stdout).toContain('examples:');
    const l = bench(['--list']);
    expect(l.status).toBe(0);
    expect(l.stdout).toContain('alloc  (workload alloc)');
  });

  it('a crash and a hang make errored cells; the noop cell completes; exit 1; the JSONL keeps every line', () => {
    const out = join(dir, 'crash.json');
    const r = bench(['--suite', 'test-crash', '--out', out, '--timeout', '3000', '--no-report']);
    expect(r.status).toBe(1);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
    expect(result.interrupted).toBe(false);
    expect(result.cells.map((c) => [c.id, c.state, c.error?.code ?? null])).toEqual([
      ['noop/none/glibc/16', 'completed', null],
      ['crash/none/glibc/16', 'errored', 'E_CHILD_CRASHED'],
      ['hang/none/glibc/16', 'errored', 'E_CHILD_TIMEOUT'],
    ]);
    expect(result.cells[0]!.summary!.opsPerSec.median).toBeGreaterThan(0);
    const l = lines(`${out}l`);
    expect(l.map((x) => x.type)).toEqual(['start', 'round', expect.any(String), expect.any(String), expect.any(String), 'end']);
    expect(l.filter((x) => x.type === 'error').map((x) => x.cellId).sort()).toEqual(['crash/none/glibc/16', 'hang/none/glibc/16']);
    expect(l.filter((x) => x.type === 'fork').map((x) => x.cellId)).toEqual(['noop/none/glibc/16']);
    expect(r.stdout).toContain('errored: crash/none/glibc/16: [E_CHILD_CRASHED]');
    expect(r.stdout).toContain('3 cells: 1 completed, 2 errored, 0 skipped');
  });

  it('SIGINT (Ctrl-C on tsx harness/cli/bench.ts) stops cleanly: exit 130, JSONL and result kept, interrupted: true', async () => {
    const out = join(dir, 'slow.json');
    // The tsx binary, as `npm run bench` runs it (npm itself then re-raises SIGINT on its own
    // process, which a shell reports as 130 too). detached: its own process group, signalled as a
    // whole like a terminal's Ctrl-C.
    const p = spawn('node_modules/.bin/tsx', ['harness/cli/bench.ts', '--suite', 'test-slow', '--out', out, '--no-report'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.resume();
    const exit = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
    // wait for the first completed fork, then interrupt the second
    const deadline = Date.now() + 40_000;
    while (!/\[1\/9\]/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/\[1\/9\]/);
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-p.pid!, 'SIGINT');
    expect(await exit).toBe(130);
    const l = lines(`${out}l`);
    expect(l.filter((x) => x.type === 'fork').length).toBeGreaterThanOrEqual(1);
    expect(l.at(-1)).toMatchObject({ type: 'end', interrupted: true });
    const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
    expect(result.interrupted).toBe(true);
    expect(result.cells.reduce((n, c) => n + c.forks.length, 0)).toBe(l.filter((x) => x.type === 'fork').length);
  });
});
