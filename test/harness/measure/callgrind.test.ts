import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallgrindError, callgrindArgs, mainThreadOutFile, parseCallgrindTotals, probeCallgrind } from '../../../harness/measure/callgrind.js';

/**
 * Real callgrind 3.19 output of `node` run with `--instr-atstart=no --separate-threads=yes`,
 * instrumentation switched on and off by vgdb around 2,000 ops of an integer loop. The main-thread
 * file keeps its real header and real tail; 10,290 cost lines in the middle were cut (the parser
 * reads only the header and the totals line). The idle-thread file is complete.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const MAIN = readFileSync(join(FIXTURES, 'callgrind-main-thread.out'), 'utf8');
const IDLE = readFileSync(join(FIXTURES, 'callgrind-idle-thread.out'), 'utf8');

function errorOf(f: () => unknown): CallgrindError {
  try {
    f();
  } catch (e) {
    if (e instanceof CallgrindError) return e;
    throw e;
  }
  throw new Error('expected a CallgrindError');
}

describe('parseCallgrindTotals', () => {
  it('reads the Ir total and the thread of real output (totals wins over the zero summary)', () => {
    expect(parseCallgrindTotals(MAIN)).toEqual({ thread: 1, instructions: 84843892 });
    expect(parseCallgrindTotals(IDLE)).toEqual({ thread: 2, instructions: 0 });
  });

  it('falls back to summary when there is no totals line, and takes the first event column', () => {
    expect(parseCallgrindTotals('events: Ir Dr\nsummary: 1234 99\n')).toEqual({ thread: null, instructions: 1234 });
    expect(parseCallgrindTotals('events: Ir Dr\nsummary: 0 0\ntotals: 77 5\n').instructions).toBe(77);
  });

  it('refuses output that is cut short, counts another event first, or holds no integer', () => {
    const cut = MAIN.slice(0, MAIN.indexOf('totals:'));
    expect(errorOf(() => parseCallgrindTotals(cut.replace('summary: 0\n', ''))).message).toMatch(/0 'totals:' lines .*cut short/);
    expect(errorOf(() => parseCallgrindTotals(MAIN.replace('events: Ir', 'events: Dr Ir'))).message).toMatch(/counts 'Dr Ir', not Ir first/);
    expect(errorOf(() => parseCallgrindTotals('summary: 1\n')).message).toMatch(/0 'events:' lines/);
    expect(errorOf(() => parseCallgrindTotals('events: Ir\ntotals: 1.5\n')).message).toMatch(/'1.5' is not a non-negative integer/);
    expect(errorOf(() => parseCallgrindTotals('events: Ir\ntotals: 99999999999999999999\n')).message).toMatch(/too large/);
    expect(errorOf(() => parseCallgrindTotals('events: Ir\ntotals: 1\ntotals: 2\n')).code).toBe('E_CALLGRIND_OUTPUT');
  });
});

describe('callgrindArgs', () => {
  it('starts uninstrumented, separates threads, re-checks JIT code and uses a private vgdb prefix', () => {
    const files = { ctlFifo: '/t/ctl', ackFifo: '/t/ack', outFile: '/t/cg.out', vgdbPrefix: '/t/vgdb' };
    expect(callgrindArgs(files)).toEqual([
      '--tool=callgrind', '-q', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file',
      '--callgrind-out-file=/t/cg.out', '--vgdb=yes', '--vgdb-prefix=/t/vgdb',
    ]);
    expect(mainThreadOutFile(files)).toBe('/t/cg.out-01');
  });
});

describe('probeCallgrind', () => {
  it('names the apt package when valgrind or vgdb is missing', () => {
    const noValgrind = probeCallgrind('/nonexistent/valgrind');
    expect(noValgrind.ok).toBe(false);
    if (!noValgrind.ok) expect(noValgrind.message).toMatch(/'\/nonexistent\/valgrind', which could not be run .*apt-get install valgrind/);
    const noVgdb = probeCallgrind('valgrind', '/nonexistent/vgdb');
    // Where valgrind itself is missing, the first check already answers.
    expect(noVgdb.ok).toBe(false);
    if (!noVgdb.ok) expect(noVgdb.message).toMatch(/apt-get install valgrind/);
  });
});
