/**
 * The native-allocator axis: glibc's malloc (the default) or a replacement loaded into the child
 * with LD_PRELOAD. V8 allocates ArrayBuffer backing stores with the native allocator, so this axis
 * matters most for strategies that allocate many ArrayBuffers (`uint8array`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALLOCATOR_NAMES = ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'] as const;
export type AllocatorName = (typeof ALLOCATOR_NAMES)[number];

export interface NativeAllocator {
  name: AllocatorName;
  /** Debian package that ships the library (null: part of libc6). */
  debianPackage: string | null;
  /** Default path on Debian 12 x86_64; overridable with BUFLAB_<NAME>_PATH or the CLI. */
  defaultPath: string | null;
  /** A substring that identifies the library in /proc/self/maps. */
  mapsNeedle: string | null;
}

export const NATIVE_ALLOCATORS: Readonly<Record<AllocatorName, NativeAllocator>> = {
  glibc: { name: 'glibc', debianPackage: null, defaultPath: null, mapsNeedle: null },
  jemalloc: {
    name: 'jemalloc',
    debianPackage: 'libjemalloc2',
    defaultPath: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
    mapsNeedle: 'libjemalloc',
  },
  tcmalloc: {
    name: 'tcmalloc',
    debianPackage: 'libtcmalloc-minimal4',
    defaultPath: '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
    mapsNeedle: 'libtcmalloc',
  },
  mimalloc: {
    name: 'mimalloc',
    debianPackage: 'libmimalloc2.0',
    defaultPath: '/usr/lib/x86_64-linux-gnu/libmimalloc.so.2',
    mapsNeedle: 'libmimalloc',
  },
};

export function isAllocatorName(s: string): s is AllocatorName {
  return (ALLOCATOR_NAMES as readonly string[]).includes(s);
}

/** The library path for `name`: `overrides[name]`, else env BUFLAB_<NAME>_PATH, else the Debian path. */
export function allocatorPath(
  name: AllocatorName,
  overrides: Partial<Record<AllocatorName, string>> = {},
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const a = NATIVE_ALLOCATORS[name];
  if (a.defaultPath === null) return null;
  return overrides[name] ?? env[`BUFLAB_${name.toUpperCase()}_PATH`] ?? a.defaultPath;
}

export type Availability =
  | { available: true; name: AllocatorName; path: string | null }
  | { available: false; name: AllocatorName; path: string; reason: string; installHint: string };

/** Whether the allocator can be used on this machine; when not, the message names the install command. */
export function checkAvailable(
  name: AllocatorName,
  overrides: Partial<Record<AllocatorName, string>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Availability {
  const path = allocatorPath(name, overrides, env);
  if (path === null || existsSync(path)) return { available: true, name, path };
  const pkg = NATIVE_ALLOCATORS[name].debianPackage ?? 'libc6';
  return {
    available: false,
    name,
    path,
    reason: `${name}: ${path} not found`,
    installHint: `run 'npm run setup' (as root it runs: apt-get install -y ${pkg})`,
  };
}

/** Environment additions for a child that should run with `name`. */
export function preloadEnv(name: AllocatorName, path: string | null): Record<string, string> {
  if (name === 'glibc' || path === null) return {};
  return { LD_PRELOAD: path };
}

/** The shared objects mapped into this process, from /proc/self/maps (unique paths). */
export function mappedLibraries(mapsText: string = readFileSync('/proc/self/maps', 'utf8')): string[] {
  const seen = new Set<string>();
  for (const line of mapsText.split('\n')) {
    const slash = line.indexOf('/');
    if (slash < 0) continue;
    const path = line.slice(slash).trim();
    if (path.includes('.so')) seen.add(path);
  }
  return [...seen];
}

export interface VerifiedAllocator {
  name: AllocatorName;
  path: string | null;
  packageVersion: string | null;
  sha256: string | null;
  verified: boolean;
  /** Why verification failed, when it did. */
  problem?: string;
}

/**
 * Run inside the child: is `name` really the allocator of this process? For a preloaded library,
 * its file must be mapped; for glibc, no other known allocator may be mapped (a stray LD_PRELOAD
 * would otherwise measure something other than what was asked).
 */
export function verifyInProcess(name: AllocatorName, mapsText?: string): VerifiedAllocator {
  const libs = mappedLibraries(mapsText);
  if (name === 'glibc') {
    const intruder = libs.find((l) =>
      ALLOCATOR_NAMES.some((n) => NATIVE_ALLOCATORS[n].mapsNeedle !== null && l.includes(NATIVE_ALLOCATORS[n].mapsNeedle!)),
    );
    const libc = libs.find((l) => /\/libc\.so/.test(l)) ?? null;
    const sha256 = libc ? sha256File(libc) : null;
    return {
      name,
      path: libc,
      packageVersion: libc ? cachedDebianVersionOf(libc, sha256) : null,
      sha256,
      verified: intruder === undefined,
      ...(intruder ? { problem: `glibc cell but ${intruder} is mapped` } : {}),
    };
  }
  const needle = NATIVE_ALLOCATORS[name].mapsNeedle!;
  const path = libs.find((l) => l.includes(needle)) ?? null;
  if (path === null) {
    return { name, path: null, packageVersion: null, sha256: null, verified: false, problem: `${name} is not mapped into the process (LD_PRELOAD not applied?)` };
  }
  const sha256 = sha256File(path);
  return { name, path, packageVersion: cachedDebianVersionOf(path, sha256), sha256, verified: true };
}

const DPKG_STATUS = '/var/lib/dpkg/status';

/**
 * {@link debianVersionOf}, remembered in `$TMPDIR/buflab-dpkg/`: asking dpkg costs 0.3–0.6 s per
 * fork (it scans every package's file list), a large share of a short fork. The answer is a
 * function of the file's bytes and of dpkg's database, so the cache key is the file's sha256 and
 * the status file's mtime (any install or removal changes it). Without a hash, or when the cache
 * cannot be written, dpkg is asked directly.
 */
function cachedDebianVersionOf(path: string, sha256: string | null): string | null {
  if (sha256 === null || !existsSync(DPKG_STATUS)) return debianVersionOf(path);
  const dir = join(tmpdir(), 'buflab-dpkg');
  const file = join(dir, `${sha256}-${Math.round(statSync(DPKG_STATUS).mtimeMs)}.json`);
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { path: string; packageVersion: string | null };
    if (cached.path === path) return cached.packageVersion;
  }
  const packageVersion = debianVersionOf(path);
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole then renamed: a concurrent child never reads half a file.
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ path, packageVersion }));
    renameSync(tmp, file);
  } catch (e) {
    // A read-only or full TMPDIR costs speed only: the version itself was read from dpkg above.
    void e;
  }
  return packageVersion;
}

/** The file's sha256 (hex), or null when it does not exist. */
export function sha256File(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `dpkg -S` then `dpkg-query` for the owning package's version; null where dpkg does not know. */
export function debianVersionOf(path: string): string | null {
  // Debian 12 is usr-merged: dpkg knows libc as /lib/…, the maps say /usr/lib/….
  const candidates = path.startsWith('/usr/lib/') ? [path, path.slice(4)] : [path];
  for (const p of candidates) {
    const v = dpkgVersion(p);
    if (v !== null) return v;
  }
  return null;
}

function dpkgVersion(path: string): string | null {
  try {
    const owner = execFileSync('dpkg', ['-S', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pkg = owner.split(':')[0]?.trim();
    if (!pkg) return null;
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return `${pkg} ${version.trim()}`;
  } catch {
    // dpkg exits 1 for files no package owns (a locally built allocator): no version to record.
    return null;
  }
}
