/**
 * `npm run profile` command line: one cell from the suite expansion shared with `npm run bench`,
 * refusals before any work, and the dist/ freshness check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProfileArgs } from '../../../harness/cli/profile.js';
import { UsageError } from '../../../harness/errors.js';
import type { SuiteDefinition } from '../../../harness/suite.js';
import { BUILD_STAMP, buildStatus } from '../../../harness/profile/dist-build.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

const plan = (sizes: number[], axes: SuiteDefinition['full']['axes'] = {}): SuiteDefinition['full'] => ({
  forks: 2,
  warmupMs: 300,
  durationMs: 400,
  sizes,
  axes,
  v8FlagSets: [{ label: 'default', flags: [] }],
});

const SUITES: SuiteDefinition[] = [
  {
    name: 'fake',
    workload: 'fake',
    description: 'test suite',
    sizeMeaning: 'bytes',
    strategies: ['uint8array', 'pooled'],
    allocators: ['glibc', 'jemalloc'],
    full: plan([16, 64, 1500, 4096]),
    quick: plan([64, 1500, 16384], { cipher: ['aes-256-gcm', 'none'] }),
  },
];

function run(argv: string[]) {
  const cmd = parseProfileArgs(argv, SUITES);
  if (cmd.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(cmd)}`);
  return cmd.options;
}

describe('parseProfileArgs', () => {
  it('builds exactly one cell with the bench matrix’s id, defaulting open axes to one value', () => {
    const o = run(['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc', '--tool', 'heap']);
    expect(o.cell.id).toBe('fake/pooled/glibc/1500/cipher=aes-256-gcm');
    expect(o.cell.size).toBe(1500);
    expect(o.cell.params).toEqual({ cipher: 'aes-256-gcm' });
    expect(o.cell.plan.durationMs).toBe(2000);
    expect(o.cell.plan.warmupMs).toBe(300);
    expect(o.defaulted).toEqual(['--size 1500', '--param cipher=aes-256-gcm']);
    expect(o.tool).toBe('heap');
    expect(o.heapKeepInlining).toBe(false);
  });

  it('takes sizes, params, duration and tool options as given', () => {
    const o = run([
      '--suite=fake', '--strategy', 'uint8array', '--allocator', 'jemalloc', '--size', '4096', '--param', 'cipher=none',
      '--duration', '750', '--tool', 'malloc', '--out', '/tmp/x', '--heap-interval', '1024', '--heap-keep-inlining',
    ]);
    expect(o.cell.id).toBe('fake/uint8array/jemalloc/4096/cipher=none');
    expect(o.cell.plan.durationMs).toBe(750);
    expect(o.outDir).toBe('/tmp/x');
    expect(o.heapSamplingIntervalBytes).toBe(1024);
    expect(o.heapKeepInlining).toBe(true);
    expect(o.defaulted).toEqual([]);
  });

  it('answers --help without other flags', () => {
    expect(parseProfileArgs(['--help'], SUITES)).toEqual({ kind: 'help' });
  });

  it.each([
    [['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc'], /--tool is required: flame, 0x, cpu, heap, malloc/],
    [['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc', '--tool', 'perf'], /unknown tool 'perf'; tools: flame, 0x, cpu, heap, malloc/],
    [['--suite', 'fake', '--allocator', 'glibc', '--tool', 'cpu'], /--strategy is required/],
    [['--suite', 'nope', '--strategy', 'pooled', '--allocator', 'glibc', '--tool', 'cpu'], /unknown suite 'nope'; suites: fake/],
    [['--suite', 'fake', '--strategy', 'bogus', '--allocator', 'glibc', '--tool', 'cpu'], /--strategy: unknown value 'bogus'; valid: uint8array, pooled/],
    [['--suite', 'fake', '--strategy', 'pooled,uint8array', '--allocator', 'glibc', '--tool', 'cpu'], /--strategy takes one value/],
    [['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc', '--param', 'cipher=none,aes-256-gcm', '--tool', 'cpu'], /--param cipher takes one value/],
    [['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc', '--tool', 'cpu', '--forks', '3'], /unknown argument '--forks'/],
    [['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'glibc', '--tool', 'cpu', '--timeout', '0'], /--timeout must be an integer >= 1/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseProfileArgs(argv, SUITES)).toThrow(UsageError);
    expect(() => parseProfileArgs(argv, SUITES)).toThrow(message);
  });

  it('reports an allocator that is not installed as a skip, naming the setup command', () => {
    const missing: SuiteDefinition[] = [{ ...SUITES[0]!, allocators: ['glibc', 'jemalloc'] }];
    const saved = process.env.BUFLAB_JEMALLOC_PATH;
    process.env.BUFLAB_JEMALLOC_PATH = '/nonexistent/libjemalloc.so.2';
    try {
      const cmd = parseProfileArgs(['--suite', 'fake', '--strategy', 'pooled', '--allocator', 'jemalloc', '--tool', 'malloc'], missing);
      expect(cmd.kind).toBe('skip');
      expect(cmd.kind === 'skip' && cmd.message).toMatch(/jemalloc.*npm run setup/);
    } finally {
      if (saved === undefined) delete process.env.BUFLAB_JEMALLOC_PATH;
      else process.env.BUFLAB_JEMALLOC_PATH = saved;
    }
  });
});

describe('npm run profile (process)', () => {
  it('exits 2 on a bad command line before doing any work, and 0 with usage on --help', () => {
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/profile.ts', '--suite', 'alloc', '--tool', 'nope'], { cwd: REPO, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown tool 'nope'/);
    const help = execFileSync(process.execPath, ['--import', 'tsx', 'harness/cli/profile.ts', '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(help).toMatch(/^usage: npm run profile -- --suite NAME/);
    expect(help).toContain('--tool T');
  });
});

describe('buildStatus', () => {
  it('is stale without a stamp, fresh after one, stale again when a source file is newer', () => {
    const root = mkdtempSync(join(tmpdir(), 'buflab-build-'));
    try {
      writeFileSync(join(root, 'tsconfig.json'), '{}');
      writeFileSync(join(root, 'tsconfig.build.json'), JSON.stringify({ include: ['harness'] }));
      mkdirSync(join(root, 'harness'));
      mkdirSync(join(root, 'dist'));
      const src = join(root, 'harness', 'a.ts');
      writeFileSync(src, 'export {};\n');
      const old = new Date(Date.now() - 60_000);
      for (const f of ['tsconfig.json', 'tsconfig.build.json', 'harness/a.ts']) utimesSync(join(root, f), old, old);
      expect(buildStatus(root)).toEqual({ fresh: false, reason: 'dist/ has not been built by npm run build yet' });
      writeFileSync(join(root, 'dist', BUILD_STAMP), 'x');
      expect(buildStatus(root)).toEqual({ fresh: true, reason: null });
      const later = new Date(Date.now() + 60_000);
      utimesSync(src, later, later);
      expect(buildStatus(root)).toEqual({ fresh: false, reason: `${src} is newer than dist/` });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
