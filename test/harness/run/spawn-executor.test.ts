/**
 * The real SpawnExecutor against stand-in children: a temporary "repository root" (a side) whose
 * harness/child/main.ts misbehaves on purpose, chosen by the cell's workload name.
 */
import { existsSync, readFileSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowListedEnv, SpawnExecutor, tailLines, type Side } from '../../../harness/run/executor.js';
import type { Cell } from '../../../contract/result-schema.js';
import type { RuntimeCheck } from '../../../harness/runtime/runtimes.js';
import { fakeRecord } from './fake-child.js';
import { waitFor } from '../../wait-for.js';

const FAKE_MAIN = `
import { writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
const { cell, forkIndex } = JSON.parse(process.env.BUFLAB_CELL);
const record = JSON.parse(process.env.FAKE_RECORD ?? 'null');
switch (cell.workload) {
  case 'ok':
    writeSync(3, JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex }) + '\\n');
    break;
  case 'version':
    writeSync(3, JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex, node: { ...RECORD.node, version: process.version } }) + '\\n');
    break;
  case 'env':
    writeSync(3, JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex, workloadCounters: { keys: Object.keys(process.env).sort().join(',') } }) + '\\n');
    break;
  case 'garbage':
    writeSync(3, 'this is not json\\n');
    break;
  case 'two':
    writeSync(3, JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex }) + '\\n' + JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex }) + '\\n');
    break;
  case 'config':
    console.error('buflab-child-error [E_ALLOCATOR]: jemalloc is not mapped');
    process.exit(3);
  case 'crash':
    for (let i = 0; i < 30; i++) console.error('line ' + i);
    process.kill(process.pid, 'SIGKILL');
  case 'hang': {
    // a grandchild in the same process group must die with it
    const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    writeSync(3, '');
    console.error('GRANDCHILD ' + g.pid);
    setInterval(() => {}, 1000);
    break;
  }
}
`;

/** 'gone' when the process no longer exists or is a zombie (killed, not yet reaped by init). */
function aliveState(pid: number): string {
  if (!existsSync(`/proc/${pid}/stat`)) return 'gone';
  const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  return state === 'Z' || state === 'X' ? 'gone' : `alive (${state})`;
}

function cell(workload: string): Cell {
  return { id: `${workload}/none/glibc/16`, suite: 't', workload, strategy: 'none', allocator: 'glibc', size: 16, params: {}, v8Flags: [], plan: { warmupMs: 0, durationMs: 1, seed: 1 } };
}

let root: string;
let side: Side;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'buflab-fake-root-'));
  mkdirSync(join(root, 'harness', 'child'), { recursive: true });
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  const rec = fakeRecord('x', 0, 1000);
  writeFileSync(join(root, 'harness', 'child', 'main.ts'), `const RECORD = ${JSON.stringify(rec)};\n${FAKE_MAIN}`);
  side = { label: 'head', rootDir: root };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (workload: string, timeoutMs = 20_000, env: NodeJS.ProcessEnv = process.env) =>
  new SpawnExecutor({ env }).run({ cell: cell(workload), forkIndex: 2, side, timeoutMs, signal: new AbortController().signal });

describe('SpawnExecutor', () => {
  it('accepts exactly one valid record for the cell', async () => {
    const o = await run('ok');
    expect(o.ok && [o.record.cellId, o.record.forkIndex, o.record.opsPerSec]).toEqual(['ok/none/glibc/16', 2, 1000]);
  });

  it('gives the child only the allow-listed environment plus its own variables', async () => {
    const o = await run('env', 20_000, { PATH: process.env.PATH, HOME: '/root', NODE_OPTIONS: '--max-old-space-size=1', SECRET: 'x', LD_PRELOAD: '/evil.so' });
    expect(o.ok).toBe(true);
    const keys = o.ok ? String(o.record.workloadCounters.keys) : '';
    expect(keys.split(',').filter((k) => !k.startsWith('npm_') && k !== 'TSX_TSCONFIG_PATH' && k !== 'NODE_OPTIONS')).toEqual(['BUFLAB_CELL', 'HOME', 'PATH']);
    expect(allowListedEnv({ PATH: '/bin', SECRET: 's', LD_PRELOAD: '/evil.so', TZ: 'UTC' })).toEqual({ PATH: '/bin', TZ: 'UTC' });
  });

  it('refuses garbage and two records as E_CHILD_PROTOCOL', async () => {
    const g = await run('garbage');
    expect(!g.ok && g.error.code).toBe('E_CHILD_PROTOCOL');
    expect(!g.ok && g.error.message).toContain('the record is not JSON');
    const t = await run('two');
    expect(!t.ok && t.error.message).toContain('the child wrote 2 lines, exactly one record is allowed');
  });

  it('exit 3 is a configuration error carrying the child error line', async () => {
    const o = await run('config');
    expect(!o.ok && [o.error.code, o.error.message]).toEqual(['E_CHILD_CONFIG', 'fork 2: configuration error (exit 3) — child: [E_ALLOCATOR] jemalloc is not mapped']);
  });

  it('a crash keeps the tail of stderr', async () => {
    const o = await run('crash');
    expect(!o.ok && [o.error.code, o.error.message]).toEqual(['E_CHILD_CRASHED', 'fork 2 was killed by SIGKILL']);
    const tail = o.ok ? [] : o.error.stderrTail.split('\n');
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 10');
    expect(tail[19]).toBe('line 29');
  });

  it('a hang is killed at the time limit together with its process group', async () => {
    const o = await run('hang', 2_000);
    expect(!o.ok && o.error.code).toBe('E_CHILD_TIMEOUT');
    const pid = Number(/GRANDCHILD (\d+)/.exec(o.ok ? '' : o.error.stderrTail)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => aliveState(pid) === 'gone', 5_000);
    expect(aliveState(pid)).toBe('gone');
  });

  it('an abort kills the running child and reports E_INTERRUPTED', async () => {
    const controller = new AbortController();
    const p = new SpawnExecutor().run({ cell: cell('hang'), forkIndex: 0, side, timeoutMs: 20_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 800);
    const o = await p;
    expect(!o.ok && o.error.code).toBe('E_INTERRUPTED');
  });

  it('tailLines keeps the last lines without trailing blank space', () => {
    expect(tailLines('a\nb\nc\n\n', 2)).toBe('b\nc');
  });
});

describe('SpawnExecutor runtimes (issue 14)', () => {
  const withRuntime = (runtimes: RuntimeCheck) =>
    new SpawnExecutor({ runtimes }).run({ cell: { ...cell('version'), runtime: 'node99' }, forkIndex: 0, side, timeoutMs: 20_000, signal: new AbortController().signal });
  const at = (path: string, version: string): RuntimeCheck => (name) => ({ available: true, info: { name, path, version, v8: 'x', sha256: 'abc', source: 'path' } });

  it("starts the cell's runtime binary and records it in the fork, once the child's own version confirms it", async () => {
    const o = await withRuntime(at(process.execPath, process.version));
    expect(o.ok && o.record.runtime).toEqual({ name: 'node99', path: process.execPath, version: process.version, v8: 'x', sha256: 'abc', source: 'path' });
  });

  it('a child that reports another version than the runtime resolved to is refused (E_CHILD_PROTOCOL)', async () => {
    const o = await withRuntime(at(process.execPath, 'v99.0.0'));
    expect(!o.ok && [o.error.code, o.error.message]).toEqual(['E_CHILD_PROTOCOL', `fork 0: the cell asks for runtime node99 (v99.0.0 at ${process.execPath}) but the child ran on ${process.version}`]);
  });

  it('an unavailable runtime fails the fork without starting anything: never the running node instead', async () => {
    const o = await withRuntime((name) => ({ available: false, name, reason: 'not in the cache', installHint: "run 'npm run runtime -- install node99'" }));
    expect(!o.ok && [o.error.code, o.error.message]).toEqual(['E_CHILD_SPAWN', "runtime node99 is not available (not in the cache): run 'npm run runtime -- install node99'"]);
  });
});

describe('SpawnExecutor refusals', () => {
  it('a cell the protocol refuses fails its fork as E_CHILD_SPAWN instead of throwing', async () => {
    const bad = { ...cell('ok'), allocator: 'hoard' };
    const o = await new SpawnExecutor().run({ cell: bad, forkIndex: 0, side, timeoutMs: 1000, signal: new AbortController().signal });
    expect(!o.ok && o.error.code).toBe('E_CHILD_SPAWN');
    expect(!o.ok && o.error.message).toContain("unknown allocator 'hoard'");
  });
});
