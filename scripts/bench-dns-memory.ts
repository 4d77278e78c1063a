/**
 * `npx tsx scripts/bench-dns-memory.ts [--mix a-only,mixed] [--seconds 3] [--strategy a,b] [--rounds 3]`:
 * the in-memory full-stack DNS round trip (client and server stacks, Ethernet/IPv4/UDP/DNS on both
 * sides) per strategy, in queries/s. A quick look for developers; the measured numbers of record
 * come from `npm run bench -- --suite dns`. Target (issue 3): ≥ 500,000 q/s with the best strategy
 * on a quiet machine. Prints the load average, since other processes skew the figures.
 *
 * Each (strategy, mix) runs in a fresh child process — one strategy per process, as the harness
 * does, so that V8's call sites stay monomorphic (a process that ran `uint8array` first measures
 * the JIT's confusion when it then runs `one-big-struct`) — and rounds are interleaved in a rotated
 * order so that machine drift spreads evenly; the median is reported.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeStrategy } from '../allocators/registry.js';
import { RANGE_COPY_PATH } from '../allocators/strategy-common.js';
import { createDnsWorkload } from '../workloads/dns/dns-workload.js';
import { median } from '../harness/stats/sample-stats.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

interface Measurement {
  qps: number;
  allocsPerOp: number;
  copiesPerOp: number;
  viewsPerOp: number;
}

function child(strategy: string, mix: string, seconds: number): Measurement {
  const w = createDnsWorkload({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: 64, params: { mix }, seed: 1 });
  // Warm-up: let the JIT settle.
  const warmEnd = performance.now() + 1000;
  while (performance.now() < warmEnd) for (let i = 0; i < 1000; i++) w.op();
  const before = w.strategyCounters();
  let ops = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  // Batches of 1000 keep the clock out of the loop.
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) w.op();
    ops += 1000;
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const after = w.strategyCounters();
  w.verify();
  w.close();
  return {
    qps: ops / elapsedS,
    allocsPerOp: (after.allocations - before.allocations) / ops,
    copiesPerOp: (after.copies - before.copies) / ops,
    viewsPerOp: (after.views - before.views) / ops,
  };
}


function parent(): void {
  const mixes = arg('mix', 'a-only,mixed').split(',');
  const strategies = arg('strategy', 'uint8array,pooled,one-big-struct').split(',');
  const seconds = Number(arg('seconds', '3'));
  const rounds = Number(arg('rounds', '3'));
  const jobs = mixes.flatMap((mix) => strategies.map((strategy) => ({ strategy, mix })));
  const results = new Map<string, Measurement[]>(jobs.map((j) => [`${j.strategy}/${j.mix}`, []]));
  const self = fileURLToPath(import.meta.url);
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`range copies: ${RANGE_COPY_PATH}; ${rounds} rounds x ${seconds} s per child, median`);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[(k + r) % jobs.length]!;
      const res = spawnSync(process.execPath, [...process.execArgv, self, '--child', job.strategy, '--mix', job.mix, '--seconds', String(seconds)], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`child ${job.strategy}/${job.mix} failed (exit ${res.status}): ${res.stderr.slice(-2000)}`);
      results.get(`${job.strategy}/${job.mix}`)!.push(JSON.parse(res.stdout.trim().split('\n').pop()!) as Measurement);
    }
  }
  console.log('strategy        mix        queries/s   allocs/op  copies/op   views/op');
  let best = 0;
  for (const { strategy, mix } of jobs) {
    const ms = results.get(`${strategy}/${mix}`)!;
    const qps = median(ms.map((m) => m.qps));
    best = Math.max(best, qps);
    const m = ms[0]!;
    console.log(
      `${strategy.padEnd(15)} ${mix.padEnd(10)} ${Math.round(qps).toString().padStart(10)}   ${m.allocsPerOp.toFixed(2).padStart(9)}  ${m.copiesPerOp.toFixed(2).padStart(9)}  ${m.viewsPerOp.toFixed(2).padStart(9)}`,
    );
  }
  console.log(`target (issue 3): best strategy ${Math.round(best)} q/s (target >= 500000): ${best >= 500_000 ? 'met' : 'NOT met'}`);
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

if (process.argv.includes('--child')) {
  const m = child(arg('child', 'one-big-struct'), arg('mix', 'a-only'), Number(arg('seconds', '3')));
  process.stdout.write(`${JSON.stringify(m)}\n`);
} else {
  parent();
}
