/**
 * Whether a non-Node runtime (Bun, Deno) gives the buflab child every measurement it records
 * (issue 14, item 5). The answer is measured on the installed binary, never assumed from its name:
 * a small ES module ({@link CAPABILITY_PROBE_SOURCE}) runs under the runtime with the runtime's own
 * spelling of `--expose-gc`, exercises each API the child reads, and prints one JSON line saying
 * which ones delivered. A runtime that lacks any required one is unavailable and its cells are
 * skipped with the missing APIs named — the record has no "absent" form for GC or heap numbers
 * (contract/result-schema.ts: `gc` and `alloc` are required), so measuring with fewer metrics would
 * write zeros that look like measurements.
 *
 * What the child needs, and from where (harness/measure/*):
 * - `gc()` (a clean heap before each phase): `--expose-gc`;
 * - GC pauses (count, pause times, time share, GC-attributed tails): `PerformanceObserver` 'gc'
 *   entries (gc-observer.ts);
 * - JS-heap bytes per op: `v8.GCProfiler` statistics with V8's heap spaces (gc-observer.ts);
 * - off-heap bytes per op: `v8.getHeapStatistics().external_memory` (external-audit.ts);
 * - `process.memoryUsage().arrayBuffers` (memory-sampler.ts);
 * - the record on file descriptor 3 (`fs.writeSync(3, …)`, harness/child/main.ts).
 * `%GetOptimizationStatus` (jit-status.ts) is optional: the child already records its absence.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One API the child needs that the runtime did not deliver. */
export interface MissingApi {
  /** The API, as the child calls it (`PerformanceObserver('gc')`). */
  api: string;
  /** The measurement that depends on it (`gc pauses`). */
  measurement: string;
  /** What the probe saw. */
  saw: string;
}

export interface CapabilityReport {
  /** Required APIs that did not deliver; empty when the child could measure everything. */
  missing: MissingApi[];
  /** True when `%GetOptimizationStatus` works (the child's optional JIT state). */
  jitStatus: boolean;
  /** `process.version` as the runtime reports it (Bun and Deno claim a Node version). */
  claimedNodeVersion: string;
}

/** Bytes allocated as one ArrayBuffer to see whether external memory counters move. */
const PROBE_BUFFER_BYTES = 8 << 20;

/**
 * The probe, plain JavaScript so that node, bun and deno all run it unchanged. Prints one JSON
 * line on stdout and writes `fd3` to file descriptor 3 through `fs.writeSync(3)`, as the child does.
 */
export const CAPABILITY_PROBE_SOURCE = `
import v8 from 'node:v8';
import fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
const missing = [];
const need = (ok, api, measurement, saw) => { if (!ok) missing.push({ api, measurement, saw }); };
need(typeof globalThis.gc === 'function', 'gc() (--expose-gc)', 'a collected heap before each phase', 'globalThis.gc is ' + typeof globalThis.gc);
let entries = 0;
let observeError = null;
try {
  const o = new PerformanceObserver((list) => { entries += list.getEntries().length; });
  o.observe({ entryTypes: ['gc'] });
} catch (e) { observeError = e.message; }
let profiler = null;
try { profiler = new v8.GCProfiler(); profiler.start(); } catch (e) { profiler = String(e.message); }
const h0 = v8.getHeapStatistics();
const m0 = process.memoryUsage();
const big = new ArrayBuffer(${PROBE_BUFFER_BYTES});
new Uint8Array(big).fill(1);
const h1 = v8.getHeapStatistics();
const m1 = process.memoryUsage();
let keep = [];
for (let i = 0; i < 300000; i++) { keep.push({ i }); if (keep.length > 1000) keep = []; }
if (typeof globalThis.gc === 'function') globalThis.gc();
let jit = false;
try { jit = typeof new Function('f', 'return %GetOptimizationStatus(f);')(() => 1) === 'number'; } catch { jit = false; }
setTimeout(() => {
  need(observeError === null && entries > 0, "PerformanceObserver('gc')", 'gc pauses (count, pause ms, time share, GC-attributed tails)',
    observeError !== null ? 'observe() threw: ' + observeError : entries + ' gc entries after a forced gc() and 300000 allocations (supportedEntryTypes: ' + JSON.stringify(PerformanceObserver.supportedEntryTypes) + ')');
  let stats = [];
  let profilerSaw = typeof profiler === 'string' ? profiler : '';
  if (typeof profiler !== 'string') { try { stats = profiler.stop()?.statistics ?? []; } catch (e) { profilerSaw = e.message; } }
  const spaces = (stats[0]?.beforeGC?.heapSpaceStatistics ?? []).map((s) => s.spaceName);
  need(stats.length > 0 && spaces.includes('new_space'), 'v8.GCProfiler', 'JS-heap bytes per op (V8 heap statistics around each GC)',
    profilerSaw !== '' ? profilerSaw : stats.length + ' GC statistics, heap spaces ' + JSON.stringify(spaces));
  const ext = h1.external_memory - h0.external_memory;
  need(ext >= ${PROBE_BUFFER_BYTES}, 'v8.getHeapStatistics().external_memory', 'off-heap (ArrayBuffer) bytes per op', 'rose by ' + ext + ' B for a ${PROBE_BUFFER_BYTES} B ArrayBuffer');
  const ab = m1.arrayBuffers - m0.arrayBuffers;
  need(ab >= ${PROBE_BUFFER_BYTES}, 'process.memoryUsage().arrayBuffers', 'memory.arrayBuffersBytes', 'rose by ' + ab + ' B for a ${PROBE_BUFFER_BYTES} B ArrayBuffer');
  let fd3 = 'ok';
  try { fs.writeSync(3, 'fd3'); } catch (e) { fd3 = e.message; }
  need(fd3 === 'ok', 'fs.writeSync(3, …)', 'the fork record (file descriptor 3)', fd3);
  process.stdout.write(JSON.stringify({ missing, jitStatus: jit, claimedNodeVersion: process.version, keep: keep.length > 0 && big.byteLength > 0 }) + '\\n');
}, 100);
`;

/** How each runtime is told to expose `gc()` and the natives syntax (node: its own flags). */
export function probeCommand(kind: 'node' | 'bun' | 'deno', binary: string, file: string): { command: string; args: string[] } {
  if (kind === 'deno') return { command: binary, args: ['run', '--allow-all', '--v8-flags=--expose-gc,--allow-natives-syntax', file] };
  return { command: binary, args: ['--expose-gc', '--allow-natives-syntax', file] };
}

/**
 * Runs the probe under `binary` and returns what it found. Throws an Error when the runtime does
 * not run it at all (the caller turns that into an unavailable runtime with the message).
 */
export function probeCapabilities(kind: 'node' | 'bun' | 'deno', binary: string): CapabilityReport {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-capability-'));
  try {
    const file = join(dir, 'probe.mjs');
    writeFileSync(file, CAPABILITY_PROBE_SOURCE);
    const { command, args } = probeCommand(kind, binary, file);
    // fd 3 is a pipe, as the harness gives the child (harness/run/executor.ts).
    const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 60_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir } });
    if (r.error !== undefined) throw new Error(`${binary} could not run the capability probe: ${r.error.message}`);
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status !== 0 || line === '') throw new Error(`${binary} failed the capability probe (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    const v = JSON.parse(line) as CapabilityReport;
    return { missing: v.missing, jitStatus: v.jitStatus, claimedNodeVersion: v.claimedNodeVersion };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One sentence naming every missing API and what depends on it, for a skipped cell's reason. */
export function describeMissing(name: string, version: string, report: CapabilityReport): string {
  const parts = report.missing.map((m) => `${m.api} (${m.measurement}: ${m.saw})`);
  return `${name} ${version} lacks what the buflab child measures with: ${parts.join('; ')}`;
}
