import { describe, expect, it } from 'vitest';
import { parseBenchArgs, type BenchCommand } from '../../../harness/cli/args.js';
import { UsageError } from '../../../harness/errors.js';
import type { PerfAvailability } from '../../../harness/measure/perf-stat.js';
import type { SuiteDefinition } from '../../../harness/suite.js';

const SUITE: SuiteDefinition = {
  name: 'fake',
  workload: 'w',
  description: 'fake suite',
  sizeMeaning: 'bytes',
  strategies: ['a'],
  allocators: ['glibc'],
  full: { forks: 2, warmupMs: 10, durationMs: 20, sizes: [1], axes: {}, v8FlagSets: [{ label: 'default', flags: [] }] },
  quick: { forks: 2, warmupMs: 10, durationMs: 20, sizes: [1], axes: {}, v8FlagSets: [{ label: 'default', flags: [] }] },
};

function parse(argv: string[], perf: PerfAvailability, probes: { n: number } = { n: 0 }): BenchCommand {
  return parseBenchArgs(['--suite', 'fake', ...argv], [SUITE], {
    perfAvailable: () => {
      probes.n++;
      return perf;
    },
  });
}

const OK: PerfAvailability = { ok: true };

describe('--count-instructions', () => {
  it('is off by default and does not probe perf', () => {
    const probes = { n: 0 };
    const c = parse([], OK, probes);
    expect(c.kind === 'run' && c.options.countInstructions).toBe(undefined);
    expect(c.kind === 'run' && 'countInstructions' in c.options).toBe(false);
    expect(probes.n).toBe(0);
  });

  it('sets countInstructions when perf can count, with --baseline too', () => {
    const probes = { n: 0 };
    const c = parse(['--count-instructions', '--baseline', 'main'], OK, probes);
    expect(c.kind === 'run' && c.options.countInstructions).toBe(true);
    expect(c.kind === 'run' && c.options.baseline).toBe('main');
    expect(probes.n).toBe(1);
  });

  it('takes no value', () => {
    expect(() => parse(['--count-instructions=yes'], OK)).toThrow(/--count-instructions takes no value/);
  });

  it('is refused before any work when perf is missing, saying what to install', () => {
    const missing: PerfAvailability = { ok: false, code: 'E_PERF_MISSING', message: "--count-instructions needs 'perf', which is not installed: install linux-perf (npm run setup)" };
    expect(() => parse(['--count-instructions'], missing)).toThrow(UsageError);
    expect(() => parse(['--count-instructions'], missing)).toThrow(/install linux-perf \(npm run setup\)/);
  });

  it('is refused when the VM exposes no hardware counters', () => {
    const none: PerfAvailability = { ok: false, code: 'E_PERF_NO_COUNTERS', message: '--count-instructions: perf is installed but cannot count instructions:u here — this machine (VM) exposes no hardware counters to perf' };
    expect(() => parse(['--count-instructions'], none)).toThrow(/exposes no hardware counters/);
  });
});
