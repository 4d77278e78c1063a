/**
 * The JIT probe against V8 itself: a function optimised with the natives is reported optimised, a
 * type change deoptimises it and the probe counts that transition.
 */
import { describe, expect, it } from 'vitest';
import { createJitProbe, optimizationStatusReader } from '../../../harness/measure/jit-status.js';

describe('optimizationStatusReader', () => {
  it('finds the kOptimized bit of this V8 (1 << 4 on V8 11.x, Node 20)', () => {
    const r = optimizationStatusReader();
    expect(r).not.toBeNull();
    if (process.versions.v8.startsWith('11.')) expect(r!.optimizedBit).toBe(1 << 4);
    // kTurboFanned: two bits above kOptimized (1 << 6 on V8 11.x, 1 << 5 on 12 and later).
    expect(r!.turbofanBit).toBe(r!.optimizedBit << 2);
  });
});

describe('createJitProbe', () => {
  it('reports an optimised op, then counts its deoptimisation at the next sample', () => {
    expect(optimizationStatusReader()).not.toBeNull(); // switches --allow-natives-syntax on before the parse below
    // Fresh functions from source text, so that no other test shares their feedback.
    const op = new Function('x', 'return x + 1;') as (x: unknown) => unknown;
    const loop = new Function('return 0;') as () => number;
    const natives = new Function('f', '%PrepareFunctionForOptimization(f); f(1); f(2); %OptimizeFunctionOnNextCall(f); f(3);') as (f: unknown) => void;
    natives(op);
    const probe = createJitProbe(op, loop)!;
    expect(probe).not.toBeNull();
    probe.sample();
    expect(probe.result()).toEqual({ opOptimized: true, loopOptimized: false, deopts: 0, opTier: 'turbofan', loopTier: 'none' });
    op('a string'); // the optimised code assumed numbers: eager deopt
    probe.sample();
    expect(probe.result()).toEqual({ opOptimized: false, loopOptimized: false, deopts: 1, opTier: 'none', loopTier: 'none' });
  });

  // Maglev is on by default from V8 12 (Node 22); Node 20's V8 11.3 has it off.
  it.runIf(Number(process.versions.v8.split('.')[0]) >= 12)('tells Maglev code from TurboFan code (both are "optimised")', () => {
    expect(optimizationStatusReader()).not.toBeNull();
    const op = new Function('x', 'return x * 2;') as (x: unknown) => unknown;
    const maglev = new Function('f', '%PrepareFunctionForOptimization(f); f(1); f(2); %OptimizeMaglevOnNextCall(f); f(3);') as (f: unknown) => void;
    maglev(op);
    expect(createJitProbe(op, op)!.result()).toEqual({ opOptimized: true, loopOptimized: true, deopts: 0, opTier: 'maglev', loopTier: 'maglev' });
  });
});
