import { describe, expect, it } from 'vitest';
import { benchHelp, BENCH_FLAGS, parseBenchArgs, suiteListing } from '../../../harness/cli/args.js';
import type { BenchOptions } from '../../../harness/run/bench-options.js';
import { UsageError } from '../../../harness/errors.js';
import { SUITES } from '../../../harness/suites.js';

function run(argv: string[]): BenchOptions {
  const c = parseBenchArgs(argv, SUITES);
  if (c.kind !== 'run') throw new Error(`expected a run, got ${c.kind}`);
  return c.options;
}

function refusal(argv: string[]): string {
  try {
    parseBenchArgs(argv, SUITES);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).code).toBe('E_USAGE');
    return (e as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseBenchArgs', () => {
  it('parses every flag into typed options', () => {
    const o = run([
      '--suite', 'alloc', '--quick', '--out', 'x.json', '--strategy', 'pooled,string', '--allocator=glibc,jemalloc',
      '--size', '64,1500', '--forks', '4', '--warmup', '100', '--duration', '200', '--seed', '7', '--timeout', '9000',
      '--shard', '2/3', '--no-report',
    ]);
    expect(o).toEqual({
      suite: 'alloc', quick: true, out: 'x.json', strategies: ['pooled', 'string'], allocators: ['glibc', 'jemalloc'],
      sizes: [64, 1500], v8Labels: null, forks: 4, warmupMs: 100, durationMs: 200, timeoutMs: 9000, seed: 7, params: {},
      report: false, shard: { index: 2, count: 3 }, baseline: null, targetHalfWidth: null, budgetMs: null, minRounds: null, maxRounds: null, sliceMs: null, sliceGroup: null,
    });
  });

  it('defaults to the suite plan, seed 1 and a report', () => {
    const o = run(['--suite', 'alloc']);
    expect([o.quick, o.strategies, o.allocators, o.sizes, o.forks, o.seed, o.report, o.shard]).toEqual([false, null, null, null, null, 1, true, null]);
  });

  it('refuses an unknown suite listing the visible suites (not the hidden test suites)', () => {
    const m = refusal(['--suite', 'nope']);
    const visible = SUITES.filter((x) => !x.hidden).map((x) => x.name);
    expect(visible).toContain('alloc');
    expect(m).toBe(`unknown suite 'nope'; suites: ${visible.join(', ')}`);
    expect(m).not.toContain('test-crash');
  });

  it('refuses an unknown flag listing every valid flag', () => {
    const m = refusal(['--suite', 'alloc', '--frobnicate']);
    expect(m).toContain("unknown flag '--frobnicate'");
    for (const f of BENCH_FLAGS) expect(m).toContain(f.name);
  });

  it('refuses unknown strategy and allocator values listing the valid ones', () => {
    expect(refusal(['--suite', 'alloc', '--strategy', 'pooled,bogus'])).toBe("--strategy: unknown value 'bogus'; valid: uint8array, pooled, one-big-struct, string");
    expect(refusal(['--suite', 'alloc', '--allocator', 'hoard'])).toBe("--allocator: unknown value 'hoard'; valid: glibc, jemalloc, tcmalloc, mimalloc");
    expect(refusal(['--suite', 'alloc', '--quick', '--v8', 'semi16'])).toBe("--v8: unknown value 'semi16'; valid: default");
  });

  it('refuses bad numbers, shards, params and missing values', () => {
    expect(refusal(['--suite', 'alloc', '--size', '0'])).toContain("'0' is not a positive integer");
    expect(refusal(['--suite', 'alloc', '--forks', '1.5'])).toContain('--forks must be an integer >= 1');
    expect(refusal(['--suite', 'alloc', '--shard', '4/3'])).toContain('--shard must be K/N');
    expect(refusal(['--suite', 'alloc', '--param', 'cipher=x'])).toBe("suite alloc has no axis 'cipher'; axes: ring, thp, arenas");
    // The memory knobs (issue 17): named values for thp, integers 1..1024 for arenas.
    expect(refusal(['--suite', 'alloc', '--param', 'thp=always'])).toBe("--param thp: unknown value 'always'; choices: off, default, on, hugetlb");
    expect(refusal(['--suite', 'alloc', '--param', 'arenas=0'])).toBe('--param arenas: arenas=0 must be an integer from 1 to 1024 (malloc arenas)');
    expect(refusal(['--suite', 'vpn', '--param', 'cipher=aes-256-gcm,bogus'])).toBe(
      "--param cipher: unknown value 'bogus'; choices: aes-256-gcm, aes-128-gcm, chacha20-poly1305, aes-256-cbc-hmac, none",
    );
    expect(refusal(['--suite', 'vpn', '--param', 'inner=sctp'])).toBe("--param inner: unknown value 'sctp'; choices: udp, tcp");
    expect(refusal(['--suite', 'alloc', '--out'])).toBe('--out needs a value: --out FILE');
    expect(refusal(['--suite', 'alloc', '--quick=yes'])).toBe('--quick takes no value');
    expect(refusal(['--suite', 'alloc', '--seed', '1', '--seed', '2'])).toBe('--seed given twice');
    expect(refusal(['alloc'])).toContain("unexpected argument 'alloc'");
    expect(refusal([])).toMatch(/^--suite is required; suites: alloc/);
  });

  it('types --param values like the axis defaults', () => {
    const suites = [{ ...SUITES[0]!, name: 'x', full: { ...SUITES[0]!.full, axes: { n: [1, 2], on: [true], mix: ['a'] } }, axisChoices: { mix: ['b', 'c'] } }];
    const c = parseBenchArgs(['--suite', 'x', '--param', 'n=3,4', '--param', 'on=false', '--param', 'mix=b,c'], suites);
    expect(c.kind === 'run' && c.options.params).toEqual({ n: [3, 4], on: [false], mix: ['b', 'c'] });
    expect(() => parseBenchArgs(['--suite', 'x', '--param', 'n=lots'], suites)).toThrow("--param n: 'lots' is not a number");
    expect(() => parseBenchArgs(['--suite', 'x', '--param', 'mix=d'], suites)).toThrow("--param mix: unknown value 'd'; choices: a, b, c");
  });

  it('--help and --list win over everything else', () => {
    expect(parseBenchArgs(['--suite', 'alloc', '--help'], SUITES)).toEqual({ kind: 'help' });
    expect(parseBenchArgs(['--list'], SUITES)).toEqual({ kind: 'list' });
  });

  it('help lists every flag with examples; the listing shows axes and defaults', () => {
    const h = benchHelp();
    for (const f of BENCH_FLAGS) expect(h).toContain(f.name);
    expect(h).toContain('npm run bench -- --suite alloc --quick');
    const l = suiteListing(SUITES);
    expect(l).toContain('strategies: uint8array, pooled, one-big-struct, string');
    expect(l).toContain('quick: sizes 64,1500,16384 (buffer bytes); 2 forks; warm-up 500 ms');
    expect(l).not.toContain('test-crash');
  });
});
