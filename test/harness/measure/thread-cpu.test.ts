/**
 * The procfs parsers on text captured from this project's VM (Debian 12, 2 cores; fixtures/proc/),
 * each with a corrupted twin, and the per-phase arithmetic.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  USER_HZ,
  forkCpu,
  parseInvoluntarySwitches,
  parseLastProcessor,
  parseSchedstat,
  parseStealTicks,
  readThreadCpu,
  threadCpuAvailable,
} from '../../../harness/measure/thread-cpu.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('parseSchedstat', () => {
  it('reads on-CPU ns, run-queue wait ns and timeslices', () => {
    expect(parseSchedstat(fixture('thread-schedstat.txt'))).toEqual({ cpuNs: 377007493, runQueueWaitNs: 436146845, timeslices: 127 });
  });
  it('refuses a truncated or non-numeric line', () => {
    expect(() => parseSchedstat('377007493 436146845')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
    expect(() => parseSchedstat('377007493 x 127')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
  });
});

describe('parseInvoluntarySwitches', () => {
  it('reads nonvoluntary_ctxt_switches, not voluntary_ctxt_switches', () => {
    const text = fixture('thread-status.txt');
    expect(text).toMatch(/^voluntary_ctxt_switches:/m);
    expect(parseInvoluntarySwitches(text)).toBe(Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(text)![1]));
    expect(parseInvoluntarySwitches('voluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t17\n')).toBe(17);
  });
  it('refuses a status without the line', () => {
    expect(() => parseInvoluntarySwitches('voluntary_ctxt_switches:\t5\n')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
  });
});

describe('parseStealTicks', () => {
  it('reads the 8th number of the aggregate cpu line (the sum of cpu0 and cpu1 here)', () => {
    // cpu  388504 0 25969 43694 209 0 138 2137 0 0 ; cpu0 … 1081 ; cpu1 … 1056
    expect(parseStealTicks(fixture('stat.txt'))).toBe(2137);
  });
  it('refuses a cpu line without a steal column', () => {
    expect(() => parseStealTicks('cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
    expect(() => parseStealTicks('intr 1 2 3\n')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
  });
});

describe('parseLastProcessor', () => {
  it('reads field 39', () => {
    expect(parseLastProcessor(fixture('thread-stat.txt'))).toBe(1);
  });
  it('counts fields after the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    const text = fixture('thread-stat.txt').replace('(node)', '(a) b (c)');
    expect(parseLastProcessor(text)).toBe(1);
  });
  it('refuses a truncated line', () => {
    expect(() => parseLastProcessor('15534 (node) R 15531 15531')).toThrow(expect.objectContaining({ code: 'E_PROC_FORMAT' }));
  });
});

describe('forkCpu', () => {
  const before = { cpuNs: 1_000_000, runQueueWaitNs: 5_000_000, involuntaryContextSwitches: 10, stealTicks: 2000, processor: 0 };
  const after = { cpuNs: 801_000_000, runQueueWaitNs: 205_000_000, involuntaryContextSwitches: 35, stealTicks: 2003, processor: 1 };
  it('gives per-phase differences in the contract units', () => {
    expect(forkCpu(before, after, 400_000, 1e9)).toEqual({
      threadCpuNsPerOp: 2000,
      threadCpuShare: 0.8,
      runQueueWaitMs: 200,
      stealMs: (3 * 1000) / USER_HZ,
      involuntaryContextSwitches: 25,
      processor: 1,
    });
  });
  it('gives 0 per op and 0 share for an empty phase rather than dividing by zero', () => {
    const c = forkCpu(before, before, 0, 0);
    expect(c.threadCpuNsPerOp).toBe(0);
    expect(c.threadCpuShare).toBe(0);
  });
});

describe('readThreadCpu on this machine', () => {
  it.runIf(threadCpuAvailable())('counts the CPU time of a busy loop on this thread', () => {
    const a = readThreadCpu();
    const endMs = performance.now() + 30;
    let x = 0;
    while (performance.now() < endMs) x++;
    const b = readThreadCpu();
    expect(x).toBeGreaterThan(0);
    // A 30 ms busy loop: the thread ran for at least a few ms of it even on a loaded machine.
    expect(b.cpuNs - a.cpuNs).toBeGreaterThan(1e6);
    expect(b.involuntaryContextSwitches).toBeGreaterThanOrEqual(a.involuntaryContextSwitches);
    expect(b.stealTicks).toBeGreaterThanOrEqual(a.stealTicks);
    expect(b.processor).toBeGreaterThanOrEqual(0);
  });
});
