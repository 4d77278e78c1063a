/**
 * Runs the real child process (harness/child/main.ts) for one cell, spawned exactly as the parent
 * does (childCommand + stdio ['ignore', 'pipe', 'pipe', 'pipe']), and collects its output.
 */
import { spawn } from 'node:child_process';
import { childCommand } from '../../../harness/child/protocol.js';
import type { Cell } from '../../../contract/result-schema.js';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  fd3: string;
  killedByTest: boolean;
}

/** Spawns the child for `cell`; `env` edits the child-specific variables (undefined deletes). */
export function runChild(cell: Cell, opts: { env?: Record<string, string | undefined>; killAfterMs?: number } = {}): Promise<ChildRun> {
  const cmd = childCommand(cell, 0);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  for (const [k, v] of Object.entries({ ...cmd.env, ...opts.env })) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fd3 = '';
    let killedByTest = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (fd3 += d.toString()));
    const limit = setTimeout(() => {
      killedByTest = true;
      child.kill('SIGKILL');
    }, opts.killAfterMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr, fd3, killedByTest });
    });
  });
}
