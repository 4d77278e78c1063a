import { describe, expect, it } from 'vitest';
import { parsePerfStatCsv, PerfStatError, perfStatArgs, probePerfCounting } from '../../../harness/measure/perf-stat.js';

// Output of `perf stat -x, --no-inherit -e instructions:u -D -1 --control fifo:… -o FILE` (perf 6.1.187).
const COUNTED = '# started on Sun Nov 22 03:12:33 2026\n\n971519280,,instructions:u,60941270,100.00,,\n';
const NOT_COUNTED = '# started on Sun Nov 22 03:12:33 2026\n\n<not counted>,,instructions:u,0,0.00,,\n';
const NOT_SUPPORTED = '# started on Sun Nov 22 03:12:33 2026\n\n<not supported>,,instructions:u,0,100.00,,\n';

function errorOf(f: () => unknown): PerfStatError {
  try {
    f();
  } catch (e) {
    if (e instanceof PerfStatError) return e;
    throw e;
  }
  throw new Error('expected a PerfStatError');
}

describe('parsePerfStatCsv', () => {
  it("reads the count of perf's -x, line, skipping the comment header and blank lines", () => {
    expect(parsePerfStatCsv(COUNTED)).toBe(971519280);
    expect(parsePerfStatCsv('112649,,instructions:u,276460,100.00,,')).toBe(112649);
  });

  it('picks the asked event among several', () => {
    expect(parsePerfStatCsv('10,,cycles:u,5,100.00,,\n20,,instructions:u,5,100.00,,\n')).toBe(20);
    expect(parsePerfStatCsv('10,,cycles:u,5,100.00,,\n20,,instructions:u,5,100.00,,\n', 'cycles:u')).toBe(10);
  });

  it('refuses <not counted> with the reason (never enabled), not NaN', () => {
    const e = errorOf(() => parsePerfStatCsv(NOT_COUNTED));
    expect(e.code).toBe('E_PERF_OUTPUT');
    expect(e.message).toMatch(/<not counted>: the counter was never enabled/);
  });

  it('refuses <not supported> saying the machine exposes no hardware counters', () => {
    const e = errorOf(() => parsePerfStatCsv(NOT_SUPPORTED));
    expect(e.code).toBe('E_PERF_OUTPUT');
    expect(e.message).toMatch(/exposes no hardware counters/);
  });

  it('refuses a missing line, a duplicated line and a non-integer count', () => {
    expect(errorOf(() => parsePerfStatCsv('# started on x\n\n')).message).toMatch(/no 'instructions:u' line/);
    expect(errorOf(() => parsePerfStatCsv('1,,instructions:u,1,100,,\n2,,instructions:u,1,100,,\n')).message).toMatch(/2 times/);
    expect(errorOf(() => parsePerfStatCsv('12.5,,instructions:u,1,100,,\n')).message).toMatch(/not a non-negative integer/);
    expect(errorOf(() => parsePerfStatCsv(',,instructions:u,1,100,,\n')).message).toMatch(/not a non-negative integer/);
  });
});

describe('perfStatArgs', () => {
  it('counts user-space instructions of the main thread, disabled until the control fifo enables them', () => {
    expect(perfStatArgs({ ctlFifo: '/t/ctl', ackFifo: '/t/ack', outFile: '/t/out.csv' })).toEqual([
      'stat', '-x,', '--no-inherit', '-e', 'instructions:u', '-D', '-1', '--control', 'fifo:/t/ctl,/t/ack', '-o', '/t/out.csv', '--',
    ]);
  });
});

describe('probePerfCounting', () => {
  it('says to install linux-perf when the perf binary is missing', () => {
    const r = probePerfCounting('/nonexistent/buflab-no-perf');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('E_PERF_MISSING');
      expect(r.message).toMatch(/install linux-perf \(npm run setup\)/);
    }
  });

  it('says the machine exposes no hardware counters when perf runs but cannot count', () => {
    // `false` stands in for a perf that fails: it exits 1 without output.
    const r = probePerfCounting('false');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('E_PERF_NO_COUNTERS');
      expect(r.message).toMatch(/exposes no hardware counters/);
    }
  });
});
