/**
 * Demonstrates open-loop load (`--rate`) on one cell through the normal bench path:
 *   1. a closed-loop run measures the cell's capacity (median ops/s) and service time;
 *   2. open-loop runs at fractions of that capacity (default 20% and 150%), each with two
 *      measured durations (default 500 and 2000 ms).
 * Well below capacity, the open-loop percentiles should match the closed-loop service time; above
 * it, operations queue and the latency percentiles grow with the run's length.
 *
 *   npx tsx scripts/open-loop-check.ts [--suite vpn] [--loads 0.2,1.5] [--durations 500,2000]
 *       [--strategy pooled] [--allocator glibc] [--size 512] [--param cipher=aes-256-gcm]
 *
 * Prints a markdown table (and the machine's load average: on a shared machine, preemptions show
 * in open-loop tails as they would for a real server — every operation behind a stall waits).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../harness/child/protocol.js';
import type { ResultFile } from '../contract/result-schema.js';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'vpn' },
    loads: { type: 'string', default: '0.2,1.5' },
    durations: { type: 'string', default: '500,2000' },
    strategy: { type: 'string', default: 'pooled' },
    allocator: { type: 'string', default: 'glibc' },
    size: { type: 'string', default: '512' },
    param: { type: 'string', multiple: true },
    warmup: { type: 'string', default: '300' },
  },
});
const params = values.param ?? (values.suite === 'vpn' ? ['cipher=aes-256-gcm'] : values.suite === 'dns' ? ['mix=a-only'] : []);
const loads = values.loads.split(',').map(Number);
const durations = values.durations.split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'buflab-open-loop-'));

interface Row {
  mode: string;
  durationMs: number;
  rate: number | null;
  achieved: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  servicep50: number | null;
  pending: number | null;
}

/** One bench run of one fork; returns the fork record's figures. Exits the script on failure. */
function bench(durationMs: number, rate: number | null, tag: string): Row {
  const out = join(dir, `${tag}.json`);
  const args = [
    '--import', 'tsx', 'harness/cli/bench.ts', '--suite', values.suite, '--quick', '--forks', '1', '--no-report',
    '--strategy', values.strategy, '--allocator', values.allocator, '--size', values.size,
    '--warmup', values.warmup, '--duration', String(durationMs), '--out', out,
    ...params.flatMap((p) => ['--param', p]),
    ...(rate === null ? [] : ['--rate', String(rate)]),
  ];
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    process.stderr.write(`open-loop-check: bench failed (exit ${r.status}): npm run bench -- ${args.slice(3).join(' ')}\n${r.stderr}\n`);
    process.exit(1);
  }
  const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
  const cell = result.cells[0];
  const fork = cell?.forks[0];
  if (cell === undefined || fork === undefined || cell.state !== 'completed') {
    process.stderr.write(`open-loop-check: ${out} holds no completed fork\n`);
    process.exit(1);
  }
  const l = fork.latencyNs;
  return {
    mode: rate === null ? 'closed loop' : 'open loop',
    durationMs,
    rate,
    achieved: fork.opsPerSec,
    p50: l.p50,
    p99: l.p99,
    p999: l.p999,
    max: l.max,
    servicep50: fork.openLoop?.serviceNs.p50 ?? null,
    pending: fork.openLoop?.pendingAtEnd ?? null,
  };
}

const us = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e3).toFixed(1)} µs`);
const k = (x: number): string => `${(x / 1000).toFixed(1)}k`;

const closed = bench(Math.max(...durations), null, 'closed');
const capacity = closed.achieved;
const rows: Row[] = [closed];
for (const load of loads) {
  for (const d of durations) rows.push(bench(d, Math.round(capacity * load), `rate-${load}-${d}`));
}

const cell = `${values.suite}/${values.strategy}/${values.allocator}/${values.size}${params.map((p) => `/${p}`).join('')}`;
const lines = [
  `cell ${cell}; capacity (closed loop, median ops/s of one fork) ${k(capacity)} ops/s; ` +
    `load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`,
  '',
  '| mode | load | duration | rate ops/s | achieved ops/s | p50 | p99 | p99.9 | max | service p50 | queued at end |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${r.rate === null ? '—' : `${Math.round((100 * r.rate) / capacity)}%`} | ${r.durationMs} ms | ${r.rate === null ? '—' : k(r.rate)} | ${k(r.achieved)} | ` +
      `${us(r.p50)} | ${us(r.p99)} | ${us(r.p999)} | ${us(r.max)} | ${r.servicep50 === null ? '—' : us(r.servicep50)} | ${r.pending ?? '—'} |`,
  ),
];
process.stdout.write(lines.join('\n') + '\n');
rmSync(dir, { recursive: true, force: true });
