/**
 * `npx tsx scripts/bench-vpn-tunnel.ts [--rounds 3] [--mib 50] [--cipher AES-256-GCM] [--strategy a,b]`
 * (root): tunnel throughput of `npm run serve -- vpn --tls` through the real openvpn 2.6 client and
 * a tun device, per buffer strategy, in a network namespace made (and removed) here.
 *
 * One server per strategy runs in the namespace (ports 1194, 1195, …); each round visits the
 * strategies in a fresh random order (interleaved rounds, so drift spreads evenly): start the
 * client against that server, `curl` N MiB of `GET /bytes/N` from 10.8.0.1 (sha256 checked), stop
 * the client. Reported per strategy: median curl throughput (MiB/s) and the server process's CPU
 * time per MiB (user + system from /proc/PID/stat, steadier than wall time on a shared machine).
 *
 * Not here yet: the anchor (openvpn's own server with the same client and curl) — see the README.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../harness/stats/sample-stats.js';

const NS = `buflab-vpnbench-${process.pid}`;
const CLK_TCK = 100;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const rounds = Number(flag('--rounds', '3'));
const mib = Number(flag('--mib', '50'));
const cipher = flag('--cipher', 'AES-256-GCM');
const strategies = flag('--strategy', 'uint8array,pooled,one-big-struct').split(',');

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

function makePki(dir: string): void {
  const o = (args: string[]): void => void sh('openssl', args, dir);
  o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  for (const who of ['server', 'client']) {
    o(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${who}.key`]);
    o(['req', '-new', '-key', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
    o(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1']);
  }
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  // Fields 14 and 15 (utime, stime) of proc(5), counted here from field 3 at index 0.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  if (c.exitCode === null) c.kill('SIGKILL');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-vpnbench-'));
  makePki(dir);
  const expected = createHash('sha256').update(Buffer.from(Uint8Array.from({ length: mib << 20 }, (_, i) => i & 0xff))).digest('hex');
  sh('ip', ['netns', 'add', NS]);
  const servers: { strategy: string; port: number; proc: ChildProcess; out: () => string }[] = [];
  try {
    sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    for (const [i, strategy] of strategies.entries()) {
      const port = 1194 + i;
      const proc = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', 'harness/cli/serve.ts', 'vpn', '--tls', '--ca', join(dir, 'ca.pem'), '--cert', join(dir, 'server.pem'), '--key', join(dir, 'server.key'), '--port', String(port), '--strategy', strategy], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      servers.push({ strategy, port, proc, out: () => out });
    }
    for (const s of servers) if (!(await waitFor(() => s.out().includes('OpenVPN TLS server'), 30_000))) throw new Error(`server ${s.strategy} did not start: ${s.out()}`);
    const results = new Map<string, { mibPerS: number[]; cpuMsPerMiB: number[] }>(strategies.map((s) => [s, { mibPerS: [], cpuMsPerMiB: [] }]));
    for (let r = 0; r < rounds; r++) {
      const order = [...servers].sort(() => Math.random() - 0.5);
      for (const s of order) {
        const log = join(dir, `client-${s.strategy}-${r}.log`);
        const conf = join(dir, 'client.ovpn');
        writeFileSync(conf, ['client', 'dev tun', 'proto udp', `remote 127.0.0.1 ${s.port}`, `ca ${join(dir, 'ca.pem')}`, `cert ${join(dir, 'client.pem')}`, `key ${join(dir, 'client.key')}`, `data-ciphers ${cipher}`, 'nobind', 'tls-version-min 1.3', 'verb 3', `log ${log}`, ''].join('\n'));
        writeFileSync(log, '');
        const client = spawn('ip', ['netns', 'exec', NS, 'openvpn', '--config', conf], { stdio: 'ignore' });
        try {
          if (!(await waitFor(() => readFileSync(log, 'latin1').includes('Initialization Sequence Completed'), 30_000))) throw new Error(`client did not connect to ${s.strategy}: ${readFileSync(log, 'latin1')}`);
          const cpu0 = cpuSeconds(s.proc.pid!);
          const t0 = performance.now();
          const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '300', `http://10.8.0.1/bytes/${mib << 20}`], { maxBuffer: (mib << 20) + 1024 });
          const seconds = (performance.now() - t0) / 1000;
          const cpu = cpuSeconds(s.proc.pid!) - cpu0;
          if (createHash('sha256').update(body).digest('hex') !== expected) throw new Error(`${s.strategy}: wrong sha256 of the body`);
          const res = results.get(s.strategy)!;
          res.mibPerS.push(mib / seconds);
          res.cpuMsPerMiB.push((cpu * 1000) / mib);
          console.log(`round ${r + 1} ${s.strategy}: ${(mib / seconds).toFixed(1)} MiB/s, server CPU ${((cpu * 1000) / mib).toFixed(1)} ms/MiB`);
        } finally {
          await stop(client);
        }
      }
    }
    console.log(`\n${cipher}, ${mib} MiB per curl, ${rounds} interleaved rounds (medians):`);
    console.log('| strategy | MiB/s | server CPU ms/MiB |\n| --- | --- | --- |');
    for (const [s, v] of results) console.log(`| ${s} | ${median(v.mibPerS).toFixed(1)} | ${median(v.cpuMsPerMiB).toFixed(1)} |`);
  } finally {
    for (const s of servers) await stop(s.proc);
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
