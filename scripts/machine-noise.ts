/**
 * How noisy is this machine, with no harness at all? A fixed loop (copy 1400 bytes into a 1 MiB
 * buffer at a moving offset — the memory traffic of a packet copy — or an integer loop with
 * `--kind int`) runs for `--seconds` in one process; each 50 ms window's ns per iteration is one
 * sample. Prints: the share of windows more than 25% slower than the fast floor (the 10th
 * percentile), how long slow and fast stretches last, the autocorrelation of windows at growing
 * lags (how long a slow stretch remembers itself), and the spread of block medians over 0.5–4 s —
 * what a fork of that length would see if the code itself never varied.
 *
 *   npx tsx scripts/machine-noise.ts [--kind copy|int] [--seconds 60]
 *
 * Read with README "Where the variance comes from": on the 2-core VM the copy loop's 50 ms windows
 * were slowed in bursts (median 150 ms, autocorrelation gone by 100 ms), yet medians of 1 s blocks
 * still varied 8.6%: even the bare machine moves a short fork's figure by several percent.
 *
 * It also says where the loop's wall time went, per second: on the CPU (the thread's own run time,
 * /proc/thread-self/schedstat), waiting on the run queue, and the rest — time the vCPU did not run
 * though the thread wanted it: the hypervisor's steal (a guest's run time excludes it under
 * paravirtual steal accounting; the loop never blocks).
 */
import { readFileSync } from 'node:fs';
import { mean, quantileSorted, standardDeviation } from 'simple-statistics';
import { median } from '../harness/stats/sample-stats.js';
import { parseSchedstat } from '../harness/measure/thread-cpu.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const kind = flag('--kind', 'copy');
const seconds = Number(flag('--seconds', '60'));
if (kind !== 'copy' && kind !== 'int') {
  process.stderr.write('machine-noise: --kind must be copy or int\n');
  process.exit(2);
}
if (!(seconds >= 5 && seconds <= 3600)) {
  process.stderr.write('machine-noise: --seconds must be between 5 and 3600\n');
  process.exit(2);
}

const WINDOW_MS = 50;
const BIG = 1 << 20;
const PACKET = 1400;
const big = new Uint8Array(BIG);
const packet = new Uint8Array(PACKET).fill(7);
let offset = 0;
let acc = 1;
function copyLoop(n: number): number {
  for (let i = 0; i < n; i++) {
    big.set(packet, offset);
    offset += 1536;
    if (offset > BIG - PACKET) offset = 0;
  }
  return big[offset]!;
}
function intLoop(n: number): number {
  for (let i = 0; i < n; i++) acc = (Math.imul(acc, 1103515245) + 12345) | 0;
  return acc;
}
const work = kind === 'copy' ? copyLoop : intLoop;
const perCall = kind === 'copy' ? 200 : 10_000;

const windows: number[] = [];
let sink = 0;
const end = performance.now() + seconds * 1000;
// Per second of the loop: the share of wall time the thread was neither on the CPU nor queued.
const sched = (): { t: number; cpuNs: number; runQueueWaitNs: number } => ({ t: performance.now(), ...parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'utf8')) });
const notRun: number[] = [];
let last = sched();
while (performance.now() < end) {
  if (performance.now() - last.t >= 1000) {
    const now = sched();
    const wallNs = (now.t - last.t) * 1e6;
    notRun.push(1 - (now.cpuNs - last.cpuNs + now.runQueueWaitNs - last.runQueueWaitNs) / wallNs);
    last = now;
  }
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < WINDOW_MS) {
    sink ^= work(perCall);
    n += perCall;
  }
  windows.push(((performance.now() - t0) * 1e6) / n);
}
// The first second is the JIT's warm-up, not the machine.
const w = windows.slice(Math.ceil(1000 / WINDOW_MS));
const sorted = [...w].sort((a, b) => a - b);
const floor = quantileSorted(sorted, 0.1);
const slow = w.map((x) => x > 1.25 * floor);
const runs: Record<'slow' | 'fast', number[]> = { slow: [], fast: [] };
let current = slow[0]!;
let length = 0;
for (const s of slow) {
  if (s === current) length++;
  else {
    runs[current ? 'slow' : 'fast'].push(length * WINDOW_MS);
    current = s;
    length = 1;
  }
}
runs[current ? 'slow' : 'fast'].push(length * WINDOW_MS);
const mu = w.reduce((a, b) => a + b, 0) / w.length;
const variance = w.reduce((a, x) => a + (x - mu) ** 2, 0);
const autocorrelation = (lag: number): number => {
  let s = 0;
  for (let i = 0; i + lag < w.length; i++) s += (w[i]! - mu) * (w[i + lag]! - mu);
  return s / variance;
};
const q = (xs: number[], p: number): number => (xs.length === 0 ? 0 : quantileSorted([...xs].sort((a, b) => a - b), p));
const out: string[] = [];
out.push(`machine-noise: ${kind} loop, ${w.length} windows of ${WINDOW_MS} ms (sink ${sink & 1})`);
out.push(`  fast floor (p10) ${floor.toFixed(2)} ns/iteration; windows relative to it: p50 ${(q(w, 0.5) / floor).toFixed(2)}, p90 ${(q(w, 0.9) / floor).toFixed(2)}, p99 ${(q(w, 0.99) / floor).toFixed(2)}`);
out.push(`  windows > 1.25x the floor: ${((100 * slow.filter(Boolean).length) / w.length).toFixed(1)}%`);
out.push(`  slow stretches: ${runs.slow.length}, median ${q(runs.slow, 0.5)} ms, p90 ${q(runs.slow, 0.9)} ms, max ${q(runs.slow, 1)} ms; fast stretches: median ${q(runs.fast, 0.5)} ms, p90 ${q(runs.fast, 0.9)} ms`);
out.push(`  autocorrelation: ${[1, 2, 5, 10, 20, 40, 80].filter((l) => l < w.length / 2).map((l) => `${l * WINDOW_MS} ms ${autocorrelation(l).toFixed(2)}`).join(', ')}`);
const blocks = [10, 20, 40, 80].filter((b) => w.length >= 3 * b).map((b) => {
  const meds: number[] = [];
  for (let i = 0; i + b <= w.length; i += b) meds.push(median(w.slice(i, i + b)));
  return `${(b * WINDOW_MS) / 1000} s ${((100 * standardDeviation(meds)) / mean(meds)).toFixed(1)}%`;
});
out.push(`  spread (CV) of the median window of blocks of: ${blocks.join(', ')}`);
out.push(
  `  wall time not on the CPU nor queued (steal), per 1 s: median ${(100 * q(notRun, 0.5)).toFixed(1)}%, p90 ${(100 * q(notRun, 0.9)).toFixed(1)}%, max ${(100 * q(notRun, 1)).toFixed(1)}%`,
);
process.stdout.write(out.join('\n') + '\n');
