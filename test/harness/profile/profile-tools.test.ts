/**
 * Every profiling tool on a small cell of every registered workload's suite (alloc, dns, vpn… as
 * they land), from the CLI's own parser to the artifacts:
 * - flame / 0x HTML loads in headless Chromium without errors and names the workload's functions;
 * - cpu: the .cpuprofile's top functions include the workload's code;
 * - heap: the top allocation sites of `uint8array` lie in the strategy's / stack's encode path;
 * - malloc: `uint8array` at a size > 64 B (off-heap) makes >= 1 native allocation per operation,
 *   `one-big-struct` close to none (VPN with the null cipher when it exists, else the alloc loop).
 *
 * `BUFLAB_PROFILE_SUITES=a,b` restricts the run to those suites (for local debugging).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { parseProfileArgs } from '../../../harness/cli/profile.js';
import { SUITES } from '../../../harness/suites.js';
import type { SuiteDefinition } from '../../../harness/suite.js';
import type { Cell } from '../../../contract/result-schema.js';
import { WORKLOAD_NAMES } from '../../../workloads/registry.js';
import { distPaths, findRepoRoot, ProfileError, runProfile, type ProfileManifest, type ProfileTool } from '../../../harness/profile/run-profile.js';
import { ensureBuilt } from '../../../harness/profile/dist-build.js';
import type { AllocationSite } from '../../../harness/profile/heap-table.js';
import { execFileSync } from 'node:child_process';
import { peer } from '../../peers.js';

const REPO = findRepoRoot(resolve(import.meta.dirname));
const ONLY = process.env.BUFLAB_PROFILE_SUITES?.split(',') ?? null;
const TARGETS: SuiteDefinition[] = SUITES.filter((s) => (ONLY ? ONLY.includes(s.name) : !s.hidden) && WORKLOAD_NAMES.includes(s.workload));
const HAS_CHROMIUM = peer('chromium');
/** Measured phase per profile, ms; the flamegraph tools sample start-up and warm-up too, so less. */
const MEASURE_MS = 800;
const FLAME_MEASURE_MS = 500;

let outRoot = '';
let browser: Browser | null = null;

beforeAll(async () => {
  execFileSync('bash', [join(REPO, 'scripts', 'malloc-count', 'build.sh')], { stdio: 'pipe' });
  const p = distPaths(REPO);
  ensureBuilt(REPO, [p.childMain, p.agent, p.flameRunner]);
  outRoot = mkdtempSync(join(tmpdir(), 'buflab-profile-'));
  if (HAS_CHROMIUM) {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
}, 180_000);

// A failed test's profiles are kept (and their directory named) so that the failure can be read.
let anyFailed = false;
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') anyFailed = true;
});

afterAll(async () => {
  await browser?.close();
  if (!outRoot) return;
  if (anyFailed) console.warn(`profile-tools: a test failed; its profiles are kept in ${outRoot}`);
  else rmSync(outRoot, { recursive: true, force: true });
});

/** A small cell of `suite`: `strategy`, glibc, the quick plan's size closest to 1500 B above 64 B. */
function smallCell(suite: SuiteDefinition, strategy: string, params: string[] = [], measureMs = MEASURE_MS): Cell {
  const sizes = suite.quick.sizes.filter((s) => s > 64);
  const size = (sizes.length > 0 ? sizes : suite.quick.sizes).reduce((a, b) => (Math.abs(b - 1500) < Math.abs(a - 1500) ? b : a));
  const argv = ['--suite', suite.name, '--strategy', strategy, '--allocator', 'glibc', '--size', String(size), '--duration', String(measureMs), '--warmup', '200', '--tool', 'cpu'];
  for (const p of params) argv.push('--param', p);
  const cmd = parseProfileArgs(argv);
  if (cmd.kind !== 'run') throw new Error(`cannot profile ${suite.name}/${strategy}: ${JSON.stringify(cmd)}`);
  return cmd.options.cell;
}

async function profile(cell: Cell, tool: ProfileTool): Promise<ProfileManifest> {
  return runProfile({ cell, tool, outDir: join(outRoot, `${cell.id.replace(/[/=]/g, '-')}-${tool}`), repoRoot: REPO, timeoutMs: 90_000, build: false });
}

function artifact(m: ProfileManifest, kind: string): string {
  const a = m.artifacts.find((x) => x.kind === kind);
  if (a === undefined) throw new Error(`no ${kind} artifact in ${JSON.stringify(m.artifacts)}`);
  expect(existsSync(a.path)).toBe(true);
  return a.path;
}

/** Loads the HTML in headless Chromium; returns the page errors and console errors seen. */
async function loadInChromium(htmlPath: string, settleMs: number): Promise<string[]> {
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  try {
    await page.goto(`file://${htmlPath}`, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForTimeout(settleMs);
    const drawn = await page.evaluate<number>("document.querySelectorAll('svg, canvas').length");
    if (drawn === 0) problems.push('nothing drawn: no svg or canvas element');
  } finally {
    await page.close();
  }
  return problems;
}

/** The workload's folder: `workloads/<name>/`, or `workloads/testing/` for the test-only workloads. */
function workloadDir(workload: string): string {
  return existsSync(join(REPO, 'workloads', workload)) ? `workloads/${workload}/` : 'workloads/testing/';
}

/** A frame of this workload's, strategy's or stack's code (TypeScript after source mapping, or dist JS). */
function isProjectCode(file: string, workload: string): boolean {
  return /^(dist\/)?(allocators|stack)\//.test(file) || file.includes(workloadDir(workload));
}

describe('profile tools on every registered workload', () => {
  it('has the alloc workload to profile at least', () => {
    expect(ONLY !== null || TARGETS.some((s) => s.workload === 'alloc')).toBe(true);
    expect(TARGETS.length).toBeGreaterThan(0);
  });

  for (const suite of TARGETS) {
    const strategy = suite.strategies.includes('uint8array') ? 'uint8array' : suite.strategies[0]!;
    // The five tools of one workload run side by side: profiles count per operation, so sharing
    // the cores changes no assertion, and the file stays well inside its time budget.
    describe.concurrent(`${suite.name} (${strategy})`, () => {
      for (const tool of ['flame', '0x'] as const) {
        it(`${tool}: an HTML flamegraph that loads in Chromium and names ${suite.workload}'s functions`, async () => {
          const m = await profile(smallCell(suite, strategy, [], FLAME_MEASURE_MS), tool);
          const html = artifact(m, 'flamegraph-html');
          expect(m.record!.ops).toBeGreaterThan(0);
          expect(readFileSync(html, 'utf8'), `${html} should name ${workloadDir(suite.workload)} (the page is kept)`).toContain(workloadDir(suite.workload));
          // Clinic's page gives its fonts 2 s before falling back: wait past that, so late errors show too.
          if (HAS_CHROMIUM) expect(await loadInChromium(html, tool === 'flame' ? 2_500 : 500)).toEqual([]);
        }, 120_000);
      }

      it('cpu: a .cpuprofile of the measured phase whose top functions are the workload’s', async () => {
        const m = await profile(smallCell(suite, strategy), 'cpu');
        expect(m.scope).toBe('measured-phase');
        const prof = JSON.parse(readFileSync(artifact(m, 'cpuprofile'), 'utf8')) as { nodes: unknown[]; samples: unknown[] };
        expect(prof.nodes.length).toBeGreaterThan(1);
        expect(prof.samples.length).toBeGreaterThan(100);
        const top = m.cpu!.top.slice(0, 10).map((f) => f.frame.file);
        expect(top.some((f) => isProjectCode(f, suite.workload))).toBe(true);
        // 0x's page of the same profile loads cleanly too.
        const html = artifact(m, 'cpu-flamegraph-html');
        if (HAS_CHROMIUM) expect(await loadInChromium(html, 500)).toEqual([]);
        // The measured phase only: no module loading among the top functions.
        expect(m.cpu!.top.slice(0, 5).some((f) => /compileSourceTextModule|compileForInternalLoader/.test(f.frame.functionName))).toBe(false);
      }, 120_000);

      it('heap: top allocation sites in the strategy’s / stack’s path, per op, in text and markdown', async () => {
        const m = await profile(smallCell(suite, strategy), 'heap');
        expect(m.scope).toBe('measured-phase');
        artifact(m, 'heapprofile');
        expect(readFileSync(artifact(m, 'heap-table-text'), 'utf8')).toContain('B/op');
        expect(readFileSync(artifact(m, 'heap-table-markdown'), 'utf8')).toContain('| B/op | share | site |');
        // V8's sampling heap profiler sees the main isolate only: alloc-mt allocates in its workers' isolates.
        if (strategy === 'uint8array' && suite.name !== 'alloc-mt') {
          expect(m.heap!.totalBytesPerOp).toBeGreaterThan(0);
          // The heaviest site is reached through the strategy or the protocol stack, and so are most
          // of the top five's bytes (the rest: the harness's own clock reads, which run without
          // inlining here)…
          const inPath = (site: AllocationSite): boolean => site.stack.some((f) => /^(allocators|stack)\//.test(f.file));
          const top5 = m.heap!.top.slice(0, 5);
          // On failure, say which sites were heaviest (a flaky failure is otherwise undiagnosable).
          const shown = top5
            .map((x) => `${(x.share * 100).toFixed(1)}% ${x.stack.map((f) => `${f.functionName}@${f.file}`).join(' <- ')}`)
            .join('\n');
          expect(inPath(m.heap!.top[0]!), shown).toBe(true);
          const shareOf = (sites: typeof top5): number => sites.reduce((sum, x) => sum + x.share, 0);
          expect(shareOf(top5.filter(inPath)), shown).toBeGreaterThan(shareOf(top5.filter((x) => !inPath(x))));
          // …and the strategy's fresh arrays are among the top sites: allocated in allocators/uint8array.ts,
          // or (V8 13, Node 24) by a builtin (`Uint8Array`, `slice`: no file) that the strategy called —
          // except in storage, where sql.js's own arrays (a result array per row read back, its heap
          // views) are most of the bytes and the strategy's four arrays per iteration fall outside the list.
          const byStrategy = (s: AllocationSite): boolean =>
            s.site.file === 'allocators/uint8array.ts' || (s.site.file === '' && s.stack[1]?.file === 'allocators/uint8array.ts');
          if (suite.name !== 'storage') expect(m.heap!.top.slice(0, 10).some(byStrategy)).toBe(true);
        }
      }, 120_000);

      it('malloc: native allocation calls per operation over the measured phase', async () => {
        const m = await profile(smallCell(suite, strategy), 'malloc');
        expect(m.scope).toBe('measured-phase');
        artifact(m, 'malloc-text');
        artifact(m, 'malloc-markdown');
        if (strategy === 'uint8array' && m.cell.size > 64) {
          // alloc-mt allocates in its workers; its main thread only wakes them and waits (0.19 calls
          // per op on Node 24), so only the all-threads count must show the buffers.
          if (suite.name !== 'alloc-mt') expect(m.malloc!.perOp.mainThreadAllocCallsPerOp).toBeGreaterThanOrEqual(1);
          expect(m.malloc!.perOp.allocCallsPerOp).toBeGreaterThanOrEqual(1);
          expect(m.malloc!.perOp.allocBytesPerOp).toBeGreaterThanOrEqual(m.cell.size);
        }
      }, 120_000);
    });
  }

  it('a child that dies mid-measurement fails the profile with its exit status and stderr, not a partial result', async () => {
    const cell: Cell = {
      id: 'crash/none/glibc/16/mode=exit',
      suite: 'test-crash',
      workload: 'crash',
      strategy: 'none',
      allocator: 'glibc',
      size: 16,
      params: { mode: 'exit' },
      v8Flags: [],
      plan: { warmupMs: 50, durationMs: 300, seed: 1 },
    };
    const outDir = join(outRoot, 'crash-cpu');
    const failure = await runProfile({ cell, tool: 'cpu', outDir, repoRoot: REPO, timeoutMs: 60_000, build: false }).then(
      () => null,
      (e: unknown) => e as ProfileError,
    );
    expect(failure).toBeInstanceOf(ProfileError);
    expect(failure!.code).toBe('E_PROFILE_CHILD');
    expect(failure!.message).toMatch(/^the child failed \(134\)/);
    expect(existsSync(join(outDir, 'profile.json'))).toBe(false);
  }, 90_000);

  // one-big-struct allocates nothing natively per operation: the VPN tunnel with the null cipher
  // when that suite exists (node:crypto would allocate), else the allocation loop.
  const vpn = TARGETS.find((s) => s.workload === 'vpn' && s.strategies.includes('one-big-struct'));
  const nullCipher = vpn ? Object.entries(vpn.quick.axes).find(([, values]) => values.some((v) => v === 'none' || v === 'null')) : undefined;
  const lean = vpn && nullCipher ? vpn : TARGETS.find((s) => s.workload === 'alloc' && s.strategies.includes('one-big-struct'));
  if (lean !== undefined) {
    it(`malloc: one-big-struct makes close to zero native allocations per op (${lean.name})`, async () => {
      const params = lean === vpn && nullCipher ? [`${nullCipher[0]}=${nullCipher[1].find((v) => v === 'none' || v === 'null')}`] : [];
      const m = await profile(smallCell(lean, 'one-big-struct', params), 'malloc');
      expect(m.scope).toBe('measured-phase');
      // Against >= 1 per op for uint8array (about 4 in practice), a hundredth or so: what remains is
      // paced by time, not by operations (the harness's memory sampler and GC observer on the main
      // thread; V8's GC and compiler threads), so it grows per op when a loaded machine runs fewer ops.
      expect(m.malloc!.perOp.mainThreadAllocCallsPerOp).toBeLessThan(0.1);
      expect(m.malloc!.perOp.allocCallsPerOp).toBeLessThan(0.5);
    }, 120_000);
  }
});
