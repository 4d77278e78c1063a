/**
 * Test-only knob: makes one cell's operation a known fraction slower, so the compare gate can be
 * checked end to end on real runs ("the head made 5% slower in one cell finds that cell and only
 * that cell", issue 18). Never active in normal runs: only when the parent's environment holds
 *
 *   BUFLAB_TEST_SLOWDOWN=<cell id>=<fraction>     e.g. vpn/pooled/glibc/1400=0.05
 *
 * (the executor's allow-list passes this one variable through to children). The child whose cell id
 * matches wraps `op()` so that each operation also spins an integer loop lasting `fraction` of the
 * operation's own time, calibrated in the child before measuring: ~200 ms of operations warm the
 * code up, ~100 ms more give the time per op, and a timed run of the spin loop gives its time per
 * iteration. The fork record carries a warning naming the knob and its calibration, so a result
 * file measured with it can never pass for a normal one. The spin allocates nothing (an integer loop
 * into a module-level sink). The calibration's ~300 ms of extra operations do warm the cell's code
 * further (measured: in quick mode heap B/op of vpn cipher=none fell from 165 to 43 B/op with it),
 * so the control side of an acceptance run must get the same calibration with no spin:
 * `<cell id>=0` does exactly that (same wrapper, same warm-up, zero iterations).
 *
 * In a paired run (`--baseline REF`: base and head forks interleaved, the design whose verdicts no
 * run-level shift can fool) both sides inherit the parent's environment, so the knob takes a side:
 * `head:<cell id>=<fraction>` slows that cell on the head side and gives the base side the control
 * (`<cell id>=0`); the executor rewrites it per side ({@link slowdownForSide}).
 */
import { performance } from 'node:perf_hooks';
import type { WorkloadInstance } from '../../workloads/workload.js';
import { BuflabError } from '../errors.js';

export const TEST_SLOWDOWN_ENV = 'BUFLAB_TEST_SLOWDOWN';

/** Keeps the spin loop's result alive so the JIT cannot drop the loop. */
let sink = 0;

function spin(iterations: number): void {
  let x = sink | 0;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) | 0;
  sink = x;
}

/** Parses the knob; null when absent or when it names another cell. Throws E_TEST_KNOB on a malformed value. */
export function parseTestSlowdown(value: string | undefined, cellId: string): number | null {
  if (value === undefined || value === '') return null;
  const at = value.lastIndexOf('=');
  const id = value.slice(0, at);
  const fraction = Number(value.slice(at + 1));
  if (at <= 0 || value.slice(at + 1).trim() === '' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new BuflabError('E_TEST_KNOB', `${TEST_SLOWDOWN_ENV}='${value}': expected <cell id>=<fraction in [0, 1]>, e.g. vpn/pooled/glibc/1400=0.05 (0: the control, calibrated but not slowed); unset it for a normal run`);
  }
  return id === cellId ? fraction : null;
}

/**
 * The knob's value for a child of `side`: `head:<id>=<f>` (or `base:…`) becomes `<id>=<f>` on that
 * side and `<id>=0` on the other; a value without a side prefix is passed unchanged (both sides).
 */
export function slowdownForSide(value: string, side: 'base' | 'head'): string {
  const m = /^(base|head):(.+)=([^=]*)$/.exec(value);
  if (m === null) return value;
  return m[1] === side ? `${m[2]}=${m[3]}` : `${m[2]}=0`;
}

/** Mean wall time (ns) of `fn` over at least `minMs` of repeated calls. */
function timePerCallNs(fn: () => void, minMs: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 64; i++) fn();
    calls += 64;
    now = performance.now();
  }
  return ((now - start) * 1e6) / calls;
}

/**
 * Returns `inner` unchanged when the knob does not name `cellId`; else a wrapper whose op() is
 * `fraction` slower, and the warning to record in the fork.
 */
export function applyTestSlowdown(inner: WorkloadInstance, cellId: string, env: NodeJS.ProcessEnv): { instance: WorkloadInstance; warning: string | null } {
  const fraction = parseTestSlowdown(env[TEST_SLOWDOWN_ENV], cellId);
  if (fraction === null) return { instance: inner, warning: null };
  timePerCallNs(() => inner.op(), 200); // warm-up: calibrate against optimised code, not the interpreter
  const opNs = timePerCallNs(() => inner.op(), 100);
  const probe = 10_000;
  timePerCallNs(() => spin(probe), 50);
  const iterNs = timePerCallNs(() => spin(probe), 50) / probe;
  const iterations = Math.round((fraction * opNs) / iterNs);
  const instance: WorkloadInstance = {
    op: () => {
      inner.op();
      spin(iterations);
    },
    payloadBytesPerOp: inner.payloadBytesPerOp,
    strategyCounters: () => inner.strategyCounters(),
    counters: () => inner.counters(),
    verify: () => inner.verify(),
    close: () => inner.close(),
  };
  const warning = `TEST KNOB ${TEST_SLOWDOWN_ENV}: op() slowed by ${(fraction * 100).toFixed(1)}% (spin ${iterations} iterations ≈ ${(iterations * iterNs).toFixed(0)} ns against ${opNs.toFixed(0)} ns per op, calibrated in this child); not a normal measurement`;
  return { instance, warning };
}
