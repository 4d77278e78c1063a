/**
 * `--baseline-tree DIR` of the bench scripts (bench-vpn.ts, bench-dns-socket.ts): another checkout of
 * this repository (a worktree of an older commit with node_modules linked) whose code runs beside
 * this tree's in the same rounds, so that a change of the code can be told from a change of the
 * machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The absolute path of `flag` (null when empty); exits 2 with the fix when it holds no `marker`
 * (a path inside the repository that the script runs from that tree).
 */
export function resolveBaselineTree(tool: string, flag: string, marker: string): string | null {
  if (flag === '') return null;
  const dir = resolve(flag);
  if (!existsSync(join(dir, marker))) {
    console.error(`${tool}: --baseline-tree ${flag}: no ${marker} there; give a checkout of this repository (git worktree add --detach DIR COMMIT, then link node_modules into it)`);
    process.exit(2);
  }
  return dir;
}

/** "commit abc1234" for a checkout, or what git said when it could not tell. */
export function describeTree(dir: string): string {
  try {
    return `commit ${execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()}`;
  } catch (err) {
    return `commit unknown: ${(err as Error).message.split('\n')[0]}`;
  }
}
