/**
 * `npx tsx scripts/bench-vpn-tunnel.ts [--rounds 3] [--mib 50] [--cipher AES-256-GCM]
 * [--strategy a,b] [--allocator glibc,jemalloc] [--crypto node,native] [--udp native,dgram]
 * [--tcp-send-buffer 65536,1048576] [--no-anchor]
 * [--baseline-tree DIR]` (root): tunnel
 * throughput of `npm run serve -- vpn --tls` through the real openvpn 2.6 client and a tun device,
 * per buffer strategy, native allocator, crypto backend (`--crypto`, default both) and send path
 * (`--udp`, default native: sendto(2) from the strategy's buffer; dgram: node's dgram.send) and the
 * host's TCP send buffer (`--tcp-send-buffer`, default serve's), side by side with openvpn's own
 * server (the anchor), in network namespaces made (and removed) here. Our servers run compiled
 * JavaScript (`dist/`, rebuilt here when stale), as the benchmark's children do, not tsx.
 *
 * - Namespace S holds every server and the client (`remote 127.0.0.1 PORT`, the stock config).
 *   Ours: one `serve -- vpn --tls` per strategy × allocator (LD_PRELOAD on the serve process,
 *   checked in /proc/PID/maps), each hosting 10.8.0.1 on our own stack.
 * - The anchor: `openvpn --server` (TLS 1.3, same certificates and ciphers, DCO off) on a tun
 *   device that is moved, once openvpn holds it, into namespace H, where 10.8.0.1 is configured
 *   and a node:http server answers the same `GET /bytes/N` — "an HTTP server behind its tun in a
 *   second namespace". (Its TCP is the kernel's; ours is the project's, in the serve process.)
 * - `--baseline-tree DIR` (a checkout of another commit, e.g. `git worktree add --detach DIR main`
 *   with its node_modules and addon): each of our servers runs a second time from DIR, labelled
 *   `…@baseline`, in the same rounds: before/after of a change, interleaved, beside the anchor.
 * - Each round visits every server in a fresh random order (interleaved rounds, so drift spreads
 *   evenly): start the client, `curl` N MiB from 10.8.0.1 (sha256 checked), stop the client.
 *
 * Reported per server: median MiB/s, median server CPU ms per MiB (time on CPU of the server
 * process's threads, /proc/PID/task/TID/schedstat summed; for the anchor the openvpn process alone — its TCP and HTTP run in
 * the kernel and a separate process), and the median (and range) of the within-round ratios ours /
 * openvpn of throughput and of server CPU per MiB (the steadier of the two on a loaded machine).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../harness/child/protocol.js';
import { ensureBuilt } from '../harness/profile/dist-build.js';
import { bootstrapInterval, checkedSamples } from '../harness/stats/bootstrap.js';
import { median } from '../harness/stats/sample-stats.js';
import { allocatorPath, isAllocatorName, preloadEnv } from '../allocators/native-allocators.js';
import { resolveBaselineTree } from './baseline-tree.js';

const NS = `buflab-vpnbench-${process.pid}`;
const NS_HTTP = `buflab-vpnbench-http-${process.pid}`;
const ANCHOR = 'openvpn';
/** The anchor's HTTP server: the same GET /bytes/N as ours (byte i = i mod 256), on node:http. */
const ANCHOR_HTTP = `const pat = Buffer.from(Uint8Array.from({ length: 65536 }, (_, i) => i & 0xff));
require('node:http').createServer((req, res) => {
  const m = /^\\/bytes\\/(\\d+)$/.exec(req.url);
  if (!m) { res.writeHead(404); res.end(); return; }
  let left = Number(m[1]);
  res.writeHead(200, { 'Content-Length': left });
  const pump = () => { while (left > 0) { const n = Math.min(left, 65536); left -= n; if (!res.write(pat.subarray(0, n))) { res.once('drain', pump); return; } } res.end(); };
  pump();
}).listen(80, '10.8.0.1', () => console.log('http up'));`;
const CLK_TCK = 100;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const rounds = Number(flag('--rounds', '3'));
const mib = Number(flag('--mib', '50'));
const cipher = flag('--cipher', 'AES-256-GCM');
const strategies = flag('--strategy', 'uint8array,pooled,one-big-struct').split(',');
const allocators = flag('--allocator', 'glibc').split(',');
// Each serve process is told its backend explicitly: serve's own default depends on the addon being built.
const cryptos = flag('--crypto', 'node,native').split(',');
for (const c of cryptos) if (c !== 'node' && c !== 'native') throw new Error(`--crypto ${c}: use node and/or native`);
// Likewise the send path (workloads/vpn/native-udp.ts), told explicitly to each serve process.
const udps = flag('--udp', 'native').split(',');
for (const u of udps) if (u !== 'native' && u !== 'dgram') throw new Error(`--udp ${u}: use native and/or dgram`);
// The tunnel host's TCP send buffer (serve's --tcp-send-buffer), bytes; '' = serve's default.
const tcpSendBuffers = flag('--tcp-send-buffer', '').split(',');
for (const b of tcpSendBuffers) if (b !== '' && !/^\d+$/.test(b)) throw new Error(`--tcp-send-buffer ${b}: use byte counts, e.g. 65536,1048576`);
const anchor = !process.argv.includes('--no-anchor');
// '' when absent; an absolute path checked to hold the serve entry point otherwise.
const baselineTree = resolveBaselineTree('bench-vpn-tunnel', flag('--baseline-tree', ''), join('harness', 'cli', 'serve.ts')) ?? '';
for (const a of allocators) if (!isAllocatorName(a)) throw new Error(`--allocator ${a}: use glibc, jemalloc, tcmalloc or mimalloc`);

/** The compiled serve entry point of the checkout at `root`, built first when dist/ is stale. */
function compiledServe(root: string): string {
  const entry = join(root, 'dist', 'harness', 'cli', 'serve.js');
  const outcome = ensureBuilt(root, [entry], (line) => console.log(`${root}: ${line}`));
  if (outcome.diagnostics !== null) console.log(`${root}: tsc reported (the build still emitted):\n${outcome.diagnostics}`);
  return entry;
}

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

/**
 * The namespace's UDP receive drops (/proc/net/snmp `Udp: RcvbufErrors`, per network namespace):
 * datagrams the kernel dropped because a socket's receive buffer was full — in a run, the client
 * openvpn's socket falling behind the server's bursts. TCP inside the tunnel sees them as losses.
 */
function udpReceiveDrops(ns: string): number {
  const lines = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const at = names.indexOf('RcvbufErrors');
  if (at < 0 || values[at] === undefined) throw new Error(`no Udp RcvbufErrors in ${ns}'s /proc/net/snmp`);
  return Number(values[at]);
}

function cpuSeconds(pid: number): number {
  // The first field of /proc/PID/task/TID/schedstat is the thread's time on CPU in ns (user +
  // system): summed over the threads, it resolves what utime + stime of /proc/PID/stat count in
  // 10 ms ticks (±5% of a 30 MiB curl's 200 ms). Threads that exited are lost; the fallback is stat.
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
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
  sh('ip', ['netns', 'add', NS_HTTP]);
  const servers: { strategy: string; port: number; proc: ChildProcess; out: () => string }[] = [];
  const helpers: ChildProcess[] = [];
  const start = (ns: string, cmd: string, args: string[], env: Record<string, string> = {}): { proc: ChildProcess; out: () => string } => {
    const proc = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { proc, out: () => out };
  };
  try {
    sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    let port = 1194;
    for (const tree of baselineTree === '' ? [''] : ['', baselineTree]) for (const strategy of strategies) {
      // A baseline tree may predate --udp: it runs once, with its own send path.
      for (const allocator of allocators) for (const crypto of cryptos) for (const udp of tree === '' ? udps : ['']) for (const sendBuffer of tree === '' ? tcpSendBuffers : ['']) {
        const name = [strategy, ...(allocators.length > 1 ? [allocator] : []), ...(cryptos.length > 1 ? [crypto] : []), ...(udps.length > 1 && udp !== '' ? [udp] : []), ...(tcpSendBuffers.length > 1 && sendBuffer !== '' ? [`tcp${sendBuffer}`] : [])].join('/') + (tree === '' ? '' : '@baseline');
        const env = isAllocatorName(allocator) ? preloadEnv(allocator, allocatorPath(allocator)) : {};
        const p = start(NS, process.execPath, [compiledServe(tree === '' ? REPO_ROOT : resolve(tree)), 'vpn', '--tls', '--ca', join(dir, 'ca.pem'), '--cert', join(dir, 'server.pem'), '--key', join(dir, 'server.key'), '--port', String(port), '--strategy', strategy, '--crypto', crypto, ...(udp === '' ? [] : ['--udp', udp]), ...(sendBuffer === '' ? [] : ['--tcp-send-buffer', sendBuffer])], env);
        servers.push({ strategy: name, port: port++, ...p });
        if (env.LD_PRELOAD !== undefined) {
          await waitFor(() => p.out().includes('OpenVPN TLS server'), 30_000);
          // The allocator axis is real only if the library is mapped into the serve process.
          if (!readFileSync(`/proc/${p.proc.pid!}/maps`, 'latin1').includes(env.LD_PRELOAD)) throw new Error(`${name}: ${env.LD_PRELOAD} is not mapped into the serve process`);
        }
      }
    }
    if (anchor) {
      // The anchor's tun is created here, opened by openvpn in S, then moved to H (see the module comment).
      sh('ip', ['netns', 'exec', NS_HTTP, 'ip', 'link', 'set', 'lo', 'up']);
      sh('ip', ['netns', 'exec', NS, 'ip', 'tuntap', 'add', 'dev', 'tunanchor', 'mode', 'tun']);
      writeFileSync(join(dir, 'server.conf'), ['dev tunanchor', 'dev-type tun', 'proto udp', 'local 127.0.0.1', `port ${port}`, 'topology subnet', 'server 10.8.0.0 255.255.255.0', `ca ${join(dir, 'ca.pem')}`, `cert ${join(dir, 'server.pem')}`, `key ${join(dir, 'server.key')}`, 'dh none', 'tls-version-min 1.3', 'data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305', 'ifconfig-noexec', 'route-noexec', 'disable-dco', 'keepalive 10 60', 'verb 3', ''].join('\n'));
      const p = start(NS, 'openvpn', ['--config', join(dir, 'server.conf')]);
      servers.push({ strategy: ANCHOR, port: port++, ...p });
      if (!(await waitFor(() => p.out().includes('Initialization Sequence Completed'), 30_000))) throw new Error(`openvpn server did not start: ${p.out()}`);
      sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'tunanchor', 'netns', NS_HTTP]);
      sh('ip', ['netns', 'exec', NS_HTTP, 'ip', 'addr', 'add', '10.8.0.1/24', 'dev', 'tunanchor']);
      sh('ip', ['netns', 'exec', NS_HTTP, 'ip', 'link', 'set', 'tunanchor', 'up']);
      const http = start(NS_HTTP, process.execPath, ['-e', ANCHOR_HTTP]);
      helpers.push(http.proc);
      if (!(await waitFor(() => http.out().includes('http up'), 10_000))) throw new Error(`anchor http server did not start: ${http.out()}`);
    }
    for (const s of servers) if (s.strategy !== ANCHOR && !(await waitFor(() => s.out().includes('OpenVPN TLS server'), 30_000))) throw new Error(`server ${s.strategy} did not start: ${s.out()}`);
    const results = new Map<string, { mibPerS: number[]; cpuMsPerMiB: number[]; ratio: number[]; cpuRatio: number[] }>(servers.map((s) => [s.strategy, { mibPerS: [], cpuMsPerMiB: [], ratio: [], cpuRatio: [] }]));
    for (let r = 0; r < rounds; r++) {
      const order = [...servers].sort(() => Math.random() - 0.5);
      for (const s of order) {
        const log = join(dir, `client-${s.strategy.replaceAll('/', '-')}-${r}.log`);
        const conf = join(dir, 'client.ovpn');
        writeFileSync(conf, ['client', 'dev tun', 'proto udp', `remote 127.0.0.1 ${s.port}`, `ca ${join(dir, 'ca.pem')}`, `cert ${join(dir, 'client.pem')}`, `key ${join(dir, 'client.key')}`, `data-ciphers ${cipher}`, 'nobind', 'tls-version-min 1.3', 'verb 3', `log ${log}`, ''].join('\n'));
        writeFileSync(log, '');
        const client = spawn('ip', ['netns', 'exec', NS, 'openvpn', '--config', conf], { stdio: 'ignore' });
        try {
          if (!(await waitFor(() => readFileSync(log, 'latin1').includes('Initialization Sequence Completed'), 30_000))) {
            const died = s.proc.exitCode !== null || s.proc.signalCode !== null ? `the server exited (${s.proc.exitCode ?? s.proc.signalCode}); its last output:\n${s.out().split('\n').slice(-15).join('\n')}\n` : '';
            throw new Error(`client did not connect to ${s.strategy}: ${died}client log:\n${readFileSync(log, 'latin1')}`);
          }
          const cpu0 = cpuSeconds(s.proc.pid!);
          const drops0 = udpReceiveDrops(NS);
          const t0 = performance.now();
          const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '300', `http://10.8.0.1/bytes/${mib << 20}`], { maxBuffer: (mib << 20) + 1024 });
          const seconds = (performance.now() - t0) / 1000;
          const cpu = cpuSeconds(s.proc.pid!) - cpu0;
          const drops = udpReceiveDrops(NS) - drops0;
          if (createHash('sha256').update(body).digest('hex') !== expected) throw new Error(`${s.strategy}: wrong sha256 of the body`);
          const res = results.get(s.strategy)!;
          res.mibPerS.push(mib / seconds);
          res.cpuMsPerMiB.push((cpu * 1000) / mib);
          console.log(`round ${r + 1} ${s.strategy}: ${(mib / seconds).toFixed(1)} MiB/s, server CPU ${((cpu * 1000) / mib).toFixed(1)} ms/MiB, UDP receive-buffer drops ${drops}`);
        } finally {
          await stop(client);
        }
      }
      // Within-round ratios against the anchor (paired: same round, same machine state).
      const a = results.get(ANCHOR);
      if (a !== undefined && a.mibPerS.length === r + 1) {
        for (const [, v] of results) {
          v.ratio.push(v.mibPerS[r]! / a.mibPerS[r]!);
          v.cpuRatio.push(v.cpuMsPerMiB[r]! / a.cpuMsPerMiB[r]!);
        }
      }
    }
    console.log(`\n${cipher}, ${mib} MiB per curl, ${rounds} interleaved rounds (medians):`);
    console.log(`| server | MiB/s | server CPU ms/MiB |${anchor ? ' MiB/s vs openvpn (within-round ratio: median (95% CI) [min–max]) | CPU per MiB vs openvpn (likewise) |' : ''}\n| --- | --- | --- |${anchor ? ' --- | --- |' : ''}`);
    // The median within-round ratio with its percentile-bootstrap 95% interval over rounds (the
    // rounds are the independent pairs, as in compare's paired design), then the range of the rounds.
    const pct = (xs: number[]): string => {
      const [lo, hi] = bootstrapInterval(checkedSamples(xs, 'within-round ratios'), median);
      return `${(100 * median(xs)).toFixed(0)}% (95% CI ${(100 * lo).toFixed(0)}–${(100 * hi).toFixed(0)}%) [${(100 * Math.min(...xs)).toFixed(0)}–${(100 * Math.max(...xs)).toFixed(0)}%]`;
    };
    for (const [s, v] of results) console.log(`| ${s} | ${median(v.mibPerS).toFixed(1)} | ${median(v.cpuMsPerMiB).toFixed(1)} |${anchor ? ` ${pct(v.ratio)} | ${pct(v.cpuRatio)} |` : ''}`);
    if (baselineTree !== '') {
      // After / before of the same server, paired by round like the anchor ratios.
      console.log(`\nthis tree / ${baselineTree}, within-round ratios (median (95% CI) [min–max]):\n| server | MiB/s | server CPU ms/MiB |\n| --- | --- | --- |`);
      for (const [s, v] of results) {
        const b = results.get(`${s}@baseline`) ?? results.get(`${s.replace(/\/(native|dgram|tcp\d+)(?=\/|$)/g, '')}@baseline`);
        if (b === undefined) continue;
        console.log(`| ${s} | ${pct(v.mibPerS.map((x, r) => x / b.mibPerS[r]!))} | ${pct(v.cpuMsPerMiB.map((x, r) => x / b.cpuMsPerMiB[r]!))} |`);
      }
    }
  } finally {
    for (const s of servers) await stop(s.proc);
    // Our servers' TCP over the whole run, from the status line each prints on exit (loss recovery
    // shows here: a retransmission timeout idles the tunnel for at least 200 ms).
    for (const s of servers) {
      const tcp = [...s.out().matchAll(/tcp segments out [^;]*/g)].at(-1)?.[0];
      if (tcp !== undefined) console.log(`${s.strategy}: ${tcp}`);
    }
    for (const h of helpers) await stop(h);
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', NS_HTTP], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
