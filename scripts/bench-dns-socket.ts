/**
 * `npx tsx scripts/bench-dns-socket.ts [--seconds 5] [--mix mixed] [--strategy one-big-struct] [--rounds 3]`:
 * dnsperf runs (`--rounds` each, interleaved; the median is reported), on 127.0.0.1, against
 *   1. a bare `node:dgram` responder (echoes each query with QR set: the floor of what any Node
 *      DNS server can do — a socket receive and a send),
 *   2. Knot DNS (knotd, generated config in a temp dir, stopped afterwards) serving the same zone,
 *   3. our server (`npm run serve -- dns`) serving the same zone,
 *   4. the bare responder again with the synchronous lookup our server uses (`literalLookup`:
 *      node:dgram otherwise defers every send to an IP literal by a `process.nextTick`), so that the
 *      share of our figure that comes from that one change is visible,
 * and prints them side by side. Target (issue 3): ours ≥ 90% of the bare responder (row 1).
 * Every server is a child process (so the three get the same CPU budget), killed by pid at the end.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateQueryMix, generateZoneText, GENERATED_ORIGIN, toQueryFile, type MixName } from '../workloads/dns/zone-generator.js';

const run = promisify(execFile);

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const seconds = Number(arg('seconds', '5'));
const mix = arg('mix', 'mixed') as MixName;
const strategy = arg('strategy', 'one-big-struct');
const rounds = Number(arg('rounds', '3'));
const PORTS = { bare: 15301, knot: 15302, ours: 15303, bareSync: 15304 };

const BARE = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
s.bind(${PORTS.bare}, '127.0.0.1', () => console.log('ready'));
`;

/** The bare responder with the synchronous literal lookup of workloads/dns/serve.ts. */
const BARE_SYNC = `
const dgram = require('node:dgram');
const net = require('node:net');
const dns = require('node:dns');
const lookup = (h, o, cb) => (net.isIPv4(h) ? cb(null, h, 4) : dns.lookup(h, o, cb));
const s = dgram.createSocket({ type: 'udp4', lookup });
s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
s.bind(${PORTS.bareSync}, '127.0.0.1', () => console.log('ready'));
`;

interface PerfResult {
  qps: number;
  /** Server CPU time (user + system) per query sent, in microseconds: far less load-dependent than q/s. */
  cpuUsPerQuery: number;
  sent: number;
  lost: number;
  codes: string;
}

/** USER_HZ, the unit of /proc/PID/stat times: 100 on Linux for every architecture node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** CPU time of process `pid` so far (user + system), in microseconds, from /proc (Linux). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime), counted here from field 3 (state).
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_S;
}

async function dnsperf(server: ChildProcess, port: number, queryFile: string): Promise<PerfResult> {
  const cpu0 = cpuUs(server.pid!);
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-t', '2'], { timeout: (seconds + 30) * 1000 });
  const cpu1 = cpuUs(server.pid!);
  const sent = Number(/Queries sent:\s+(\d+)/.exec(stdout)?.[1] ?? NaN);
  return {
    qps: Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    cpuUsPerQuery: (cpu1 - cpu0) / sent,
    sent,
    lost: Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1] ?? NaN),
    codes: /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '',
  };
}

/** Starts a child and resolves when `ready()` says it answers. */
async function startChild(cmd: string, args: string[], ready: () => Promise<boolean>, what: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited early (${child.exitCode}): ${stderr.slice(-500)}`);
    if (await ready()) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  throw new Error(`${what} did not answer within 20 s: ${stderr.slice(-500)}`);
}

async function answers(port: number, name: string): Promise<boolean> {
  try {
    const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(port), '+retry=0', '+time=1', name, 'A'], { timeout: 3000 });
    return /status: (NOERROR|NXDOMAIN)/.test(stdout) || /opcode: QUERY/.test(stdout);
  } catch {
    // kdig exits non-zero while the server is not answering yet: that is the answer "not ready",
    // and the caller polls again (a server that never comes up is reported by startChild).
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-bench-dns-'));
  const children: ChildProcess[] = [];
  try {
    const zoneFile = join(dir, 'bench.zone');
    const queryFile = join(dir, 'queries.txt');
    writeFileSync(zoneFile, generateZoneText(1, { hosts: 5000 }));
    writeFileSync(queryFile, toQueryFile(generateQueryMix(1, mix, 50_000, { hosts: 5000 })));
    writeFileSync(
      join(dir, 'knot.conf'),
      [
        'server:',
        `    listen: 127.0.0.1@${PORTS.knot}`,
        `    rundir: ${dir}`,
        '    udp-workers: 1',
        'database:',
        `    storage: ${join(dir, 'db')}`,
        'template:',
        '  - id: default',
        `    storage: ${dir}`,
        '    semantic-checks: off',
        '    journal-content: none',
        'zone:',
        `  - domain: ${GENERATED_ORIGIN}`,
        '    file: bench.zone',
        'log:',
        '  - target: stderr',
        '    any: error',
        '',
      ].join('\n'),
    );
    interface Server {
      name: string;
      port: number;
      start: () => Promise<ChildProcess>;
    }
    const servers: Server[] = [
      { name: 'bare node:dgram echo', port: PORTS.bare, start: () => startChild('node', ['-e', BARE], () => answers(PORTS.bare, `h1.${GENERATED_ORIGIN}`), 'bare responder') },
      { name: 'knot (1 udp worker)', port: PORTS.knot, start: () => startChild('knotd', ['-c', join(dir, 'knot.conf')], () => answers(PORTS.knot, `h1.${GENERATED_ORIGIN}`), 'knotd') },
      {
        name: `buflab (${strategy})`,
        port: PORTS.ours,
        start: () =>
          startChild(
            'node',
            ['--import', 'tsx', 'harness/cli/serve.ts', 'dns', '--zone', zoneFile, '--port', String(PORTS.ours), '--strategy', strategy],
            () => answers(PORTS.ours, `h1.${GENERATED_ORIGIN}`),
            'buflab dns serve',
          ),
      },
      {
        name: 'bare echo, sync lookup',
        port: PORTS.bareSync,
        start: () => startChild('node', ['-e', BARE_SYNC], () => answers(PORTS.bareSync, `h1.${GENERATED_ORIGIN}`), 'bare responder (sync lookup)'),
      },
    ];
    const runs = new Map<string, PerfResult[]>(servers.map((sv) => [sv.name, []]));
    // Rounds in a rotated order, so that no server always runs first or right after a heavy one.
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < servers.length; k++) {
        const sv = servers[(k + r) % servers.length]!;
        const child = await sv.start();
        children.push(child);
        runs.get(sv.name)!.push(await dnsperf(child, sv.port, queryFile));
        await stop(child);
      }
    }
    /** The run with the median q/s (its other fields are that run's own). */
    const medianRun = (xs: PerfResult[]): PerfResult => [...xs].sort((a, b) => a.qps - b.qps)[xs.length >> 1]!;
    const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const results = servers.map((sv) => [sv.name, medianRun(runs.get(sv.name)!), medianOf(runs.get(sv.name)!.map((x) => x.cpuUsPerQuery))] as const);

    const bareQps = results[0]![1].qps;
    console.log(`dnsperf -l ${seconds}, mix ${mix}, 127.0.0.1, ${rounds} round(s), median; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('server                     queries/s   vs bare  cpu µs/q   sent      lost  response codes');
    for (const [name, r, cpu] of results) {
      console.log(
        `${name.padEnd(26)} ${r.qps.toFixed(0).padStart(9)}  ${((100 * r.qps) / bareQps).toFixed(0).padStart(6)}%  ${cpu.toFixed(2).padStart(8)}  ${String(r.sent).padStart(8)}  ${String(r.lost).padStart(6)}  ${r.codes}`,
      );
    }
    const oursQps = results[2]![1].qps;
    console.log(`target (issue 3): buflab / bare = ${((100 * oursQps) / bareQps).toFixed(1)} % (target >= 90 %): ${oursQps >= 0.9 * bareQps ? 'met' : 'NOT met'}`);
    const cpuRatio = results[0]![2] / results[2]![2];
    console.log(`server CPU per query, bare / buflab = ${(100 * cpuRatio).toFixed(1)} % (the same ratio from CPU time, which load skews less)`);
  } finally {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench-dns-socket: ${(err as Error).message}`);
  process.exitCode = 1;
});
