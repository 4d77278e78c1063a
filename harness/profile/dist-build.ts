/**
 * Profiles run on compiled JavaScript (`npm run build` → `dist/`): function names and line numbers
 * then belong to real files on disk with source maps beside them, where tsx's in-memory transform
 * would leave profilers with loader frames and shifted lines. This module rebuilds `dist/` when it
 * is missing or older than any source file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Written after a build; its mtime is the build's time. */
export const BUILD_STAMP = '.buflab-build-stamp';

export interface BuildStatus {
  fresh: boolean;
  /** Why a rebuild is needed (first stale file, or a missing stamp). */
  reason: string | null;
}

/** The folders `tsconfig.build.json` compiles (its `include`), read from the file itself. */
export function buildInputs(repoRoot: string): string[] {
  const config = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include?: string[] };
  return (config.include ?? []).map((p) => resolve(repoRoot, p)).filter((p) => existsSync(p));
}

export function buildStatus(repoRoot: string): BuildStatus {
  const stamp = join(repoRoot, 'dist', BUILD_STAMP);
  if (!existsSync(stamp)) return { fresh: false, reason: 'dist/ has not been built by npm run build yet' };
  const builtMs = statSync(stamp).mtimeMs;
  const configs = ['tsconfig.json', 'tsconfig.build.json'].map((f) => join(repoRoot, f));
  for (const f of configs) if (statSync(f).mtimeMs > builtMs) return { fresh: false, reason: `${f} changed` };
  for (const dir of buildInputs(repoRoot)) {
    const stale = newerSource(dir, builtMs);
    if (stale !== null) return { fresh: false, reason: `${stale} is newer than dist/` };
  }
  return { fresh: true, reason: null };
}

function newerSource(dir: string, thanMs: number): string | null {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'out' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerSource(path, thanMs);
      if (found !== null) return found;
    } else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > thanMs) {
      return path;
    }
  }
  return null;
}

export interface BuildOutcome {
  built: boolean;
  /** tsc's diagnostics when it exited non-zero (it still emits JavaScript: noEmitOnError is off). */
  diagnostics: string | null;
}

/** Thrown when the build produced no usable output. */
export class BuildError extends Error {
  readonly code = 'E_BUILD';
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

/**
 * Runs `tsc -p tsconfig.build.json` when dist/ is stale or missing. Type errors elsewhere in the tree
 * do not stop the profile (tsc still emits), but they are returned so the caller can print them;
 * `required` files (the child, the agent) must exist afterwards or {@link BuildError} is thrown.
 */
export function ensureBuilt(repoRoot: string, required: string[], log: (line: string) => void = () => {}): BuildOutcome {
  const status = buildStatus(repoRoot);
  const missing = required.filter((f) => !existsSync(f));
  if (status.fresh && missing.length === 0) return { built: false, diagnostics: null };
  log(`building dist/ (${status.reason ?? `missing ${missing[0]}`}) …`);
  // The stamp gets the build's start time: a source edited while tsc runs makes the next run rebuild.
  const startedAt = new Date();
  let diagnostics: string | null = null;
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (e) {
    // tsc exits 2 on type errors yet writes every file: record the errors, then check the output exists.
    const err = e as { stdout?: string; stderr?: string; status?: number };
    diagnostics = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || `tsc exited ${err.status}`;
  }
  const stillMissing = required.filter((f) => !existsSync(f));
  if (stillMissing.length > 0) {
    throw new BuildError(`npm run build did not produce ${stillMissing.join(', ')}${diagnostics ? `:\n${diagnostics}` : ''}`);
  }
  const stamp = join(repoRoot, 'dist', BUILD_STAMP);
  writeFileSync(stamp, startedAt.toISOString() + '\n');
  utimesSync(stamp, startedAt, startedAt);
  return { built: true, diagnostics };
}
