/**
 * Soak (issue 16), bounded for CI: `npm run serve -- tls` as a process of its own in front of an
 * HTTP backend, under
 *   - wrk with keep-alive (3 s) and with `Connection: close` (3 s: a handshake per request);
 *   - 1,000 idle TCP connections that never start a handshake plus 100 that finish it and go
 *     silent (scripts/soak/idle-clients.ts, a process of its own), while curl downloads 16 MiB
 *     through the proxy: the download completes, the handshake and idle timeouts close every idle
 *     one (counted), and RSS stays within a per-connection budget.
 * Timeouts are 3 s here (defaults 10 s / 60 s) to fit CI; `npm run soak` holds 1,000 TLS ones.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdleReport } from '../../../scripts/soak/idle-clients.js';
import { parseWrk, rssBytesOf, spawnWithOpenFiles, startServe, type ServeChild } from '../../../scripts/soak/soak-lib.js';
import { peer } from '../../peers.js';
import { makeTestPki, type TestPki } from '../../stack/tls/test-pki.js';
import { waitFor } from '../../wait-for.js';
import { run } from './net-helpers.js';

const HAS = peer('wrk') && peer('curl');
const BIG_BYTES = 16 * 1024 * 1024;
const IDLE_RAW = 1000;
const IDLE_TLS = 100;
const TIMEOUT_MS = 3000;
/** RSS budget per held connection: the record buffer's own small strategy (32 KiB class) plus node's socket state, with room. */
const RSS_PER_CONNECTION_BYTES = 128 * 1024;

describe.runIf(HAS)('serve tls soak: wrk, handshake churn, 1,000 idle connections beside a download', () => {
  let pki: TestPki;
  let backend: Server;
  let proxy: ServeChild;
  const big = Buffer.alloc(BIG_BYTES, 0x61);

  beforeAll(async () => {
    pki = makeTestPki();
    backend = createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': BIG_BYTES });
        res.end(big);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 6 });
      res.end('hello\n');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    const backendPort = (backend.address() as { port: number }).port;
    proxy = await startServe('tls', [
      '--port', '0', '--backend', `127.0.0.1:${backendPort}`, '--cert', pki.server.ec.certFile, '--key', pki.server.ec.keyFile,
      '--handshake-timeout-ms', String(TIMEOUT_MS), '--idle-timeout-ms', String(TIMEOUT_MS), '--status-seconds', '1',
    ]);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    backend?.close();
    pki?.cleanup();
  });

  const wrk = async (extra: string[]): Promise<ReturnType<typeof parseWrk>> => {
    const r = await run('wrk', ['-t1', '-d3s', '--latency', ...extra, `https://127.0.0.1:${proxy.port}/`], '', 30_000);
    expect(r.code).toBe(0);
    return parseWrk(r.stdout);
  };

  it('wrk keep-alive: requests served, no socket errors, no non-2xx', async () => {
    const f = await wrk(['-c8']);
    expect(f.requests).toBeGreaterThan(100);
    expect(f.socketErrors).toEqual({ connect: 0, read: 0, write: 0, timeout: 0 });
    expect(f.non2xx).toBe(0);
  });

  it('wrk Connection: close: a full handshake per request, no socket errors', async () => {
    const before = proxy.lastStatus().handshakes ?? 0;
    const f = await wrk(['-c4', '-H', 'Connection: close']);
    expect(f.requests).toBeGreaterThan(10);
    expect(f.socketErrors).toEqual({ connect: 0, read: 0, write: 0, timeout: 0 });
    expect(f.non2xx).toBe(0);
    expect(await waitFor(() => (proxy.lastStatus().handshakes ?? 0) - before >= f.requests, 5_000)).toBe(true);
  });

  it(`${IDLE_RAW} silent TCP + ${IDLE_TLS} idle TLS connections: a 16 MiB curl download still completes; timeouts close them all, counted; RSS bounded`, async () => {
    // Settle the connections wrk left behind before measuring.
    expect(await waitFor(() => proxy.lastStatus().open === 0, 10_000, 100)).toBe(true);
    const status0 = proxy.lastStatus();
    const rssBefore = rssBytesOf(proxy.pid);
    const idle = spawnWithOpenFiles(process.execPath, ['--import', 'tsx', 'scripts/soak/idle-clients.ts', '--port', String(proxy.port), '--raw', String(IDLE_RAW), '--tls', String(IDLE_TLS), '--hold-ms', '20000']);
    let out = '';
    let err = '';
    idle.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    idle.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => idle.once('exit', (code) => r(code)));
    expect(await waitFor(() => /opened raw=\d+ tls=\d+/.test(out), 30_000, 50), `idle clients never opened: ${err}`).toBe(true);
    let rssPeak = rssBytesOf(proxy.pid);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytesOf(proxy.pid))), 100);
    try {
      const dl = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--cacert', pki.caFile, '--resolve', `localhost:${proxy.port}:127.0.0.1`, '--max-time', '30', `https://localhost:${proxy.port}/big`], '', 40_000);
      expect(dl.stdout).toBe(`200 ${BIG_BYTES}`);
      expect(await exited).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    const report = JSON.parse(out.trim().split('\n').pop()!) as IdleReport;
    expect(report.raw).toMatchObject({ opened: IDLE_RAW, failed: 0, closedByServer: IDLE_RAW, stillOpen: 0 });
    expect(report.tls).toMatchObject({ opened: IDLE_TLS, failed: 0, closedByServer: IDLE_TLS, stillOpen: 0 });
    // Closed by the timeouts (3 s), not before: the earliest-opened went at about 3 s.
    expect(report.raw.closeMsP50!).toBeGreaterThanOrEqual(TIMEOUT_MS - 200);
    expect(report.tls.closeMsP50!).toBeGreaterThanOrEqual(TIMEOUT_MS - 200);
    expect(await waitFor(() => proxy.lastStatus().open === 0, 5_000, 100)).toBe(true);
    const s = proxy.lastStatus();
    expect(s.handshakeTimeouts! - status0.handshakeTimeouts!).toBe(IDLE_RAW);
    expect(s.idleTimeouts! - status0.idleTimeouts!).toBe(IDLE_TLS);
    expect(s.refusedMaxConnections).toBe(0);
    expect(rssPeak - rssBefore).toBeLessThan((IDLE_RAW + IDLE_TLS) * RSS_PER_CONNECTION_BYTES + 2 * BIG_BYTES);
  }, 90_000);
});
