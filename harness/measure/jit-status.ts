/**
 * The JIT's state of the measured code, read with V8's test intrinsic `%GetOptimizationStatus`
 * (V8 src/runtime/runtime.h, `OptimizationStatus`; the same bits mjsunit tests use).
 *
 * How it is reached: `--allow-natives-syntax` is switched on at run time (v8.setFlagsFromString)
 * and one small Function is compiled with the intrinsic in it. Why this does not perturb the
 * measurement: the flag only lets the parser accept `%Name(...)` in code compiled afterwards — it
 * changes no compiled code, no inlining and no GC setting — and the status call is a read-only
 * runtime call (it inspects the function's code and, for `kIsExecuting`, the stack) that returns a
 * small integer: no allocation. It runs between chunks and after the phase, never inside a timed
 * batch, exactly where the harness already yields to the event loop.
 *
 * Bits: V8 11.3 (Node 20) has kOptimized = 1 << 4; later versions dropped kAlwaysOptimize and
 * moved it to 1 << 3. Rather than trusting a version table, {@link createJitProbe} optimises a probe
 * function and takes the candidate bit that is set on it and clear on a function never run; if
 * neither behaves so, the state is reported as unobservable (null), not guessed.
 *
 * Tier: "optimised" covers Maglev as well as TurboFan, and on V8 ≥ 12 (Node 22+, where Maglev is on)
 * the difference is large. On Node 24 the `scaled` validation op (a Math.imul loop) ran 16.2–16.7 µs
 * per op while the timing loop that calls and inlines it had Maglev code, and 2.7 µs (as on Node 20)
 * once TurboFan replaced it — 400–800 ms into a fork on this VM (issue 14); the op's own tier did not
 * decide it, the loop's did. In every layout kMaglevved and kTurboFanned are the two bits after
 * kOptimized (runtime.h); {@link optimizationStatusReader} checks the TurboFan bit on a probe that
 * `%OptimizeFunctionOnNextCall` compiled with TurboFan, and reports no tier if it is not set.
 *
 * Deopt counts: V8 exposes no deoptimisation counter to JavaScript (no runtime function returns
 * one), so {@link JitProbe.sample} counts the *observed* transitions from optimised to not optimised
 * of the op and of the timing loop (which inlines the op when TurboFan chooses to) at each chunk
 * boundary: a lower bound of the deopts of the phase (two in one chunk count as one).
 */
import v8 from 'node:v8';
import type { ForkJit } from '../../contract/result-schema.js';

/** kOptimized in V8 ≤ 11.x (1 << 4) and in later layouts (1 << 3). */
const OPTIMIZED_BIT_CANDIDATES = [1 << 4, 1 << 3] as const;

type StatusOf = (f: unknown) => number;

/** The tier of attached optimised code (ForkJit.opTier). */
export type JitTier = 'turbofan' | 'maglev' | 'none';

/** What {@link optimizationStatusReader} found: the status read, its bits, and V8's compile-now idiom. */
export interface OptimizationStatusReader {
  statusOf: StatusOf;
  optimizedBit: number;
  turbofanBit: number | null;
  /**
   * `%PrepareFunctionForOptimization(f); f(); f(); %OptimizeFunctionOnNextCall(f); f();` — V8's own
   * test idiom: `f` is called three times, the third on TurboFan code.
   */
  optimize: (f: () => unknown) => void;
}

let statusOfCache: OptimizationStatusReader | null | undefined;

/**
 * `%GetOptimizationStatus` and the bit meaning "optimised code attached" on this V8, or null when
 * the intrinsic is not reachable or its bits cannot be identified. Computed once per process.
 */
export function optimizationStatusReader(): OptimizationStatusReader | null {
  if (statusOfCache !== undefined) return statusOfCache;
  statusOfCache = null;
  v8.setFlagsFromString('--allow-natives-syntax');
  let statusOf: StatusOf;
  let optimize: (f: () => unknown) => void;
  try {
    // Compiled after the flag is set: the only code that uses the natives syntax.
    statusOf = new Function('f', 'return %GetOptimizationStatus(f);') as StatusOf;
    optimize = new Function('f', '%PrepareFunctionForOptimization(f); f(); f(); %OptimizeFunctionOnNextCall(f); f();') as (f: () => unknown) => void;
  } catch (e) {
    // A runtime without V8 natives (the flag unknown): the JIT state is not observable here.
    if (e instanceof SyntaxError) return null;
    throw e;
  }
  // Two distinct probe functions (fresh closures of distinct code), one optimised, one never run.
  const probe = new Function('return 1 + 1;') as () => number;
  const neverRun = new Function('return 2 + 2;') as () => number;
  optimize(probe);
  const optimisedStatus = statusOf(probe);
  const freshStatus = statusOf(neverRun);
  const bit = OPTIMIZED_BIT_CANDIDATES.find((b) => (optimisedStatus & b) !== 0 && (freshStatus & b) === 0);
  if (bit === undefined) return null;
  // kOptimized, kMaglevved, kTurboFanned are consecutive (V8 11.3 and 13.x runtime.h); the probe was
  // optimised by TurboFan (%OptimizeFunctionOnNextCall), so its TurboFan bit must be set.
  const turbofanBit = bit << 2;
  statusOfCache = { statusOf, optimizedBit: bit, turbofanBit: (optimisedStatus & turbofanBit) !== 0 && (freshStatus & turbofanBit) === 0 ? turbofanBit : null, optimize };
  return statusOfCache;
}

/** Watches the op and the timing loop over one phase. */
export interface JitProbe {
  /** Call at each chunk boundary (outside timed batches): counts optimised → not-optimised transitions. */
  sample(): void;
  /** The fork record's `jit`, read at the end of the phase. */
  result(): ForkJit;
}

/**
 * A probe for `op` (the workload's operation function) and `loop` (the timing loop that calls it),
 * or null when the JIT state is not observable on this runtime.
 */
export function createJitProbe(op: unknown, loop: unknown): JitProbe | null {
  const reader = optimizationStatusReader();
  if (reader === null) return null;
  const { statusOf, optimizedBit } = reader;
  const isOptimised = (f: unknown): boolean => (statusOf(f) & optimizedBit) !== 0;
  let opWas = isOptimised(op);
  let loopWas = isOptimised(loop);
  let deopts = 0;
  return {
    sample(): void {
      const opNow = isOptimised(op);
      const loopNow = isOptimised(loop);
      if (opWas && !opNow) deopts++;
      if (loopWas && !loopNow) deopts++;
      opWas = opNow;
      loopWas = loopNow;
    },
    result(): ForkJit {
      this.sample();
      return { opOptimized: opWas, loopOptimized: loopWas, deopts, opTier: tierOf(reader, op), loopTier: tierOf(reader, loop) };
    },
  };
}

/** The tier of `f`'s attached code; null when it is optimised but the tier bits are not identified. */
function tierOf(reader: OptimizationStatusReader, f: unknown): JitTier | null {
  const status = reader.statusOf(f);
  if ((status & reader.optimizedBit) === 0) return 'none';
  if (reader.turbofanBit === null) return null;
  return (status & reader.turbofanBit) !== 0 ? 'turbofan' : 'maglev';
}

/**
 * Whether `f` has TurboFan code now (on a runtime whose tier bits are not identified: any optimised
 * code); null when the JIT state is not observable here.
 */
export function hasTopTierCode(f: unknown): boolean | null {
  const reader = optimizationStatusReader();
  if (reader === null) return null;
  const tier = tierOf(reader, f);
  // null: optimised, tier unknown — counted as top tier, as the doc above says.
  return tier === 'turbofan' || tier === null;
}

/**
 * Compiles `f` with TurboFan now (`%PrepareFunctionForOptimization`, two calls for feedback,
 * `%OptimizeFunctionOnNextCall`, a third call that runs the new code) — V8's own test idiom — so that
 * a probe measures TurboFan code without waiting for tier-up. `f` is called three times. Returns false,
 * having called `f` three times unoptimised, where the intrinsics are not reachable.
 */
export function runWithTurbofan(f: () => void): boolean {
  const reader = optimizationStatusReader();
  if (reader === null) {
    f();
    f();
    f();
    return false;
  }
  reader.optimize(f);
  return true;
}

let finalizeCache: (() => void) | null | undefined;

/**
 * Waits for V8's background compile jobs and installs their code (`%FinalizeOptimization`, the
 * intrinsic V8's own tests use after `%OptimizeFunctionOnNextCall` with concurrent compilation).
 * Returns false where the intrinsic is not reachable. Counted work calls it after its warm-up: under
 * valgrind the main thread, running ops without ever blocking, can keep the compiler thread from
 * running at all (valgrind runs one thread at a time), and a fork then counts unoptimised code.
 */
export function finalizePendingOptimization(): boolean {
  if (finalizeCache === undefined) {
    finalizeCache = null;
    if (optimizationStatusReader() !== null) {
      try {
        finalizeCache = new Function('%FinalizeOptimization();') as () => void;
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
    }
  }
  if (finalizeCache === null) return false;
  finalizeCache();
  return true;
}
