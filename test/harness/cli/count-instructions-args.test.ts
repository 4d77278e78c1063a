import { describe, expect, it } from 'vitest';
import { parseBenchArgs, type BenchCommand } from '../../../harness/cli/args.js';
import { UsageError } from '../../../harness/errors.js';
import type { PerfAvailability } from '../../../harness/measure/perf-stat.js';
import type { CallgrindAvailability } from '../../../harness/measure/callgrind.js';
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

const CG_OK: CallgrindAvailability = { ok: true };
const CG_MISSING: CallgrindAvailability = { ok: false, code: 'E_CALLGRIND_MISSING', message: "--count-instructions without hardware counters needs valgrind's callgrind and 'valgrind', which could not be run: install it with 'apt-get install valgrind' (or npm run setup)" };

function parse(argv: string[], perf: PerfAvailability, probes: { n: number; cg?: number } = { n: 0 }, callgrind: CallgrindAvailability = CG_MISSING): BenchCommand {
  return parseBenchArgs(['--suite', 'fake', ...argv], [SUITE], {
    perfAvailable: () => {
      probes.n++;
      return perf;
    },
    callgrindAvailable: () => {
      probes.cg = (probes.cg ?? 0) + 1;
      return callgrind;
    },
  });
}

const OK: PerfAvailability = { ok: true };
const NONE: PerfAvailability = { ok: false, code: 'E_PERF_NO_COUNTERS', message: '--count-instructions: perf is installed but cannot count instructions:u here — this machine (VM) exposes no hardware counters to perf' };
const options = (c: BenchCommand) => {
  if (c.kind !== 'run') throw new Error('not a run');
  return c.options;
};

describe('--count-instructions', () => {
  it('is off by default and probes nothing', () => {
    const probes = { n: 0 };
    const c = parse([], OK, probes);
    expect('countInstructions' in options(c)).toBe(false);
    expect('countOps' in options(c)).toBe(false);
    expect(probes).toEqual({ n: 0 });
  });

  it('auto takes perf when perf can count (callgrind not probed), with --baseline too', () => {
    const probes = { n: 0 };
    const o = options(parse(['--count-instructions', '--baseline', 'main'], OK, probes, CG_OK));
    expect(o.countInstructions).toBe('perf');
    expect(o.baseline).toBe('main');
    expect(probes).toEqual({ n: 1 });
  });

  it('auto takes callgrind when the VM exposes no hardware counters', () => {
    const probes = { n: 0 };
    expect(options(parse(['--count-instructions'], NONE, probes, CG_OK)).countInstructions).toBe('callgrind');
    expect(probes).toEqual({ n: 1, cg: 1 });
  });

  it('--instruction-source forces one counter and probes only it', () => {
    const probes = { n: 0 };
    expect(options(parse(['--count-instructions', '--instruction-source', 'callgrind'], OK, probes, CG_OK)).countInstructions).toBe('callgrind');
    expect(probes).toEqual({ n: 0, cg: 1 });
    expect(options(parse(['--count-instructions', '--instruction-source=perf'], OK, probes, CG_OK)).countInstructions).toBe('perf');
    expect(() => parse(['--count-instructions', '--instruction-source', 'perf'], NONE, probes, CG_OK)).toThrow(/no hardware counters.*--instruction-source callgrind counts without/);
    expect(() => parse(['--count-instructions', '--instruction-source', 'callgrind'], OK, probes, CG_MISSING)).toThrow(/apt-get install valgrind/);
    expect(() => parse(['--count-instructions', '--instruction-source', 'papi'], OK)).toThrow(/unknown value 'papi'; valid: auto, perf, callgrind/);
  });

  it('--count-ops sets the measured ops; it and --instruction-source need --count-instructions', () => {
    expect(options(parse(['--count-instructions', '--count-ops', '512'], OK)).countOps).toBe(512);
    expect(() => parse(['--count-ops', '512'], OK)).toThrow(/--count-ops only applies with --count-instructions/);
    expect(() => parse(['--instruction-source', 'perf'], OK)).toThrow(/--instruction-source only applies with --count-instructions/);
    expect(() => parse(['--count-instructions', '--count-ops', '0'], OK)).toThrow(/--count-ops must be an integer >= 1/);
  });

  it('--count-jobs sets how many counted children run at once, and needs --count-instructions', () => {
    expect(options(parse(['--count-instructions', '--count-jobs', '3'], OK)).countJobs).toBe(3);
    expect(options(parse(['--count-instructions'], OK)).countJobs).toBeUndefined();
    expect(() => parse(['--count-jobs', '2'], OK)).toThrow(/--count-jobs only applies with --count-instructions/);
    expect(() => parse(['--count-instructions', '--count-jobs', '0'], OK)).toThrow(/--count-jobs must be an integer >= 1/);
  });

  it('takes no value', () => {
    expect(() => parse(['--count-instructions=yes'], OK)).toThrow(/--count-instructions takes no value/);
  });

  it('is refused before any work when neither counter is available, naming both installs', () => {
    const missing: PerfAvailability = { ok: false, code: 'E_PERF_MISSING', message: "--count-instructions needs 'perf', which is not installed: install linux-perf (npm run setup)" };
    expect(() => parse(['--count-instructions'], missing)).toThrow(UsageError);
    expect(() => parse(['--count-instructions'], missing)).toThrow(/no instruction counter on this machine\. perf: .*install linux-perf.*callgrind: .*apt-get install valgrind/);
    expect(() => parse(['--count-instructions'], NONE)).toThrow(/exposes no hardware counters/);
  });
});
