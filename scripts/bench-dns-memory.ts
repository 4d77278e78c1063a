/**
 * `npx tsx scripts/bench-dns-memory.ts [--mix a-only,mixed] [--seconds 3] [--strategy a,b]`:
 * the in-memory full-stack DNS round trip (client and server stacks, Ethernet/IPv4/UDP/DNS on both
 * sides) per strategy, in queries/s. A quick look for developers; the measured numbers of record
 * come from `npm run bench -- --suite dns`. Target (issue 3): ≥ 500,000 q/s with the best strategy
 * on a quiet machine. Prints the load average, since other processes skew the figures.
 */
import { loadavg } from 'node:os';
import { makeStrategy } from '../allocators/registry.js';
import { createDnsWorkload } from '../workloads/dns/dns-workload.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const mixes = arg('mix', 'a-only,mixed').split(',');
const strategies = arg('strategy', 'uint8array,pooled,one-big-struct').split(',');
const seconds = Number(arg('seconds', '3'));

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('strategy        mix        queries/s   allocs/op  copies/op');
for (const mix of mixes) {
  for (const strategy of strategies) {
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
    console.log(
      `${strategy.padEnd(15)} ${mix.padEnd(10)} ${Math.round(ops / elapsedS).toString().padStart(10)}   ${((after.allocations - before.allocations) / ops).toFixed(2).padStart(9)}  ${((after.copies - before.copies) / ops).toFixed(2).padStart(9)}`,
    );
  }
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
