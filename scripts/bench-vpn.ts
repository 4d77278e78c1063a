/**
 * `npx tsx scripts/bench-vpn.ts [--rounds 3] [--ms 1500]`: the VPN workload's two performance
 * targets in one run, each measurement in a fresh child process (one kind of work per process, as
 * the harness does), rounds interleaved so that machine drift spreads evenly; medians reported.
 *
 *  1. AES-256-GCM, 1400-byte inner packets: the full tunnel (every strategy) against a bare loop that
 *     only calls node:crypto to seal and open the same packets the same way (raw Buffer key,
 *     8-byte AAD, 12-byte nonce, update/final/getAuthTag): target >= 85 % of the bare loop.
 *  2. The null cipher, 1400 bytes, `one-big-struct`: target >= 1.5 M packets/s.
 *
 * Timings here are for a quick look on a quiet machine; figures for papers come from the harness
 * (`npm run bench -- --suite vpn`).
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeStrategy } from '../allocators/registry.js';
import { vpnWorkload } from '../workloads/vpn/vpn-tunnel.js';
import { median } from '../harness/stats/sample-stats.js';

const PACKET_BYTES = 1400;

interface Measurement {
  job: string;
  opsPerSec: number;
  /**
   * Process CPU time (user + system) per operation, in ns: unlike wall-clock ops/s it barely moves
   * when other processes take the cores, so ratios of it are the steadier signal on a busy machine.
   */
  cpuNsPerOp: number;
}

/**
 * Runs `op` for `ms` after a warm-up of `ms / 3`, timing batches of 256 (no per-op clock reads).
 * Returns wall-clock ops/s and CPU ns per op.
 */
function measure(op: () => void, ms: number): { opsPerSec: number; cpuNsPerOp: number } {
  const warmEnd = performance.now() + ms / 3;
  while (performance.now() < warmEnd) for (let i = 0; i < 256; i++) op();
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 256; i++) op();
    ops += 256;
    t = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: (ops / (t - t0)) * 1000, cpuNsPerOp: ((cpu.user + cpu.system) * 1000) / ops };
}

/** The bare node:crypto loop; `keyObject` measures the KeyObject variant (the node backend uses raw keys). */
function bareLoop(keyObject: boolean): () => void {
  const key: Buffer | KeyObject = keyObject ? createSecretKey(Buffer.alloc(32, 7)) : Buffer.alloc(32, 7);
  const nonce = Buffer.alloc(12, 1);
  const aad = Buffer.alloc(8, 2);
  const packet = Buffer.alloc(PACKET_BYTES, 3);
  const options = { authTagLength: 16 } as const;
  let pid = 0;
  let sink = 0;
  return () => {
    nonce.writeUInt32BE(++pid >>> 0, 0);
    const c = createCipheriv('aes-256-gcm', key, nonce, options);
    c.setAAD(aad);
    const ct = c.update(packet);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', key, nonce, options);
    d.setAAD(aad);
    d.setAuthTag(tag);
    const pt = d.update(ct);
    d.final();
    sink ^= pt[pid % PACKET_BYTES]!;
    if (sink === 256) throw new Error('unreachable: keeps the result alive');
  };
}

/**
 * crypto.subtle (WebCrypto) AES-256-GCM seal+open of the same packets, `inflight` at a time: the
 * only other AES-GCM node offers. It is asynchronous (libuv thread pool), so the synchronous
 * workload cannot use it; measured to show whether it would be a lever at all.
 */
async function subtleLoop(inflight: number, ms: number): Promise<{ opsPerSec: number; cpuNsPerOp: number }> {
  const { subtle } = globalThis.crypto;
  const key = await subtle.importKey('raw', new Uint8Array(32).fill(7), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const packet = new Uint8Array(PACKET_BYTES).fill(3);
  const aad = new Uint8Array(8).fill(2);
  const one = async (pid: number): Promise<number> => {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(0, pid);
    const params = { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
    const sealed = await subtle.encrypt(params, key, packet);
    return new Uint8Array(await subtle.decrypt(params, key, sealed))[pid % PACKET_BYTES]!;
  };
  let pid = 0;
  const run = async (until: number): Promise<number> => {
    let ops = 0;
    while (performance.now() < until) {
      const batch: Array<Promise<number>> = [];
      for (let i = 0; i < inflight; i++) batch.push(one(++pid));
      await Promise.all(batch);
      ops += inflight;
    }
    return ops;
  };
  await run(performance.now() + ms / 3);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await run(t0 + ms);
  const cpu = process.cpuUsage(cpu0);
  // CPU of this thread and the libuv pool threads doing the crypto: the whole process.
  return { opsPerSec: (ops / (performance.now() - t0)) * 1000, cpuNsPerOp: ((cpu.user + cpu.system) * 1000) / ops };
}

async function child(job: string, ms: number): Promise<void> {
  if (job.startsWith('subtle-')) {
    const m = await subtleLoop(Number(job.slice('subtle-'.length)), ms);
    process.stdout.write(JSON.stringify({ job, ...m } satisfies Measurement) + '\n');
    return;
  }
  let op: () => void;
  let verify = (): void => {};
  if (job === 'bare' || job === 'bare-keyobject') op = bareLoop(job === 'bare-keyobject');
  else {
    const [cipher, strategy] = job.split(':') as [string, string];
    const w = vpnWorkload.create({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: PACKET_BYTES, params: { cipher }, seed: 1 });
    op = () => w.op();
    verify = () => w.verify();
  }
  const m = measure(op, ms);
  verify();
  process.stdout.write(JSON.stringify({ job, ...m } satisfies Measurement) + '\n');
}


function parent(rounds: number, ms: number): void {
  const jobs = ['bare', 'bare-keyobject', 'subtle-1', 'subtle-64', 'aes-256-gcm:one-big-struct', 'aes-256-gcm:pooled', 'aes-256-gcm:uint8array', 'none:one-big-struct', 'none:pooled', 'none:uint8array'];
  const results = new Map<string, number[]>(jobs.map((j) => [j, []]));
  const cpuResults = new Map<string, number[]>(jobs.map((j) => [j, []]));
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no job always runs first (or right after a heavy one).
    const order = jobs.map((_, i) => jobs[(i + r) % jobs.length]!);
    for (const job of order) {
      const res = spawnSync(process.execPath, [...process.execArgv, self, '--child', job, '--ms', String(ms)], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`child ${job} failed (exit ${res.status}): ${res.stderr.slice(-2000)}`);
      const m = JSON.parse(res.stdout.trim().split('\n').pop()!) as Measurement;
      results.get(job)!.push(m.opsPerSec);
      cpuResults.get(job)!.push(m.cpuNsPerOp);
    }
  }
  const bare = median(results.get('bare')!);
  const bareCpu = median(cpuResults.get('bare')!);
  console.log(`vpn bench: ${rounds} rounds x ${ms} ms per child, 1400-byte inner packets (median packets/s; Gbit/s of inner packets; median CPU ns per packet)`);
  console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const job of jobs) {
    const pps = median(results.get(job)!);
    const cpuNs = median(cpuResults.get(job)!);
    const gbps = (pps * PACKET_BYTES * 8) / 1e9;
    const vsBare =
      job.startsWith('aes-256-gcm') || job.startsWith('bare-') || job.startsWith('subtle')
        ? `  ${((pps / bare) * 100).toFixed(1)} % of bare node:crypto (CPU: ${((bareCpu / cpuNs) * 100).toFixed(1)} %)`
        : '';
    console.log(`${job.padEnd(28)} ${Math.round(pps).toLocaleString('en-US').padStart(11)} pps ${gbps.toFixed(2).padStart(6)} Gbit/s ${Math.round(cpuNs).toString().padStart(7)} CPU ns/pkt${vsBare}`);
  }
  const ratio = median(results.get('aes-256-gcm:one-big-struct')!) / bare;
  const cpuRatio = bareCpu / median(cpuResults.get('aes-256-gcm:one-big-struct')!);
  const nullPps = median(results.get('none:one-big-struct')!);
  const nullCpuPps = 1e9 / median(cpuResults.get('none:one-big-struct')!);
  console.log(`target 1: tunnel (one-big-struct) / bare = ${(ratio * 100).toFixed(1)} % (target >= 85 %): ${ratio >= 0.85 ? 'met' : 'NOT met'}; by CPU time ${(cpuRatio * 100).toFixed(1)} %`);
  console.log(
    `target 2: null cipher one-big-struct = ${(nullPps / 1e6).toFixed(2)} M pps (target >= 1.5 M): ${nullPps >= 1.5e6 ? 'met' : 'NOT met'}; ${(nullCpuPps / 1e6).toFixed(2)} M per CPU-second`,
  );
}

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const ms = Number(flag('--ms', '1500'));
if (argv.includes('--child')) await child(flag('--child', 'bare'), ms);
else parent(Number(flag('--rounds', '3')), ms);
