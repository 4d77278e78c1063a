/**
 * Processes inside a test's network namespace, shared by the real-openvpn-client tests
 * (tls-tunnel.test.ts, tls-hardening.test.ts): start one with its output collected, run one to
 * completion, stop one (SIGTERM, then SIGKILL after 5 s), and the sha256 of the tunnel host's
 * `GET /bytes/N` body (bytes 0, 1, …, 255, 0, …).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';

export interface Proc {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  out: () => string;
}

/** `startInNs` and `inNs` bound to namespace `ns`. */
export function nsCommands(ns: string): {
  startInNs: (cmd: string, args: string[], stdin?: 'ignore' | 'pipe') => Proc;
  inNs: (cmd: string, args: string[], timeoutMs: number) => string;
} {
  return {
    startInNs(cmd, args, stdin = 'ignore') {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return { child, out: () => out };
    },
    inNs(cmd, args, timeoutMs) {
      return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'latin1', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    },
  };
}

export async function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

export function expectedSha256(n: number): string {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i & 0xff;
  return createHash('sha256').update(b).digest('hex');
}
