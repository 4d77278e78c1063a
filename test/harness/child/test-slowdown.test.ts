import { describe, expect, it } from 'vitest';
import { applyTestSlowdown, parseTestSlowdown, slowdownForSide, TEST_SLOWDOWN_ENV } from '../../../harness/child/test-slowdown.js';
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import type { WorkloadInstance } from '../../../workloads/workload.js';

const ID = 'vpn/pooled/glibc/1400/cipher=none/inner=udp';

describe('BUFLAB_TEST_SLOWDOWN (test-only knob)', () => {
  it('parses <cell id>=<fraction> (ids may contain =), applies only to the named cell', () => {
    expect(parseTestSlowdown(`${ID}=0.05`, ID)).toBe(0.05);
    expect(parseTestSlowdown(`${ID}=0`, ID)).toBe(0);
    expect(parseTestSlowdown(`${ID}=0.05`, 'vpn/pooled/glibc/64/cipher=none/inner=udp')).toBeNull();
    expect(parseTestSlowdown(undefined, ID)).toBeNull();
    expect(parseTestSlowdown('', ID)).toBeNull();
  });
  it('takes a side in a paired run: the named side slowed, the other the calibrated control', () => {
    const id = 'vpn/pooled/glibc/1400/cipher=none/inner=udp';
    expect(slowdownForSide(`head:${id}=0.05`, 'head')).toBe(`${id}=0.05`);
    expect(slowdownForSide(`head:${id}=0.05`, 'base')).toBe(`${id}=0`);
    expect(slowdownForSide(`base:${id}=0.1`, 'head')).toBe(`${id}=0`);
    expect(slowdownForSide(`${id}=0.05`, 'base')).toBe(`${id}=0.05`); // no side: both sides alike
    expect(parseTestSlowdown(slowdownForSide(`head:${id}=0.05`, 'base'), id)).toBe(0);
  });

  it('refuses a malformed value with a stable code', () => {
    for (const bad of ['0.05', `${ID}=`, `${ID}=-0.1`, `${ID}=2`, `${ID}=abc`]) {
      expect(() => parseTestSlowdown(bad, ID)).toThrow(expect.objectContaining({ code: 'E_TEST_KNOB' }));
    }
  });
  it('leaves other cells untouched and wraps the named one, saying so', () => {
    let calls = 0;
    const inner: WorkloadInstance = {
      op: () => {
        calls++;
      },
      payloadBytesPerOp: 7,
      strategyCounters: () => emptyCounters(),
      counters: () => ({ calls }),
      verify: () => {},
      close: () => {},
    };
    expect(applyTestSlowdown(inner, ID, {}).instance).toBe(inner);
    const wrapped = applyTestSlowdown(inner, ID, { [TEST_SLOWDOWN_ENV]: `${ID}=0.05` });
    expect(wrapped.instance).not.toBe(inner);
    expect(wrapped.warning).toMatch(/^TEST KNOB BUFLAB_TEST_SLOWDOWN: op\(\) slowed by 5\.0% \(spin \d+ iterations/);
    const before = calls;
    wrapped.instance.op();
    expect(calls).toBe(before + 1);
    expect(wrapped.instance.payloadBytesPerOp).toBe(7);
  });
});
