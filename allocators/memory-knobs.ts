/**
 * Allocator and hugepage knobs as axes of a cell (`--param thp=off|default|on`, `--param arenas=N`),
 * each set for the child by the parent ({@link memoryKnobEnv}) or by the child itself, and read back
 * inside the child ({@link applyMemoryKnobs}): a cell whose knob did not take effect is an error,
 * never a silent mismeasure (docs/DESIGN.md: "a knob is an axis only if the child verifies it").
 *
 * **thp** — transparent hugepages. The system-wide mode (/sys/kernel/mm/transparent_hugepage/
 * enabled: always | madvise | never) can only be changed by root for the whole machine, so it is
 * never touched; the knob acts per process instead:
 * - `off`: the child calls prctl(PR_SET_THP_DISABLE) (prctl(2)) before the workload is created;
 *   read back as prctl(PR_GET_THP_DISABLE) = 1 and `THP_enabled: 0` in /proc/self/status, and
 *   AnonHugePages (/proc/self/smaps) must not grow during the run. Pages that Node's start-up
 *   already got as hugepages (only under a system mode `always`) stay, and are recorded.
 * - `default`: nothing is changed; the evidence is recorded.
 * - `on`: the native allocator is told to madvise(MADV_HUGEPAGE) its heap: glibc's tunable
 *   `glibc.malloc.hugetlb=1` (glibc ≥ 2.35, "Memory Allocation Tunables" in the glibc manual),
 *   jemalloc's `MALLOC_CONF=thp:always,metadata_thp:always` (jemalloc(3), opt.thp), mimalloc's
 *   `MIMALLOC_LARGE_OS_PAGES=1` (mimalloc's README, "Environment Options"). Read back: the tunable
 *   as ld.so parses the child's own environment (glibc), mallctl("opt.thp") (jemalloc),
 *   mi_option_get(large_os_pages) (mimalloc); and the effect: memory in VMAs flagged `hg`
 *   (MADV_HUGEPAGE, proc(5) VmFlags) must be non-zero after measuring. Hugepages actually given
 *   (AnonHugePages) are the kernel's answer and recorded, not required: a small heap may hold no
 *   aligned 2 MiB range. gperftools' tcmalloc has no hugepage knob: its `on` cells are skipped.
 *   The system mode must be `madvise` or `always`; under `never` no allocator can get any. A cell
 *   that ends up with explicit hugetlbfs pages instead (mimalloc takes them first when the system
 *   has some reserved) is refused: that is `hugetlb`, not THP; the planner skips mimalloc's `on`
 *   cells while the pool has pages free.
 * - `hugetlb`: explicit hugetlbfs pages (the pool root reserves in /proc/sys/vm/nr_hugepages), not
 *   THP: glibc's `glibc.malloc.hugetlb=2` (glibc ≥ 2.35) maps its heaps and mmap'd chunks with
 *   MAP_HUGETLB and never uses sbrk; mimalloc's `MIMALLOC_LARGE_OS_PAGES=1` (its unix mmap tries
 *   MAP_HUGETLB before falling back to MADV_HUGEPAGE). Both fall back to normal pages, silently,
 *   when the pool is empty, so the child checks the effect, not only the setting: the tunable /
 *   option reads back; this process's pages in hugetlbfs (Private_Hugetlb + Shared_Hugetlb in
 *   /proc/self/smaps) are non-zero after measuring; a fresh malloc lands inside a mapping flagged
 *   `ht` (proc(5) VmFlags); and for glibc, every byte its arenas hold from the kernel (malloc_info(3)'s
 *   `system current`) lies in `ht` mappings, before and after measuring — a shortfall is glibc's
 *   fallback, and the cell is refused. (glibc maps an mmap'd chunk — 128 KiB and up — with
 *   MAP_HUGETLB only when it is at least a huge page; smaller ones stay on normal pages by design.) jemalloc has no hugetlbfs
 *   option (its `thp` is THP) and gperftools' tcmalloc reaches hugetlbfs only through a mounted
 *   hugetlbfs file (TCMALLOC_MEMFS_MALLOC_PATH), which this harness does not set up: both skipped.
 *   With no page free in the pool the planner skips the cell with the command that reserves some;
 *   the harness never reserves them itself (they are taken from RAM for the whole machine).
 *
 * **arenas** — how many malloc arenas threads share (the glibc tuning the seeds name):
 * - glibc: `GLIBC_TUNABLES=glibc.malloc.arena_max=N` (the tunable behind MALLOC_ARENA_MAX); read
 *   back through ld.so, and the arenas in use (malloc_info(3)'s `<heap nr=…>` entries) must be ≤ N.
 * - jemalloc: `MALLOC_CONF=narenas:N` (threads are assigned round-robin to N arenas); read back as
 *   mallctl("opt.narenas") = N.
 * - tcmalloc and mimalloc have no arena count in this sense (per-thread caches / per-thread heaps
 *   over a shared page heap; mimalloc's "arenas" are OS reservations, not contention domains):
 *   their `arenas` cells are skipped, saying so.
 *
 * The probe addon (allocators/native/memory-probe.c) makes the calls Node cannot (prctl, malloc_info,
 * mallctl, mi_option_get). Without it, knob cells are skipped with the build command.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AllocatorName } from './native-allocators.js';

export const THP_CHOICES = ['off', 'default', 'on', 'hugetlb'] as const;
export type ThpKnob = (typeof THP_CHOICES)[number];
/** The values `--list` names for `arenas`; any integer from 1 to {@link MAX_ARENAS} is accepted. */
export const ARENA_CHOICES = [1, 2, 4, 8] as const;
export const MAX_ARENAS = 1024;
/** The cell params that are memory knobs: the harness consumes them, the workload never sees them. */
export const MEMORY_KNOB_KEYS = ['thp', 'arenas'] as const;

/** The build command of the probe addon. */
export const MEMORY_PROBE_BUILD_COMMAND = 'bash allocators/native/build.sh';
const PROBE_PATH = join('allocators', 'native', 'buflab-memory-probe.node');

/**
 * Huge pages (2 MiB) the skip message suggests reserving: the alloc workload's glibc heap at 16 KiB
 * held 75–98 MiB of hugetlbfs per fork, and time-sliced rounds keep up to 12 forks (--slice-group)
 * alive at once, each holding its pages.
 */
export const HUGETLB_SUGGESTED_PAGES = 640;

/** mimalloc's `mi_option_large_os_pages` (renamed allow_large_os_pages in 2.1): 6 in every 1.x–2.1 release. */
const MI_OPTION_LARGE_OS_PAGES = 6;

export type MemoryKnobErrorCode = 'E_KNOB_VALUE' | 'E_KNOB_NOT_IN_EFFECT' | 'E_KNOB_PROBE';

/** A knob value that is not valid, or a knob the child could not confirm. */
export class MemoryKnobError extends Error {
  constructor(
    readonly code: MemoryKnobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MemoryKnobError';
  }
}

export interface MemoryKnobs {
  thp: ThpKnob | null;
  arenas: number | null;
}

/** The knobs among a cell's params (null: not an axis of this cell). Throws E_KNOB_VALUE. */
export function parseMemoryKnobs(params: Readonly<Record<string, string | number | boolean>>): MemoryKnobs {
  const thpRaw = params['thp'];
  const arenasRaw = params['arenas'];
  let thp: ThpKnob | null = null;
  if (thpRaw !== undefined) {
    if (!(THP_CHOICES as readonly unknown[]).includes(thpRaw)) {
      throw new MemoryKnobError('E_KNOB_VALUE', `thp=${String(thpRaw)} is not a hugepage knob; use one of ${THP_CHOICES.join(', ')}`);
    }
    thp = thpRaw as ThpKnob;
  }
  let arenas: number | null = null;
  if (arenasRaw !== undefined) {
    const n = typeof arenasRaw === 'string' ? Number(arenasRaw) : arenasRaw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ARENAS) {
      throw new MemoryKnobError('E_KNOB_VALUE', `arenas=${String(arenasRaw)} must be an integer from 1 to ${MAX_ARENAS} (malloc arenas)`);
    }
    arenas = n;
  }
  return { thp, arenas };
}

/** The cell's params without the knobs: what the workload is given. */
export function workloadParams<T extends string | number | boolean>(params: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(params)) if (!(MEMORY_KNOB_KEYS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

/**
 * A kernel file's text, or null when it cannot be read — a kernel built without the feature has no
 * such file (no THP, no hugetlbfs), and then no knob can use it.
 */
function readKernelFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    void e;
    return null;
  }
}

/** The system-wide THP mode (the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled), or null. */
export function systemThpMode(text?: string): 'always' | 'madvise' | 'never' | null {
  const t = text ?? readKernelFile('/sys/kernel/mm/transparent_hugepage/enabled');
  if (t === null) return null;
  const m = /\[(always|madvise|never)\]/.exec(t);
  return m === null ? null : (m[1] as 'always' | 'madvise' | 'never');
}

/**
 * Why a cell with these knobs cannot run with `allocator` on this machine, or null when it can.
 * Reported by the planner as a skipped cell (never run as something else). Throws E_KNOB_VALUE for
 * a value that is not a knob value at all (bad input, not a machine limit).
 */
export function memoryKnobUnavailable(
  allocator: AllocatorName,
  params: Readonly<Record<string, string | number | boolean>>,
  probe: () => ProbeAvailability = memoryProbeAvailability,
  thpMode: () => ReturnType<typeof systemThpMode> = () => systemThpMode(),
  hugetlbPool: () => HugetlbPool | null = () => readHugetlbPool(),
): { code: string; message: string } | null {
  const knobs = parseMemoryKnobs(params);
  if (knobs.thp === null && knobs.arenas === null) return null;
  if (knobs.thp === 'on' && allocator === 'tcmalloc') {
    return { code: 'E_KNOB_NO_MEANING', message: 'thp=on: gperftools tcmalloc has no hugepage option to set; run thp=on with glibc, jemalloc or mimalloc' };
  }
  if (knobs.thp === 'hugetlb' && (allocator === 'jemalloc' || allocator === 'tcmalloc')) {
    return {
      code: 'E_KNOB_NO_MEANING',
      message: `thp=hugetlb: ${allocator === 'jemalloc' ? 'jemalloc has no hugetlbfs option (its opt.thp is transparent hugepages: thp=on)' : "gperftools tcmalloc reaches hugetlbfs only through a mounted hugetlbfs file (TCMALLOC_MEMFS_MALLOC_PATH), which buflab does not set up"}; run thp=hugetlb with glibc or mimalloc`,
    };
  }
  if (knobs.arenas !== null && (allocator === 'tcmalloc' || allocator === 'mimalloc')) {
    return {
      code: 'E_KNOB_NO_MEANING',
      message: `arenas=${knobs.arenas}: ${allocator} has no arena count to cap (${allocator === 'tcmalloc' ? 'per-thread caches over one page heap' : 'per-thread heaps; its "arenas" are OS reservations'}); run arenas with glibc or jemalloc`,
    };
  }
  if (knobs.thp === 'on') {
    const mode = thpMode();
    if (mode === null || mode === 'never') {
      return { code: 'E_KNOB_THP_NEVER', message: `thp=on: transparent hugepages are ${mode ?? 'not built into this kernel'} system-wide (as root: echo madvise > /sys/kernel/mm/transparent_hugepage/enabled)` };
    }
  }
  if (knobs.thp === 'on' && allocator === 'mimalloc') {
    const pool = hugetlbPool();
    // mimalloc's large_os_pages tries MAP_HUGETLB first: with pages free it measures hugetlb, not THP.
    if (pool !== null && pool.freePages - pool.reservedPages > 0) {
      return {
        code: 'E_KNOB_HUGETLB_RESERVED',
        message: `thp=on: mimalloc's large_os_pages takes explicit huge pages before transparent ones, and ${pool.freePages - pool.reservedPages} are free in the pool (/proc/sys/vm/nr_hugepages), so the cell would measure thp=hugetlb; run thp=hugetlb, or as root free the pool (echo 0 > /proc/sys/vm/nr_hugepages)`,
      };
    }
  }
  if (knobs.thp === 'hugetlb') {
    const pool = hugetlbPool();
    if (pool === null || pool.totalPages === 0 || pool.freePages - pool.reservedPages <= 0) {
      const what = pool === null ? 'this kernel reports no hugetlb pool (/proc/meminfo)' : `no huge page is free to take (HugePages_Total ${pool.totalPages}, HugePages_Free ${pool.freePages}, HugePages_Rsvd ${pool.reservedPages})`;
      return {
        code: 'E_KNOB_NO_HUGETLB_PAGES',
        message: `thp=hugetlb: ${what}; buflab never reserves them itself. As root: echo ${HUGETLB_SUGGESTED_PAGES} > /proc/sys/vm/nr_hugepages (${(HUGETLB_SUGGESTED_PAGES * (pool?.pageKb ?? 2048)) / 1024} MiB of RAM for the whole machine, about 100 MiB per fork alive at once; echo 0 to give it back)`,
      };
    }
  }
  const p = probe();
  if (!p.available) return { code: 'E_KNOB_PROBE_MISSING', message: `${p.problem}; build it with '${MEMORY_PROBE_BUILD_COMMAND}'` };
  return null;
}

/** Environment additions for a child that runs `allocator` with `knobs` (set before the allocator starts). */
export function memoryKnobEnv(allocator: AllocatorName, knobs: MemoryKnobs): Record<string, string> {
  const env: Record<string, string> = {};
  if (allocator === 'glibc') {
    const tunables: string[] = [];
    if (knobs.thp === 'on') tunables.push('glibc.malloc.hugetlb=1');
    // 2: MAP_HUGETLB with the system's default huge page size (glibc manual, "Memory Allocation Tunables").
    if (knobs.thp === 'hugetlb') tunables.push('glibc.malloc.hugetlb=2');
    if (knobs.arenas !== null) tunables.push(`glibc.malloc.arena_max=${knobs.arenas}`);
    if (tunables.length > 0) env['GLIBC_TUNABLES'] = tunables.join(':');
  } else if (allocator === 'jemalloc') {
    const conf: string[] = [];
    if (knobs.thp === 'on') conf.push('thp:always', 'metadata_thp:always');
    if (knobs.arenas !== null) conf.push(`narenas:${knobs.arenas}`);
    if (conf.length > 0) env['MALLOC_CONF'] = conf.join(',');
  } else if (allocator === 'mimalloc') {
    // The same option for both: mimalloc tries MAP_HUGETLB first and madvises THP when that fails;
    // which one the cell got is checked in the child (applyMemoryKnobs).
    if (knobs.thp === 'on' || knobs.thp === 'hugetlb') env['MIMALLOC_LARGE_OS_PAGES'] = '1';
  }
  return env;
}

/** What the memory-knob probe addon offers (allocators/native/memory-probe.c). */
export interface MemoryProbe {
  thpDisable(): void;
  thpDisabled(): number;
  glibcMallocInfo(): string | null;
  jemallocUnsigned(name: string): number | null;
  jemallocString(name: string): string | null;
  mimallocVersion(): number | null;
  mimallocOption(index: number): number | null;
  /** The address of a fresh malloc(sizeBytes) from whichever malloc the process uses (freed before returning). */
  mallocAddress(sizeBytes: number): number;
}

export type ProbeAvailability = { available: true; probe: MemoryProbe } | { available: false; problem: string };

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..');
    dir = up;
  }
}

let cachedProbe: ProbeAvailability | null = null;

/** Whether the probe addon is built and loads in this process (decided once per process). */
export function memoryProbeAvailability(): ProbeAvailability {
  if (cachedProbe !== null) return cachedProbe;
  const path = join(repoRoot(), PROBE_PATH);
  if (!existsSync(path)) cachedProbe = { available: false, problem: `the memory-knob probe is not built (${path} is missing)` };
  else {
    try {
      cachedProbe = { available: true, probe: createRequire(import.meta.url)(path) as MemoryProbe };
    } catch (e) {
      cachedProbe = { available: false, problem: `the memory-knob probe at ${path} does not load: ${(e as Error).message}` };
    }
  }
  return cachedProbe;
}

/** Hugepage evidence of this process, from /proc/self/smaps and /proc/self/status. Sizes in KiB. */
export interface HugepageEvidence {
  /** AnonHugePages summed over every mapping: memory the kernel backs with transparent hugepages. */
  anonHugeKb: number;
  /** Size of the mappings flagged `hg` (madvise(MADV_HUGEPAGE)): what someone asked to be huge. */
  hugeAdvisedKb: number;
  /** AnonHugePages inside those `hg` mappings. */
  anonHugeInAdvisedKb: number;
  /** `THP_enabled` of /proc/self/status (0 after PR_SET_THP_DISABLE), or null on kernels without it. */
  thpEnabled: number | null;
  /**
   * Private_Hugetlb + Shared_Hugetlb summed over every mapping: hugetlbfs pages this process has
   * touched (explicit huge pages, thp=hugetlb). Absent in records written before it was added.
   */
  hugetlbKb?: number;
  /** Size of the readable-writable mappings flagged `ht` (hugetlbfs): what the process has mapped there. */
  hugetlbMappedKb?: number;
}

/** Parses /proc/self/smaps (or `smaps`) and /proc/self/status (or `status`). */
export function hugepageEvidence(smaps?: string, status?: string): HugepageEvidence {
  const text = smaps ?? readFileSync('/proc/self/smaps', 'utf8');
  let anonHugeKb = 0;
  let hugeAdvisedKb = 0;
  let anonHugeInAdvisedKb = 0;
  let hugetlbKb = 0;
  let hugetlbMappedKb = 0;
  // One mapping: a header line, then "Key: value kB" lines, VmFlags last (proc(5)).
  let sizeKb = 0;
  let hugeKb = 0;
  let writable = false;
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ (\S+)/.exec(line);
    if (header !== null) writable = header[1]!.startsWith('rw');
    else if (line.startsWith('Size:')) sizeKb = Number(/(\d+)/.exec(line)?.[1] ?? 0);
    else if (line.startsWith('Private_Hugetlb:') || line.startsWith('Shared_Hugetlb:')) hugetlbKb += Number(/(\d+)/.exec(line)?.[1] ?? 0);
    else if (line.startsWith('AnonHugePages:')) {
      hugeKb = Number(/(\d+)/.exec(line)?.[1] ?? 0);
      anonHugeKb += hugeKb;
    } else if (line.startsWith('VmFlags:')) {
      if (/\shg(\s|$)/.test(line)) {
        hugeAdvisedKb += sizeKb;
        anonHugeInAdvisedKb += hugeKb;
      }
      // glibc's non-main heaps keep a PROT_NONE tail in hugetlbfs too: only the usable part counts.
      if (writable && /\sht(\s|$)/.test(line)) hugetlbMappedKb += sizeKb;
      sizeKb = 0;
      hugeKb = 0;
    }
  }
  const st = status ?? readFileSync('/proc/self/status', 'utf8');
  const m = /^THP_enabled:\s*(\d+)/m.exec(st);
  return { anonHugeKb, hugeAdvisedKb, anonHugeInAdvisedKb, thpEnabled: m === null ? null : Number(m[1]), hugetlbKb, hugetlbMappedKb };
}

/** The machine's hugetlbfs pool of the default huge page size (/proc/meminfo). */
export interface HugetlbPool {
  totalPages: number;
  freePages: number;
  /** Promised to mappings but not yet faulted in: not free for a new mapping. */
  reservedPages: number;
  pageKb: number;
}

/** Parses /proc/meminfo (or `meminfo`); null when the kernel has no hugetlbfs. */
export function readHugetlbPool(meminfo?: string): HugetlbPool | null {
  // Not Linux, or /proc not mounted: then there is no pool to use.
  const text = meminfo ?? readKernelFile('/proc/meminfo');
  if (text === null) return null;
  const field = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text);
    return m === null ? null : Number(m[1]);
  };
  const totalPages = field('HugePages_Total');
  const freePages = field('HugePages_Free');
  const reservedPages = field('HugePages_Rsvd');
  const pageKb = field('Hugepagesize');
  if (totalPages === null || freePages === null || reservedPages === null || pageKb === null) return null;
  return { totalPages, freePages, reservedPages, pageKb };
}

/** Whether `address` lies in a mapping flagged `ht` (hugetlbfs) of /proc/self/smaps (or `smaps`). */
export function addressInHugetlb(address: number, smaps?: string): boolean {
  const text = smaps ?? readFileSync('/proc/self/smaps', 'utf8');
  let inside = false;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header !== null) inside = parseInt(header[1]!, 16) <= address && address < parseInt(header[2]!, 16);
    else if (inside && line.startsWith('VmFlags:')) return /\sht(\s|$)/.test(line);
  }
  return false;
}

/**
 * What glibc's malloc holds from the kernel, from malloc_info(3)'s XML: the arenas' memory (the
 * top-level `<system type="current">`, after the per-heap ones) and the mmap'd chunks (`<total
 * type="mmap">`). Bytes.
 */
export function glibcMallocSystemBytes(mallocInfoXml: string): { arenaBytes: number; mmapBytes: number } {
  const system = [...mallocInfoXml.matchAll(/<system type="current" size="(\d+)"\/>/g)];
  const mmap = /<total type="mmap" count="\d+" size="(\d+)"\/>/.exec(mallocInfoXml);
  if (system.length === 0 || mmap === null) throw new MemoryKnobError('E_KNOB_PROBE', 'malloc_info printed no system or mmap total: not glibc\'s format');
  return { arenaBytes: Number(system[system.length - 1]![1]), mmapBytes: Number(mmap[1]) };
}

/**
 * glibc's malloc tunables as ld.so parses this process's own environment (`ld.so --list-tunables`,
 * glibc ≥ 2.33): the same glibc, the same GLIBC_TUNABLES, so a value ld.so did not accept (a typo,
 * out of range) reads back as the default. Keys without the `glibc.malloc.` prefix; values as numbers.
 */
export function glibcMallocTunables(listing?: string): Record<string, number> {
  let text = listing;
  if (text === undefined) {
    const ldso = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .map((l) => l.slice(l.indexOf('/')))
      .find((p) => /\/ld-linux[^/]*\.so/.test(p));
    if (ldso === undefined) throw new MemoryKnobError('E_KNOB_PROBE', 'the dynamic loader (ld-linux*.so) is not in /proc/self/maps: cannot read glibc tunables back');
    try {
      text = execFileSync(ldso.trim(), ['--list-tunables'], { encoding: 'utf8', env: process.env });
    } catch (e) {
      // Under hugetlb=2 the heap is MAP_PRIVATE hugetlbfs: starting a process from this one needs free
      // huge pages for what it writes before exec, and fails (ld.so killed by SIGBUS, spawnSync EFAULT:
      // both seen) when the pool has none left — with time-sliced forks holding their pages together.
      if (process.env['GLIBC_TUNABLES']?.includes('glibc.malloc.hugetlb=2') === true) {
        const p = readHugetlbPool();
        const how = (e as { signal?: unknown }).signal === 'SIGBUS' ? 'ld.so died of SIGBUS' : `starting ld.so failed (${(e as Error).message})`;
        throw new MemoryKnobError(
          'E_KNOB_NOT_IN_EFFECT',
          `reading glibc's tunables back under hugetlb=2, ${how}: a process started from this one found no free huge page (${p === null ? 'no pool' : `HugePages_Free ${p.freePages} of ${p.totalPages}, ${p.reservedPages} reserved`}); the pool is too small for the forks alive at once (time-sliced rounds keep up to --slice-group forks alive): reserve more (echo N > /proc/sys/vm/nr_hugepages) or run with --slice-ms 0`,
        );
      }
      throw e;
    }
  }
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^glibc\.malloc\.(\w+): (0x[0-9a-f]+|\d+)/gm)) out[m[1]!] = Number(m[2]!);
  return out;
}

/** Arenas glibc's malloc has created (one `<heap nr=…>` per arena in malloc_info's XML). */
export function glibcArenaCount(mallocInfoXml: string): number {
  return (mallocInfoXml.match(/<heap nr="\d+">/g) ?? []).length;
}

/** What a child records about its knobs (`ForkRecord.memoryKnobs`). */
export interface MemoryKnobsRecord {
  /** The knobs asked for (null: not an axis of this cell). */
  thp: ThpKnob | null;
  arenas: number | null;
  /** The environment the parent set for them (GLIBC_TUNABLES, MALLOC_CONF, MIMALLOC_LARGE_OS_PAGES). */
  env: Record<string, string>;
  /** /sys/kernel/mm/transparent_hugepage/enabled's mode, as the child saw it. */
  systemThp: 'always' | 'madvise' | 'never' | null;
  /** What the allocator or kernel reports back, by name (e.g. `glibc.malloc.arena_max`: 2, `opt.thp`: 'always'). */
  readBack: Record<string, string | number | null>;
  /** Hugepage evidence when the knobs were applied (before the workload) and after measuring. */
  before: HugepageEvidence;
  after: HugepageEvidence;
  /** Arenas in use after measuring: glibc's malloc_info heaps or jemalloc's arenas.narenas (null: not read). */
  arenasInUse: number | null;
}

export interface AppliedMemoryKnobs {
  /** Reads the evidence after measuring; throws E_KNOB_NOT_IN_EFFECT when a knob did not take. */
  confirm(): MemoryKnobsRecord;
}

/**
 * Run inside the child before the workload is created: applies what only the process itself can
 * (PR_SET_THP_DISABLE) and checks what can be read back at once; {@link AppliedMemoryKnobs.confirm}
 * checks the rest after measuring. Throws {@link MemoryKnobError} E_KNOB_NOT_IN_EFFECT (or
 * E_KNOB_PROBE without the addon). Returns null when the cell has no knob.
 */
export function applyMemoryKnobs(
  allocator: AllocatorName,
  params: Readonly<Record<string, string | number | boolean>>,
  env: NodeJS.ProcessEnv = process.env,
): AppliedMemoryKnobs | null {
  const knobs = parseMemoryKnobs(params);
  if (knobs.thp === null && knobs.arenas === null) return null;
  const avail = memoryProbeAvailability();
  if (!avail.available) throw new MemoryKnobError('E_KNOB_PROBE', `${avail.problem}; build it with '${MEMORY_PROBE_BUILD_COMMAND}'`);
  const probe = avail.probe;
  const expectedEnv = memoryKnobEnv(allocator, knobs);
  const notInEffect = (what: string): MemoryKnobError =>
    new MemoryKnobError('E_KNOB_NOT_IN_EFFECT', `${what} — refusing to measure a cell whose knob did not take effect`);
  // The parent sets these; a child started without them would measure the allocator's defaults.
  for (const [k, v] of Object.entries(expectedEnv)) {
    if (env[k] !== v) throw notInEffect(`${k} is ${JSON.stringify(env[k])} in the child, the cell needs ${JSON.stringify(v)}`);
  }
  const readBack: Record<string, string | number | null> = {};
  if (allocator === 'glibc' && Object.keys(expectedEnv).length > 0) {
    const t = glibcMallocTunables();
    if (knobs.thp === 'on' || knobs.thp === 'hugetlb') {
      const want = knobs.thp === 'on' ? 1 : 2;
      readBack['glibc.malloc.hugetlb'] = t['hugetlb'] ?? null;
      if (t['hugetlb'] !== want) throw notInEffect(`glibc.malloc.hugetlb reads back as ${String(t['hugetlb'])}, not ${want} (glibc older than 2.35?)`);
    }
    if (knobs.arenas !== null) {
      readBack['glibc.malloc.arena_max'] = t['arena_max'] ?? null;
      if (t['arena_max'] !== knobs.arenas) throw notInEffect(`glibc.malloc.arena_max reads back as ${String(t['arena_max'])}, not ${knobs.arenas}`);
    }
  } else if (allocator === 'jemalloc') {
    if (knobs.thp === 'on') {
      const thp = probe.jemallocString('opt.thp');
      readBack['opt.thp'] = thp;
      readBack['opt.metadata_thp'] = probe.jemallocString('opt.metadata_thp');
      if (thp !== 'always') throw notInEffect(`jemalloc's opt.thp reads back as ${String(thp)}, not 'always'`);
    }
    if (knobs.arenas !== null) {
      const n = probe.jemallocUnsigned('opt.narenas');
      readBack['opt.narenas'] = n;
      if (n !== knobs.arenas) throw notInEffect(`jemalloc's opt.narenas reads back as ${String(n)}, not ${knobs.arenas}`);
    }
  } else if (allocator === 'mimalloc' && (knobs.thp === 'on' || knobs.thp === 'hugetlb')) {
    const version = probe.mimallocVersion();
    readBack['mi_version'] = version;
    // The option's index is known for 1.x–2.1 only: a later mimalloc must be checked before trusting it.
    if (version === null || version < 100 || version >= 300) throw notInEffect(`mimalloc version ${String(version)} is not one whose option table this probe knows (1.x–2.x)`);
    const large = probe.mimallocOption(MI_OPTION_LARGE_OS_PAGES);
    readBack['large_os_pages'] = large;
    if (large !== 1) throw notInEffect(`mimalloc's large_os_pages reads back as ${String(large)}, not 1`);
  }
  if (knobs.thp === 'off') {
    probe.thpDisable();
    const disabled = probe.thpDisabled();
    readBack['PR_GET_THP_DISABLE'] = disabled;
    if (disabled !== 1) throw notInEffect(`prctl(PR_GET_THP_DISABLE) reads ${disabled} after PR_SET_THP_DISABLE`);
  }
  const systemThp = systemThpMode();
  const pool = readHugetlbPool();
  if (knobs.thp === 'hugetlb' || knobs.thp === 'on') {
    readBack['HugePages_Total'] = pool?.totalPages ?? null;
    readBack['HugePages_Free'] = pool?.freePages ?? null;
  }
  const before = hugepageEvidence();
  if (knobs.thp === 'off' && before.thpEnabled !== 0) throw notInEffect(`/proc/self/status says THP_enabled: ${String(before.thpEnabled)} after PR_SET_THP_DISABLE`);
  const poolText = (): string => {
    const p = readHugetlbPool();
    return p === null ? 'no hugetlb pool' : `HugePages_Free ${p.freePages} of ${p.totalPages} now`;
  };
  /** thp=hugetlb: the pages are really hugetlbfs pages (glibc and mimalloc fall back silently). */
  const checkHugetlb = (e: HugepageEvidence, phase: 'before' | 'after'): void => {
    const when = `${phase} measuring`;
    if ((e.hugetlbKb ?? 0) === 0) throw notInEffect(`thp=hugetlb but no page of this process is in hugetlbfs ${when} (Private_Hugetlb 0; ${poolText()}): ${allocator} fell back to normal pages`);
    if (allocator === 'glibc') {
      // The mappings are read *after* malloc_info: V8's helper threads malloc while this runs, and
      // an arena that grew between an earlier mappings read and malloc_info looked like a fallback
      // (CI, Node 24: arenas 18432 kB, mapped 16384 kB, while the pool had lent exactly 9 pages =
      // 18432 kB). A heap trimmed between the two reads can still mislead once, so a mismatch is
      // read again: a real fallback persists (normal pages never turn into hugetlbfs pages).
      let arenaKb = 0;
      let mappedKb = 0;
      for (let attempt = 0; attempt < 3; attempt++) {
        const xml = probe.glibcMallocInfo();
        if (xml === null) throw notInEffect('glibc malloc_info is missing: cannot tell whether malloc fell back to normal pages');
        const held = glibcMallocSystemBytes(xml);
        arenaKb = held.arenaBytes / 1024;
        mappedKb = hugepageEvidence().hugetlbMappedKb ?? 0;
        readBack[`mallocArenaKb.${phase}`] = arenaKb;
        readBack[`mallocMmapKb.${phase}`] = held.mmapBytes / 1024;
        readBack[`hugetlbMappedKb.${phase}`] = mappedKb;
        if (arenaKb <= mappedKb) break;
      }
      // Every byte of every arena must be in hugetlbfs: glibc's fallback maps normal pages, silently.
      // Not the mmap'd chunks: glibc maps only those of a huge page or more with MAP_HUGETLB
      // (sysmalloc, glibc ≥ 2.35), the rest (128 KiB–2 MiB) on normal pages by design.
      if (arenaKb > mappedKb) {
        throw notInEffect(
          `glibc's malloc arenas hold ${arenaKb} kB from the kernel ${when} but only ${mappedKb} kB is mapped from hugetlbfs: the pool ran short (${poolText()}) and glibc fell back to normal pages; reserve more (echo N > /proc/sys/vm/nr_hugepages)`,
        );
      }
    }
    // A fresh allocation of a size the workloads use lands in a hugetlbfs mapping.
    const address = probe.mallocAddress(16384);
    readBack[`mallocInHugetlb.${phase}`] = addressInHugetlb(address) ? 1 : 0;
    if (readBack[`mallocInHugetlb.${phase}`] !== 1) throw notInEffect(`a fresh malloc(16384) ${when} is not in a hugetlbfs mapping (${poolText()}): ${allocator} fell back to normal pages`);
  };
  if (knobs.thp === 'hugetlb') checkHugetlb(before, 'before');
  return {
    confirm(): MemoryKnobsRecord {
      const after = hugepageEvidence();
      let arenasInUse: number | null = null;
      if (allocator === 'glibc' && knobs.arenas !== null) {
        const xml = probe.glibcMallocInfo();
        arenasInUse = xml === null ? null : glibcArenaCount(xml);
        if (arenasInUse === null || arenasInUse > knobs.arenas) throw notInEffect(`glibc created ${String(arenasInUse)} arenas with arena_max=${knobs.arenas}`);
      } else if (allocator === 'jemalloc' && knobs.arenas !== null) {
        arenasInUse = probe.jemallocUnsigned('arenas.narenas');
      }
      if (knobs.thp === 'off') {
        if (after.thpEnabled !== 0) throw notInEffect(`THP_enabled is ${String(after.thpEnabled)} after measuring`);
        if (after.anonHugeKb > before.anonHugeKb) throw notInEffect(`AnonHugePages grew from ${before.anonHugeKb} to ${after.anonHugeKb} kB with THP disabled`);
      }
      if (knobs.thp === 'on' && (after.hugetlbKb ?? 0) > 0) {
        throw notInEffect(
          `thp=on asked for transparent hugepages but ${after.hugetlbKb} kB of this process is in explicit hugetlbfs pages (${allocator === 'mimalloc' ? "mimalloc's large_os_pages takes them first when the system has some reserved" : 'reserved pages were used'}; ${poolText()}): run thp=hugetlb for that, or free the pool (echo 0 > /proc/sys/vm/nr_hugepages)`,
        );
      }
      // After the hugetlbfs check: mimalloc on explicit pages madvises nothing, and that is the finding to name.
      if (knobs.thp === 'on' && after.hugeAdvisedKb === 0) throw notInEffect(`thp=on but no mapping is madvised MADV_HUGEPAGE (VmFlags hg) after measuring`);
      if (knobs.thp === 'hugetlb') checkHugetlb(after, 'after');
      return { thp: knobs.thp, arenas: knobs.arenas, env: expectedEnv, systemThp, readBack, before, after, arenasInUse };
    },
  };
}
