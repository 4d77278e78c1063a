/**
 * The baseline tree of a paired run: `git worktree add --detach .bench-cache/worktrees/<sha> <sha>`
 * (reused when it is already there at that commit), and `npm ci` in it, skipped when the hash of its
 * package-lock.json is the one recorded after the last successful install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BuflabError } from '../errors.js';

export class BaselineError extends BuflabError {
  /** `code`: E_BASELINE_REF (unknown ref), E_BASELINE_WORKTREE (worktree unusable), E_BASELINE_NPM (npm ci failed). */
  constructor(code: 'E_BASELINE_REF' | 'E_BASELINE_WORKTREE' | 'E_BASELINE_NPM', message: string) {
    super(code, message);
  }
}

/** The git and npm operations a paired run needs; tests replace them. */
export interface TreeOps {
  git(args: string[], cwd: string): string;
  npmCi(cwd: string): void;
}

export const realTreeOps: TreeOps = {
  git(args, cwd) {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  },
  npmCi(cwd) {
    // npm's own output goes to our stderr: it is progress, not the result.
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd, stdio: ['ignore', process.stderr, process.stderr] });
    if (r.status !== 0) {
      throw new BaselineError('E_BASELINE_NPM', `npm ci failed in ${cwd} (exit ${r.status ?? r.signal}); see its output above, fix the baseline's lockfile or choose another --baseline`);
    }
  },
};

export function resolveCommit(ops: TreeOps, repoRoot: string, ref: string): string {
  try {
    return ops.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repoRoot);
  } catch (err) {
    throw new BaselineError('E_BASELINE_REF', `--baseline ${ref}: not a commit in ${repoRoot} (${(err as Error).message.split('\n')[0]}); fetch it first (git fetch origin ${ref}) or pass a sha`);
  }
}

export function lockfileHash(dir: string): string | null {
  const lock = join(dir, 'package-lock.json');
  if (!existsSync(lock)) return null;
  return createHash('sha256').update(readFileSync(lock)).digest('hex');
}

/** File recording the lockfile hash of the last successful `npm ci` in a worktree. */
export const NPM_STAMP = '.buflab-npm-ci.sha256';

export interface PreparedBaseline {
  sha: string;
  dir: string;
  reusedWorktree: boolean;
  ranNpmCi: boolean;
}

/** Makes (or reuses) the baseline worktree and its node_modules; see the module comment. */
export function prepareBaseline(ops: TreeOps, repoRoot: string, ref: string, cacheDir: string, log: (line: string) => void): PreparedBaseline {
  const sha = resolveCommit(ops, repoRoot, ref);
  const dir = resolve(cacheDir, 'worktrees', sha);
  let reusedWorktree = false;
  if (existsSync(dir)) {
    let at: string;
    try {
      at = ops.git(['rev-parse', 'HEAD'], dir);
    } catch (err) {
      throw new BaselineError('E_BASELINE_WORKTREE', `${dir} exists but is not a git worktree (${(err as Error).message.split('\n')[0]}); delete it and run again (then git worktree prune)`);
    }
    if (at !== sha) throw new BaselineError('E_BASELINE_WORKTREE', `${dir} is at ${at}, not ${sha}; delete it and run again (then git worktree prune)`);
    reusedWorktree = true;
    log(`baseline: reusing worktree ${dir} (${sha.slice(0, 12)})`);
  } else {
    log(`baseline: git worktree add ${dir} ${sha.slice(0, 12)}`);
    ops.git(['worktree', 'add', '--detach', dir, sha], repoRoot);
  }
  const hash = lockfileHash(dir);
  const stampPath = join(dir, NPM_STAMP);
  const stamp = existsSync(stampPath) ? readFileSync(stampPath, 'utf8').trim() : null;
  let ranNpmCi = false;
  if (hash !== null && stamp === hash && existsSync(join(dir, 'node_modules'))) {
    log('baseline: node_modules up to date (package-lock.json unchanged), skipping npm ci');
  } else if (hash === null) {
    throw new BaselineError('E_BASELINE_WORKTREE', `${dir} has no package-lock.json: the baseline ${ref} predates this project's lockfile; choose a newer --baseline`);
  } else {
    log(`baseline: npm ci in ${dir}`);
    ops.npmCi(dir);
    writeFileSync(stampPath, hash + '\n');
    ranNpmCi = true;
  }
  if (!existsSync(join(dir, 'harness', 'child', 'main.ts'))) {
    throw new BaselineError('E_BASELINE_WORKTREE', `baseline ${ref} (${sha.slice(0, 12)}) has no harness/child/main.ts, so it cannot run buflab children; choose a newer --baseline`);
  }
  return { sha, dir, reusedWorktree, ranNpmCi };
}
