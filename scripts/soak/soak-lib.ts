/**
 * What the soak tests (test/workloads/{dns,tls-proxy}/serve-soak.test.ts) and the long soak
 * (`npm run soak`, scripts/soak.ts) share: `npm run serve` as a child process of its own (so its RSS
 * is the server's alone), its status lines read back as numbers, RSS from /proc, and the load
 * generators' output parsed (dnsperf, wrk).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** File descriptors a soak child asks for (`ulimit -n`, up to the hard limit): 1,000 idle connections need 2,000+. */
export const SOAK_OPEN_FILES = 8192;

export interface ServeChild {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Every stdout line so far. */
  lines: string[];
  /** The last status line (`dns: …` / `tls-proxy: …` with key=value pairs), parsed; empty before the first. */
  lastStatus(): Record<string, number>;
  /** SIGTERM, wait for exit; resolves with the final status line parsed. */
  stop(): Promise<Record<string, number>>;
}

/** `key=value` pairs with numeric values from a status line. */
export function parseStatusLine(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(-?\d+(?:\.\d+)?)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Resident set size of `pid` in bytes (VmRSS in /proc/PID/status; Linux). */
export function rssBytesOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`/proc/${pid}/status has no VmRSS line (process gone?)`);
  return Number(m[1]) * 1024;
}

/** Spawns a process with `ulimit -n` raised to {@link SOAK_OPEN_FILES} (as far as the hard limit allows). */
export function spawnWithOpenFiles(cmd: string, args: readonly string[]): ChildProcess {
  return spawn('sh', ['-c', `ulimit -n ${SOAK_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, cmd, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts `npm run serve -- <what> …args` (as `node --import tsx harness/cli/serve.ts`, so the pid is
 * the server's) and resolves once it printed its port. `args` should include `--port 0`.
 */
export async function startServe(what: 'dns' | 'tls', args: readonly string[], timeoutMs = 30_000): Promise<ServeChild> {
  const child = spawnWithOpenFiles(process.execPath, ['--import', 'tsx', 'harness/cli/serve.ts', what, ...args]);
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const prefix = what === 'dns' ? 'dns: queries=' : 'tls-proxy: connections=';
  let last: Record<string, number> = {};
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line.startsWith(prefix)) last = parseStatusLine(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve ${what} printed no port within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    const poll = setInterval(() => {
      const m = lines.map((l) => /on 127\.0\.0\.1:(\d+)/.exec(l)).find((x) => x !== null);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`serve ${what} exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    port,
    lines,
    lastStatus: () => last,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      return last;
    },
  };
}

export interface DnsperfFigures {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  /** Average and maximum latency, in milliseconds (dnsperf prints no percentiles without -v). */
  latencyAvgMs: number;
  latencyMaxMs: number;
  codes: string;
}

/** Parses dnsperf's summary. */
export function parseDnsperf(stdout: string): DnsperfFigures {
  const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    latencyAvgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    latencyMaxMs: num(/Average Latency \(s\):.*max ([\d.]+)/) * 1000,
    codes: /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '',
  };
}

export interface WrkFigures {
  requests: number;
  requestsPerSec: number;
  /** Latency percentiles in milliseconds (wrk --latency). */
  p50Ms: number;
  p99Ms: number;
  /** connect, read, write, timeout socket errors (0 when wrk printed none). */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
}

function wrkMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** Parses wrk's output (run with --latency). */
export function parseWrk(stdout: string): WrkFigures {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(stdout);
    return m === null ? NaN : wrkMs(m[1]!, m[2]!);
  };
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN),
    requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    socketErrors: se === null ? { connect: 0, read: 0, write: 0, timeout: 0 } : { connect: Number(se[1]), read: Number(se[2]), write: Number(se[3]), timeout: Number(se[4]) },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

/**
 * Writes a Knot DNS configuration serving `zoneFile` (a file name inside `dir`) for origin `origin`
 * on 127.0.0.1:`port` with one UDP worker (one core, as our server has), and returns its path:
 * `knotd -c PATH`.
 */
export function writeKnotConfig(dir: string, port: number, origin: string, zoneFile: string): string {
  const path = join(dir, 'knot.conf');
  writeFileSync(
    path,
    [
      'server:',
      `    listen: 127.0.0.1@${port}`,
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
      `  - domain: ${origin}`,
      `    file: ${zoneFile}`,
      'log:',
      '  - target: stderr',
      '    any: error',
      '',
    ].join('\n'),
  );
  return path;
}
