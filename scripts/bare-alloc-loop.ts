/**
 * The allocation loop without the harness: the same StrategyAllocLoop and the same strategy code as
 * the `alloc` workload, timed by a plain loop, so its ops/s can be set beside the harness's figure
 * for the same cell (the harness must not distort what it measures).
 *
 *   npx tsx scripts/bare-alloc-loop.ts --size 1024 --duration-ms 5000 [--ring 1024] [--strategy uint8array] [--workload] [--json]
 *
 * `--workload` times the `alloc` workload's own `op()` (the WorkloadInstance the harness times,
 * a closure that also counts ops) instead of the inner loop's method: the difference between the two
 * bare figures is the workload wrapper's cost, and what remains against the harness is the harness's.
 */
import { parseArgs } from 'node:util';
import { regionBytesFor } from '../allocators/one-big-struct.js';
import { makeStrategy } from '../allocators/registry.js';
import { allocLoop, DEFAULT_RING, StrategyAllocLoop } from '../workloads/alloc/alloc-loop.js';

/** Operations between clock reads: keeps `performance.now()` off the per-operation path. */
const BATCH_OPS = 1000;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`bare-alloc-loop: --${name} must be a non-negative integer, got '${raw}'`);
    process.exit(2);
  }
  return n;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      ring: { type: 'string' },
      strategy: { type: 'string' },
      json: { type: 'boolean' },
      workload: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: npx tsx scripts/bare-alloc-loop.ts [--size BYTES=1024] [--duration-ms MS=5000] [--warmup-ms MS=1000] [--ring N=1024] [--strategy uint8array|pooled|one-big-struct] [--workload] [--json]');
    return;
  }
  const sizeBytes = positiveInt('size', values.size, 1024);
  const durationMs = positiveInt('duration-ms', values['duration-ms'], 5000);
  const warmupMs = positiveInt('warmup-ms', values['warmup-ms'], 1000);
  const ring = positiveInt('ring', values.ring, DEFAULT_RING);
  const strategyName = values.strategy ?? 'uint8array';
  // As the workload does for one-big-struct: an arena that holds the whole ring.
  const arenaBytes = (ring + 1) * regionBytesFor(sizeBytes);
  const loop = values.workload
    ? allocLoop.create({ strategy: strategyName, makeStrategy: () => makeStrategy(strategyName), sizeBytes, params: { ring }, seed: 1 })
    : new StrategyAllocLoop(makeStrategy(strategyName, { arenaBytes }), sizeBytes, ring);

  const run = (ms: number): { ops: number; elapsedMs: number } => {
    const t0 = performance.now();
    const deadline = t0 + ms;
    let ops = 0;
    let now = t0;
    while (now < deadline) {
      for (let i = 0; i < BATCH_OPS; i++) loop.op();
      ops += BATCH_OPS;
      now = performance.now();
    }
    return { ops, elapsedMs: now - t0 };
  };

  run(warmupMs);
  const { ops, elapsedMs } = run(durationMs);
  loop.verify();
  const opsPerSec = (ops / elapsedMs) * 1000;
  if (values.json) {
    console.log(JSON.stringify({ strategy: strategyName, sizeBytes, ring, workload: values.workload === true, ops, elapsedMs, opsPerSec }));
  } else {
    console.log(`bare-alloc-loop strategy=${strategyName} size=${sizeBytes} ring=${ring}${values.workload ? ' (workload op)' : ''}: ${Math.round(opsPerSec)} ops/s (${ops} ops in ${elapsedMs.toFixed(0)} ms)`);
  }
}

main();
