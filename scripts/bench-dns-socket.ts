/**
 * `npx tsx scripts/bench-dns-socket.ts [--seconds 5] [--mix mixed] [--strategy one-big-struct]`:
 * one dnsperf run each, on 127.0.0.1, against
 *   1. a bare `node:dgram` responder (echoes each query with QR set: the floor of what any Node
 *      DNS server can do — a socket receive and a send),
 *   2. Knot DNS (knotd, generated config in a temp dir, stopped afterwards) serving the same zone,
 *   3. our server (`npm run serve -- dns`) serving the same zone,
 * and prints them side by side. Target (issue 3): ours ≥ 90% of the bare responder.
 * Every server is a child process (so the three get the same CPU budget), killed by pid at the end.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const PORTS = { bare: 15301, knot: 15302, ours: 15303 };

const BARE = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
s.bind(${PORTS.bare}, '127.0.0.1', () => console.log('ready'));
`;

interface PerfResult {
  qps: number;
  sent: number;
  lost: number;
  codes: string;
}

async function dnsperf(port: number, queryFile: string): Promise<PerfResult> {
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-t', '2'], { timeout: (seconds + 30) * 1000 });
  return {
    qps: Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    sent: Number(/Queries sent:\s+(\d+)/.exec(stdout)?.[1] ?? NaN),
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
    const results: Array<[string, PerfResult]> = [];

    const bare = await startChild('node', ['-e', BARE], () => answers(PORTS.bare, `h1.${GENERATED_ORIGIN}`), 'bare responder');
    children.push(bare);
    results.push(['bare node:dgram echo', await dnsperf(PORTS.bare, queryFile)]);
    await stop(bare);

    const knot = await startChild('knotd', ['-c', join(dir, 'knot.conf')], () => answers(PORTS.knot, `h1.${GENERATED_ORIGIN}`), 'knotd');
    children.push(knot);
    results.push(['knot (1 udp worker)', await dnsperf(PORTS.knot, queryFile)]);
    await stop(knot);

    const ours = await startChild(
      'node',
      ['--import', 'tsx', 'harness/cli/serve.ts', 'dns', '--zone', zoneFile, '--port', String(PORTS.ours), '--strategy', strategy],
      () => answers(PORTS.ours, `h1.${GENERATED_ORIGIN}`),
      'buflab dns serve',
    );
    children.push(ours);
    results.push([`buflab (${strategy})`, await dnsperf(PORTS.ours, queryFile)]);
    await stop(ours);

    const bareQps = results[0]![1].qps;
    console.log(`dnsperf -l ${seconds}, mix ${mix}, 127.0.0.1; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('server                     queries/s   vs bare   sent      lost  response codes');
    for (const [name, r] of results) {
      console.log(
        `${name.padEnd(26)} ${r.qps.toFixed(0).padStart(9)}  ${((100 * r.qps) / bareQps).toFixed(0).padStart(6)}%  ${String(r.sent).padStart(8)}  ${String(r.lost).padStart(6)}  ${r.codes}`,
      );
    }
  } finally {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench-dns-socket: ${(err as Error).message}`);
  process.exitCode = 1;
});
