/**
 * `npm run soak -- [--dns-seconds 60] [--strategy one-big-struct] [--idle-tls 1000] [--idle-timeout-ms 20000]
 * [--download-mib 64] [--out FILE]`: the long soak of issue 16 (minutes; not in CI — the bounded
 * versions are test/workloads/{dns,tls-proxy}/serve-soak.test.ts). Writes the figures to a JSON
 * file and prints a markdown summary:
 *
 * 1. DNS: dnsperf at its maximum rate for `--dns-seconds` against `npm run serve -- dns` and then,
 *    same zone, same queries, against Knot (one UDP worker), each a process of its own. Figures:
 *    queries/s, lost, dnsperf's average and max latency, p50/p99 latency seen by a light probe (50
 *    queries/s from a socket of its own, beside dnsperf: dnsperf 2.10 prints no percentiles),
 *    the server's RSS every second, and our drops by reason from the status line.
 * 2. TLS: `npm run serve -- tls` in front of an HTTP backend; `--idle-tls` connections complete a
 *    handshake and go silent (scripts/soak/idle-clients.ts); while they are held, curl downloads
 *    `--download-mib` MiB through the proxy. Figures: the download's time and size, how and when
 *    the idle ones were closed, the proxy's counters and RSS every second.
 *
 * Every child is stopped by its pid. Absolute numbers depend on the machine: say which one it was.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { makeSelfSigned } from '../workloads/tls-proxy/serve.js';
import { generateQueryMix, generateZoneText, GENERATED_ORIGIN, toQueryFile } from '../workloads/dns/zone-generator.js';
import type { IdleReport } from './soak/idle-clients.js';
import { parseDnsperf, rssBytesOf, spawnWithOpenFiles, startServe, writeKnotConfig, type DnsperfFigures } from './soak/soak-lib.js';

const run = promisify(execFile);

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}
function intArg(name: string, dflt: number): number {
  const v = Number(arg(name, String(dflt)));
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer`);
  return v;
}

const DNS_SECONDS = intArg('dns-seconds', 60);
const STRATEGY = arg('strategy', 'one-big-struct');
const IDLE_TLS = intArg('idle-tls', 1000);
const IDLE_TIMEOUT_MS = intArg('idle-timeout-ms', 20_000);
const DOWNLOAD_MIB = intArg('download-mib', 64);
const OUT = arg('out', join('soak-results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
const KNOT_PORT = 15_399;

interface RssSample {
  atS: number;
  rssBytes: number;
}

/** Samples `pid`'s RSS every second until the returned function is called. */
function sampleRss(pid: number): () => RssSample[] {
  const t0 = performance.now();
  const samples: RssSample[] = [{ atS: 0, rssBytes: rssBytesOf(pid) }];
  const timer = setInterval(() => samples.push({ atS: Math.round((performance.now() - t0) / 1000), rssBytes: rssBytesOf(pid) }), 1000);
  return () => {
    clearInterval(timer);
    return samples;
  };
}

interface ProbeFigures {
  sent: number;
  answered: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * A light latency probe: one query for `name` every 20 ms from a socket of its own, each timed
 * from its send; a query unanswered after 2 s is lost. Stops when the returned function is called.
 */
function startProbe(port: number, name: string): () => Promise<ProbeFigures> {
  const sock = createSocket('udp4');
  const sentAt = new Float64Array(65_536).fill(-1);
  const latencies: number[] = [];
  let sent = 0;
  const q = dnsQuery(name);
  sock.on('message', (m) => {
    const id = (m[0]! << 8) | m[1]!;
    if (sentAt[id]! >= 0) {
      latencies.push(performance.now() - sentAt[id]!);
      sentAt[id] = -1;
    }
  });
  const timer = setInterval(() => {
    const id = sent++ & 0xffff;
    q[0] = id >>> 8;
    q[1] = id & 0xff;
    sentAt[id] = performance.now();
    sock.send(q, port, '127.0.0.1');
  }, 20);
  return async () => {
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 2000));
    sock.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    return { sent, answered: latencies.length, p50Ms: pct(50), p99Ms: pct(99) };
  };
}

/** A minimal A query for `name` (RFC 1035 §4.1): header with RD clear, one question. */
function dnsQuery(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

interface DnsRun {
  server: string;
  dnsperf: DnsperfFigures;
  probe: ProbeFigures;
  rss: RssSample[];
  /** RSS at the end over RSS after the first 10 s. */
  rssEndOverAfter10s: number;
  drops: Record<string, number> | null;
}

async function dnsperf(port: number, queryFile: string): Promise<DnsperfFigures> {
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(DNS_SECONDS), '-t', '2'], { timeout: (DNS_SECONDS + 60) * 1000 });
  return parseDnsperf(stdout);
}

function rssRatio(rss: RssSample[]): number {
  const after10 = rss.find((s) => s.atS >= 10) ?? rss[0]!;
  return rss[rss.length - 1]!.rssBytes / after10.rssBytes;
}

async function soakDns(dir: string): Promise<DnsRun[]> {
  const zoneFile = join(dir, 'soak.zone');
  const queryFile = join(dir, 'queries.txt');
  writeFileSync(zoneFile, generateZoneText(11, { hosts: 5000 }));
  writeFileSync(queryFile, toQueryFile(generateQueryMix(11, 'mixed', 50_000, { hosts: 5000 })));
  const probeName = `h1.${GENERATED_ORIGIN}`;
  const runs: DnsRun[] = [];
  console.error(`dns: ${DNS_SECONDS} s of dnsperf at maximum rate against serve dns (${STRATEGY})`);
  const ours = await startServe('dns', ['--zone', zoneFile, '--port', '0', '--strategy', STRATEGY, '--status-seconds', '5']);
  try {
    const stopRss = sampleRss(ours.pid);
    const stopProbe = startProbe(ours.port, probeName);
    const f = await dnsperf(ours.port, queryFile);
    const probe = await stopProbe();
    const rss = stopRss();
    const status = await ours.stop();
    const drops = Object.fromEntries(['sendQueueFull', 'strategyExhausted', 'rateLimited', 'sendErrors'].map((k) => [k, status[k] ?? NaN]));
    runs.push({ server: `buflab serve dns (${STRATEGY})`, dnsperf: f, probe, rss, rssEndOverAfter10s: rssRatio(rss), drops });
  } finally {
    await ours.stop();
  }
  const knotd = await hasProgram('knotd');
  if (!knotd) {
    console.error('dns: knotd not found (Debian package knot): the Knot comparison is left out');
    return runs;
  }
  console.error(`dns: the same against Knot (1 udp worker)`);
  const knot: ChildProcess = spawn('knotd', ['-c', writeKnotConfig(dir, KNOT_PORT, GENERATED_ORIGIN, 'soak.zone')], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await waitForAnswer(KNOT_PORT, probeName);
    const stopRss = sampleRss(knot.pid!);
    const stopProbe = startProbe(KNOT_PORT, probeName);
    const f = await dnsperf(KNOT_PORT, queryFile);
    const probe = await stopProbe();
    const rss = stopRss();
    runs.push({ server: 'knot (1 udp worker)', dnsperf: f, probe, rss, rssEndOverAfter10s: rssRatio(rss), drops: null });
  } finally {
    const exited = new Promise((r) => knot.once('exit', r));
    knot.kill('SIGTERM');
    await exited;
  }
  return runs;
}

async function hasProgram(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    // `command -v` exits non-zero when the program is absent: that is the answer.
    return false;
  }
}

async function waitForAnswer(port: number, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(port), '+retry=0', '+time=1', name, 'A'], { timeout: 3000 });
      if (/status: NOERROR/.test(stdout)) return;
    } catch {
      // Not answering yet: poll again (bounded by the loop).
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing answers on 127.0.0.1:${port} after 20 s`);
}

interface TlsRun {
  idleTls: number;
  idleTimeoutMs: number;
  idle: IdleReport;
  download: { httpCode: number; bytes: number; seconds: number };
  proxy: Record<string, number>;
  rss: RssSample[];
  /** Proxy RSS before the idle connections and once they were all open (before the download). */
  rssBeforeIdleBytes: number;
  rssIdleOpenBytes: number;
}

async function soakTls(): Promise<TlsRun> {
  const bigBytes = DOWNLOAD_MIB * 1024 * 1024;
  const big = Buffer.alloc(bigBytes, 0x61);
  const backend = createServer((req, res) => {
    res.writeHead(200, { 'content-length': req.url === '/big' ? bigBytes : 6 });
    res.end(req.url === '/big' ? big : 'hello\n');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const { certFile, keyFile } = makeSelfSigned();
  console.error(`tls: ${IDLE_TLS} idle TLS connections (idle timeout ${IDLE_TIMEOUT_MS} ms) beside a ${DOWNLOAD_MIB} MiB download`);
  const proxy = await startServe('tls', [
    '--port', '0', '--backend', `127.0.0.1:${(backend.address() as { port: number }).port}`, '--cert', certFile, '--key', keyFile,
    '--idle-timeout-ms', String(IDLE_TIMEOUT_MS), '--status-seconds', '1',
  ]);
  try {
    const stopRss = sampleRss(proxy.pid);
    const rssBeforeIdleBytes = rssBytesOf(proxy.pid);
    const idle = spawnWithOpenFiles(process.execPath, ['--import', 'tsx', 'scripts/soak/idle-clients.ts', '--port', String(proxy.port), '--tls', String(IDLE_TLS), '--hold-ms', String(IDLE_TIMEOUT_MS + 30_000)]);
    let out = '';
    idle.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => idle.once('exit', (code) => r(code)));
    while (!/opened raw=\d+ tls=\d+/.test(out)) {
      if (idle.exitCode !== null) throw new Error(`idle clients exited early: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rssIdleOpenBytes = rssBytesOf(proxy.pid);
    console.error(`tls: ${out.trim()}; downloading`);
    const { stdout } = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', '--max-time', '120', `https://127.0.0.1:${proxy.port}/big`]);
    const [code, bytes, seconds] = stdout.split(' ').map(Number);
    if ((await exited) !== 0) throw new Error(`idle clients failed: ${out}`);
    // Let the RSS settle a few seconds after the idle connections closed.
    await new Promise((r) => setTimeout(r, 3000));
    const rss = stopRss();
    return { idleTls: IDLE_TLS, idleTimeoutMs: IDLE_TIMEOUT_MS, idle: JSON.parse(out.trim().split('\n').pop()!) as IdleReport, download: { httpCode: code!, bytes: bytes!, seconds: seconds! }, proxy: await proxy.stop(), rss, rssBeforeIdleBytes, rssIdleOpenBytes };
  } finally {
    await proxy.stop();
    backend.close();
    rmSync(dirname(certFile), { recursive: true, force: true });
  }
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

function summary(dns: DnsRun[], tls: TlsRun, env: Record<string, string>): string {
  const lines = [`Soak, ${env.when}, ${env.machine}`, '', `dnsperf at maximum rate, ${DNS_SECONDS} s, 127.0.0.1:`, ''];
  lines.push('| server | queries/s | sent | lost | probe p50 / p99 (ms) | RSS after 10 s → end (MiB) | drops by reason |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of dns) {
    const after10 = r.rss.find((s) => s.atS >= 10) ?? r.rss[0]!;
    const drops = r.drops === null ? 'n/a' : Object.entries(r.drops).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(
      `| ${r.server} | ${r.dnsperf.qps.toFixed(0)} | ${r.dnsperf.sent} | ${r.dnsperf.lost} (${((100 * r.dnsperf.lost) / r.dnsperf.sent).toFixed(4)} %) | ${r.probe.p50Ms.toFixed(2)} / ${r.probe.p99Ms.toFixed(2)} | ${mib(after10.rssBytes)} → ${mib(r.rss[r.rss.length - 1]!.rssBytes)} (${(100 * (r.rssEndOverAfter10s - 1)).toFixed(1)} %) | ${drops} |`,
    );
  }
  const rssPeak = Math.max(...tls.rss.map((s) => s.rssBytes));
  lines.push(
    '',
    `serve tls, ${tls.idleTls} idle TLS connections (handshake done, then silent; idle timeout ${tls.idleTimeoutMs} ms) beside a curl download:`,
    '',
    `- download: HTTP ${tls.download.httpCode}, ${mib(tls.download.bytes)} MiB in ${tls.download.seconds.toFixed(2)} s`,
    `- idle: ${tls.idle.tls.opened} opened, ${tls.idle.tls.failed} failed, ${tls.idle.tls.closedByServer} closed by the proxy (median ${tls.idle.tls.closeMsP50} ms, max ${tls.idle.tls.closeMsMax} ms after opening), ${tls.idle.tls.stillOpen} still open`,
    `- proxy counters: ${['connections', 'handshakes', 'idleTimeouts', 'handshakeTimeouts', 'refusedMaxConnections', 'backpressurePauses'].map((k) => `${k} ${tls.proxy[k]}`).join(', ')}`,
    `- proxy RSS: ${mib(tls.rssBeforeIdleBytes)} MiB before, ${mib(tls.rssIdleOpenBytes)} MiB with all idle connections open (${((tls.rssIdleOpenBytes - tls.rssBeforeIdleBytes) / 1024 / Math.max(1, tls.idleTls)).toFixed(0)} KiB per connection), peak ${mib(rssPeak)} MiB during the download, ${mib(tls.rss[tls.rss.length - 1]!.rssBytes)} MiB after they closed`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-soak-'));
  try {
    const env = { when: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}` };
    const dns = await soakDns(dir);
    const tls = await soakTls();
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify({ environment: env, options: { DNS_SECONDS, STRATEGY, IDLE_TLS, IDLE_TIMEOUT_MS, DOWNLOAD_MIB }, dns, tls }, null, 2));
    console.log(summary(dns, tls, env));
    console.log(`\nfigures: ${OUT}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`soak: ${(err as Error).message}`);
  process.exitCode = 1;
});
