/**
 * `npx tsx scripts/bench-vpn.ts [--rounds 3] [--ms 1500]`: the VPN workload's two performance
 * targets in one run, each measurement in a fresh child process (one kind of work per process, as
 * the harness does), rounds interleaved so that machine drift spreads evenly; medians reported.
 *
 *  1. AES-256-GCM, 1400-byte inner packets: the full tunnel (every strategy) against a bare loop that
 *     only calls node:crypto to seal and open the same packets the same way (raw Buffer key,
 *     8-byte AAD, 12-byte nonce, update/final/getAuthTag): target >= 85 % of the bare loop.
 *  2. The null cipher, 1400 bytes, `one-big-struct`: target >= 1.5 M packets/s.
 *  3. Issue 15: the tunnel on the `native` crypto backend (in-place AEAD, stack/crypto/native-backend.ts),
 *     `one-big-struct`, against `openssl speed -evp aes-256-gcm -bytes 1400` on the same machine:
 *     target >= 50 % of openssl's per-packet rate, a packet being one seal and one open (counted as
 *     twice openssl's encrypt time: GCM decryption costs what encryption does). `openssl speed -aead`
 *     (the TLS-like sequence per packet: set IV, AAD, encrypt, tag) is shown beside it.
 *
 * `--jobs a,b` runs a subset (job names as printed); `--rounds`, `--ms` as above.
 * `--baseline-tree DIR` also runs each job's child from another checkout (a worktree of an older
 * commit with node_modules linked), right beside this tree's in the same round (which goes first
 * alternates by round), and prints this tree / baseline per round: a change of the code told from a
 * change of the machine. Every tree since 2026-11-22 has the `--child JOB` mode it uses.
 *
 * Timings here are for a quick look on a quiet machine; figures for papers come from the harness
 * (`npm run bench -- --suite vpn`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeStrategy } from '../allocators/registry.js';
import { NativeCryptoBackend } from '../stack/crypto/native-backend.js';
import { vpnWorkload } from '../workloads/vpn/vpn-tunnel.js';
import { median } from '../harness/stats/sample-stats.js';
import { describeTree, resolveBaselineTree } from './baseline-tree.js';

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

/** The `native` backend alone sealing and opening the same packets in place (8-byte AAD, tag after the message). */
function nativeBareLoop(): () => void {
  const key = new NativeCryptoBackend().aead('aes-256-gcm', new Uint8Array(32).fill(7));
  const st = makeStrategy('one-big-struct');
  const nonce = new Uint8Array(12).fill(1);
  const packet = new Uint8Array(8 + PACKET_BYTES + 16).fill(3);
  let pid = 0;
  return () => {
    nonce[3] = ++pid & 0xff;
    key.seal(nonce, packet, 0, 8, 8, 8 + PACKET_BYTES, 8 + PACKET_BYTES, st);
    if (!key.open(nonce, packet, 0, 8, 8, 8 + PACKET_BYTES, 8 + PACKET_BYTES, st)) throw new Error('native-bare: open failed');
  };
}

/**
 * `openssl speed -evp aes-256-gcm -bytes 1400` (with `-aead`: the TLS-like sequence per packet), as
 * the other jobs' Measurement: openssl divides by CPU user time by default, so its rate is per
 * CPU-second like `cpuNsPerOp`. One op = one seal + one open = two of openssl's encryptions.
 */
function opensslSpeed(aead: boolean, ms: number): Measurement {
  const args = ['speed', ...(aead ? ['-aead'] : []), '-evp', 'aes-256-gcm', '-bytes', String(PACKET_BYTES), '-seconds', String(Math.max(1, Math.round(ms / 1000)))];
  const res = spawnSync('openssl', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${res.status}): ${res.stderr.slice(-500)} — is the openssl package installed?`);
  // The last line: "AES-256-GCM  1148437.70k" (thousands of bytes per second at the one size).
  const m = /([\d.]+)k\s*$/.exec(res.stdout.trim());
  if (m === null) throw new Error(`openssl speed: no rate in its output: ${res.stdout.slice(-300)}`);
  const encryptNs = (PACKET_BYTES / (Number(m[1]) * 1000)) * 1e9;
  const opNs = 2 * encryptNs;
  return { job: aead ? 'openssl-speed-aead' : 'openssl-speed', opsPerSec: 1e9 / opNs, cpuNsPerOp: opNs };
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
  else if (job === 'native-bare') op = nativeBareLoop();
  else {
    // cipher:strategy[:crypto backend]
    const [cipher, strategy, crypto = 'node'] = job.split(':') as [string, string, string?];
    const w = vpnWorkload.create({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: PACKET_BYTES, params: { cipher, crypto }, seed: 1 });
    op = () => w.op();
    verify = () => w.verify();
  }
  const m = measure(op, ms);
  verify();
  process.stdout.write(JSON.stringify({ job, ...m } satisfies Measurement) + '\n');
}


const ALL_JOBS = [
  'bare',
  'bare-keyobject',
  'subtle-1',
  'subtle-64',
  'aes-256-gcm:one-big-struct',
  'aes-256-gcm:pooled',
  'aes-256-gcm:uint8array',
  'none:one-big-struct',
  'none:pooled',
  'none:uint8array',
  'native-bare',
  'aes-256-gcm:one-big-struct:native',
  'aes-256-gcm:pooled:native',
  'aes-256-gcm:uint8array:native',
  'openssl-speed',
  'openssl-speed-aead',
];

/** Suffix of a job's row when its child ran from `--baseline-tree`. */
const BASELINE_SUFFIX = '@baseline';

/** One child of `job` from the script at `script` (this tree's or the baseline tree's), in `cwd`. */
function runChild(script: string, cwd: string | undefined, job: string, ms: number): Measurement {
  const res = spawnSync(process.execPath, [...process.execArgv, script, '--child', job, '--ms', String(ms)], { encoding: 'utf8', cwd });
  if (res.status !== 0) throw new Error(`child ${job}${cwd === undefined ? '' : ` in ${cwd}`} failed (exit ${res.status}): ${res.stderr.slice(-2000)}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as Measurement;
}

function parent(rounds: number, ms: number, jobs: readonly string[], baselineTree: string | null): void {
  const rows = baselineTree === null ? jobs : jobs.flatMap((j) => (j.startsWith('openssl-speed') ? [j] : [j, j + BASELINE_SUFFIX]));
  const results = new Map<string, number[]>(rows.map((j) => [j, []]));
  const cpuResults = new Map<string, number[]>(rows.map((j) => [j, []]));
  const self = fileURLToPath(import.meta.url);
  const baselineScript = baselineTree === null ? null : join(baselineTree, 'scripts', 'bench-vpn.ts');
  const record = (row: string, m: Measurement): void => {
    results.get(row)!.push(m.opsPerSec);
    cpuResults.get(row)!.push(m.cpuNsPerOp);
  };
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no job always runs first (or right after a heavy one).
    const order = jobs.map((_, i) => jobs[(i + r) % jobs.length]!);
    for (const job of order) {
      if (job.startsWith('openssl-speed')) {
        record(job, opensslSpeed(job === 'openssl-speed-aead', ms));
        continue;
      }
      if (baselineScript !== null && r % 2 === 1) record(job + BASELINE_SUFFIX, runChild(baselineScript, baselineTree!, job, ms));
      record(job, runChild(self, undefined, job, ms));
      if (baselineScript !== null && r % 2 === 0) record(job + BASELINE_SUFFIX, runChild(baselineScript, baselineTree!, job, ms));
    }
  }
  const has = (job: string): boolean => (results.get(job)?.length ?? 0) > 0;
  // A baseline row is set beside the baseline tree's own bare loop.
  const bareOf = (job: string): string => (job.endsWith(BASELINE_SUFFIX) ? 'bare' + BASELINE_SUFFIX : 'bare');
  const bareRate = (job: string): number => (has(bareOf(job)) ? median(results.get(bareOf(job))!) : NaN);
  const bareCpuOf = (job: string): number => (has(bareOf(job)) ? median(cpuResults.get(bareOf(job))!) : NaN);
  const bare = bareRate('bare');
  const bareCpu = bareCpuOf('bare');
  console.log(`vpn bench: ${rounds} rounds x ${ms} ms per child, 1400-byte inner packets (median packets/s; Gbit/s of inner packets; median CPU ns per packet)`);
  console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const job of rows) {
    const pps = median(results.get(job)!);
    const cpuNs = median(cpuResults.get(job)!);
    const gbps = (pps * PACKET_BYTES * 8) / 1e9;
    const vsBare =
      has(bareOf(job)) && (job.startsWith('aes-256-gcm') || job.startsWith('bare-') || job.startsWith('subtle'))
        ? `  ${((pps / bareRate(job)) * 100).toFixed(1)} % of bare node:crypto (CPU: ${((bareCpuOf(job) / cpuNs) * 100).toFixed(1)} %)`
        : '';
    console.log(`${job.padEnd(28)} ${Math.round(pps).toLocaleString('en-US').padStart(11)} pps ${gbps.toFixed(2).padStart(6)} Gbit/s ${Math.round(cpuNs).toString().padStart(7)} CPU ns/pkt${vsBare}`);
  }
  if (baselineTree !== null) {
    console.log(`baseline tree: ${baselineTree} (${describeTree(baselineTree)}); this tree / baseline per round (the two children ran back to back):`);
    for (const job of jobs.filter((j) => !j.startsWith('openssl-speed'))) {
      const per = (m: Map<string, number[]>): number[] => m.get(job)!.map((x, i) => x / m.get(job + BASELINE_SUFFIX)![i]!);
      const fmt = (xs: number[]): string => `median ${median(xs).toFixed(3)} (rounds ${xs.map((x) => x.toFixed(2)).join(', ')})`;
      console.log(`  ${job.padEnd(28)} packets/s ${fmt(per(results))}; CPU ns per packet ${fmt(per(cpuResults))}`);
    }
  }
  if (has('bare') && has('aes-256-gcm:one-big-struct')) {
    const ratio = median(results.get('aes-256-gcm:one-big-struct')!) / bare;
    const cpuRatio = bareCpu / median(cpuResults.get('aes-256-gcm:one-big-struct')!);
    console.log(`target 1: tunnel (one-big-struct) / bare = ${(ratio * 100).toFixed(1)} % (target >= 85 %): ${ratio >= 0.85 ? 'met' : 'NOT met'}; by CPU time ${(cpuRatio * 100).toFixed(1)} %`);
  }
  if (has('none:one-big-struct')) {
    const nullPps = median(results.get('none:one-big-struct')!);
    const nullCpuPps = 1e9 / median(cpuResults.get('none:one-big-struct')!);
    console.log(
      `target 2: null cipher one-big-struct = ${(nullPps / 1e6).toFixed(2)} M pps (target >= 1.5 M): ${nullPps >= 1.5e6 ? 'met' : 'NOT met'}; ${(nullCpuPps / 1e6).toFixed(2)} M per CPU-second`,
    );
  }
  if (has('openssl-speed')) {
    // Per CPU-second on both sides: openssl speed divides by user CPU time.
    const opensslCpu = median(cpuResults.get('openssl-speed')!);
    for (const job of ['native-bare', 'bare', 'aes-256-gcm:one-big-struct:native', 'aes-256-gcm:one-big-struct'].filter(has)) {
      const r = opensslCpu / median(cpuResults.get(job)!);
      const target = job === 'aes-256-gcm:one-big-struct:native' ? ` (target 3, >= 50 %: ${r >= 0.5 ? 'met' : 'NOT met'})` : '';
      console.log(`${job} per-packet rate = ${(r * 100).toFixed(1)} % of openssl speed's (CPU time)${target}`);
    }
  }
}

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const ms = Number(flag('--ms', '1500'));
if (argv.includes('--child')) await child(flag('--child', 'bare'), ms);
else {
  const jobs = flag('--jobs', ALL_JOBS.join(',')).split(',');
  const unknown = jobs.filter((j) => !ALL_JOBS.includes(j));
  if (unknown.length > 0) throw new Error(`--jobs: unknown ${unknown.join(', ')}; jobs: ${ALL_JOBS.join(', ')}`);
  const baselineTree = resolveBaselineTree('bench-vpn', flag('--baseline-tree', ''), join('scripts', 'bench-vpn.ts'));
  parent(Number(flag('--rounds', '3')), ms, jobs, baselineTree);
}
