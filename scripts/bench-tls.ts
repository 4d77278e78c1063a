/**
 * `npx tsx scripts/bench-tls.ts [--mb 64] [--seconds 1] [--rounds 3] [--strategy pooled]`: our TLS proxy
 * (workloads/tls-proxy/serve.ts: our TLS 1.3 stack over node:net sockets) beside a node:tls proxy
 * doing the same job, on loopback TCP:
 *
 *  1. bulk: a node:tls client sends `--mb` MiB through the proxy to an echo backend and reads it all
 *     back (MiB/s of payload each way);
 *  2. handshakes/s: sequential node:tls connections (TCP + TLS 1.3 handshake, one byte echoed,
 *     close) for `--seconds`.
 *
 * The client, backend, certificate (the committed test-only P-256 one) and cipher suite
 * (TLS_AES_128_GCM_SHA256, X25519) are the same for both proxies, so the difference is the proxy.
 * Everything runs in one process: a quick look, not a paper figure. Rounds alternate which proxy
 * goes first; medians are printed, with the process CPU time per MiB beside the wall-clock rate
 * (client and backend are the same for both proxies, so on a loaded machine the CPU-time ratio is
 * the steadier signal). Prints a table, the target line and one JSON line.
 */
import { createConnection, createServer as createNetServer, type Server } from 'node:net';
import { loadavg } from 'node:os';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { startTlsProxy } from '../workloads/tls-proxy/serve.js';
import { TEST_CA_PEM, TEST_SERVER_PEM, testCredentials } from '../workloads/tls-proxy/test-pki.js';
import { median } from '../harness/stats/sample-stats.js';

const CERT = TEST_SERVER_PEM.ec.cert;
const KEY = TEST_SERVER_PEM.ec.key;
const CA = TEST_CA_PEM;

function args(): { mb: number; seconds: number; strategy: string; rounds: number } {
  const o = { mb: 64, seconds: 1, strategy: 'pooled', rounds: 3 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const v = a[i + 1];
    if (a[i] === '--help') {
      console.log('usage: npx tsx scripts/bench-tls.ts [--mb 64] [--seconds 1] [--rounds 3] [--strategy pooled]');
      process.exit(0);
    }
    if (v === undefined) throw new Error(`${a[i]} needs a value`);
    if (a[i] === '--mb') o.mb = Number(v);
    else if (a[i] === '--seconds') o.seconds = Number(v);
    else if (a[i] === '--strategy') o.strategy = v;
    else if (a[i] === '--rounds') o.rounds = Number(v);
    else throw new Error(`unknown flag ${a[i]}; see --help`);
    i++;
  }
  return o;
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

function connectClient(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: CA, servername: 'localhost', minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/**
 * Sends `bytes` and reads as many back; resolves with the elapsed ms and the process CPU ms
 * (user + system) spent meanwhile: client, proxy and backend all run in this process, so the CPU
 * time is the load-independent figure (the client and backend are the same for both proxies).
 */
async function bulk(port: number, bytes: number): Promise<{ ms: number; cpuMs: number }> {
  const s = await connectClient(port);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let got = 0;
  const done = new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes) resolve();
    }),
  );
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  await done;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  s.destroy();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function handshakes(port: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const s = await connectClient(port);
    await new Promise<void>((resolve) => {
      s.once('data', () => resolve());
      s.write('x');
    });
    s.destroy();
    n++;
  }
  return n / seconds;
}

async function main(): Promise<void> {
  const o = args();
  // Nagle off on every socket of both set-ups (our proxy does the same), so small echoes are not
  // held back by the delayed-ACK interplay on loopback.
  const backend = createNetServer({ noDelay: true }, (c) => {
    c.pipe(c);
    c.on('error', () => c.destroy()); // clients are destroyed mid-stream at the end of each run
  });
  const backendPort = await listen(backend);
  const ours = await startTlsProxy({ port: 0, backendHost: '127.0.0.1', backendPort, credentials: testCredentials('ec'), strategy: o.strategy, cipherSuites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], alpn: [], recordBytes: 16384 });
  const nodeProxy = createTlsServer({ cert: CERT, key: KEY, minVersion: 'TLSv1.3', noDelay: true }, (c) => {
    const b = createConnection({ host: '127.0.0.1', port: backendPort, noDelay: true });
    c.pipe(b).pipe(c);
    c.on('error', () => b.destroy());
    b.on('error', () => c.destroy());
  });
  const nodePort = await listen(nodeProxy);
  const bytes = o.mb * 1024 * 1024;
  const proxies = [
    ['node:tls proxy', nodePort],
    [`our proxy (${o.strategy})`, ours.port],
  ] as const;
  const runs = new Map<string, { mibps: number[]; cpuMsPerMiB: number[]; hs: number[] }>(proxies.map(([n]) => [n, { mibps: [], cpuMsPerMiB: [], hs: [] }]));
  for (const [, port] of proxies) await bulk(port, Math.min(bytes, 1 << 20)); // warm-up
  for (let r = 0; r < o.rounds; r++) {
    // Alternate which proxy goes first, so that neither always runs right after the other.
    const order = r % 2 === 0 ? proxies : [...proxies].reverse();
    for (const [name, port] of order) {
      const { ms, cpuMs } = await bulk(port, bytes);
      const hs = await handshakes(port, o.seconds);
      const acc = runs.get(name)!;
      acc.mibps.push(o.mb / (ms / 1000));
      acc.cpuMsPerMiB.push(cpuMs / o.mb);
      acc.hs.push(hs);
    }
  }
  const rows: Record<string, { bulkMiBps: number; cpuMsPerMiB: number; handshakesPerSec: number }> = {};
  for (const [name, acc] of runs) rows[name] = { bulkMiBps: median(acc.mibps), cpuMsPerMiB: median(acc.cpuMsPerMiB), handshakesPerSec: median(acc.hs) };
  console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; medians of ${o.rounds} rounds`);
  console.log(`| proxy | bulk MiB/s (each way, ${o.mb} MiB) | process CPU ms per MiB | handshakes/s |\n| --- | --- | --- | --- |`);
  for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v.bulkMiBps.toFixed(1)} | ${v.cpuMsPerMiB.toFixed(2)} | ${v.handshakesPerSec.toFixed(0)} |`);
  const [nodeRow, ourRow] = proxies.map(([n]) => rows[n]!) as [(typeof rows)[string], (typeof rows)[string]];
  const wall = ourRow.bulkMiBps / nodeRow.bulkMiBps;
  const cpu = nodeRow.cpuMsPerMiB / ourRow.cpuMsPerMiB;
  console.log(`target: our bulk / node:tls bulk = ${(wall * 100).toFixed(1)} % (target >= 70 %): ${wall >= 0.7 ? 'met' : 'NOT met'}; by process CPU time ${(cpu * 100).toFixed(1)} %`);
  console.log(JSON.stringify({ bench: 'tls', mb: o.mb, seconds: o.seconds, rounds: o.rounds, loadavg: loadavg(), rows }));
  await ours.close();
  nodeProxy.close();
  backend.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
