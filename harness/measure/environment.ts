/**
 * The machine and checkout a run was measured on (the result file's `environment`). `compare`
 * refuses to compare runs whose checked fields differ (CPU model, Node version).
 */
import { rangeCopyPathFor } from '../../allocators/strategy-common.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../../contract/result-schema.js';

/** This checkout's root (harness/measure/ is two levels down). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const GOVERNOR_PATH = '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor';

export interface EnvironmentSources {
  /** The checkout to describe (default: this repository). */
  repoRoot?: string;
  /** Where the CPU frequency governor is read from (tests point this at a fixture). */
  governorPath?: string;
  argv?: string[];
  now?: () => Date;
}

/** Collects the environment of this process and checkout. `startedAt` is now; the caller sets `finishedAt`. */
export function collectEnvironment(sources: EnvironmentSources = {}): Environment {
  const repoRoot = sources.repoRoot ?? REPO_ROOT;
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryBytes: os.totalmem(),
    kernel: `${os.release()} ${os.version()}`,
    governor: readGovernor(sources.governorPath ?? GOVERNOR_PATH),
    git: gitState(repoRoot),
    harnessVersion: harnessVersion(repoRoot),
    startedAt: (sources.now ?? (() => new Date()))().toISOString(),
    argv: sources.argv ?? process.argv.slice(2),
    // How strategies copy byte ranges in this Node before any native addon is loaded (the parent may
    // have loaded it to check a crypto=native cell); each child records its own path, `native-copy`
    // where it loaded the addon (forks[].node.rangeCopyPath).
    rangeCopyPath: rangeCopyPathFor(process.versions, process.env),
  };
}

/** The scaling governor (`performance`, `powersave`…), or null where cpufreq is not exposed (VMs, containers). */
export function readGovernor(path: string = GOVERNOR_PATH): string | null {
  try {
    return readFileSync(path, 'utf8').trim() || null;
  } catch (e) {
    // ENOENT / EACCES: the kernel does not expose cpufreq here; null says "unknown", as the schema documents.
    if (isErrno(e, 'ENOENT') || isErrno(e, 'EACCES') || isErrno(e, 'ENOTDIR')) return null;
    throw e;
  }
}

/** HEAD and whether the working tree has changes; both null outside a git checkout (or without git). */
export function gitState(repoRoot: string): Environment['git'] {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (e) {
      // git exits non-zero outside a repository or before the first commit, and is ENOENT when not
      // installed: in every case there is no commit to record, which null says.
      if (isErrno(e, 'ENOENT') || typeof (e as { status?: unknown }).status === 'number') return null;
      throw e;
    }
  };
  const head = git(['rev-parse', '--verify', '-q', 'HEAD']);
  const status = git(['status', '--porcelain']);
  return {
    commit: head === null ? null : head.trim() || null,
    dirty: status === null ? null : status.trim().length > 0,
  };
}

/** `version` from the checkout's package.json. */
export function harnessVersion(repoRoot: string): string {
  const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${repoRoot}/package.json has no "version"`);
  return pkg.version;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
